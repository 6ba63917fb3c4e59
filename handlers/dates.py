"""Parse due dates, date ranges, durations and times of day typed in chat (English and Chinese).

Everything here is pure: the caller passes the clock (`now`, an aware datetime), the
project's time zone and its working calendar (`handlers.calendar.Calendar`: working days and
public holidays by name), so results are reproducible in tests and never depend on the host.

Nothing in this module produces text for users. Failures raise `DateParseError`, which
carries the offending input, a machine-readable `reason`, the `part` that was not understood
and, for an ambiguous date, its `readings`; `DateParseError.user_error` turns it into the
catalogue error the reply layer localises.

The grammar is deliberately closed: anything not recognised raises instead of falling back
to "today", because a silently wrong due date is worse than asking again. dateutil's
free-form parser is not used for the same reason; only `relativedelta` is used, for calendar
month arithmetic. README.md "### Dates" states the same rules for users.

Rules (relative to "today" = `now.astimezone(tz).date()`, ISO weeks Mon..Sun):

* Weekdays. A bare weekday ("fri", "周五") is the next occurrence strictly after today, so
  said on a Friday it is next week's Friday (a deadline of today is said "today").
  "this fri" / 本周五 / 这周五 is the coming one on or after today: today when said on a
  Friday, the coming Friday when said on a Saturday or Sunday. "next fri" / 下周五 / "fri next
  week" is that day of the following ISO week; 下下周五 two weeks on. "next week" / 下周 is
  Monday of the following week; "weekend" / 周末 is Sunday of this week.
* A month-day without a year ("Dec 1", 12月1日) is its occurrence nearest to today (within
  six months either side; the later one on a tie), so on 2 Dec "Dec 1" is yesterday. Feb 29
  further than six months from a leap year is "invalid". The same nearest rule places a
  named month or quarter without a year ("end of March", 3月底, Q1). A day of the month
  alone (15号, "the 15th") is the next such day on or after today.
* Ranges ("A..B", "A~B", "A to B", A到B, A至B) are read as a whole: the start by the rules
  above, then a yearless end is the first occurrence on or after the start (12月28日..1月3日
  said in December spans the new year). An end before the start, or a yearless end that only
  fits by wrapping more than six months past its start, is "reversed".
* Points of a period: start / early / 初 = its first day; mid / 月中 = the 15th (week:
  Wednesday, quarter: the 15th of its middle month, year: 30 June); end / late / 底 / 末 = its
  last day (week: Friday). 上旬 / 中旬 / 下旬 = the 10th / 20th / last day. Without "next" the
  point is in the current period, or in the next one when it is already past ("eow" on a
  Saturday is next Friday, 月初 on the 15th is the 1st of next month). A quarter named alone
  (Q1, 一季度, "this quarter") means its end; "next month" / 下个月 its first day.
* Explicit years: "Dec 1 2027", "Dec 1 next year", 明年3月1日, 2027年3月1日, 明年底, "Q1 2027".
* Working days follow the project calendar: "in 5 working days" / 5个工作日内 / 5个工作日后
  count working days after today; "next working day" / 下个工作日.
* Offsets from a day: "3 days from fri", "2 weeks after Dec 1", "2 working days before
  National Day", 周五后3天, 国庆前2个工作日.
* "by X" / "on X" = X. "before X" = the working day before X; "after X" = the first working
  day after X. In Chinese X前 / X之前 reads "by X" for a day (周五前 = Friday) and "before X"
  for a holiday (国庆前 = the working day before National Day); X后 / X之后 = "after X".
* Public holidays by name from the project's holiday calendar (国庆, 清明节, 春节, "National
  Day", "Christmas"): the occurrence not over yet; before = the working day before its first
  day, after = the first working day after its last day, the name alone = its first day.
* Numeric dates without a leading four-digit year ("12/3", "01/12/2026", "12.5") are refused
  as "ambiguous" with every valid reading (month-first and day-first) offered, unless both
  readings are the same day ("5/5"); when neither reading exists ("31/02") it is "invalid".
* "in 2 hours" / 2小时后 / 半小时后 give a timed due (now plus the elapsed time, seconds
  dropped); they cannot be combined with an explicit time of day.
* A time of day may follow any date expression ("tomorrow at 5pm", 明天下午三点半) or, in
  English, precede it ("5pm tomorrow"); a time alone means today. A weekday may precede an
  explicit date ("Tue Dec 1", 12月1日 周二), as the bot displays dues; it must agree with the
  date, and picks the year of a yearless one: the nearest year in which it falls on that day.
* Parts of the day without an hour are deadlines (`PARTS_OF_DAY`): morning / 上午 / 早上 =
  12:00, noon / 中午 = 12:00, afternoon / 下午 / 傍晚 = 18:00, end of day / eod / cob / 下班前
  = 18:00 (the end of the working day), evening / tonight / 晚上 / 今晚 = 21:00.
* Hours in a due: with am/pm or a part of the day as said (下午3点 = 15:00, 晚上8点 =
  20:00; 晚上12点 and 晚上1..5点 are "ambiguous"); otherwise the work-hours rule: a one-digit
  hour from 1 to 6 means 13:00-18:00 (3点, 三点, "at 3", 3:30), other hours and hours written
  with a leading zero (03:00) are the 24-hour clock. In English a bare number needs "at"
  ("fri at 3"), so "dec 3 10" is not a time. `parse_time_of_day` (settings such as the
  standup time) reads the 24-hour clock and accepts no part of the day without an hour.
* Nonexistent wall times (inside a DST gap) resolve with fold=0 and are reported as the
  equivalent existing wall time (02:30 on a spring-forward day becomes 03:30); repeated
  wall times use their first occurrence.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache, partial
from typing import Any, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from handlers.calendar import Calendar

__all__ = [
    "PARTS_OF_DAY",
    "DateParseError",
    "Due",
    "is_date_expression",
    "parse_date",
    "parse_date_range",
    "parse_due",
    "parse_duration",
    "parse_time_of_day",
]

Reason = Literal["unknown", "ambiguous", "invalid", "empty", "reversed"]


class DateParseError(ValueError):
    """Raised when text is not understood, ambiguous, impossible or a reversed range.

    Attributes: `text`, the offending input (stripped); `reason`, one of "unknown" (not in
    the grammar), "ambiguous" (several readings), "invalid" (understood but not a real
    date/time, e.g. Feb 30 or 25:00, or a zero/negative amount), "empty" and "reversed" (a
    range that ends before it starts); `part`, the piece of `text` that was not understood
    (all of it when no single word is to blame); `readings`, the dates an ambiguous numeric
    date could mean. The exception message is for logs only.
    """

    def __init__(self, text: str, reason: Reason, part: str = "", readings: tuple[date, ...] = ()) -> None:
        super().__init__(text, reason)
        self.text = text
        self.reason = reason
        self.part = part or text
        self.readings = readings

    def __str__(self) -> str:
        return f"{self.reason}: {self.text!r}"

    def user_error(self, usage: str) -> Any:
        """The `UserError` telling the user what was wrong with the date they typed: the
        word not understood, the readings to choose from, or why it cannot be."""
        from handlers.env import UserError

        if self.reason == "unknown" and self.part != self.text:
            return UserError("error.date_unknown_part", usage, value=self.text, part=self.part)
        if self.reason == "ambiguous" and self.readings:
            return UserError(
                "error.date_ambiguous",
                usage,
                value=self.text,
                readings=" / ".join(d.isoformat() for d in self.readings),
            )
        codes = {
            "ambiguous": "error.time_ambiguous",
            "invalid": "error.date_invalid",
            "reversed": "error.date_reversed",
        }
        return UserError(codes.get(self.reason, "error.bad_date"), usage, value=self.text)


@dataclass(frozen=True)
class Due:
    """A due date, optionally with a local wall time in the project's time zone.

    The wall time the user typed is stored rather than an instant; `as_datetime` and
    `end` resolve it in the project's zone on demand, which keeps DST handling in one place.
    Annotations use the `_dt` module because the field names shadow the types.
    """

    date: _dt.date
    time: _dt.time | None = None

    def as_datetime(self, tz: ZoneInfo) -> datetime | None:
        """The aware instant of a timed due, or None for a date-only due."""
        if self.time is None:
            return None
        return _resolve_wall(self.date, self.time.replace(tzinfo=None), tz)

    def end(self, tz: ZoneInfo) -> datetime:
        """The instant the item becomes overdue.

        Timed: that instant. Date-only: the start of the next local day, which is not
        always 00:00 (some zones skip midnight on DST days), hence `_resolve_wall`.
        """
        if self.time is not None:
            return _resolve_wall(self.date, self.time.replace(tzinfo=None), tz)
        return _resolve_wall(self.date + timedelta(days=1), time(0, 0), tz)


@lru_cache(maxsize=4096)  # the scheduler resolves the same few due days for thousands of tasks
def _resolve_wall(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """Attach `tz` with fold=0 and round-trip through UTC.

    The round trip turns a nonexistent wall time (DST gap) into the real wall time of
    the same instant, so comparisons between datetimes sharing this tzinfo (which Python
    does on wall time, ignoring the offset) stay correct.
    """
    naive = datetime.combine(day, wall).replace(fold=0)
    return naive.replace(tzinfo=tz).astimezone(_dt.UTC).astimezone(tz)


# ---------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------

_MAX_LEN = 120  # chat date expressions are short; longer input is not a date

# Traditional characters that users on Feishu/Slack commonly type.
_TRADITIONAL = str.maketrans(
    {
        "後": "后",
        "週": "周",
        "點": "点",
        "號": "号",
        "禮": "礼",
        "個": "个",
        "兩": "两",
        "鐘": "钟",
        "時": "时",
        "這": "这",
        "間": "间",
        "裡": "里",
        "內": "内",
        "〜": "~",
        "節": "节",
        "慶": "庆",
        "農": "农",
        "曆": "历",
        "勞": "劳",
        "動": "动",
        "國": "国",
    }
)

_CJK = "\u2e80-\u9fff\uf900-\ufaff"
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")

_ORDINAL_WORDS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
]
_ORDINALS = {word: n for n, word in enumerate(_ORDINAL_WORDS, 1)}
_ORDINALS.update({"twentieth": 20, "thirtieth": 30, "thirty-first": 31, "thirty first": 31})
_ORDINALS.update({f"twenty{sep}{w}": 20 + n for n, w in enumerate(_ORDINAL_WORDS[:9], 1) for sep in ("-", " ")})
_ORDINAL_RE = re.compile(r"\b(" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + r")\b")
_CN_YEAR_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CN_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})年")

# English phrases rewritten to one canonical form before matching.
_EN_REWRITES = [
    (re.compile(r"\btonight\b"), "today evening"),
    (re.compile(r"\bthis (morning|afternoon|evening)\b"), r"today \1"),
    (re.compile(r"\bend of (today|tomorrow)\b"), r"\1 eod"),
    (re.compile(r"\bmid-(?=[a-z])"), "mid "),
    (re.compile(r"\bwork days?\b"), "working days"),
    (re.compile(r"\bworkdays?\b"), "working days"),
]


def _normalise(text: str) -> str:
    """Canonical form: NFKC (full-width digits/colons), lower case, single spaces.

    Spaces next to Chinese characters are removed so "明天 下午3点" and "明天下午3点"
    are one form; commas become spaces ("Dec 1, 2026"); "p.m." becomes "pm"; ordinal
    words become numbers ("March first" = "March 1st"); 二〇二七年 = 2027年.
    """
    s = unicodedata.normalize("NFKC", text).translate(_TRADITIONAL).lower()
    s = s.replace(",", " ").replace("、", " ")
    s = re.sub(r"([0-9]\s*)([ap])\.m\.?", r"\1\2m", s)
    s = re.sub(r"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})t(?=[0-9])", r"\1 ", s)  # ISO "T"
    s = " ".join(s.split())
    s = _ORDINAL_RE.sub(lambda m: f"{_ORDINALS[m[1]]}th", s)
    s = _CN_YEAR.sub(lambda m: m[1].translate(_CN_YEAR_DIGITS) + "年", s)
    for pattern, repl in _EN_REWRITES:
        s = pattern.sub(repl, s)
    s = _SPACE_NEAR_CJK.sub("", s)
    # Trailing sentence punctuation, but not the ".." of an open range.
    s = re.sub(r"[!?。]+$", "", s)
    s = re.sub(r"(?<![.])\.$", "", s)
    return s.strip()


def _prepare(text: str) -> tuple[str, str]:
    """(normalised, stripped original); rejects empty and overlong input."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    original = text.strip()
    s = _normalise(text)
    if not s:
        raise DateParseError(original, "empty")
    if len(s) > _MAX_LEN:
        raise DateParseError(original, "unknown")
    return s, original


