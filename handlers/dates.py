"""Parse due dates, date ranges, durations and times of day typed in chat (English and Chinese).

Everything here is pure: the caller passes the clock (`now`, an aware datetime) and the
project's time zone, so results are reproducible in tests and never depend on the host.

Nothing in this module produces text for users. Failures raise `DateParseError`, which
carries the offending input and a machine-readable `reason`; the reply layer localises it.

The grammar is deliberately closed: anything not recognised raises instead of falling back
to "today", because a silently wrong due date is worse than asking again. dateutil's
free-form parser is not used for the same reason (it fills missing fields from defaults and
accepts "3" as the 3rd of the current month); only `relativedelta` is used, for calendar
month arithmetic.

Grammar decisions (relative to "today" = `now.astimezone(tz).date()`, ISO weeks Mon..Sun):

* Bare weekday ("fri", "friday", "周五", "星期五", "礼拜五", "coming fri"): the next
  occurrence strictly after today, so "fri" said on a Friday is next week's Friday.
* "this fri" / 本周五 / 这周五: that day of the current ISO week, even if already past.
* "next fri" / 下周五 / 下星期五 / 下个礼拜五 / "fri next week": that day of the following
  ISO week; 下下周五 is two weeks on. "next week" / 下周 is Monday of the following week.
* eow / "end of week": this week's Friday if today is Monday..Friday, else next week's Friday.
* "weekend" / "this weekend" / 周末 / 本周末: Sunday of the current ISO week (never in the
  past, since Sunday ends the ISO week); "next weekend" / 下周末 is next week's Sunday.
* eom / "end of month" / 月底 / 月末: last day of this month; 下月底: of next month.
  "next month" / 下个月 / 下月初: the 1st of next month. eoy / 年底: 31 December.
* "in 1 month" / 一个月后 uses calendar months, clamped (Jan 31 + 1 month = Feb 28/29).
* A month-day without a year is its next occurrence on or after today; 15号 / "15th" is the
  next day-of-month 15 on or after today (skipping months without that day).
* Numeric dates without a leading four-digit year ("12/01", "01/12/2026", "12.5") are
  always "ambiguous" (US month-first vs day-first), even when only one reading is a
  valid date, so the rule stays predictable.
* "in 2 hours" / 2小时后 / 半小时后 give a timed due (now plus the elapsed time, seconds
  dropped); they cannot be combined with an explicit time of day.
* A time of day may follow any date expression ("tomorrow at 5pm", 明天下午三点半) or,
  in English, precede it ("5pm tomorrow"); a time alone means today. 晚上/今晚/"tonight"
  make bare hours p.m.; 中午 alone is 12:00; other periods without an hour (明天下午) are
  rejected rather than guessed. 晚上12点 and 晚上1..5点 are "ambiguous" (which night?).
  Without am/pm or a period, hours are 24-hour clock: "3点" and "3:00" are 03:00.
* Nonexistent wall times (inside a DST gap) resolve with fold=0 and are reported as the
  equivalent existing wall time (02:30 on a spring-forward day becomes 03:30); repeated
  wall times use their first occurrence.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

__all__ = [
    "DateParseError",
    "Due",
    "parse_date",
    "parse_date_range",
    "parse_due",
    "parse_duration",
    "parse_time_of_day",
]

Reason = Literal["unknown", "ambiguous", "invalid", "empty"]


class DateParseError(ValueError):
    """Raised when text is not understood or is ambiguous.

    Attributes: `text`, the offending input (stripped), and `reason`, one of "unknown"
    (not in the grammar), "ambiguous" (several readings), "invalid" (understood but not a
    real date/time, e.g. Feb 30 or 25:00, or a zero/negative amount) and "empty".
    The exception message is for logs only; users see a localised message built from
    these attributes.
    """

    def __init__(self, text: str, reason: Reason) -> None:
        super().__init__(text, reason)
        self.text = text
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {self.text!r}"


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


def _resolve_wall(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """Attach `tz` with fold=0 and round-trip through UTC.

    The round trip turns a nonexistent wall time (DST gap) into the real wall time of
    the same instant, so comparisons between datetimes sharing this tzinfo (which Python
    does on wall time, ignoring the offset) stay correct.
    """
    naive = datetime.combine(day, wall).replace(fold=0)
    return naive.replace(tzinfo=tz).astimezone(timezone.utc).astimezone(tz)


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
    }
)

_CJK = "\u2e80-\u9fff\uf900-\ufaff"
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")


def _normalise(text: str) -> str:
    """Canonical form: NFKC (full-width digits/colons), lower case, single spaces.

    Spaces next to Chinese characters are removed so "明天 下午3点" and "明天下午3点"
    are one form; commas become spaces ("Dec 1, 2026"); "p.m." becomes "pm".
    """
    s = unicodedata.normalize("NFKC", text).translate(_TRADITIONAL).lower()
    s = s.replace(",", " ").replace("、", " ")
    s = re.sub(r"([0-9]\s*)([ap])\.m\.?", r"\1\2m", s)
    s = re.sub(r"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})t(?=[0-9])", r"\1 ", s)  # ISO "T"
    s = " ".join(s.split())
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

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
# Strict forms only (一, 十, 十二, 二十, 二十三) so that "周二十点" can be split as
# 周二 + 十点 instead of swallowing "二十" greedily as an opaque run of numerals.
_CN_NUM = r"(?:[0-9]{1,4}|[一二两三四五六七八九]?十[一二三四五六七八九]?|[零〇一二两三四五六七八九])"

_EN_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
             "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
             "twelve": 12}
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
# Calendar helpers
# ---------------------------------------------------------------------------

def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _month_end(d: date) -> date:
    return d + relativedelta(day=31)


def _next_weekday(today: date, weekday: int) -> date:
    """Next occurrence strictly after today."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _next_month_day(today: date, month: int, day: int, text: str) -> date:
    """Next occurrence of month/day on or after today; Feb 29 waits for a leap year."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise DateParseError(text, "invalid")
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise DateParseError(text, "invalid")


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


# ---------------------------------------------------------------------------
# Date expressions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    today: date
    now_local: datetime
    text: str  # original input, for errors


# A matcher returns a date, a complete timed Due (relative hours/minutes), or None.
_DateResult = date | Due
_Matcher = Callable[[re.Match[str], _Ctx], _DateResult]

_WEEKDAYS_EN = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2,
    "wednesday": 2, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4,
    "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}
_WD_EN = "(?P<wd>" + "|".join(sorted(_WEEKDAYS_EN, key=len, reverse=True)) + r")\.?"
_WEEKDAYS_CN = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
                "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}

_MONTHS_EN = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8,
    "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10,
    "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MON_EN = "(?P<mon>" + "|".join(sorted(_MONTHS_EN, key=len, reverse=True)) + r")\.?"

_DAY_UNITS = {"d": "d", "day": "d", "days": "d", "w": "w", "wk": "w", "wks": "w",
              "week": "w", "weeks": "w", "mo": "mo", "mos": "mo", "month": "mo",
              "months": "mo", "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
              "min": "min", "mins": "min", "minute": "min", "minutes": "min"}
_UNIT_EN = "(?P<unit>" + "|".join(sorted(_DAY_UNITS, key=len, reverse=True)) + ")"


def _offset(ctx: _Ctx, n: int, unit: str) -> _DateResult:
    """Today (or now, for hours/minutes) moved forward by n units; n must be positive."""
    if n <= 0:
        raise DateParseError(ctx.text, "invalid")
    if unit == "d":
        return ctx.today + timedelta(days=n)
    if unit == "w":
        return ctx.today + timedelta(weeks=n)
    if unit == "mo":
        return ctx.today + relativedelta(months=n)
    delta = timedelta(hours=n) if unit == "h" else timedelta(minutes=n)
    return _instant(ctx, delta)


def _instant(ctx: _Ctx, delta: timedelta) -> Due:
    """Now plus elapsed time (absolute, so DST-safe), as a wall-time Due."""
    tz = ctx.now_local.tzinfo
    moment = (ctx.now_local.astimezone(timezone.utc) + delta).astimezone(tz)
    return Due(moment.date(), moment.time().replace(second=0, microsecond=0))


def _weekday_in_week(ctx: _Ctx, weekday: int, weeks_ahead: int) -> date:
    return _monday(ctx.today) + timedelta(weeks=weeks_ahead, days=weekday)


def _eow(ctx: _Ctx) -> date:
    weeks = 0 if ctx.today.weekday() <= 4 else 1
    return _weekday_in_week(ctx, 4, weeks)


# English ------------------------------------------------------------------

_EN_DAY_WORDS = {
    "today": 0, "eod": 0, "cob": 0, "end of day": 0, "end of the day": 0, "end of today": 0,
    "tomorrow": 1, "tmr": 1, "tmrw": 1, "tomorow": 1,
    "day after tomorrow": 2, "the day after tomorrow": 2,
    "yesterday": -1,
}


def _en_weekday(m: re.Match[str], ctx: _Ctx) -> date:
    wd = _WEEKDAYS_EN[m["wd"]]
    mod = m["mod"]
    if mod == "this":
        return _weekday_in_week(ctx, wd, 0)
    if mod == "next" or m["nextweek"]:
        return _weekday_in_week(ctx, wd, 1)
    return _next_weekday(ctx.today, wd)


def _en_relative(m: re.Match[str], ctx: _Ctx) -> _DateResult:
    return _offset(ctx, _en_int(m["n"] or m["nw"]), _DAY_UNITS[m["unit"]])


def _en_month_day(m: re.Match[str], ctx: _Ctx) -> date:
    month, day = _MONTHS_EN[m["mon"]], int(m["d"])
    if m["y"]:
        return _explicit(int(m["y"]), month, day, ctx.text)
    return _next_month_day(ctx.today, month, day, ctx.text)


_EN_TABLE: list[tuple[re.Pattern[str], _Matcher]] = [
    (re.compile("(?:" + "|".join(_EN_DAY_WORDS) + ")"),
     lambda m, c: c.today + timedelta(days=_EN_DAY_WORDS[m[0]])),
    (re.compile(rf"(?:(?P<mod>this|next|coming)\s+)?{_WD_EN}(?P<nextweek>\s+next\s+week)?"),
     _en_weekday),
    (re.compile(r"next\s+week"), lambda m, c: _monday(c.today) + timedelta(weeks=1)),
    (re.compile(r"eow|end\s+of\s+(?:the\s+|this\s+)?week"), lambda m, c: _eow(c)),
    (re.compile(r"(?:this\s+)?weekend"), lambda m, c: _weekday_in_week(c, 6, 0)),
    (re.compile(r"next\s+weekend"), lambda m, c: _weekday_in_week(c, 6, 1)),
    (re.compile(r"eom|end\s+of\s+(?:the\s+|this\s+)?month"), lambda m, c: _month_end(c.today)),
    (re.compile(r"end\s+of\s+next\s+month"),
     lambda m, c: _month_end(c.today + relativedelta(months=1, day=1))),
    (re.compile(r"(?:(?:start|beginning)\s+of\s+)?next\s+month"),
     lambda m, c: c.today + relativedelta(months=1, day=1)),
    (re.compile(r"eoy|end\s+of\s+(?:the\s+|this\s+)?year"),
     lambda m, c: c.today.replace(month=12, day=31)),
    (re.compile(rf"(?:in\s+)?{_EN_NUM}{_UNIT_EN}(?:\s+(?:from\s+now|later))?"),
     _en_relative),
    (re.compile(rf"{_MON_EN}\s*(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?(?:\s+(?P<y>[0-9]{{4}}))?"),
     _en_month_day),
    (re.compile(rf"(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+)?{_MON_EN}"
                rf"(?:\s+(?P<y>[0-9]{{4}}))?"),
     _en_month_day),
    (re.compile(r"(?:the\s+)?(?P<d>[0-9]{1,2})(?:st|nd|rd|th)"),
     lambda m, c: _next_day_of_month(c.today, int(m["d"]), c.text)),
]

# Numeric (language-neutral) ----------------------------------------------


def _ambiguous(m: re.Match[str], ctx: _Ctx) -> date:
    raise DateParseError(ctx.text, "ambiguous")


_NUMERIC_TABLE: list[tuple[re.Pattern[str], _Matcher]] = [
    (re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"),
     lambda m, c: _explicit(int(m["y"]), int(m["m"]), int(m["d"]), c.text)),
    (re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"),
     lambda m, c: _explicit(int(m["y"]), int(m["m"]), int(m["d"]), c.text)),
    # US month-first vs day-first cannot be told apart: refuse rather than guess.
    (re.compile(r"[0-9]{1,2}(?P<sep>[-/.])[0-9]{1,2}(?:(?P=sep)[0-9]{2,4})?"), _ambiguous),
]

# Chinese ------------------------------------------------------------------

_CN_DAY_WORDS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3,
                 "昨天": -1, "昨日": -1, "前天": -2}
_CN_WEEK = "(?:周|星期|礼拜)"
_CN_THIS = "(?:本|这个?)"
_CN_NEXT = "(?P<next>下+)个?"
_CN_REL_SUFFIX = "(?:后|以后|之后|内|以内|之内)"


def _cn_weekday(m: re.Match[str], ctx: _Ctx) -> date:
    wd = _WEEKDAYS_CN[m["d"]]
    if m["next"]:
        return _weekday_in_week(ctx, wd, len(m["next"]))
    if m["this"]:
        return _weekday_in_week(ctx, wd, 0)
    return _next_weekday(ctx.today, wd)


def _cn_relative(m: re.Match[str], ctx: _Ctx) -> _DateResult:
    unit = m["unit"] or "日"  # 日 only matches with a suffix: bare "3日" is the 3rd
    n = _cn_int(m["n"])
    if unit in ("天", "日"):
        return _offset(ctx, n, "d")
    if unit.endswith(("周", "星期", "礼拜")):
        return _offset(ctx, n, "w")
    if unit == "个月":
        return _offset(ctx, n, "mo")
    if unit.endswith(("小时", "钟头")):
        return _offset(ctx, n, "h")
    return _offset(ctx, n, "min")


def _cn_month_day(m: re.Match[str], ctx: _Ctx) -> date:
    month, day = _cn_int(m["m"]), _cn_int(m["d"])
    if m["y"]:
        return _explicit(int(m["y"]), month, day, ctx.text)
    return _next_month_day(ctx.today, month, day, ctx.text)


def _cn_month_relative_day(m: re.Match[str], ctx: _Ctx) -> date:
    months = len(m["next"]) if m["next"] else 0
    first = ctx.today + relativedelta(months=months, day=1)
    day = _cn_int(m["d"])
    if not 1 <= day <= 31:
        raise DateParseError(ctx.text, "invalid")
    return _explicit(first.year, first.month, day, ctx.text)


_CN_TABLE: list[tuple[re.Pattern[str], _Matcher]] = [
    (re.compile("(?:" + "|".join(sorted(_CN_DAY_WORDS, key=len, reverse=True)) + ")"),
     lambda m, c: c.today + timedelta(days=_CN_DAY_WORDS[m[0]])),
    (re.compile(rf"(?:(?P<this>{_CN_THIS})|{_CN_NEXT})?{_CN_WEEK}(?P<d>[一二三四五六日天1-7])"),
     _cn_weekday),
    (re.compile(rf"{_CN_NEXT}{_CN_WEEK}"),
     lambda m, c: _monday(c.today) + timedelta(weeks=len(m["next"]))),
    (re.compile(rf"{_CN_THIS}?周末"), lambda m, c: _weekday_in_week(c, 6, 0)),
    (re.compile(rf"{_CN_NEXT}周末"), lambda m, c: _weekday_in_week(c, 6, len(m["next"]))),
    (re.compile(rf"{_CN_THIS}?月(?:底|末)"),
     lambda m, c: _month_end(c.today)),
    (re.compile(rf"{_CN_NEXT}月(?:底|末)"),
     lambda m, c: _month_end(c.today + relativedelta(months=len(m["next"]), day=1))),
    (re.compile(rf"{_CN_NEXT}月初?"),
     lambda m, c: c.today + relativedelta(months=len(m["next"]), day=1)),
    (re.compile(r"(?:今年)?(?:年底|年末)"), lambda m, c: c.today.replace(month=12, day=31)),
    (re.compile(rf"(?P<n>{_CN_NUM})(?:(?P<unit>天|周|个?星期|个?礼拜|个月|个?小时|个?钟头|分钟)"
                rf"{_CN_REL_SUFFIX}?|日{_CN_REL_SUFFIX})"),
     _cn_relative),
    (re.compile(rf"半个?(?:小时|钟头){_CN_REL_SUFFIX}?"),
     lambda m, c: _instant(c, timedelta(minutes=30))),
    (re.compile(rf"(?:(?P<y>[0-9]{{4}})年)?(?P<m>{_CN_NUM})月(?P<d>{_CN_NUM})(?:日|号)?"),
     _cn_month_day),
    (re.compile(rf"(?:(?P<this>{_CN_THIS})|{_CN_NEXT})月(?P<d>{_CN_NUM})(?:日|号)"),
     _cn_month_relative_day),
    (re.compile(rf"(?P<d>{_CN_NUM})(?:日|号)"),
     lambda m, c: _next_day_of_month(c.today, _cn_int(m["d"]), c.text)),
]

_DATE_TABLE = _EN_TABLE + _NUMERIC_TABLE + _CN_TABLE
# Harmless lead-ins people type before a date: "on fri", "by tomorrow".
_DATE_LEAD_IN = re.compile(r"^(?:on|by)\s+")


def _match_date(s: str, ctx: _Ctx) -> _DateResult | None:
    """The date expression filling all of `s`, or None if no pattern covers it.

    Raises DateParseError when a pattern matches but the values are not a real date.
    Arithmetic overflow (e.g. "in 9999 weeks" near date.max) is reported as "invalid".
    """
    s = _DATE_LEAD_IN.sub("", s)
    for pattern, build in _DATE_TABLE:
        m = pattern.fullmatch(s)
        if m is None:
            continue
        try:
            return build(m, ctx)
        except DateParseError:
            raise
        except (ValueError, OverflowError, KeyError):
            raise DateParseError(ctx.text, "invalid") from None
    return None


# ---------------------------------------------------------------------------
# Times of day
# ---------------------------------------------------------------------------

_EN_TIME = (
    r"(?P<eh>[0-9]{1,2}):(?P<em>[0-9]{2})(?::(?P<es>[0-9]{2}))?(?:\s*(?P<eap>am|pm))?"
    r"|(?P<bh>[0-9]{1,2})\s*(?P<bap>am|pm)"
    r"|(?P<noon>noon|midday)"
)
_CN_AM = ("凌晨", "早上", "早晨", "清晨", "上午")
_CN_AFTERNOON = ("下午", "傍晚")
_CN_NIGHT = ("晚上", "夜里", "夜间", "晚间")
_CN_PERIOD = "(?P<period>" + "|".join(_CN_AM + ("中午",) + _CN_AFTERNOON + _CN_NIGHT) + ")"
_CN_TIME = (
    rf"{_CN_PERIOD}?"
    rf"(?:(?P<ch>{_CN_NUM})(?:点|时)(?:(?P<half>半)|(?P<q1>一刻)|(?P<q3>三刻)|(?P<cm>{_CN_NUM})分?|整|钟)?"
    r"|(?P<hh>[0-9]{1,2}):(?P<hm>[0-9]{2}))?"
)
_TIME_RE = re.compile(rf"(?:{_EN_TIME}|{_CN_TIME})")


@dataclass(frozen=True)
class _TimeHit:
    value: time
    meridiem: bool  # am/pm or a Chinese period was given, so "tonight" must not shift it


def _time_from_match(m: re.Match[str], text: str) -> _TimeHit | None:
    """Validate a `_TIME_RE` match; None when it carries no time (an empty match or a
    period without an hour such as 下午). Out-of-range values raise "invalid"."""
    bad = DateParseError(text, "invalid")
    if m["noon"]:
        return _TimeHit(time(12, 0), True)
    if m["eh"] is not None or m["bh"] is not None:
        hour = int(m["eh"] if m["eh"] is not None else m["bh"])
        minute = int(m["em"] or 0)
        second = int(m["es"] or 0)
        ap = m["eap"] or m["bap"]
        if ap:
            if not 1 <= hour <= 12:
                raise bad
            hour = hour % 12 + (12 if ap == "pm" else 0)
        if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
            raise bad
        return _TimeHit(time(hour, minute, second), ap is not None)

    period = m["period"]
    if m["ch"] is not None:
        hour = _cn_int(m["ch"])
        if m["half"]:
            minute = 30
        elif m["q1"]:
            minute = 15
        elif m["q3"]:
            minute = 45
        else:
            minute = _cn_int(m["cm"]) if m["cm"] else 0
    elif m["hh"] is not None:
        hour, minute = int(m["hh"]), int(m["hm"])
    elif period == "中午":
        return _TimeHit(time(12, 0), True)
    else:
        return None
    if not 0 <= minute <= 59:
        raise bad
    hour = _apply_cn_period(period, hour, text)
    return _TimeHit(time(hour, minute), period is not None)


def _apply_cn_period(period: str | None, hour: int, text: str) -> int:
    """24-hour value of `hour` said within a Chinese day period."""
    if period is None:
        ok = 0 <= hour <= 23
    elif period in _CN_AM:
        ok = 0 <= hour <= 12
        if period == "凌晨" and hour == 12:
            hour = 0
    elif period == "中午":
        ok = 10 <= hour <= 12 or 1 <= hour <= 3
        if hour <= 3:
            hour += 12
    elif period in _CN_AFTERNOON:
        ok = 1 <= hour <= 23
        if hour < 12:
            hour += 12
    else:  # night: 晚上8点 = 20:00, but 晚上12点 / 晚上1点 could be either midnight side
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


def _time_splits(s: str):
    """Yield (date_part, time_match) for every way `s` ends with a time or (English
    style, "5pm tomorrow") starts with one followed by a space. Leftmost time first."""
    for i in range(len(s)):
        if s[i] == " " or (i > 0 and s[i - 1] in _NO_TIME_BEFORE):
            continue
        m = _TIME_RE.fullmatch(s[i:])
        if m is not None and m[0]:
            yield _TIME_CONNECTOR.sub("", s[:i].rstrip()).strip(), m
    for j in range(1, len(s)):
        if s[j] != " ":
            continue
        head = s[:j]
        if head.startswith("at "):
            head = head[3:]
        m = _TIME_RE.fullmatch(head)
        if m is not None and m[0]:
            yield s[j + 1:].strip(), m


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

_TONIGHT = re.compile(r"\btonight\b")
# 今晚8点 -> 今天晚上8点; a bare 今晚 is just the day.
_CN_DAY_PERIOD = {"今晚": ("今天", "晚上"), "明晚": ("明天", "晚上"), "昨晚": ("昨天", "晚上"),
                  "今早": ("今天", "早上"), "明早": ("明天", "早上")}
_CN_DAY_PERIOD_RE = re.compile("(" + "|".join(_CN_DAY_PERIOD) + r")(?=([0-9零〇一二两三四五六七八九十]?))")


def _expand_cn_day_period(m: re.Match[str]) -> str:
    day, period = _CN_DAY_PERIOD[m[1]]
    return day + period if m[2] else day


def parse_due(text: str, now: datetime, tz: ZoneInfo) -> Due:
    """Parse a due date with an optional time of day; see the module docstring."""
    s, original = _prepare(text)
    now_local = _local_now(now, tz)
    ctx = _Ctx(now_local.date(), now_local, original)

    pm_bias = bool(_TONIGHT.search(s))
    s = _TONIGHT.sub("today", s)
    s = _CN_DAY_PERIOD_RE.sub(_expand_cn_day_period, s)

    error: DateParseError | None = None

    def remember(e: DateParseError) -> None:
        nonlocal error
        if error is None and e.reason != "unknown":
            error = e

    try:
        hit = _match_date(s, ctx)
    except DateParseError as e:
        remember(e)
        hit = None
    if isinstance(hit, Due):
        return hit
    if hit is not None:
        return Due(hit)

    for date_part, time_match in _time_splits(s):
        try:
            day: _DateResult | None = ctx.today if not date_part else _match_date(date_part, ctx)
            if day is None or isinstance(day, Due):
                continue  # not a date, or "in 2 hours" which already has a time
            hit_time = _time_from_match(time_match, original)
        except DateParseError as e:
            remember(e)
            continue
        if hit_time is None:
            continue
        value = hit_time.value
        if pm_bias and not hit_time.meridiem and value.hour < 12:
            value = value.replace(hour=value.hour + 12)
        return Due(day, value)

    raise error or DateParseError(original, "unknown")


def parse_date(text: str, now: datetime, tz: ZoneInfo) -> date:
    """Same grammar as `parse_due`; a time of day, if given, is accepted and dropped."""
    return parse_due(text, now, tz).date


_RANGE_SEP = re.compile(r"\s*(?:\.\.|~|到|至)\s*")
_RANGE_LEAD_IN = re.compile(r"^(?:from\s+|从)")


def parse_date_range(text: str, now: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """"A..B", "A~B", "A到B", "A至B" (optionally "from"/从 first); a single date is (d, d).

    Both ends are read relative to today (not B relative to A). Hyphens are not
    separators because ISO dates contain them. End before start is "invalid".
    """
    s, original = _prepare(text)
    s = _RANGE_LEAD_IN.sub("", s)
    parts = _RANGE_SEP.split(s)
    if len(parts) == 1:
        d = parse_date(parts[0], now, tz)
        return d, d
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise DateParseError(original, "unknown")
    start, end = parse_date(parts[0], now, tz), parse_date(parts[1], now, tz)
    if end < start:
        raise DateParseError(original, "invalid")
    return start, end



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
    """"09:30", "9am", "5:30pm", "noon", "上午9点", "9点半", "下午3点", "15点", "中午"."""
    s, original = _prepare(text)
    s = re.sub(r"^(?:at\s+|@\s*)", "", s)
    s = _CN_DAY_PERIOD_RE.sub(lambda m: _CN_DAY_PERIOD[m[1]][1] if m[2] else m[0], s)
    m = _TIME_RE.fullmatch(s)
    hit = _time_from_match(m, original) if m is not None and m[0] else None
    if hit is None:
        raise DateParseError(original, "unknown")
    return hit.value
