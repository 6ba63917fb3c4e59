"""Tests for handlers.dates: the due-date / range / duration / time-of-day grammar."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.dates import (
    DateParseError,
    Due,
    parse_date,
    parse_date_range,
    parse_due,
    parse_duration,
    parse_time_of_day,
)

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
UTC = UTC

WED = datetime(2026, 11, 25, 10, 0, tzinfo=SH)  # Wednesday
FRI = datetime(2026, 11, 27, 9, 0, tzinfo=SH)  # Friday
SAT = datetime(2026, 11, 28, 9, 0, tzinfo=SH)  # Saturday
SUN = datetime(2026, 11, 29, 9, 0, tzinfo=SH)  # Sunday
NYE = datetime(2026, 12, 31, 9, 0, tzinfo=SH)  # Thursday, last day of the year
JAN_END = datetime(2027, 1, 29, 9, 0, tzinfo=SH)  # Friday near the end of January
# 03:00 UTC on Nov 26 is still 22:00 on Wednesday Nov 25 in New York.
NY_LATE = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
# 20:00 UTC on Nov 25 is already 04:00 on Thursday Nov 26 in Shanghai.
SH_EARLY = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


def D(y: int, m: int, d: int, hh: int | None = None, mm: int = 0) -> Due:
    return Due(date(y, m, d), None if hh is None else time(hh, mm))


DUE_CASES = [
    # --- English day words
    ("today", WED, SH, D(2026, 11, 25)),
    ("Today", WED, SH, D(2026, 11, 25)),
    ("  tomorrow  ", WED, SH, D(2026, 11, 26)),
    ("tmr", WED, SH, D(2026, 11, 26)),
    ("tmrw", WED, SH, D(2026, 11, 26)),
    ("yesterday", WED, SH, D(2026, 11, 24)),
    ("the day after tomorrow", WED, SH, D(2026, 11, 27)),
    ("eod", WED, SH, D(2026, 11, 25, 18)),  # the end of the working day
    ("tonight", WED, SH, D(2026, 11, 25, 21)),  # evening as a deadline
    # --- English weekdays
    ("fri", WED, SH, D(2026, 11, 27)),
    ("Friday", WED, SH, D(2026, 11, 27)),
    ("mon", WED, SH, D(2026, 11, 30)),
    ("wed", WED, SH, D(2026, 12, 2)),  # strictly after today
    ("thurs", WED, SH, D(2026, 11, 26)),
    ("tues", WED, SH, D(2026, 12, 1)),
    ("this fri", WED, SH, D(2026, 11, 27)),
    ("this mon", WED, SH, D(2026, 11, 30)),  # the coming one, never past
    ("next monday", WED, SH, D(2026, 11, 30)),
    ("next fri", WED, SH, D(2026, 12, 4)),
    ("fri next week", WED, SH, D(2026, 12, 4)),
    ("next week", WED, SH, D(2026, 11, 30)),
    ("on fri", WED, SH, D(2026, 11, 27)),
    ("fri", FRI, SH, D(2026, 12, 4)),  # said on a Friday: next week's
    ("this fri", FRI, SH, D(2026, 11, 27)),
    ("sun", SUN, SH, D(2026, 12, 6)),
    ("this sun", SUN, SH, D(2026, 11, 29)),
    ("next mon", SUN, SH, D(2026, 11, 30)),
    # --- English relative offsets
    ("in 3 days", WED, SH, D(2026, 11, 28)),
    ("3 days", WED, SH, D(2026, 11, 28)),
    ("3d", WED, SH, D(2026, 11, 28)),
    ("2w", WED, SH, D(2026, 12, 9)),
    ("in 2 weeks", WED, SH, D(2026, 12, 9)),
    ("in a week", WED, SH, D(2026, 12, 2)),
    ("in 1 month", WED, SH, D(2026, 12, 25)),
    ("in three days", WED, SH, D(2026, 11, 28)),
    ("2 days from now", WED, SH, D(2026, 11, 27)),
    ("in 2 hours", WED, SH, D(2026, 11, 25, 12, 0)),
    ("in 90 minutes", WED, SH, D(2026, 11, 25, 11, 30)),
    ("in 1 month", JAN_END, SH, D(2027, 2, 28)),  # clamped to month end
    # --- explicit dates
    ("2026-12-01", WED, SH, D(2026, 12, 1)),
    ("2026/12/01", WED, SH, D(2026, 12, 1)),
    ("2026.12.01", WED, SH, D(2026, 12, 1)),
    ("20261201", WED, SH, D(2026, 12, 1)),
    ("2027-1-5", WED, SH, D(2027, 1, 5)),
    ("２０２６－１２－０１", WED, SH, D(2026, 12, 1)),  # full-width
    ("Dec 1", WED, SH, D(2026, 12, 1)),
    ("December 1", WED, SH, D(2026, 12, 1)),
    ("1 Dec", WED, SH, D(2026, 12, 1)),
    ("Dec 1st", WED, SH, D(2026, 12, 1)),
    ("Dec 1 2026", WED, SH, D(2026, 12, 1)),
    ("Dec. 1, 2026", WED, SH, D(2026, 12, 1)),
    ("1 December 2026", WED, SH, D(2026, 12, 1)),
    ("1st of december", WED, SH, D(2026, 12, 1)),
    ("Nov 25", WED, SH, D(2026, 11, 25)),  # today counts as "on or after today"
    ("Nov 24", WED, SH, D(2026, 11, 24)),  # nearest occurrence: yesterday
    ("2025-01-01", WED, SH, D(2025, 1, 1)),  # explicit past dates are allowed
    ("the 15th", WED, SH, D(2026, 12, 15)),
    # --- anchors
    ("eow", WED, SH, D(2026, 11, 27)),
    ("end of week", FRI, SH, D(2026, 11, 27)),
    ("eow", SAT, SH, D(2026, 12, 4)),
    ("eow", SUN, SH, D(2026, 12, 4)),
    ("eom", WED, SH, D(2026, 11, 30)),
    ("end of month", JAN_END, SH, D(2027, 1, 31)),
    ("end of the month", NYE, SH, D(2026, 12, 31)),
    ("weekend", WED, SH, D(2026, 11, 29)),
    ("next weekend", WED, SH, D(2026, 12, 6)),
    ("next month", WED, SH, D(2026, 12, 1)),
    ("eoy", WED, SH, D(2026, 12, 31)),
    # --- year rollover
    ("tomorrow", NYE, SH, D(2027, 1, 1)),
    ("jan 5", NYE, SH, D(2027, 1, 5)),
    ("dec 31", NYE, SH, D(2026, 12, 31)),
    ("dec 30", NYE, SH, D(2026, 12, 30)),  # yesterday, not next year
    ("next week", NYE, SH, D(2027, 1, 4)),
    ("fri", NYE, SH, D(2027, 1, 1)),
    ("in 1 month", NYE, SH, D(2027, 1, 31)),
    ("12月1日", NYE, SH, D(2026, 12, 1)),  # a month ago is nearer than next year
    # --- English with times
    ("tomorrow 5pm", WED, SH, D(2026, 11, 26, 17)),
    ("tomorrow at 5pm", WED, SH, D(2026, 11, 26, 17)),
    ("Tomorrow at 5 P.M.", WED, SH, D(2026, 11, 26, 17)),
    ("5pm tomorrow", WED, SH, D(2026, 11, 26, 17)),
    ("fri 17:00", WED, SH, D(2026, 11, 27, 17)),
    ("2026-12-01 09:30", WED, SH, D(2026, 12, 1, 9, 30)),
    ("2026-12-01T09:30", WED, SH, D(2026, 12, 1, 9, 30)),
    ("next monday 5pm", WED, SH, D(2026, 11, 30, 17)),
    ("Dec 1 3:30pm", WED, SH, D(2026, 12, 1, 15, 30)),
    ("5pm", WED, SH, D(2026, 11, 25, 17)),
    ("17:00", WED, SH, D(2026, 11, 25, 17)),
    ("at 9am", WED, SH, D(2026, 11, 25, 9)),
    ("12am tomorrow", WED, SH, D(2026, 11, 26, 0)),
    ("tomorrow noon", WED, SH, D(2026, 11, 26, 12)),
    ("tonight 8:30", WED, SH, D(2026, 11, 25, 20, 30)),
    ("１７：００", WED, SH, D(2026, 11, 25, 17)),  # full-width digits and colon
    # --- Chinese day words and weekdays
    ("今天", WED, SH, D(2026, 11, 25)),
    ("今日", WED, SH, D(2026, 11, 25)),
    ("明天", WED, SH, D(2026, 11, 26)),
    ("明日", WED, SH, D(2026, 11, 26)),
    ("后天", WED, SH, D(2026, 11, 27)),
    ("大后天", WED, SH, D(2026, 11, 28)),
    ("昨天", WED, SH, D(2026, 11, 24)),
    ("周五", WED, SH, D(2026, 11, 27)),
    ("星期五", WED, SH, D(2026, 11, 27)),
    ("礼拜五", WED, SH, D(2026, 11, 27)),
    ("週五", WED, SH, D(2026, 11, 27)),  # traditional
    ("周五", FRI, SH, D(2026, 12, 4)),  # like bare "fri"
    ("本周五", FRI, SH, D(2026, 11, 27)),
    ("这周一", WED, SH, D(2026, 11, 30)),  # like "this mon"
    ("周日", WED, SH, D(2026, 11, 29)),
    ("周天", WED, SH, D(2026, 11, 29)),
    ("星期天", WED, SH, D(2026, 11, 29)),
    ("下周一", WED, SH, D(2026, 11, 30)),
    ("下星期一", WED, SH, D(2026, 11, 30)),
    ("下礼拜一", WED, SH, D(2026, 11, 30)),
    ("下个星期五", WED, SH, D(2026, 12, 4)),
    ("下下周一", WED, SH, D(2026, 12, 7)),
    ("下周", WED, SH, D(2026, 11, 30)),
    ("下下周", WED, SH, D(2026, 12, 7)),
    # --- Chinese relative offsets
    ("3天后", WED, SH, D(2026, 11, 28)),
    ("三天后", WED, SH, D(2026, 11, 28)),
    ("两天后", WED, SH, D(2026, 11, 27)),
    ("十天后", WED, SH, D(2026, 12, 5)),
    ("2周后", WED, SH, D(2026, 12, 9)),
    ("一周后", WED, SH, D(2026, 12, 2)),
    ("一个月后", WED, SH, D(2026, 12, 25)),
    ("1个月后", WED, SH, D(2026, 12, 25)),
    ("3天", WED, SH, D(2026, 11, 28)),
    ("3日后", WED, SH, D(2026, 11, 28)),
    ("2小时后", WED, SH, D(2026, 11, 25, 12)),
    ("半小时后", WED, SH, D(2026, 11, 25, 10, 30)),
    # --- Chinese explicit dates and anchors
    ("12月1日", WED, SH, D(2026, 12, 1)),
    ("12月1号", WED, SH, D(2026, 12, 1)),
    ("十二月一日", WED, SH, D(2026, 12, 1)),
    ("2026年12月1日", WED, SH, D(2026, 12, 1)),
    ("15号", WED, SH, D(2026, 12, 15)),
    ("31号", WED, SH, D(2026, 12, 31)),  # November has no 31st
    ("下个月5号", WED, SH, D(2026, 12, 5)),
    ("月底", WED, SH, D(2026, 11, 30)),
    ("月末", JAN_END, SH, D(2027, 1, 31)),
    ("下月底", JAN_END, SH, D(2027, 2, 28)),
    ("下月初", WED, SH, D(2026, 12, 1)),
    ("周末", WED, SH, D(2026, 11, 29)),
    ("本周末", SUN, SH, D(2026, 11, 29)),
    ("下周末", WED, SH, D(2026, 12, 6)),
    ("年底", WED, SH, D(2026, 12, 31)),
    # --- Chinese with times
    ("明天下午3点", WED, SH, D(2026, 11, 26, 15)),
    ("明天下午三点半", WED, SH, D(2026, 11, 26, 15, 30)),
    ("明天 下午 3 点", WED, SH, D(2026, 11, 26, 15)),
    ("明天15:00", WED, SH, D(2026, 11, 26, 15)),
    ("明天 15:00", WED, SH, D(2026, 11, 26, 15)),
    ("周五上午10点", WED, SH, D(2026, 11, 27, 10)),
    ("周二十点", WED, SH, D(2026, 12, 1, 10)),  # 周二 + 十点, not 周 + 二十点
    ("今晚8点", WED, SH, D(2026, 11, 25, 20)),
    ("今晚", WED, SH, D(2026, 11, 25, 21)),
    ("明早9点", WED, SH, D(2026, 11, 26, 9)),
    ("中午", WED, SH, D(2026, 11, 25, 12)),
    ("明天中午", WED, SH, D(2026, 11, 26, 12)),
    ("下午3点", WED, SH, D(2026, 11, 25, 15)),
    ("晚上八点一刻", WED, SH, D(2026, 11, 25, 20, 15)),
    ("12月1日9点", WED, SH, D(2026, 12, 1, 9)),
    ("下周一下午3点", WED, SH, D(2026, 11, 30, 15)),
    ("2026年12月1日上午9:30", WED, SH, D(2026, 12, 1, 9, 30)),
    ("明天5pm", WED, SH, D(2026, 11, 26, 17)),
    # --- "today" is the calendar day in tz, not in now's own zone
    ("today", NY_LATE, NY, D(2026, 11, 25)),
    ("tomorrow", NY_LATE, NY, D(2026, 11, 26)),
    ("fri", NY_LATE, NY, D(2026, 11, 27)),
    ("in 2 hours", NY_LATE, NY, D(2026, 11, 26, 0)),
    ("today", SH_EARLY, SH, D(2026, 11, 26)),
    ("明天", SH_EARLY, SH, D(2026, 11, 27)),
]


@pytest.mark.parametrize(("text", "now", "tz", "expected"), DUE_CASES)
def test_parse_due(text: str, now: datetime, tz: ZoneInfo, expected: Due) -> None:
    assert parse_due(text, now, tz) == expected


def test_table_is_big_enough() -> None:
    assert len(DUE_CASES) >= 70


ERROR_CASES = [
    ("", "empty"),
    ("   ", "empty"),
    ("someday", "unknown"),
    ("blursday", "unknown"),
    ("next blursday", "unknown"),
    ("32", "unknown"),
    ("3", "unknown"),  # dateutil would read the 3rd of this month
    ("tomorrow 5", "unknown"),
    ("this week", "unknown"),
    ("底", "unknown"),
    ("半天后", "unknown"),
    ("in 2 hours 5pm", "unknown"),
    ("ad", "unknown"),
    ("x" * 500, "unknown"),
    ("tomorrow 25:00", "invalid"),
    ("13pm", "invalid"),
    ("in -3 days", "invalid"),
    ("in 0 days", "invalid"),
    ("Feb 30", "invalid"),
    ("Feb 29", "invalid"),  # no leap year within six months
    ("2026-02-30", "invalid"),
    ("2026-13-01", "invalid"),
    ("20261301", "invalid"),
    ("2月30日", "invalid"),
    ("32号", "invalid"),
    ("Feb 30 5pm", "invalid"),
    ("明天上午15点", "invalid"),
    ("12/01", "ambiguous"),
    ("01/12/2026", "ambiguous"),
    ("12-01", "ambiguous"),
    ("12/01 5pm", "ambiguous"),
    ("晚上12点", "ambiguous"),
]


@pytest.mark.parametrize(("text", "reason"), ERROR_CASES)
def test_parse_due_errors(text: str, reason: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse_due(text, WED, SH)
    assert info.value.reason == reason
    assert info.value.text == text.strip()


def test_error_is_value_error_and_carries_data() -> None:
    with pytest.raises(ValueError):
        parse_due("blursday", WED, SH)
    err = DateParseError("x", "unknown")
    assert err.args == ("x", "unknown")


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError) as info:
        parse_due("today", datetime(2026, 11, 25, 10, 0), SH)
    assert not isinstance(info.value, DateParseError)


def test_parse_date_drops_time() -> None:
    assert parse_date("tomorrow 5pm", WED, SH) == date(2026, 11, 26)
    assert parse_date("下周五", WED, SH) == date(2026, 12, 4)
    with pytest.raises(DateParseError):
        parse_date("someday", WED, SH)


# ---------------------------------------------------------------------------
# Ranges
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01..2026-12-05", (date(2026, 12, 1), date(2026, 12, 5))),
        ("2026.12.01..2026.12.05", (date(2026, 12, 1), date(2026, 12, 5))),
        ("dec 1 ~ dec 5", (date(2026, 12, 1), date(2026, 12, 5))),
        ("dec 20～jan 5", (date(2026, 12, 20), date(2027, 1, 5))),
        ("fri..next fri", (date(2026, 11, 27), date(2026, 12, 4))),
        ("12月1日到12月5日", (date(2026, 12, 1), date(2026, 12, 5))),
        ("从明天至周五", (date(2026, 11, 26), date(2026, 11, 27))),
        ("from today..eow", (date(2026, 11, 25), date(2026, 11, 27))),
        ("tomorrow", (date(2026, 11, 26), date(2026, 11, 26))),
        ("today..today", (date(2026, 11, 25), date(2026, 11, 25))),
    ],
)
def test_parse_date_range(text: str, expected: tuple[date, date]) -> None:
    assert parse_date_range(text, WED, SH) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("dec 5..dec 1", "reversed"),
        ("明天到今天", "reversed"),
        ("fri..", "unknown"),
        ("..fri", "unknown"),
        ("a..b..c", "unknown"),
        ("today..blursday", "unknown"),
        ("2026-12-01 - 2026-12-05", "unknown"),  # hyphen is not a separator
        ("", "empty"),
    ],
)
def test_parse_date_range_errors(text: str, reason: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse_date_range(text, WED, SH)
    assert info.value.reason == reason


# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("2w", timedelta(weeks=2)),
        ("1h30m", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("90 min", timedelta(minutes=90)),
        ("2 hours", timedelta(hours=2)),
        ("3 days", timedelta(days=3)),
        ("2 weeks", timedelta(weeks=2)),
        ("1 hour and 30 minutes", timedelta(minutes=90)),
        ("1.5h", timedelta(minutes=90)),
        ("an hour", timedelta(hours=1)),
        ("half an hour", timedelta(minutes=30)),
        ("1d 2h", timedelta(days=1, hours=2)),
        ("30分钟", timedelta(minutes=30)),
        ("2小时", timedelta(hours=2)),
        ("3天", timedelta(days=3)),
        ("2周", timedelta(weeks=2)),
        ("半小时", timedelta(minutes=30)),
        ("半个小时", timedelta(minutes=30)),
        ("一个半小时", timedelta(minutes=90)),
        ("两个小时", timedelta(hours=2)),
        ("1小时30分钟", timedelta(minutes=90)),
        ("三十分钟", timedelta(minutes=30)),
        ("一刻钟", timedelta(minutes=15)),
        ("２ｈ", timedelta(hours=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("0m", "invalid"),
        ("0小时", "invalid"),
        ("-1h", "invalid"),
        ("-30 min", "invalid"),
        ("soon", "unknown"),
        ("3 months", "unknown"),  # months have no fixed length
        ("30m2h", "unknown"),  # units largest first
        ("1h1h", "unknown"),
        ("ah", "unknown"),
        ("2", "unknown"),
        ("半天", "unknown"),
    ],
)
def test_parse_duration_errors(text: str, reason: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse_duration(text)
    assert info.value.reason == reason


# ---------------------------------------------------------------------------
# Times of day
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:30", time(9, 30)),
        ("9:30", time(9, 30)),
        ("9am", time(9, 0)),
        ("9 AM", time(9, 0)),
        ("5:30pm", time(17, 30)),
        ("17:00", time(17, 0)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("noon", time(12, 0)),
        ("上午9点", time(9, 0)),
        ("9点半", time(9, 30)),
        ("下午3点", time(15, 0)),
        ("15点", time(15, 0)),
        ("下午3:30", time(15, 30)),
        ("晚上8点", time(20, 0)),
        ("中午", time(12, 0)),
        ("中午1点", time(13, 0)),
        ("凌晨12点", time(0, 0)),
        ("九点一刻", time(9, 15)),
        ("9点05分", time(9, 5)),
        ("十点整", time(10, 0)),
        ("０９：３０", time(9, 30)),
    ],
)
def test_parse_time_of_day(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("25:00", "invalid"),
        ("24:00", "invalid"),
        ("9:60", "invalid"),
        ("13pm", "invalid"),
        ("0am", "invalid"),
        ("上午15点", "invalid"),
        ("晚上12点", "ambiguous"),
        ("下午", "unknown"),
        ("9", "unknown"),
        ("tomorrow", "unknown"),
    ],
)
def test_parse_time_of_day_errors(text: str, reason: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse_time_of_day(text)
    assert info.value.reason == reason


# ---------------------------------------------------------------------------
# Due.as_datetime / Due.end
# ---------------------------------------------------------------------------


def test_date_only_due() -> None:
    due = Due(date(2026, 11, 25))
    assert due.as_datetime(SH) is None
    assert due.end(SH) == datetime(2026, 11, 26, 0, 0, tzinfo=SH)
    assert due.end(SH).utcoffset() == timedelta(hours=8)


def test_timed_due() -> None:
    due = Due(date(2026, 11, 25), time(17, 0))
    assert due.as_datetime(SH) == datetime(2026, 11, 25, 17, 0, tzinfo=SH)
    assert due.end(SH) == due.as_datetime(SH)
    assert due.end(NY).astimezone(UTC) == datetime(2026, 11, 25, 22, 0, tzinfo=UTC)


def test_end_across_spring_forward() -> None:
    # 2026-03-08 in New York has 23 hours.
    before = Due(date(2026, 3, 7)).end(NY)
    on = Due(date(2026, 3, 8)).end(NY)
    assert before.astimezone(UTC) == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert on.astimezone(UTC) == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    assert on.astimezone(UTC) - before.astimezone(UTC) == timedelta(hours=23)
    # 02:30 does not exist that day: fold=0 reading, shown as the real 03:30 EDT.
    gap = Due(date(2026, 3, 8), time(2, 30)).end(NY)
    assert gap.astimezone(UTC) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert (gap.hour, gap.minute) == (3, 30)


def test_end_across_fall_back() -> None:
    # 2026-11-01 in New York has 25 hours.
    before = Due(date(2026, 10, 31)).end(NY)
    on = Due(date(2026, 11, 1)).end(NY)
    assert before.astimezone(UTC) == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    assert on.astimezone(UTC) == datetime(2026, 11, 2, 5, 0, tzinfo=UTC)
    assert on.astimezone(UTC) - before.astimezone(UTC) == timedelta(hours=25)
    # 01:30 happens twice: the first (EDT) occurrence is used.
    twice = Due(date(2026, 11, 1), time(1, 30)).end(NY)
    assert twice.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_end_when_midnight_does_not_exist() -> None:
    # Chile springs forward at 24:00: 2026-09-06 starts at 01:00 -03.
    santiago = ZoneInfo("America/Santiago")
    end = Due(date(2026, 9, 5)).end(santiago)
    assert end.astimezone(UTC) == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert (end.date(), end.hour) == (date(2026, 9, 6), 1)


def test_overdue_comparison_against_utc_clock() -> None:
    due = parse_due("tomorrow", NY_LATE, NY)
    assert due.end(NY) > NY_LATE
    assert due.end(NY) <= NY_LATE + timedelta(hours=26)


# ---------------------------------------------------------------------------
# Property: never any exception other than DateParseError
# ---------------------------------------------------------------------------

_VOCAB = st.sampled_from(
    [
        "today",
        "tomorrow",
        "next",
        "this",
        "fri",
        "in",
        "3",
        "days",
        "at",
        "5pm",
        "17:00",
        "dec",
        "1st",
        "2026-12-01",
        "..",
        "~",
        "-",
        "/",
        "下周",
        "周五",
        "明天",
        "下午",
        "三点",
        "半",
        "后",
        "月",
        "日",
        "号",
        "十二",
        "年",
        "晚上",
        "今晚",
        "12",
        ":",
        "9999",
        " ",
    ]
)
_TEXTS = st.one_of(
    st.text(max_size=60), st.lists(_VOCAB, max_size=8).map("".join), st.lists(_VOCAB, max_size=8).map(" ".join)
)


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS)
def test_parse_due_never_raises_anything_else(text: str) -> None:
    for parse in (parse_due, parse_date_range):
        try:
            result = parse(text, WED, SH)
        except DateParseError as e:
            assert e.reason in {"unknown", "ambiguous", "invalid", "empty"}
        else:
            assert isinstance(result, (Due, tuple))
    for parse_simple in (parse_duration, parse_time_of_day):
        with contextlib.suppress(DateParseError):
            parse_simple(text)
