"""Working days per project: weekdays, public holidays and make-up working days.

Public holidays come from the `holidays` package, which also models mainland China's make-up
working days (调休: a Saturday or Sunday that is a working day), via `weekend_workdays`.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

__all__ = ["is_business_day", "is_holiday", "is_makeup_workday", "is_standup_day", "supported_country"]

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
