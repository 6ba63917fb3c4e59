"""Every date the README shows must work on every day of the year (issue 8, item 2).

The examples are read out of README.md itself — the "### Dates" table and every command of
"## Commands" with a date in it — and parsed with the clock on days across the year,
including a leap day and both ends of a year.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handlers.calendar import Calendar
from handlers.dates import DateParseError, parse_date_range, parse_due
from handlers.parse import SPECS, parse

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = README.split("\n## Commands", 1)[1].split("\n## ", 1)[0]
DATES = re.split(r"\n##+ ", COMMANDS.split("### Dates", 1)[1], maxsplit=1)[0]
SH = ZoneInfo("Asia/Shanghai")
CALENDARS = (Calendar("CN"), Calendar("US"))  # a holiday name works on the calendar it belongs to
DAYS = [
    date(2026, 1, 1),
    date(2028, 2, 29),
    date(2026, 6, 30),
    date(2026, 12, 2),
    date(2026, 12, 31),
    date(2027, 3, 15),
    date(2026, 10, 3),
]
RANGE = re.compile(r"\.\.|到|至|\s+to\s+")


def _spans(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def _table_rows() -> list[tuple[list[str], str]]:
    """(expressions of the first column, the meaning) of each row of the Dates table."""
    rows = []
    for line in DATES.splitlines():
        cells = line.split("|")
        if len(cells) >= 3 and "`" in cells[1]:
            rows.append((_spans(cells[1]), cells[2]))
    return rows


TABLE = [(text, "refused" in meaning) for spans, meaning in _table_rows() for text in spans]
DATED = re.compile(r"(?:due|截止|review|复查|start|end|开始|结束):|away|请假")
COMMAND_LINES = [s for s in _spans(COMMANDS) if s.startswith("/") and DATED.search(s)]


def _resolve(text: str, now: datetime, start: date | None = None) -> object:
    """The expression on the first calendar that knows all its words."""
    errors = []
    for calendar in CALENDARS:
        try:
            if RANGE.search(text) and start is None:
                return parse_date_range(text, now, SH, calendar)
            return parse_due(text, now, SH, calendar, start=start)
        except DateParseError as e:
            errors.append(e)
    raise errors[0]


def test_the_readme_has_examples_to_check() -> None:
    assert len(TABLE) > 80
    assert len(COMMAND_LINES) >= 8


@pytest.mark.parametrize("day", DAYS, ids=str)
@pytest.mark.parametrize(("text", "refused"), TABLE, ids=[t for t, _ in TABLE])
def test_every_date_in_the_dates_table_parses_on_every_day(text: str, refused: bool, day: date) -> None:
    now = datetime.combine(day, datetime.min.time(), SH).replace(hour=10)
    if refused:
        with pytest.raises(DateParseError) as info:
            _resolve(text, now)
        assert info.value.reason == "ambiguous" and len(info.value.readings) == 2
    else:
        _resolve(text, now)


@pytest.mark.parametrize("day", DAYS, ids=str)
@pytest.mark.parametrize("line", COMMAND_LINES)
def test_every_command_in_the_readme_has_dates_that_parse(line: str, day: date) -> None:
    now = datetime.combine(day, datetime.min.time(), SH).replace(hour=10)
    cmd = parse(line)
    options = SPECS[cmd.area][cmd.action].options
    start = None
    for key in ("start", "due", "review", "end"):
        if key in cmd.options and options[key].kind == "date":
            value = _resolve(cmd.options[key], now, start if key == "end" else None)
            start = value.date if key == "start" else start
    if cmd.action == "away" and cmd.text:
        first, last = _resolve(cmd.text, now)
        assert first <= last
