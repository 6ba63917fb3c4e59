"""A tick visits only the projects with something due: each project stores its next due instant,
recomputed after each visit and whenever its settings or its tasks' timing change."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from storage.database import Database
from storage.models import Project
from tests.support.scheduled import SH
from tests.support.scheduled import make_bot as _bot


def _next_due(db: Database, name: str = "ERP") -> datetime | None:
    with db.session() as session:
        return session.exec(select(Project.next_due_at).where(Project.name == name)).one()


def test_a_quiet_tick_visits_no_project(db: Database) -> None:
    bot = _bot(db)
    for i in range(3):
        bot.chat.ok("pm", f'/project init "P{i}" tz:Asia/Shanghai', channel=f"C{i + 10}")
    bot.at(datetime(2026, 11, 23, 8, 1, tzinfo=SH))
    assert bot.scheduler.visited == 4  # new projects: never computed, visited once
    bot.at(datetime(2026, 11, 23, 8, 2, tzinfo=SH))
    assert bot.scheduler.visited == 0
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=SH))  # the digest time: every project, nothing to say
    assert bot.scheduler.visited == 4
    bot.at(datetime(2026, 11, 23, 9, 0, 30, tzinfo=SH))  # the repeat tick
    assert bot.scheduler.visited == 0
    assert bot.sent() == []


def test_next_due_is_the_next_job_after_each_visit(db: Database) -> None:
    bot = _bot(db)
    bot.at(datetime(2026, 11, 23, 8, 1, tzinfo=SH))
    assert _next_due(db) == datetime(2026, 11, 23, 9, 0, tzinfo=SH)  # digest
    bot.at(datetime(2026, 11, 23, 9, 30, tzinfo=SH))
    assert _next_due(db) == datetime(2026, 11, 23, 10, 0, tzinfo=SH)  # standup reminder
    bot.at(datetime(2026, 11, 27, 17, 0, tzinfo=SH))  # Friday after the weekly report
    assert _next_due(db) == datetime(2026, 11, 30, 9, 0, tzinfo=SH)  # Monday's digest


def test_a_task_added_while_quiet_gets_its_due_soon_reminder_on_time(db: Database) -> None:
    bot = _bot(db)
    bot.at(datetime(2026, 11, 23, 11, 0, tzinfo=SH))
    bot.at(datetime(2026, 11, 23, 11, 1, tzinfo=SH))
    assert bot.scheduler.visited == 0
    bot.chat.ok("pm", '/task add Ship @alice due:"2026-11-24 14:00"')
    assert _next_due(db) is None  # rescheduled: visited at the next tick
    bot.at(datetime(2026, 11, 23, 11, 2, tzinfo=SH))
    assert bot.scheduler.visited == 1
    assert _next_due(db) == datetime(2026, 11, 23, 14, 0, tzinfo=SH)  # 24 h before the due
    bot.at(datetime(2026, 11, 23, 13, 59, tzinfo=SH))
    assert bot.titled("Due soon") == []
    bot.at(datetime(2026, 11, 23, 14, 0, tzinfo=SH))
    assert [s.target for s in bot.titled("Due soon")] == ["alice"]


def test_a_due_moved_later_reschedules_the_reminder(db: Database) -> None:
    bot = _bot(db)
    bot.chat.ok("pm", '/task add Ship @alice due:"2026-11-24 14:00"')
    bot.at(datetime(2026, 11, 23, 11, 0, tzinfo=SH))
    bot.chat.ok("pm", '/task update #1 due:"2026-11-25 14:00"')
    bot.at(datetime(2026, 11, 23, 11, 1, tzinfo=SH))
    assert _next_due(db) == datetime(2026, 11, 24, 9, 0, tzinfo=SH)  # the digest comes first now
    bot.at(datetime(2026, 11, 23, 14, 0, tzinfo=SH))
    assert bot.titled("Due soon") == []


def test_a_setting_change_while_quiet_does_not_send_a_passed_prompt_late(db: Database) -> None:
    """Last visited at 10:30 (no standup on Mondays); at 14:00 Monday becomes a 13:00 standup day."""
    bot = _bot(db)
    bot.chat.ok("pm", "/standup config days:tue-fri")
    bot.at(datetime(2026, 11, 23, 10, 30, tzinfo=SH))
    bot.at(datetime(2026, 11, 23, 10, 31, tzinfo=SH))
    assert bot.scheduler.visited == 0
    bot.chat.clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=SH))
    bot.chat.ok("pm", "/standup config days:mon-fri time:13:00 summary:15:00")
    bot.at(datetime(2026, 11, 23, 14, 0, 30, tzinfo=SH))
    assert bot.scheduler.visited == 1
    assert [t for t in bot.titles() if t.startswith("Standup time")] == []
    bot.at(datetime(2026, 11, 24, 13, 0, tzinfo=SH))
    assert [t for t in bot.titles() if t.startswith("Standup time")] == ["Standup time — ERP — Tue Nov 24"]


def test_a_setting_change_before_a_due_job_keeps_it_due(db: Database) -> None:
    """Changed at 09:40 before the 09:30 prompt was run (the scheduler was down): still sent, late."""
    bot = _bot(db)
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=SH))
    bot.chat.clock.set(datetime(2026, 11, 23, 9, 40, tzinfo=SH))
    bot.chat.ok("pm", "/standup config summary:11:00")
    bot.at(datetime(2026, 11, 23, 9, 41, tzinfo=SH))
    assert [t for t in bot.titles() if t.startswith("Standup time")] == ["Standup time — ERP — Mon Nov 23"]