def _local_now(now: datetime, tz: ZoneInfo) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(tz)


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
# Strict forms only (一, 十, 十二, 二十, 二十三) so that "周二十点" can be split as
# 周二 + 十点 instead of swallowing "二十" greedily as an opaque run of numerals.
_CN_NUM = r"(?:[0-9]{1,4}|[一二两三四五六七八九]?十[一二三四五六七八九]?|[零〇一二两三四五六七八九])"

_EN_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_EN_NUM_WORDS = "(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
# Digits may touch their unit ("3d"); words need a space, so "ad" or "am" is not "1 d"/"1 m".
_EN_NUM = rf"(?:(?P<n>-?[0-9]{{1,4}})\s*|(?P<nw>{_EN_NUM_WORDS})\s+)"


def _cn_int(s: str) -> int:
    """Arabic digits or a Chinese numeral in 0..99 (already shape-checked by _CN_NUM)."""
    if s.isascii() and s.lstrip("-").isdigit():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return _CN_DIGITS[s]


def _en_int(s: str) -> int:
    return _EN_WORDS[s] if s in _EN_WORDS else int(s)


# ---------------------------------------------------------------------------
# Context and calendar helpers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    today: date
    now_local: datetime
    text: str  # original input, for errors
    calendar: Calendar
    start: date | None = None  # the start of the range this expression ends, if any

    def invalid(self) -> DateParseError:
        return DateParseError(self.text, "invalid")


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _month_end(d: date) -> date:
    return d + relativedelta(day=31)


