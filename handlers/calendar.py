"""Working days per project: weekdays, public holidays and make-up working days.

Public holidays come from the `holidays` package, which also models mainland China's make-up
working days (调休: a Saturday or Sunday that is a working day), via `weekend_workdays`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import holidays

__all__ = ["Calendar", "is_business_day", "is_holiday", "is_makeup_workday", "is_standup_day", "supported_country"]

_DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=64)
def _calendar(country: str) -> holidays.HolidayBase | None:
    try:
        return holidays.country_holidays(country)
    except NotImplementedError:
        return None


def supported_country(country: str) -> bool:
    return _calendar(country.upper()) is not None


def is_holiday(country: str | None, day: date) -> bool:
    cal = _calendar(country.upper()) if country else None
    return cal is not None and day in cal


def is_makeup_workday(country: str | None, day: date) -> bool:
    cal = _calendar(country.upper()) if country else None
    if cal is None:
        return False
    cal.get(day)  # populates that year, including its weekend working days
    return day in getattr(cal, "weekend_workdays", set())


@lru_cache(maxsize=1 << 16)  # the scheduler asks about the same few days for every project
def is_standup_day(days: str, country: str | None, day: date) -> bool:
    """A standup runs on the configured weekdays, never on a public holiday, and also on a
    make-up working day that falls on a weekend."""
    if is_holiday(country, day):
        return False
    if is_makeup_workday(country, day):
        return True
    return _DAY_KEYS[day.weekday()] in days.split(",")


def is_business_day(country: str | None, day: date) -> bool:
    """Monday to Friday, minus public holidays, plus make-up working days."""
    return is_standup_day("mon,tue,wed,thu,fri", country, day)


# Colloquial names people use for a holiday whose calendar name differs.
_HOLIDAY_ALIASES = {"五一": "劳动节", "十一": "国庆节", "过年": "春节", "年三十": "除夕"}
# Calendar entries that are bridging days off, not holidays anyone names.
_BRIDGE_DAYS = ("day off", "休息日")
_GENERIC_SUFFIX = re.compile(r"(?:day|festival|节)$")
_HOLIDAY_GAP = 7  # days of one holiday closer than this belong to the same occurrence


def _holiday_key(name: str) -> str:
    """The comparable core of a holiday name: lower case, no spaces, punctuation or "'s",
    and no generic suffix, so "Christmas" matches "Christmas Day" and 国庆 matches 国庆节."""
    s = unicodedata.normalize("NFKC", name).lower().replace("'s", "").replace("’s", "")
    s = re.sub(r"[^0-9a-z\u3400-\u9fff]", "", s)
    return _GENERIC_SUFFIX.sub("", s)


def _name_keys(name: str) -> set[str]:
    """Keys of one calendar name: the name without its parenthesis and the parenthesis itself
    ("Chinese New Year (Spring Festival)" is also "spring festival")."""
    keys = set()
    for part in [re.sub(r"[(（].*?[)）]", "", name), *re.findall(r"[(（](.*?)[)）]", name)]:
        if part.strip() and not part.strip().lower().startswith(_BRIDGE_DAYS):
            keys.add(_holiday_key(part))
    return keys - {""}


def _shortened(full: str, key: str) -> bool:
    """A Chinese name may drop its leading qualifier: 除夕 for 农历除夕."""
    return not full.isascii() and len(key) >= 2 and full.endswith(key)


@lru_cache(maxsize=256)
def _holiday_keys(country: str, year: int) -> tuple[tuple[date, frozenset[str]], ...]:
    """(day, name keys) of one year's public holidays, in every language the `holidays`
    package offers for the country among English and Chinese, plus its default one."""
    base = holidays.country_holidays(country, years=year)
    languages = {None, *(set(getattr(base, "supported_languages", ())) & {"en_US", "zh_CN"})}
    keys: dict[date, set[str]] = {}
    for language in languages:
        for day, names in holidays.country_holidays(country, years=year, language=language).items():
            for name in names.split("; "):
                keys.setdefault(day, set()).update(_name_keys(name))
    return tuple(sorted((day, frozenset(k)) for day, k in keys.items()))


_SEARCH_LIMIT = 366  # no calendar has a year without a working day; stop instead of looping


@dataclass(frozen=True)
class Calendar:
    """A project's working calendar: weekdays minus public holidays plus make-up working days.

    The one place that answers "is this a working day" and counts working days, for the date
    grammar ("in 5 working days"), reminders and escalations alike.
    """

    country: str | None = None
    weekdays: str = "mon,tue,wed,thu,fri"

    @classmethod
    def of(cls, project: Any) -> Calendar:
        """The calendar of a Project row (or None: weekdays only, no holidays)."""
        return cls(project.holidays_country or None) if project is not None else cls()

    def is_working_day(self, day: date) -> bool:
        return is_standup_day(self.weekdays, self.country, day)

    def _step(self, day: date, step: int) -> date:
        for _ in range(_SEARCH_LIMIT):
            day += timedelta(days=step)
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within a year of {day}")

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self._step(day, 1)

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before `day`."""
        return self._step(day, -1)

    def on_or_after(self, day: date) -> date:
        return day if self.is_working_day(day) else self.next_working_day(day)

    def on_or_before(self, day: date) -> date:
        return day if self.is_working_day(day) else self.previous_working_day(day)

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n >= 0; n == 0 is `day` itself)."""
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def holiday(self, name: str, today: date) -> tuple[date, date] | None:
        """First and last day of the named public holiday's occurrence that is not over yet
        (its last day is today or later), or None when the calendar has no such holiday.

        Names are matched in English and Chinese (国庆, 国庆节, National Day, Christmas);
        observed days carry the holiday's name and so extend the occurrence.
        """
        if not self.country or not supported_country(self.country):
            return None
        key = _holiday_key(_HOLIDAY_ALIASES.get(name.strip(), name))
        if not key:
            return None
        days = [
            day
            for year in range(today.year - 1, today.year + 2)
            for day, keys in _holiday_keys(self.country.upper(), year)
            if key in keys or any(_shortened(k, key) for k in keys)
        ]
        runs: list[list[date]] = []
        for day in days:
            if runs and (day - runs[-1][-1]).days < _HOLIDAY_GAP:
                runs[-1].append(day)
            else:
                runs.append([day])
        return next(((run[0], run[-1]) for run in runs if run[-1] >= today), None)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in (start, end]; 0 when end <= start."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count
