"""The project's working calendar: weekdays, public holidays and make-up working days."""

from datetime import date

import pytest

from handlers.calendar import Calendar

CN = Calendar("CN")
PLAIN = Calendar()


@pytest.mark.parametrize(
    "cal, day, working",
    [
        (PLAIN, date(2026, 12, 4), True),  # Friday
        (PLAIN, date(2026, 12, 5), False),  # Saturday
        (CN, date(2026, 10, 1), False),  # National Day
        (CN, date(2026, 2, 14), True),  # Saturday make-up working day before Spring Festival
        (CN, date(2026, 2, 17), False),  # Spring Festival
    ],
)
def test_working_day(cal, day, working):
    assert cal.is_working_day(day) is working


def test_steps_skip_weekends_and_holidays():
    assert PLAIN.next_working_day(date(2026, 12, 4)) == date(2026, 12, 7)
    assert PLAIN.previous_working_day(date(2026, 12, 7)) == date(2026, 12, 4)
    assert PLAIN.on_or_before(date(2026, 12, 6)) == date(2026, 12, 4)
    assert PLAIN.on_or_after(date(2026, 12, 6)) == date(2026, 12, 7)
    assert PLAIN.on_or_after(date(2026, 12, 7)) == date(2026, 12, 7)
    assert CN.next_working_day(date(2026, 9, 30)) > date(2026, 10, 7)


def test_counting_working_days():
    assert PLAIN.add_working_days(date(2026, 12, 4), 0) == date(2026, 12, 4)
    assert PLAIN.add_working_days(date(2026, 12, 4), 5) == date(2026, 12, 11)
    assert PLAIN.working_days_between(date(2026, 12, 4), date(2026, 12, 11)) == 5
    assert PLAIN.working_days_between(date(2026, 12, 11), date(2026, 12, 4)) == 0
    assert CN.working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0
