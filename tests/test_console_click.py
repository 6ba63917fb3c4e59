"""`:click` and `:submit` act on the last message the console showed, scheduled posts included."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from bot.clock import ManualClock
from bot.console.app import Console
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from handlers.core import Core
from storage.database import Database
from tests.test_cli_console import _feed


def _console(tmp_path: Path) -> tuple[Console, io.StringIO]:
    """The console as `pmbot console` wires it: the scheduler behind `:advance`, the outbox after commands."""
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    db.upgrade()
    out = io.StringIO()
    clock = ManualClock(datetime(2026, 11, 25, 2, tzinfo=UTC))  # Wed 10:00 in Shanghai
    core = Core(db)
    outbox = Outbox(db, clock, {})
    scheduler = Scheduler(db, core, outbox, clock)
    console = Console(
        core,
        clock,
        workspace="T1",
        channel="erp",
        user="pm",
        out=out,
        run_due_jobs=scheduler.run_between,
        after_command=outbox.deliver,
    )
    outbox.messengers["console"] = console.messenger
    return console, out


def test_click_acts_on_a_scheduled_post(tmp_path: Path) -> None:
    con, out = _console(tmp_path)
    _feed(con, out, '/project init "ERP" tz:Asia/Shanghai', "/task add Ship")
    posted = _feed(con, out, ":advance 1d")  # Thursday 09:30: the standup prompt, with its Check in button
    assert "Standup time" in posted and "[1] Check in" in posted
    answer = _feed(con, out, ":click 1")
    assert "Standup check-in" in answer  # the prompt's button, not the task card's Start


def test_click_on_a_message_without_buttons_says_so(tmp_path: Path) -> None:
    con, out = _console(tmp_path)
    assert "the last message has no buttons" in _feed(con, out, ":click 1")
    _feed(con, out, '/project init "ERP"', "/task add Ship")
    assert "the last message has no buttons" in _feed(con, out, "/task list", ":click 1")
    assert "the last message has no form" in _feed(con, out, ":submit 1 title=x")
    con.locale = "zh"
    assert "上一条消息没有按钮" in _feed(con, out, ":click 1")
