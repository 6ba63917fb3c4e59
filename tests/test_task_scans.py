"""Reports and the scheduler read open tasks by due through indexes, never by scanning the table.

They load only the tasks they show or act on: a done task of an earlier week or an undated one
is never loaded by the status report, the digest, due-soon or the weekly report. And every statement on `task` that `/project status`, the digest, due-soon and the weekly report
issue is explained by the database itself: on SQLite no `SCAN task`, on PostgreSQL (with
sequential scans priced out, as on a big table) no `Seq Scan on task`. A bug that loads every
task and filters in Python shows up as such a scan.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import event, text

from storage.database import Database
from storage.models import Task
from tests.support.scheduled import SH
from tests.support.scheduled import make_bot as _bot


@contextmanager
def loaded_tasks() -> Iterator[set[str]]:
    """The titles of the Task rows loaded from the database inside the block."""
    titles: set[str] = set()

    def record(target: Task, _context) -> None:
        titles.add(target.title)

    event.listen(Task, "load", record)
    try:
        yield titles
    finally:
        event.remove(Task, "load", record)


@contextmanager
def task_statements(db: Database) -> Iterator[list[tuple[str, object]]]:
    """Collect the SELECT statements on the task table run inside the block."""
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT") and " task" in statement and "FROM task" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def full_scans(db: Database, statements: list[tuple[str, object]]) -> list[str]:
    """The statements whose plan reads the whole task table."""
    found = []
    with db.engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        if db.dialect == "postgresql":
            cursor.execute("SET enable_seqscan = off")
            prefix, marker = "EXPLAIN ", "Seq Scan on task"
        else:
            prefix, marker = "EXPLAIN QUERY PLAN ", "SCAN task"
        for statement, parameters in statements:
            cursor.execute(prefix + statement, parameters)
            plan = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
            if marker in plan and "USING" not in plan.split(marker, 1)[1][:20]:
                found.append(f"{statement}\n  -> {plan}")
        cursor.close()
    return found


def _project_with_work(db: Database):
    bot = _bot(db, when=datetime(2026, 11, 16, 8, 0, tzinfo=SH))
    bot.chat.ok("pm", "/task add Late @alice A:@bob due:2026-11-17")
    bot.chat.ok("pm", '/task add Soon @alice due:"2026-11-24 08:00"')
    bot.chat.ok("pm", "/task add Next week @bob due:2026-12-01")
    bot.chat.ok("pm", "/task add Finished @bob due:2026-11-18")
    bot.chat.ok("pm", "/task done #4")
    bot.chat.ok("pm", "/task add Undated @carol")
    return bot


def test_status_reads_tasks_through_indexes(db: Database) -> None:
    bot = _project_with_work(db)
    bot.chat.clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=SH))
    with task_statements(db) as statements, loaded_tasks() as loaded:
        status = bot.chat.ok("pm", "/project status")
    assert "Late" in str(status) and "Soon" in str(status)  # the report still has its content
    assert loaded == {"Late", "Soon"}
    assert statements
    assert full_scans(db, statements) == []


def test_digest_due_soon_and_weekly_read_tasks_through_indexes(db: Database) -> None:
    bot = _project_with_work(db)
    with task_statements(db) as statements, loaded_tasks() as loaded:
        bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=SH))  # Monday's digest; due-soon for Tuesday
        bot.at(datetime(2026, 11, 27, 16, 0, tzinfo=SH))  # Friday's weekly report
    titles = bot.titles()
    assert any("overdue" in t.lower() for t in titles)
    assert any(t.startswith("Due soon") for t in titles), titles
    assert any("Weekly" in t for t in titles), titles
    assert "Finished" not in loaded and "Undated" not in loaded
    assert full_scans(db, statements) == []


def test_the_open_due_index_is_partial_on_both_databases(db: Database) -> None:
    """Done and cancelled tasks are not in it: its size follows the open work."""
    with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            definition = conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_task_open_due'")
            ).scalar()
        else:
            definition = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'ix_task_open_due'")).scalar()
    assert "WHERE" in definition.upper() and "todo" in definition


def test_status_counts_every_overdue_task_and_lists_the_first_ten(db: Database) -> None:
    """Counted in the database with the same rule as everywhere: a due day before today, or a due
    time passed today; a due later today is due this week, not overdue."""
    bot = _bot(db, when=datetime(2026, 11, 16, 8, 0, tzinfo=SH))
    for i in range(11):
        bot.chat.ok("pm", f"/task add Old{i} @alice due:2026-11-20")
    bot.chat.ok("pm", '/task add Morning @alice due:"2026-11-23 10:00"')
    bot.chat.ok("pm", '/task add Evening @alice due:"2026-11-23 18:00"')
    bot.chat.ok("pm", "/task add Today @alice due:2026-11-23")
    bot.chat.clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=SH))
    with loaded_tasks() as loaded:
        card = bot.chat.ok("pm", "/project status").cards[0]
    overdue, due_week = card.fields[0], card.fields[1]
    assert overdue.label == "Overdue (12)" and len(overdue.value.splitlines()) == 10
    assert due_week.label == "Due this week (2)"
    assert "Evening" in due_week.value and "Today" in due_week.value
    assert len(loaded) == 12  # the ten shown and the two due this week
