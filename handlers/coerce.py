"""Option values from text to typed values: one coercer per option kind, in `COERCERS`.

A coercer gets the option's key, its trimmed non-empty text, its `Opt` and the usage key for
errors, and returns the typed value or raises a ParseError naming what was wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.command import ParseError, UserRef
from handlers.dates import DateParseError, parse_duration, parse_time_of_day
from handlers.grammar import Opt, alias_table
from handlers.schedule import Dependency
from handlers.tokens import mention, norm

__all__ = ["COERCERS", "REF", "coerce", "parse_days", "parse_ref", "users"]

Coercer = Callable[[str, str, Opt, str], Any]

REF = re.compile(r"^(?:#|r|R|任务|风险)?(\d{1,9})$")


def parse_ref(word: str, area: str = "task", usage: str = "") -> int:
    """`#12`, `12`, `R2`, `r2` -> 12 / 2."""
    match = REF.match(unicodedata.normalize("NFKC", word).strip())
    if not match or int(match.group(1)) == 0:
        raise ParseError("error.bad_ref", usage or f"{area}.show", value=word, area=area)
    return int(match.group(1))


def users(value: str, key: str, usage: str) -> tuple[UserRef, ...]:
    """`@a,@b`, `@a，@b`, `@a、@b` -> the users; anything else in the list is an error."""
    refs = []
    for part in re.split(r"[,，、]", value):
        part = part.strip()
        if not part:
            continue
        ref = mention(part)
        if ref is None:
            raise ParseError("error.bad_user", usage, key=key, value=part)
        refs.append(ref)
    if not refs:
        raise ParseError("error.bad_user", usage, key=key, value=value)
    return tuple(refs)


def coerce(key: str, value: str, opt: Opt, usage: str) -> Any:
    """The typed value of option `key`; an empty value is an error for every kind."""
    value = value.strip()
    if not value:
        raise ParseError("error.empty_option", usage, key=key)
    return COERCERS[opt.kind](key, value, opt, usage)


def _as_text(key: str, value: str, opt: Opt, usage: str) -> str:
    """Text, and dates, which the handlers resolve in the project's time zone and calendar."""
    return value


def _scale(key: str, value: str, opt: Opt, usage: str) -> int:
    if not re.fullmatch(r"0*[1-5]", norm(value)):
        raise ParseError("error.bad_scale", usage, key=key, value=value)
    return int(norm(value))


def _participants(key: str, value: str, opt: Opt, usage: str) -> tuple[UserRef, ...] | None:
    """The people named, or None for everyone."""
    if norm(value) in ("all", "everyone", "全部", "所有人", "全员"):
        return None
    return users(value, key, usage)


def _days_count(key: str, value: str, opt: Opt, usage: str) -> int:
    number = norm(value).removesuffix("天").removesuffix("days").removesuffix("d").strip()
    if not re.fullmatch(r"[0-9]{1,2}", number) or not 1 <= int(number) <= 30:
        raise ParseError("error.bad_days_count", usage, key=key, value=value)
    return int(number)


def _weekday(key: str, value: str, opt: Opt, usage: str) -> str:
    try:
        days = parse_days(value, usage)
    except ParseError:
        days = ""
    if not days or "," in days:
        raise ParseError("error.bad_weekday", usage, key=key, value=value)
    return days


def _enum(key: str, value: str, opt: Opt, usage: str) -> str:
    canon = alias_table(opt.choices or {}).get(norm(value))
    if canon is None:
        raise ParseError("error.bad_choice", usage, key=key, value=value, choices=", ".join(opt.choices or {}))
    return canon


def _user(key: str, value: str, opt: Opt, usage: str) -> UserRef:
    refs = users(value, key, usage)
    if len(refs) > 1:
        raise ParseError("error.one_user", usage, key=key, value=value)
    return refs[0]


def _users(key: str, value: str, opt: Opt, usage: str) -> tuple[UserRef, ...]:
    return users(value, key, usage)


def _ref(key: str, value: str, opt: Opt, usage: str) -> int:
    return parse_ref(value, "task", usage)


_TZ_OK = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$")


def _tz(key: str, value: str, opt: Opt, usage: str) -> str:
    try:
        if not _TZ_OK.match(value):
            raise ValueError(value)
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ParseError("error.bad_timezone", usage, value=value) from None
    return value


_LOCALES = {
    "en": "en",
    "english": "en",
    "英文": "en",
    "英语": "en",
    "zh": "zh",
    "cn": "zh",
    "chinese": "zh",
    "中文": "zh",
    "zh-cn": "zh",
    "zh_cn": "zh",
}


def _locale(key: str, value: str, opt: Opt, usage: str) -> str:
    if norm(value) not in _LOCALES:
        raise ParseError("error.bad_locale", usage, value=value)
    return _LOCALES[norm(value)]


def _country(key: str, value: str, opt: Opt, usage: str) -> str:
    """A two-letter country code for the public holidays, or "" for none."""
    code = norm(value).upper()
    if code in ("NONE", "OFF", "无"):
        return ""
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ParseError("error.bad_country", usage, value=value)
    return code


def _time(key: str, value: str, opt: Opt, usage: str) -> str:
    try:
        return parse_time_of_day(value).strftime("%H:%M")
    except DateParseError:
        raise ParseError("error.bad_time", usage, key=key, value=value) from None


