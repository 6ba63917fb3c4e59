"""Working days per project: weekdays, public holidays and make-up working days.

Public holidays come from the `holidays` package, which also models mainland China's make-up
working days (调休: a Saturday or Sunday that is a working day), via `weekend_workdays`.
"""
from __future__ import annotations

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

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in (start, end]; 0 when end <= start."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count