def _next_weekday(today: date, weekday: int) -> date:
    """Next occurrence strictly after today."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _coming_weekday(today: date, weekday: int) -> date:
    """The occurrence on or after today ("this fri")."""
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _weekday_in_week(ctx: _Ctx, weekday: int, weeks_ahead: int) -> date:
    return _monday(ctx.today) + timedelta(weeks=weeks_ahead, days=weekday)


_NEAR_DAYS = 184  # "within six months either side"


def _yearless(ctx: _Ctx, make: Callable[[int], date]) -> date:
    """The date `make(year)` nearest to today, or the first on or after the range start.

    `make` raises ValueError for a year where the date does not exist (Feb 29).
    """
    base = ctx.start or ctx.today
    candidates = []
    for year in range(base.year - 1, base.year + 5):
        try:
            candidates.append(make(year))
        except ValueError:
            continue
    if ctx.start is not None:
        later = [c for c in candidates if c >= ctx.start]
        if not later:
            raise ctx.invalid()
        return min(later)
    if not candidates:
        raise ctx.invalid()
    best = min(candidates, key=lambda c: (abs((c - ctx.today).days), c < ctx.today))
    if abs((best - ctx.today).days) > _NEAR_DAYS:
        raise ctx.invalid()
    return best


def _month_day(ctx: _Ctx, month: int, day: int, year: int | None) -> date:
    """An explicit date, or a yearless month-day by the nearest rule."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise ctx.invalid()
    if year is not None:
        return _explicit(year, month, day, ctx.text)
    return _yearless(ctx, lambda y: date(y, month, day))


