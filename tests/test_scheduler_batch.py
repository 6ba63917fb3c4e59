"""The 09:00 tick runs its due projects in batches: loaded together, queued in one batched insert."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import col, select, update

from handlers.destination import Destination
from handlers.notify import Message, queue_many
from handlers.replies import Reply
from storage.database import Database
from storage.models import Notification, Project
from tests.support.scheduled import SH, make_bot

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _message(key: str, text: str = "hi") -> Message:
    return Message(key, "console", Destination.channel("W", "C1"), Reply(text=text), NOW)


def test_queue_many_skips_keys_queued_before_or_repeated_and_keeps_the_order(db: Database) -> None:
    with db.session() as session:
        assert queue_many(session, [_message("a")]) == {"a"}
        session.commit()
    with db.session() as session:
        batch = [_message("b"), _message("a", "again"), _message("c"), _message("b", "twice")]
        assert queue_many(session, batch) == {"b", "c"}
        session.commit()
    with db.session() as session:
        rows = session.exec(select(Notification).order_by(col(Notification.id))).all()
    assert [(r.key, r.payload["text"]) for r in rows] == [("a", "hi"), ("b", "hi"), ("c", "hi")]
    assert all(r.status == "pending" and r.attempts == 0 and r.next_attempt_at == NOW for r in rows)


def test_one_broken_project_does_not_stop_the_others_in_its_batch(db: Database) -> None:
    bot = make_bot(db)
    bot.chat.ok("pm", "/task add Late @alice due:2026-11-20")
    bot.chat.ok("pm", '/project init "CRM" tz:Asia/Shanghai', channel="C2")
    bot.chat.ok("pm", "/task add Also late @bob due:2026-11-20", channel="C2")
    with db.session() as session:  # a row no tick can run (a zone that does not exist)
        session.exec(update(Project).where(col(Project.name) == "ERP").values(timezone="Nowhere/Zone"))
        session.commit()
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=SH))
    assert [s.target for s in bot.titled("Overdue")] == ["C2"]
    assert [s.target for s in bot.titled("You have 1 overdue")] == ["bob"]


def test_dm_prompts_of_many_projects_read_who_does_the_work_once_per_batch(db: Database) -> None:
    bot = make_bot(db)
    bot.chat.ok("pm", "/standup config mode:dm")
    bot.chat.ok("pm", "/task add T @alice")
    for n, user in ((2, "bob"), (3, "carol")):
        bot.chat.ok("pm", f'/project init "P{n}" tz:Asia/Shanghai', channel=f"C{n}")
        bot.chat.ok("pm", "/standup config mode:dm", channel=f"C{n}")
        bot.chat.ok("pm", f"/task add T @{user}", channel=f"C{n}")
    bot.chat.ok("dan", "/standup y:a t:b", channel="C3")  # checked in: takes part without a task
    checkins: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        if "standupentry" in statement and "standuprun" in statement:
            checkins.append(statement)

    bot.clear()
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        bot.at(datetime(2026, 11, 23, 9, 30, tzinfo=SH))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert sorted(s.target for s in bot.titled("Standup time")) == ["alice", "bob", "carol", "dan"]
    assert len(checkins) == 1  # one query for the batch, not one a project
