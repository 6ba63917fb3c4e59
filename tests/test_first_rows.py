"""First rows under concurrency: many commands at once that each create the same first row (a
workspace, the day's standup, a member) all succeed and share one row — no "someone changed
this at the same moment". Threads hit one database at the same instant (a barrier)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import select

from handlers.replies import Reply
from storage.database import Database
from storage.models import Member, Project, StandupEntry, StandupRun, Task, Workspace
from tests.chat import Chat

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wed 10:00 in Shanghai


def _at_once(count: int, say: Callable[[int], Reply]) -> list[Reply]:
    """Run `say(0..count-1)` in `count` threads released together; their replies in order."""
    barrier = threading.Barrier(count)

    def run(i: int) -> Reply:
        barrier.wait(timeout=30)
        return say(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _errors(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if r.error]


def _count(db: Database, model: type, *where) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_first_project_inits_in_a_new_workspace(db: Database) -> None:
    chat = Chat(db, workspace="W-new", start=NOW)
    replies = _at_once(16, lambda i: chat.say(f"u{i}", f'/project init "P{i}" tz:Asia/Shanghai', channel=f"C{i}"))
    assert _errors(replies) == []
    assert _count(db, Workspace, Workspace.external_id == "W-new") == 1
    assert _count(db, Project) == 16


def test_the_same_channel_bound_at_once_is_bound_once_and_the_rest_told_so(db: Database) -> None:
    """The losers of the race are run again and see the winner's project: a clear refusal."""
    chat = Chat(db, workspace="W-new", start=NOW)
    replies = _at_once(8, lambda i: chat.say(f"u{i}", f'/project init "P{i}"'))
    assert len([r for r in replies if not r.error]) == 1
    assert all("already" in text for text in _errors(replies)), _errors(replies)
    assert _count(db, Project) == 1


def test_first_check_ins_of_the_day(db: Database) -> None:
    chat = Chat(db, start=NOW)
    chat.ok("pm", '/project init "Alpha" tz:Asia/Shanghai')
    replies = _at_once(16, lambda i: chat.say(f"u{i}", f'/standup y:"done {i}" t:"next {i}"'))
    assert _errors(replies) == []
    assert _count(db, StandupRun) == 1
    assert _count(db, StandupEntry) == 16


def test_first_commands_of_a_new_member(db: Database) -> None:
    chat = Chat(db, start=NOW)
    chat.ok("pm", '/project init "Alpha" tz:Asia/Shanghai')
    replies = _at_once(8, lambda i: chat.say("newcomer", f'/task add "Job {i}" @newcomer'))
    assert _errors(replies) == []
    assert _count(db, Member, Member.user_id == "newcomer") == 1
    with db.session() as session:
        assert sorted(session.exec(select(Task.number))) == list(range(1, 9))