def _duration(key: str, value: str, opt: Opt, usage: str) -> Any:
    try:
        return parse_duration(value)
    except DateParseError:
        raise ParseError("error.bad_duration", usage, key=key, value=value) from None


def _days(key: str, value: str, opt: Opt, usage: str) -> str:
    return parse_days(value, usage)


MAX_WORKDAYS = 9999  # a plan of forty years; anything longer is a typo
_WORKDAYS = re.compile(r"(\d{1,5})\s*(d|days?|wd|working\s*days?|天|日|个?工作日|w|wks?|weeks?|周|个?星期)?")
_WEEK_UNITS = ("w", "wk", "wks", "week", "weeks", "周", "星期", "个星期")


def _workdays(key: str, value: str, opt: Opt, usage: str) -> int:
    """A duration in working days: `5d`, `5`, `2w` (a week is five working days), `5天`, `2周`."""
    match = _WORKDAYS.fullmatch(norm(value))
    if match is None:
        raise ParseError("error.bad_workdays", usage, key=key, value=value)
    days = int(match.group(1)) * (5 if match.group(2) in _WEEK_UNITS else 1)
    if not 1 <= days <= MAX_WORKDAYS:
        raise ParseError("error.bad_workdays", usage, key=key, value=value)
    return days


_PREDECESSOR = re.compile(r"(?:#|任务)?(\d{1,9})\s*(?:\+\s*(\d{1,4})\s*(d|days?|天|日|个?工作日)?)?")


def _predecessors(key: str, value: str, opt: Opt, usage: str) -> tuple[Dependency, ...]:
    """`#3,#4`, `#3+2d` (two working days of lag), `3、4` -> the dependencies, in order."""
    deps: dict[int, Dependency] = {}
    for part in re.split(r"[,，、\s]+", norm(value)):
        if not part:
            continue
        match = _PREDECESSOR.fullmatch(part)
        if match is None or int(match.group(1)) == 0:
            raise ParseError("error.bad_predecessors", usage, key=key, value=part)
        number = int(match.group(1))
        deps[number] = Dependency(number, int(match.group(2) or 0))
    if not deps:
        raise ParseError("error.bad_predecessors", usage, key=key, value=value)
    return tuple(deps.values())


def _percent(key: str, value: str, opt: Opt, usage: str) -> int:
    """`60%`, `60`, `60％` -> 60, from 0 to 100."""
    number = norm(value).removesuffix("%").strip()
    if not re.fullmatch(r"\d{1,3}", number) or int(number) > 100:
        raise ParseError("error.bad_percent", usage, key=key, value=value)
    return int(number)


_TRUE = {"on", "yes", "true", "1", "开", "开启", "启用", "是"}
_FALSE = {"off", "no", "false", "0", "关", "关闭", "停用", "否"}


def _bool(key: str, value: str, opt: Opt, usage: str) -> bool:
    if norm(value) in _TRUE:
        return True
    if norm(value) in _FALSE:
        return False
    raise ParseError("error.bad_bool", usage, key=key, value=value)


COERCERS: dict[str, Coercer] = {
    "text": _as_text,
    "date": _as_text,
    "daterange": _as_text,
    "int5": _scale,
    "days_count": _days_count,
    "bool": _bool,
    "enum": _enum,
    "locale": _locale,
    "country": _country,
    "tz": _tz,
    "user": _user,
    "users": _users,
    "participants": _participants,
    "ref": _ref,
    "time": _time,
    "duration": _duration,
    "days": _days,
    "weekday": _weekday,
    "workdays": _workdays,
    "predecessors": _predecessors,
    "percent": _percent,
}

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ZH_DAYS = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat", "日": "sun", "天": "sun"}


def parse_days(value: str, usage: str = "standup.config") -> str:
    """`mon-fri`, `mon,wed,fri`, `周一至周五`, `weekdays` -> canonical `mon,tue,...`."""
    text = norm(value).replace("星期", "周").replace("礼拜", "周")
    if text in ("weekdays", "workdays", "工作日"):
        return "mon,tue,wed,thu,fri"
    if text in ("daily", "everyday", "每天", "all"):
        return ",".join(_DAY_NAMES)
    days: list[str] = []
    for part in re.split(r"[,，、]", text):
        ends = re.split(r"-|~|至|到", part)
        if len(ends) > 2 or not all(ends):
            raise ParseError("error.bad_days", usage, value=value)
        idx = [_day_index(e, value, usage) for e in ends]
        lo, hi = idx[0], idx[-1]
        span = range(lo, hi + 1) if lo <= hi else [*range(lo, 7), *range(0, hi + 1)]
        days.extend(_DAY_NAMES[d] for d in span if _DAY_NAMES[d] not in days)
    return ",".join(sorted(days, key=_DAY_NAMES.index))


def _day_index(word: str, value: str, usage: str) -> int:
    word = word.strip()
    if word.startswith("周") and word[1:] in _ZH_DAYS:
        word = _ZH_DAYS[word[1:]]
    for i, name in enumerate(_DAY_NAMES):
        if word[:3] == name and len(word) >= 3:
            return i
    raise ParseError("error.bad_days", usage, value=value)