def _next_day_of_month(today: date, day: int, text: str) -> date:
    """Next date on or after today whose day-of-month is `day`."""
    if not 1 <= day <= 31:
        raise DateParseError(text, "invalid")
    first = today.replace(day=1)
    for k in range(13):
        month = first + relativedelta(months=k)
        try:
            candidate = month.replace(day=day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise DateParseError(text, "invalid")  # unreachable for 1..31


def _explicit(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateParseError(text, "invalid") from None


_YEAR_WORDS = {"this": 0, "next": 1, "last": -1, "今年": 0, "明年": 1, "后年": 2, "去年": -1}


def _year(m: re.Match[str], ctx: _Ctx) -> int | None:
    """The year a match names: digits (`y`), a year word (`yw`), or None (yearless)."""
    groups = m.groupdict()
    if groups.get("y"):
        return int(groups["y"])
    if groups.get("yw"):
        return ctx.today.year + _YEAR_WORDS[groups["yw"]]
    return None


# ---------------------------------------------------------------------------
# Periods and points in them ("end of next month", 下旬, Q1)
# ---------------------------------------------------------------------------

_POINTS = {
    "start": "start",
    "beginning": "start",
    "early": "start",
    "初": "start",
    "mid": "mid",
    "middle": "mid",
    "中": "mid",
    "end": "end",
    "late": "end",
    "底": "end",
    "末": "end",
    "上旬": "xun1",
    "中旬": "xun2",
    "下旬": "xun3",
}
_PERIOD_WORDS = {
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
    "月": "month",
    "季度": "quarter",
    "年": "year",
}


def _period_of(kind: str, day: date) -> date:
    """The first day of the week/month/quarter/year containing `day`."""
    if kind == "week":
        return _monday(day)
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


_PERIOD_STEP = {
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
    "quarter": relativedelta(months=3),
    "year": relativedelta(years=1),
}


def _point(kind: str, first: date, point: str) -> date:
    """A point of the period that starts on `first`. The end of a week is its Friday, the
    end of the working week; its middle is Wednesday."""
    last = first + _PERIOD_STEP[kind] - timedelta(days=1)
    if point == "start":
        return first
    if kind == "week":
        return first + timedelta(days={"mid": 2, "end": 4}[point])
    if point == "end" or point == "xun3":
        return last
    if point == "xun1" or point == "xun2":
        return first.replace(day=10 if point == "xun1" else 20)
    if kind == "quarter":
        return (first + relativedelta(months=1)).replace(day=15)
    return first.replace(month=6, day=30) if kind == "year" else first.replace(day=15)


def _relative_point(ctx: _Ctx, kind: str, point: str, ahead: int | None) -> date:
    """A point of this period (or of the next when already past), or `ahead` periods on."""
    first = _period_of(kind, ctx.today)
    if ahead is not None:
        return _point(kind, first + _PERIOD_STEP[kind] * ahead, point)
    day = _point(kind, first, point)
    return day if day >= ctx.today else _point(kind, first + _PERIOD_STEP[kind], point)


def _named_point(ctx: _Ctx, kind: str, month: int, point: str, year: int | None) -> date:
    """A point of a named month or quarter (`month` = its first month), in `year` or by
    the nearest rule."""
    if not 1 <= month <= 12:
        raise ctx.invalid()
    if year is not None:
        return _point(kind, date(year, month, 1), point)
    return _yearless(ctx, lambda y: _point(kind, date(y, month, 1), point))


def _ahead(m: re.Match[str]) -> int | None:
    """How many periods on "next" / 下 / 下下 says; None for this (or nothing)."""
    groups = m.groupdict()
    if groups.get("next"):
        return len(groups["next"]) if groups["next"].startswith("下") else 1
    return None


def _period_point(m: re.Match[str], ctx: _Ctx) -> date:
    """A point ("end" when none is said) of this, the next or a later period."""
    point = _POINTS[m["pt"]] if m["pt"] else "end"
    return _relative_point(ctx, _PERIOD_WORDS[m["per"]], point, _ahead(m))


def _quarter_point(m: re.Match[str], ctx: _Ctx) -> date:
    q = _cn_int(m["q"] or m["qq"])  # 第一季度 and Q1 give the quarter in different groups
    if not 1 <= q <= 4:
        raise ctx.invalid()
    return _named_point(ctx, "quarter", q * 3 - 2, _POINTS[m["pt"]] if m["pt"] else "end", _year(m, ctx))


def _month_point(m: re.Match[str], ctx: _Ctx) -> date:
    month = _MONTHS_EN[m["mon"]] if m.groupdict().get("mon") else _cn_int(m["m"])
    return _named_point(ctx, "month", month, _POINTS[m["pt"]], _year(m, ctx))


# ---------------------------------------------------------------------------
# Date expressions
# ---------------------------------------------------------------------------

# A matcher returns a date, a complete timed Due (relative hours/minutes), or None when
# the text only looked like its pattern (a composed part that is not a date).
_DateResult = date | Due
_Matcher = Callable[[re.Match[str], _Ctx], "_DateResult | None"]

_WEEKDAYS_EN = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_WD_EN = "(?P<wd>" + "|".join(sorted(_WEEKDAYS_EN, key=len, reverse=True)) + r")\.?"
_WEEKDAYS_CN = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}

_MONTHS_EN = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
_MON_EN = "(?P<mon>" + "|".join(sorted(_MONTHS_EN, key=len, reverse=True)) + r")\.?"

_DAY_UNITS = {
    "d": "d",
    "day": "d",
    "days": "d",
    "w": "w",
    "wk": "w",
    "wks": "w",
    "week": "w",
    "weeks": "w",
    "mo": "mo",
    "mos": "mo",
    "month": "mo",
    "months": "mo",
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "min": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "working day": "wd",
    "working days": "wd",
    "business day": "wd",
    "business days": "wd",
}
_UNIT_EN = "(?P<unit>" + "|".join(sorted(_DAY_UNITS, key=len, reverse=True)) + ")"
_CN_UNITS = {
    "天": "d",
    "日": "d",
    "周": "w",
    "星期": "w",
    "礼拜": "w",
    "月": "mo",
    "小时": "h",
    "钟头": "h",
    "分钟": "min",
    "工作日": "wd",
}
_CN_UNIT = "(?P<unit>天|周|个?星期|个?礼拜|个月|个?小时|个?钟头|分钟|个?工作日)"
_EN_POINT = "(?P<pt>start|beginning|early|mid|middle|end|late)"
_EN_YEAR = r"(?:\s+(?P<y>[0-9]{4})|\s+(?P<yw>this|next|last)\s+year)?"
_CN_YEAR_PREFIX = r"(?:(?P<yw>今年|明年|后年|去年)|(?P<y>[0-9]{4})年)"


def _step(ctx: _Ctx, day: date, n: int, unit: str) -> _DateResult:
    """`day` moved by n units (n may be negative); working days follow the calendar."""
    if unit == "d":
        return day + timedelta(days=n)
    if unit == "w":
        return day + timedelta(weeks=n)
    if unit == "mo":
        return day + relativedelta(months=n)
    if unit == "wd":
        move = ctx.calendar.next_working_day if n > 0 else ctx.calendar.previous_working_day
        for _ in range(abs(n)):
            day = move(day)
        return day
    delta = timedelta(hours=n) if unit == "h" else timedelta(minutes=n)
    return _instant(ctx, delta)


def _offset(ctx: _Ctx, n: int, unit: str) -> _DateResult:
    """Today (or now, for hours/minutes) moved forward by n units; n must be positive."""
    if n <= 0:
        raise ctx.invalid()
    return _step(ctx, ctx.today, n, unit)


def _instant(ctx: _Ctx, delta: timedelta) -> Due:
    """Now plus elapsed time (absolute, so DST-safe), as a wall-time Due."""
    tz = ctx.now_local.tzinfo
    moment = (ctx.now_local.astimezone(_dt.UTC) + delta).astimezone(tz)
    return Due(moment.date(), moment.time().replace(second=0, microsecond=0))


# Composed expressions: a day named inside another expression ("before fri", 国庆后3天).


def _span(text: str, ctx: _Ctx) -> tuple[date, date, bool] | None:
    """The days `text` names: (first, last, is_holiday); a plain date is (d, d, False).
    None when `text` is not a date (or is a timed one, which cannot be composed)."""
    holiday = ctx.calendar.holiday(text, ctx.today)
    if holiday is not None:
        return holiday[0], holiday[1], True
    day = _match_date(text, ctx)
    if day is None or isinstance(day, Due):
        return None
    return day, day, False


def _before(m: re.Match[str], ctx: _Ctx) -> date | None:
    """ "before X": the working day before X (before its first day, for a holiday)."""
    span = _span(m["rest"], ctx)
    return None if span is None else ctx.calendar.previous_working_day(span[0])


def _after(m: re.Match[str], ctx: _Ctx) -> date | None:
    """ "after X" / X后: the first working day after X (after its last day, for a holiday)."""
    span = _span(m["rest"], ctx)
    return None if span is None else ctx.calendar.next_working_day(span[1])


def _by(m: re.Match[str], ctx: _Ctx) -> date | None:
    """ "by X" / "on X": X itself (a holiday's first day)."""
    span = _span(m["rest"], ctx)
    return None if span is None else span[0]


def _cn_by(m: re.Match[str], ctx: _Ctx) -> date | None:
    """X前: by a day, but before a holiday (its days are not working days)."""
    span = _span(m["rest"], ctx)
    if span is None:
        return None
    return ctx.calendar.previous_working_day(span[0]) if span[2] else span[0]


def _offset_from(ctx: _Ctx, rest: str, n: int, unit: str, backwards: bool) -> _DateResult | None:
    """n units after the last day of `rest`, or before its first day."""
    span = _span(rest, ctx)
    if span is None:
        return None
    if n <= 0 or unit in ("h", "min"):
        raise ctx.invalid()
    return _step(ctx, span[0], -n, unit) if backwards else _step(ctx, span[1], n, unit)


def _en_offset_from(m: re.Match[str], ctx: _Ctx) -> _DateResult | None:
    return _offset_from(ctx, m["rest"], _en_int(m["n"] or m["nw"]), _DAY_UNITS[m["unit"]], m["dir"] == "before")


def _cn_unit(unit: str) -> str:
    return _CN_UNITS[unit.removeprefix("个")]


def _cn_offset_from(m: re.Match[str], ctx: _Ctx) -> _DateResult | None:
    return _offset_from(ctx, m["rest"], _cn_int(m["n"]), _cn_unit(m["unit"]), m["dir"].endswith("前"))


_WEEKDAY_YEARS = 12  # a month-day falls on every weekday within this many years (Feb 29: 28)


def _with_weekday(ctx: _Ctx, weekday: int, rest: str) -> date | None:
    """An explicit date preceded (or, in Chinese, followed) by its weekday, as the bot
    displays dues. The weekday must agree; for a yearless date it picks the year."""
    yearless = not re.search(r"[0-9]{4}|年", rest)
    shifted = False
    try:
        day = _match_date(rest, ctx)
    except DateParseError as exc:
        if exc.reason != "invalid" or not yearless:
            raise
        # Out of the six-month window ("Thu Feb 29" shown in December): the weekday picks the
        # year, so read the month-day from years back and let the search below choose.
        day = _match_date(rest, replace(ctx, start=date(ctx.today.year - _WEEKDAY_YEARS, 1, 1)))
        shifted = True
    if day is None or isinstance(day, Due):
        return None
    if day.weekday() == weekday and not shifted:
        return day
    if yearless:
        candidates = []
        for year in range(ctx.today.year - _WEEKDAY_YEARS, ctx.today.year + _WEEKDAY_YEARS + 1):
            try:
                candidates.append(day.replace(year=year))
            except ValueError:
                continue
        fitting = [c for c in candidates if c.weekday() == weekday]
        if fitting:
            return min(fitting, key=lambda c: (abs((c - ctx.today).days), c < ctx.today))
    raise ctx.invalid()


# English ------------------------------------------------------------------

_EN_DAY_WORDS = {
    "today": 0,
    "tomorrow": 1,
    "tmr": 1,
    "tmrw": 1,
    "tomorow": 1,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
    "yesterday": -1,
}


def _en_weekday(m: re.Match[str], ctx: _Ctx) -> date:
    wd = _WEEKDAYS_EN[m["wd"]]
    mod = m["mod"]
    if mod == "this":
        return _coming_weekday(ctx.today, wd)
    if mod == "next" or m["nextweek"]:
        return _weekday_in_week(ctx, wd, 1)
    return _next_weekday(ctx.today, wd)


def _en_relative(m: re.Match[str], ctx: _Ctx) -> _DateResult:
    return _offset(ctx, _en_int(m["n"] or m["nw"]), _DAY_UNITS[m["unit"]])


def _en_month_day(m: re.Match[str], ctx: _Ctx) -> date:
    return _month_day(ctx, _MONTHS_EN[m["mon"]], int(m["d"]), _year(m, ctx))


_EN_TABLE: list[tuple[re.Pattern[str], _Matcher]] = [
    (re.compile("(?:" + "|".join(_EN_DAY_WORDS) + ")"), lambda m, c: c.today + timedelta(days=_EN_DAY_WORDS[m[0]])),
    (re.compile(rf"(?:(?P<mod>this|next|coming)\s+)?{_WD_EN}(?P<nextweek>\s+next\s+week)?"), _en_weekday),
    (re.compile(r"next\s+week"), lambda m, c: _monday(c.today) + timedelta(weeks=1)),
    (re.compile(r"(?:this\s+)?weekend"), lambda m, c: _weekday_in_week(c, 6, 0)),
    (re.compile(r"next\s+weekend"), lambda m, c: _weekday_in_week(c, 6, 1)),
    (
        re.compile(r"eo(?P<per>[wmqy])"),
        lambda m, c: _relative_point(
            c, {"w": "week", "m": "month", "q": "quarter", "y": "year"}[m["per"]], "end", None
        ),
    ),
    (
        re.compile(
            rf"{_EN_POINT}\s+(?:of\s+)?(?:the\s+)?(?:this\s+|(?P<next>next)\s+)?"
            r"(?P<per>week|month|quarter|year)"
        ),
        _period_point,
    ),
    (
        re.compile(r"(?:(?:start|beginning)\s+of\s+)?next\s+month"),
        lambda m, c: c.today + relativedelta(months=1, day=1),
    ),
    (re.compile(r"(?:this|(?P<next>next))\s+(?P<per>quarter)(?P<pt>)"), _period_point),
    (re.compile(rf"{_EN_POINT}\s+(?:of\s+)?{_MON_EN}{_EN_YEAR}"), _month_point),
    (re.compile(rf"(?:{_EN_POINT}\s+(?:of\s+)?)?q(?P<q>[1-4]){_EN_YEAR}"), _quarter_point),
    (re.compile(r"(?P<y>[0-9]{4})\s*q(?P<q>[1-4])(?P<pt>)"), _quarter_point),
    (re.compile(r"next\s+(?:working|business)\s+day"), lambda m, c: c.calendar.next_working_day(c.today)),
    (re.compile(rf"(?:in\s+|within\s+)?{_EN_NUM}{_UNIT_EN}(?:\s+(?:from\s+now|later))?"), _en_relative),
    (re.compile(rf"{_MON_EN}\s*(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?{_EN_YEAR}"), _en_month_day),
    (re.compile(rf"(?:the\s+)?(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+)?{_MON_EN}{_EN_YEAR}"), _en_month_day),
    (
        re.compile(r"(?:the\s+)?(?P<d>[0-9]{1,2})(?:st|nd|rd|th)"),
        lambda m, c: _next_day_of_month(c.today, int(m["d"]), c.text),
    ),
    # Compositions come last: their inner part is any of the above.
    (re.compile(rf"{_WD_EN}\s+(?P<rest>.+)"), lambda m, c: _with_weekday(c, _WEEKDAYS_EN[m["wd"]], m["rest"])),
    (re.compile(rf"{_EN_NUM}{_UNIT_EN}\s+(?P<dir>from|after|before)\s+(?P<rest>.+)"), _en_offset_from),
    (re.compile(r"before\s+(?P<rest>.+)"), _before),
    (re.compile(r"after\s+(?P<rest>.+)"), _after),
    (re.compile(r"(?:by|on|until|till|no\s+later\s+than)\s+(?P<rest>.+)"), _by),
]

# Numeric (language-neutral) ----------------------------------------------


def _numeric(m: re.Match[str], ctx: _Ctx) -> date:
    """ "12/3": month-first and day-first readings; refused unless they are the same day."""
    first, second = int(m["a"]), int(m["b"])
    year = None
    if m["y"]:
        year = int(m["y"]) if len(m["y"]) == 4 else 2000 + int(m["y"]) if len(m["y"]) == 2 else -1
        if year < 1:
            raise ctx.invalid()
    readings = set()
    for month, day in ((first, second), (second, first)):
        try:
            readings.add(_month_day(ctx, month, day, year))
        except DateParseError:
            continue
    if not readings:
        raise ctx.invalid()
    if first == second:
        return readings.pop()
    raise DateParseError(ctx.text, "ambiguous", readings=tuple(sorted(readings)))


_NUMERIC_TABLE: list[tuple[re.Pattern[str], _Matcher]] = [
    (
        re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"),
        lambda m, c: _explicit(int(m["y"]), int(m["m"]), int(m["d"]), c.text),
    ),
    (
        re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"),
        lambda m, c: _explicit(int(m["y"]), int(m["m"]), int(m["d"]), c.text),
    ),
    # US month-first vs day-first cannot be told apart: offer both instead of guessing.
    (re.compile(r"(?P<a>[0-9]{1,2})(?P<sep>[-/.])(?P<b>[0-9]{1,2})(?:(?P=sep)(?P<y>[0-9]{2,4}))?"), _numeric),
]

# Chinese ------------------------------------------------------------------

_CN_DAY_WORDS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3, "昨天": -1, "昨日": -1, "前天": -2}
_CN_WEEK = "(?:周|星期|礼拜)"
_CN_THIS = "(?:本|这个?)"
_CN_NEXT = "(?P<next>下+)个?"
_CN_REL_SUFFIX = "(?:后|以后|之后|内|以内|之内)"
_CN_POINT = "(?P<pt>初|中|底|末)"


