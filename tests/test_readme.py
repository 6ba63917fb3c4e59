"""The README's own commands work as written, on any day of the year.

Every concrete command example in README.md (a code span or line starting with `/` and an area
name, without synopsis markers like `[…]`, `a|b` or `…`) runs through the console against a
project that has the items the examples refer to (#1..#13, R1..R3, an open retro). Each runs on
its own copy of that project, with the clock on several dates, and must not be refused. The quick
start block runs literally, line by line, on an empty database.
"""

from __future__ import annotations

import io
import re
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.console.app import Console
from handlers.core import Core
from handlers.parse import AREA_ALIASES, GENERAL_ENTRY
from handlers.replies import Reply
from storage.database import Database

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Several days across the year: winter, a leap day, mid-year, the last day of a year.
DAYS = [
    datetime(2026, 12, 2, 10, tzinfo=SHANGHAI),
    datetime(2028, 2, 29, 10, tzinfo=SHANGHAI),
    datetime(2027, 7, 15, 16, tzinfo=SHANGHAI),
    datetime(2027, 12, 31, 9, tzinfo=SHANGHAI),
]

_AREAS = {name for area, aliases in AREA_ALIASES.items() for name in (area, *aliases)} | set(GENERAL_ENTRY)
# Synopsis, not an example: [optional] parts, a|b choices outside quotes, …, placeholders, `key:`.
_SYNOPSIS = re.compile(r"\[|…|\.\.\.(?!\d)|\bN\b|KIND|DATE|:$|\s/")


def _is_example(text: str) -> bool:
    head = text[1:].split(maxsplit=1)[0] if text.startswith("/") and len(text) > 1 else ""
    unquoted = re.sub(r'"[^"]*"|“[^”]*”', "", text)
    return head in _AREAS and not _SYNOPSIS.search(text) and "|" not in unquoted


def _section(title: str) -> str:
    return README.split(f"\n## {title}", 1)[1].split("\n## ", 1)[0]


def readme_examples() -> list[str]:
    """The examples of the command sections and every fenced block (other sections name commands
    in prose, e.g. "`/task add` creates", which are not examples)."""
    spans = re.findall(r"`([^`\n]+)`", _section("Commands") + _section("The scheduler"))
    blocks = re.findall(r"```\n(.*?)```", README, re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    found: list[str] = []
    for text in [*spans, *lines]:
        text = text.replace("\\|", "|").strip()
        if _is_example(text) and text not in found:
            found.append(text)
    return found


class RecordingCore(Core):
    """The real core, keeping every reply it gave so the test can look for refusals."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.replies: list[Reply] = []

    def handle_text(self, ctx, text, **kw):
        reply = super().handle_text(ctx, text, **kw)
        if reply is not None:
            self.replies.append(reply)
        return reply

    def handle_action(self, ctx, payload, form=None, **kw):
        reply = super().handle_action(ctx, payload, form, **kw)
        if reply is not None:
            self.replies.append(reply)
        return reply


def _console(url: str, day: datetime, channel: str = "general") -> tuple[Console, RecordingCore, io.StringIO]:
    db = Database(url)
    db.upgrade()
    core = RecordingCore(db)
    out = io.StringIO()
    return Console(core, ManualClock(day), channel=channel, out=out), core, out


SEED = [
    '/project init "Seed" tz:Asia/Shanghai',
    *[f'/task add "Task {n}" @alice A:@bob' for n in range(1, 14)],
    *[f'/risk add "Risk {n}" owner:@alice p:3 i:3' for n in range(1, 4)],
]
OPEN_RETRO = '/retro start "Sprint 1"'  # every example but starting one finds a retro open


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[datetime, bool], Path]:
    """Seeded SQLite files per date, with and without an open retro; each example runs on a copy."""
    files = {}
    for day in DAYS:
        for retro in (False, True):
            path = tmp_path_factory.mktemp("seed") / "seed.db"
            console, core, out = _console(f"sqlite:///{path}", day)
            for line in SEED + [OPEN_RETRO] * retro:
                console.feed(line)
            assert not [r.text for r in core.replies if r.error], out.getvalue()
            console.core.db.dispose()
            files[day, retro] = path
    return files


def test_the_readme_has_examples_of_every_area() -> None:
    examples = readme_examples()
    assert len(examples) >= 25, examples
    for area in ("project", "task", "risk", "standup", "retro", "项目", "任务", "风险", "站会", "复盘"):
        assert any(e.startswith(f"/{area} ") or e == f"/{area}" for e in examples), area


@pytest.mark.parametrize("day", DAYS, ids=lambda d: d.date().isoformat())
def test_every_readme_example_works(seeded: dict[tuple[datetime, bool], Path], tmp_path: Path, day: datetime) -> None:
    refused = []
    for n, example in enumerate(readme_examples()):
        copy = tmp_path / f"{n}.db"
        action = example.split()[1:2]
        shutil.copy(seeded[day, action not in (["start"], ["开始"])], copy)
        binding = action in (["init"], ["初始化"])
        console, core, out = _console(f"sqlite:///{copy}", day, channel="fresh" if binding else "general")
        console.feed(example)
        console.core.db.dispose()
        if not core.replies or core.replies[-1].error:
            refused.append(f"{example}\n    -> {out.getvalue().strip()}")
    assert not refused, "\n".join(refused)


def test_the_quick_start_works_literally(tmp_path: Path) -> None:
    block = README.split("## Quick start", 1)[1].split("Try:", 1)[1].split("```", 2)[1]
    lines = [line for line in block.splitlines() if line.strip()]
    assert any(line.startswith(":click") for line in lines)
    console, core, out = _console(f"sqlite:///{tmp_path / 'q.db'}", DAYS[0])
    for line in lines:
        before = len(core.replies)
        console.feed(line)
        assert len(core.replies) == before + 1, f"{line!r} got no answer:\n{out.getvalue()}"
        assert not core.replies[-1].error, f"{line!r} was refused:\n{out.getvalue()}"