def _cn_weekday(m: re.Match[str], ctx: _Ctx) -> date:
    wd = _WEEKDAYS_CN[m["d"]]
    if m["next"]:
        return _weekday_in_week(ctx, wd, len(m["next"]))
    if m["this"]:
        return _coming_weekday(ctx.today, wd)
    return _next_weekday(ctx.today, wd)


def _cn_relative(m: re.Match[str], ctx: _Ctx) -> _DateResult:
    # 日 only matches with a suffix: bare "3日" is the 3rd
    return _offset(ctx, _cn_int(m["n"]), _cn_unit(m["unit"] or "日"))


def _cn_month_day(m: re.Match[str], ctx: _Ctx) -> date:
    return _month_day(ctx, _cn_int(m["m"]), _cn_int(m["d"]), _year(m, ctx))


def _cn_month_relative_day(m: re.Match[str], ctx: _Ctx) -> date:
    months = len(m["next"]) if m["next"] else 0
    first = ctx.today + relativedelta(months=months, day=1)
    day = _cn_int(m["d"])
    if not 1 <= day <= 31:
        raise ctx.invalid()
    return _explicit(first.year, first.month, day, ctx.text)


_CN_TABLE: list[tuple[re.Pattern[str], _Matcher]] = [
    (
        re.compile("(?:" + "|".join(sorted(_CN_DAY_WORDS, key=len, reverse=True)) + ")"),
        lambda m, c: c.today + timedelta(days=_CN_DAY_WORDS[m[0]]),
    ),
    (re.compile(rf"(?:(?P<this>{_CN_THIS})|{_CN_NEXT})?{_CN_WEEK}(?P<d>[一二三四五六日天1-7])"), _cn_weekday),
    (re.compile(rf"{_CN_NEXT}{_CN_WEEK}"), lambda m, c: _monday(c.today) + timedelta(weeks=len(m["next"]))),
    (re.compile(rf"{_CN_THIS}?周末"), lambda m, c: _weekday_in_week(c, 6, 0)),
    (re.compile(rf"{_CN_NEXT}周末"), lambda m, c: _weekday_in_week(c, 6, len(m["next"]))),
    (re.compile(rf"(?:{_CN_THIS}|{_CN_NEXT})?(?P<per>月|季度){_CN_POINT}"), _period_point),
    (re.compile(rf"{_CN_NEXT}月初?"), lambda m, c: c.today + relativedelta(months=len(m["next"]), day=1)),
    (re.compile(rf"(?:{_CN_THIS}|{_CN_NEXT})(?P<per>季度)(?P<pt>)"), _period_point),
    (re.compile(rf"(?:{_CN_YEAR_PREFIX}年?|(?P<per>年)){_CN_POINT}"), lambda m, c: _period_point_year(m, c)),
    (
        re.compile(rf"(?:{_CN_THIS}|{_CN_NEXT})?月?(?P<pt>上旬|中旬|下旬)"),
        lambda m, c: _relative_point(c, "month", _POINTS[m["pt"]], _ahead(m)),
    ),
    (re.compile(rf"{_CN_YEAR_PREFIX}?(?P<m>{_CN_NUM})月份?(?P<pt>初|中|底|末|上旬|中旬|下旬)"), _month_point),
    (
        re.compile(rf"{_CN_YEAR_PREFIX}?(?:第?(?P<q>[一二三四1-4])季度|q(?P<qq>[1-4])){_CN_POINT}?"),
        _quarter_point,
    ),
    (re.compile(r"下一?个工作日"), lambda m, c: c.calendar.next_working_day(c.today)),
    (re.compile(rf"(?P<n>{_CN_NUM})(?:{_CN_UNIT}{_CN_REL_SUFFIX}?|日{_CN_REL_SUFFIX})"), _cn_relative),
    (
        re.compile(rf"(?P<n>{_CN_NUM})(?:{_CN_UNIT}|(?P<day>日))(?:之前|以前|前)"),  # 3天前: ago
        lambda m, c: _step(c, c.today, -_cn_int(m["n"]), _cn_unit(m["unit"] or "日")),
    ),
    (re.compile(rf"半个?(?:小时|钟头){_CN_REL_SUFFIX}?"), lambda m, c: _instant(c, timedelta(minutes=30))),
    (re.compile(rf"{_CN_YEAR_PREFIX}?(?P<m>{_CN_NUM})月(?P<d>{_CN_NUM})(?:日|号)?"), _cn_month_day),
    (re.compile(rf"(?:(?P<this>{_CN_THIS})|{_CN_NEXT})月(?P<d>{_CN_NUM})(?:日|号)"), _cn_month_relative_day),
    (re.compile(rf"(?P<d>{_CN_NUM})(?:日|号)"), lambda m, c: _next_day_of_month(c.today, _cn_int(m["d"]), c.text)),
    # Compositions come last: their inner part is any of the above.
    (
        re.compile(rf"(?P<rest>.+?(?:日|号)){_CN_WEEK}(?P<d>[一二三四五六日天])"),
        lambda m, c: _with_weekday(c, _WEEKDAYS_CN[m["d"]], m["rest"]),
    ),
    (re.compile(rf"(?P<rest>.+?)(?P<dir>之后|以后|后|之前|以前|前)(?P<n>{_CN_NUM}){_CN_UNIT}"), _cn_offset_from),
    (re.compile(r"(?P<rest>.+?)(?:之前|以前|前)"), _cn_by),
    (re.compile(r"(?P<rest>.+?)(?:之后|以后|后)"), _after),
]


def _period_point_year(m: re.Match[str], ctx: _Ctx) -> date:
    """年底, 明年初, 2027年中: a point of this year (next when past) or of the named year."""
    year = _year(m, ctx)
    point = _POINTS[m["pt"]]
    if year is None:
        return _relative_point(ctx, "year", point, None)
    return _point("year", date(year, 1, 1), point)


_DATE_TABLE = _EN_TABLE + _NUMERIC_TABLE + _CN_TABLE


def _match_date(s: str, ctx: _Ctx) -> _DateResult | None:
    """The date expression filling all of `s`, or None if nothing in the grammar covers it.

    Raises DateParseError when a pattern matches but the values are not a real date.
    Arithmetic overflow (e.g. "in 9999 weeks" near date.max) is reported as "invalid".
    """
    for pattern, build in _DATE_TABLE:
        m = pattern.fullmatch(s)
        if m is None:
            continue
        try:
            result = build(m, ctx)
        except DateParseError:
            raise
        except (ValueError, OverflowError, KeyError):
            raise ctx.invalid() from None
        if result is not None:
            return result
    holiday = ctx.calendar.holiday(s, ctx.today)
    return holiday[0] if holiday is not None else None


# ---------------------------------------------------------------------------
# Times of day
# ---------------------------------------------------------------------------

# Parts of the day: the deadline each means said without an hour (None: not a deadline).
PARTS_OF_DAY: dict[str, time | None] = {
    "small_hours": None,
    "morning": time(12, 0),
    "noon": time(12, 0),
    "afternoon": time(18, 0),
    "eod": time(18, 0),
    "evening": time(21, 0),
}
_PART_WORDS = {
    "凌晨": "small_hours",
    "morning": "morning",
    "上午": "morning",
    "早上": "morning",
    "早晨": "morning",
    "清晨": "morning",
    "noon": "noon",
    "midday": "noon",
    "lunchtime": "noon",
    "中午": "noon",
    "afternoon": "afternoon",
    "下午": "afternoon",
    "傍晚": "afternoon",
    "evening": "evening",
    "night": "evening",
    "晚上": "evening",
    "夜里": "evening",
    "夜间": "evening",
    "晚间": "evening",
    "eod": "eod",
    "cob": "eod",
    "end of day": "eod",
    "end of the day": "eod",
    "close of business": "eod",
    "下班前": "eod",
    "下班之前": "eod",
    "下班以前": "eod",
    "下班": "eod",
    "收工前": "eod",
}
_PART_ALT = "|".join(re.escape(w) for w in sorted(_PART_WORDS, key=len, reverse=True))
_PART_PREFIX = re.compile(rf"(?P<part>{_PART_ALT})(?:\s*(?:at\s+|@)\s*|\s*)")
_PART_SUFFIX = re.compile(r"\s*(?:in\s+the\s+|at\s+)(?P<part>morning|afternoon|evening|night)$")
_CLOCK = re.compile(
    r"(?P<h>[0-9]{1,2})(?::(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2}))?)?\s*(?P<ap>am|pm)?"
    rf"|(?P<ch>{_CN_NUM})(?:点|时)(?:(?P<half>半)|(?P<q1>一刻)|(?P<q3>三刻)|(?P<cm>{_CN_NUM})分?|整|钟)?"
)
_AT = re.compile(r"(?:at\s+|@\s*)")


def _parse_time(s: str, text: str, *, due: bool, connector: bool = False) -> time | None:
    """The time of day `s` says, or None when it is not one.

    `due` applies the deadline rules (parts of the day alone, the work-hours rule);
    `connector` says "at"/"@" came before, which lets an English bare hour count.
    Out-of-range or ambiguous values raise.
    """
    at = _AT.match(s)
    if at:
        s, connector = s[at.end() :], True
    part, rest = None, s
    m = _PART_PREFIX.match(s)
    if m:
        part, rest = _PART_WORDS[m["part"]], s[m.end() :]
    else:
        m = _PART_SUFFIX.search(s)
        if m:
            part, rest = _PART_WORDS[m["part"]], s[: m.start()]
    rest = rest.strip()
    if not rest:
        return PARTS_OF_DAY[part] if part and (due or part == "noon") else None
    c = _CLOCK.fullmatch(rest)
    if c is None or part == "eod":
        return None
    if c["ch"] is not None:
        hour_text = c["ch"]
        minute = 30 if c["half"] else 15 if c["q1"] else 45 if c["q3"] else _cn_int(c["cm"]) if c["cm"] else 0
        second = 0
    else:
        if c["m"] is None and c["ap"] is None and not (connector or part):
            return None  # "tomorrow 5": a number, not a time
        hour_text, minute, second = c["h"], int(c["m"] or 0), int(c["s"] or 0)
    hour = _cn_int(hour_text)
    if not (0 <= minute <= 59 and 0 <= second <= 59):
        raise DateParseError(text, "invalid")
    if c["ap"]:
        if not 1 <= hour <= 12:
            raise DateParseError(text, "invalid")
        hour = hour % 12 + (12 if c["ap"] == "pm" else 0)
    elif part:
        hour = _hour_in_part(part, hour, text)
    elif due and 1 <= hour <= 6 and not hour_text.startswith("0"):
        hour += 12  # the work-hours rule
    if not 0 <= hour <= 23:
        raise DateParseError(text, "invalid")
    return time(hour, minute, second)


def _hour_in_part(part: str, hour: int, text: str) -> int:
    """24-hour value of `hour` said within a part of the day."""
    if part in ("small_hours", "morning"):
        ok = 0 <= hour <= 12
        if part == "small_hours" and hour == 12:
            hour = 0
    elif part == "noon":
        ok = 10 <= hour <= 12 or 1 <= hour <= 3
        if hour <= 3:
            hour += 12
    elif part == "afternoon":
        ok = 1 <= hour <= 23
        if hour < 12:
            hour += 12
    else:  # evening: 晚上8点 = 20:00, but 晚上12点 / 晚上1点 could be either midnight side
        if hour == 12 or 0 <= hour <= 5:
            raise DateParseError(text, "ambiguous")
        ok = 6 <= hour <= 23
        if hour < 12:
            hour += 12
    if not ok:
        raise DateParseError(text, "invalid")
    return hour


# Characters that may not directly precede a trailing time, so "1109:30" or "3:30pm"
# is never split inside a number ("09:30" out of "1109:30", "30pm" out of "3:30pm").
_NO_TIME_BEFORE = set("0123456789abcdefghijklmnopqrstuvwxyz:./-")
_TIME_CONNECTOR = re.compile(r"(?:\s+at|\s*@|^at|^@)$")


def _time_splits(s: str) -> Iterator[tuple[str, str, bool]]:
    """Yield (date_part, time_part, connector) for every way `s` ends with a time or
    (English style, "5pm tomorrow") starts with one followed by a space. Leftmost first."""
    for i in range(len(s)):
        if s[i] == " " or (i > 0 and s[i - 1] in _NO_TIME_BEFORE):
            continue
        head = s[:i].rstrip()
        date_part = _TIME_CONNECTOR.sub("", head).strip()
        yield date_part, s[i:], date_part != head
    for j in range(1, len(s)):
        if s[j] == " ":
            yield s[j + 1 :].strip(), s[:j], False


# ---------------------------------------------------------------------------
# What was not understood
# ---------------------------------------------------------------------------

_EN_KNOWN = {
    *_WEEKDAYS_EN,
    *_MONTHS_EN,
    *_EN_WORDS,
    *_ORDINAL_WORDS,
    *(w for words in _EN_DAY_WORDS for w in words.split()),
    *(w for words in _DAY_UNITS for w in words.split()),
    *(w for words in _PART_WORDS for w in words.split() if w.isascii()),
    "next",
    "this",
    "coming",
    "in",
    "at",
    "on",
    "the",
    "of",
    "end",
    "and",
    "by",
    "before",
    "after",
    "from",
    "now",
    "later",
    "within",
    "until",
    "till",
    "no",
    "than",
    "to",
    "through",
    "last",
    "start",
    "beginning",
    "early",
    "mid",
    "middle",
    "late",
    "week",
    "weekend",
    "month",
    "quarter",
    "year",
    "eow",
    "eom",
    "eoq",
    "eoy",
    "am",
    "pm",
    "day",
    "days",
    "tonight",
}
_EN_TOKEN_OK = re.compile(r"[0-9:./~\-]+(?:st|nd|rd|th|am|pm|[dwhm]|mo|min)?|q[1-4]|\.\.")
_CN_KNOWN = set(
    "".join(_CN_DAY_WORDS)
    + "".join(_PART_WORDS)
    + "".join(_CN_DIGITS)
    + "周星期礼拜本这个下上月日号年天后前之以内点时半分刻整钟小时头季度第工作旬初中底末"
    + "今明去从到至份大两十0123456789:.~-q"
)
_CN_UNKNOWN_RUN = re.compile("[^" + re.escape("".join(sorted(_CN_KNOWN))) + "]+")


def _unknown_part(s: str, ctx: _Ctx) -> str:
    """The first word (or run of Chinese characters) of `s` outside the grammar's words
    and holiday names, as the user wrote it; all of the input when every word is known."""
    original = ctx.text
    for token in s.split():
        if re.search(rf"[{_CJK}]", token):
            runs = _CN_UNKNOWN_RUN.findall(token)
            bad = next((r for r in runs if ctx.calendar.holiday(r, ctx.today) is None), None)
        else:
            bad = None if token in _EN_KNOWN or _EN_TOKEN_OK.fullmatch(token) else token
        if bad:
            found = re.search(re.escape(bad), unicodedata.normalize("NFKC", original), re.IGNORECASE)
            return found[0] if found else bad
    return original


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

# 今晚8点 -> 今天晚上8点, 明早 -> 明天早上.
_CN_DAY_PERIOD = {"今晚": "今天晚上", "明晚": "明天晚上", "昨晚": "昨天晚上", "今早": "今天早上", "明早": "明天早上"}
_CN_DAY_PERIOD_RE = re.compile("|".join(_CN_DAY_PERIOD))
_DEFAULT_CALENDAR = Calendar()


def parse_due(
    text: str, now: datetime, tz: ZoneInfo, calendar: Calendar = _DEFAULT_CALENDAR, *, start: date | None = None
) -> Due:
    """Parse a due date with an optional time of day; see the module docstring.

    `calendar` gives working days and holiday names; `start` is the start of the range
    this text ends (a yearless date is then the first occurrence on or after it).
    """
    s, original = _prepare(text)
    now_local = _local_now(now, tz)
    ctx = _Ctx(now_local.date(), now_local, original, calendar, start)
    s = _CN_DAY_PERIOD_RE.sub(lambda m: _CN_DAY_PERIOD[m[0]], s)

    error: DateParseError | None = None

    def attempt(build: Callable[[], Due | None]) -> Due | None:
        nonlocal error
        try:
            return build()
        except DateParseError as e:
            if error is None and e.reason != "unknown":
                error = e
            return None

    def whole() -> Due | None:
        hit = _match_date(s, ctx)
        return hit if isinstance(hit, Due) or hit is None else Due(hit)

    def split(date_part: str, time_part: str, connector: bool) -> Due | None:
        day = ctx.today if not date_part else _match_date(date_part, ctx)
        if day is None or isinstance(day, Due):
            return None  # not a date, or "in 2 hours" which already has a time
        at = _parse_time(time_part, original, due=True, connector=connector)
        return None if at is None else Due(day, at)

    result = attempt(whole)
    for date_part, time_part, connector in [] if result else _time_splits(s):
        result = attempt(partial(split, date_part, time_part, connector))
        if result:
            break
    if result:
        return result
    raise error or DateParseError(original, "unknown", part=_unknown_part(s, ctx))


def parse_date(
    text: str, now: datetime, tz: ZoneInfo, calendar: Calendar = _DEFAULT_CALENDAR, *, start: date | None = None
) -> date:
    """Same grammar as `parse_due`; a time of day, if given, is accepted and dropped."""
    return parse_due(text, now, tz, calendar, start=start).date


_RANGE_SEP = re.compile(r"\s*(?:\.\.|~|到|至)\s*|\s+(?:to|until|till|through|thru)\s+")
_RANGE_LEAD_IN = re.compile(r"^(?:from\s+|从)")


def parse_date_range(
    text: str, now: datetime, tz: ZoneInfo, calendar: Calendar = _DEFAULT_CALENDAR
) -> tuple[date, date]:
    """ "A..B", "A~B", "A to B", "A到B", "A至B" (optionally "from"/从 first); a single date
    is (d, d). Read as a whole: see the module docstring. Hyphens are not separators
    because ISO dates contain them.
    """
    s, original = _prepare(text)
    s = _RANGE_LEAD_IN.sub("", s)
    parts = _RANGE_SEP.split(s)

    def end_of_range(part: str, start: date | None = None) -> date:
        """One end; its error is about the whole range and names the end's bad part."""
        try:
            return parse_date(part, now, tz, calendar, start=start)
        except DateParseError as e:
            raise DateParseError(original, e.reason, e.part, e.readings) from None

    if len(parts) == 1:
        d = end_of_range(parts[0])
        return d, d
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise DateParseError(original, "unknown")
    start = end_of_range(parts[0])
    end = end_of_range(parts[1], start)
    nearest = end_of_range(parts[1])
    if end < start or (nearest < start and (end - start).days > _NEAR_DAYS):
        raise DateParseError(original, "reversed")
    return start, end


_PROBE_NOW = datetime(2026, 6, 15, 12, 0, tzinfo=_dt.UTC)


def is_date_expression(text: str) -> bool:
    """Whether `text` is in the date grammar at all: a date, or one that is ambiguous or
    impossible. The command parser uses it to tell where an unquoted date value ends;
    which day it is does not matter, so a fixed clock is used."""
    try:
        parse_due(text, _PROBE_NOW, ZoneInfo("UTC"))
    except DateParseError as e:
        return e.reason not in ("unknown", "empty")
    return True


def _dur_num(name: str) -> str:
    """An amount group: digits (decimals allowed) may touch the unit, words need a space."""
    return rf"(?:(?P<{name}>[0-9]{{1,4}}(?:\.[0-9]{{1,2}})?)\s*|(?P<{name}w>{_EN_NUM_WORDS})\s+)"


_AND = r"\s*(?:and\s+)?"
_DURATION_EN = re.compile(
    rf"(?:{_dur_num('w')}(?:weeks|week|wks|wk|w))?{_AND}"
    rf"(?:{_dur_num('d')}(?:days|day|d))?{_AND}"
    rf"(?:{_dur_num('h')}(?:hours|hour|hrs|hr|h))?{_AND}"
    rf"(?:{_dur_num('m')}(?:minutes|minute|mins|min|m))?"
)
_DURATION_CN = re.compile(
    rf"(?:(?P<w>{_CN_NUM})(?:周|个?星期|个?礼拜))?"
    rf"(?:(?P<d>{_CN_NUM})(?:天|日))?"
    rf"(?:(?:(?P<h>{_CN_NUM})个?(?P<h_half>半)?|(?P<half>半)个?)(?:小时|钟头))?"
    rf"(?:(?P<m>{_CN_NUM})(?:分钟|分)|(?P<quarter>一刻钟))?"
)
_HALF_HOUR_EN = re.compile(r"half\s+(?:an\s+)?hour")


def _dur_amount(s: str) -> float:
    if s in _EN_WORDS:
        return float(_EN_WORDS[s])
    return float(s) if s.isascii() else float(_cn_int(s))


def parse_duration(text: str) -> timedelta:
    """Durations like "1h30m", "90 min", "2 weeks", "1.5h", "半小时", "一个半小时", "3天".

    Units must appear at most once, largest first (weeks, days, hours, minutes). Months
    are not durations (their length varies). Zero and negative amounts are "invalid".
    """
    s, original = _prepare(text)
    if s.startswith("-"):
        raise DateParseError(original, "invalid")
    if _HALF_HOUR_EN.fullmatch(s):
        return timedelta(minutes=30)
    for pattern in (_DURATION_EN, _DURATION_CN):
        m = pattern.fullmatch(s)
        if m is None or not m[0]:
            continue
        g = {k: v for k, v in m.groupdict().items() if v}
        for unit in ("w", "d", "h", "m"):
            g.setdefault(unit, g.get(unit + "w"))
        try:
            weeks = _dur_amount(g["w"]) if g["w"] else 0.0
            days = _dur_amount(g["d"]) if g["d"] else 0.0
            hours = _dur_amount(g["h"]) if g["h"] else 0.0
            minutes = _dur_amount(g["m"]) if g["m"] else 0.0
            if g.get("h_half") or g.get("half"):
                hours += 0.5
            if g.get("quarter"):
                minutes += 15
            result = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
        except (ValueError, OverflowError, KeyError):
            raise DateParseError(original, "invalid") from None
        if result <= timedelta(0):
            raise DateParseError(original, "invalid")
        return result
    raise DateParseError(original, "unknown")


def parse_time_of_day(text: str) -> time:
    """ "09:30", "9am", "5:30pm", "noon", "上午9点", "9点半", "下午3点", "15点", "中午": a
    setting's time of day, on the 24-hour clock (no work-hours rule, no deadlines)."""
    s, original = _prepare(text)
    s = _CN_DAY_PERIOD_RE.sub(lambda m: _CN_DAY_PERIOD[m[0]][2:], s)
    value = _parse_time(s, original, due=False)
    if value is None:
        raise DateParseError(original, "unknown")
    return value
