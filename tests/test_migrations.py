"""Migrations build exactly the models' schema, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import SQLModel, select

from storage import migrate
from storage.database import Database
from storage.models import ProcessedEvent, Workspace

ROOT = Path(__file__).resolve().parents[1]
MODEL_TABLES = set(SQLModel.metadata.tables)


def table_names(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names())


@pytest.fixture
def empty_db(db_url: str):
    database = Database(db_url)
    yield database
    database.dispose()


def test_migration_history_is_linear() -> None:
    script = ScriptDirectory.from_config(migrate.make_config())
    assert len(script.get_heads()) == 1, "several heads: merge them (alembic merge) or re-parent"
    assert script.get_base() == "0001"


def test_upgrade_creates_every_model_table(empty_db: Database) -> None:
    assert migrate.current(empty_db.engine) is None
    migrate.upgrade(empty_db.engine)
    assert table_names(empty_db) == MODEL_TABLES | {"alembic_version"}
    assert migrate.current(empty_db.engine) == migrate.head()


def test_migrations_match_models(db: Database) -> None:
    """Fails when a model changed without a migration: see storage/migrate.py for how to add one."""
    assert migrate.check(db.engine) == []


def test_downgrade_to_base_then_upgrade_again(db: Database) -> None:
    migrate.downgrade(db.engine, "base")
    assert table_names(db) <= {"alembic_version"}
    assert migrate.current(db.engine) is None

    migrate.upgrade(db.engine)
    assert table_names(db) == MODEL_TABLES | {"alembic_version"}
    assert migrate.current(db.engine) == migrate.head()
    assert migrate.check(db.engine) == []


def test_upgrade_twice_is_a_no_op(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        session.add(ProcessedEvent(key="kept", received_at=now))

    db.upgrade()

    assert migrate.current(db.engine) == migrate.head()
    with db.session() as session:
        assert [e.key for e in session.exec(select(ProcessedEvent))] == ["kept"]


@pytest.mark.postgres
def test_concurrent_upgrades_on_postgresql(pg_server) -> None:
    url = pg_server.create_database("t_concurrent_threads")
    databases = [Database(url), Database(url)]
    barrier = threading.Barrier(len(databases))
    errors: list[BaseException] = []

    def run(database: Database) -> None:
        try:
            barrier.wait(timeout=10)
            database.upgrade()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert not any(t.is_alive() for t in threads), "an upgrade hung"
        assert not errors, errors
        assert migrate.current(databases[0].engine) == migrate.head()
        assert migrate.check(databases[0].engine) == []
    finally:
        for database in databases:
            database.dispose()


@pytest.mark.postgres
def test_concurrent_upgrades_from_two_processes_on_postgresql(pg_server) -> None:
    """What two bot processes starting at once do: both succeed, the schema is built once."""
    url = pg_server.create_database("t_concurrent_processes")
    code = "import sys; from storage.database import Database; Database(sys.argv[1]).upgrade()"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, url], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    stderr = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], stderr
    database = Database(url)
    try:
        assert migrate.current(database.engine) == migrate.head()
        assert migrate.check(database.engine) == []
    finally:
        database.dispose()


@pytest.mark.postgres
def test_upgrade_waits_for_the_advisory_lock(pg_server) -> None:
    url = pg_server.create_database("t_advisory_lock")
    database = Database(url)
    holder = pg_server.connect("t_advisory_lock")
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (migrate.MIGRATION_LOCK_KEY,))
        thread = threading.Thread(target=database.upgrade)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive(), "upgrade did not wait for the migration lock"
        assert migrate.current(database.engine) is None
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (migrate.MIGRATION_LOCK_KEY,))
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert migrate.current(database.engine) == migrate.head()
    finally:
        holder.close()
        database.dispose()


def test_utc_datetime_round_trip(db: Database) -> None:
    original = datetime(2024, 3, 10, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    as_utc = datetime(2024, 3, 10, 1, 30, 15, 123456, tzinfo=UTC)
    postgres = db.dialect == "postgresql"

    with db.session() as session:
        if postgres:  # a session time zone that is neither UTC nor the value's own
            session.connection().exec_driver_sql("SET LOCAL TIME ZONE 'America/New_York'")
        session.add(ProcessedEvent(key="tz", received_at=original))

    with db.session() as session:
        if postgres:
            session.connection().exec_driver_sql("SET LOCAL TIME ZONE 'Asia/Tokyo'")
        loaded = session.exec(select(ProcessedEvent)).one().received_at

    assert loaded == original == as_utc
    assert loaded.tzinfo is UTC
    assert loaded.utcoffset() == timedelta(0)

    # What is stored is the UTC instant.
    with db.engine.connect() as conn:
        if postgres:
            raw = conn.execute(text("SELECT received_at AT TIME ZONE 'UTC' FROM processedevent")).scalar()
            assert raw == as_utc.replace(tzinfo=None)
        else:
            raw = conn.exec_driver_sql("SELECT received_at FROM processedevent").scalar()
            assert raw == "2024-03-10 01:30:15.123456"


def test_naive_datetime_is_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive"), db.session() as session:
        session.add(ProcessedEvent(key="naive", received_at=datetime(2024, 1, 1)))


def test_unique_constraints_are_enforced(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        session.add(ProcessedEvent(key="dup", received_at=now))
        session.add(Workspace(platform="slack", external_id="T1", created_at=now))

    with pytest.raises(IntegrityError), db.session() as session:
        session.add(ProcessedEvent(key="dup", received_at=now))

    with pytest.raises(IntegrityError), db.session() as session:  # a composite UniqueConstraint
        session.add(Workspace(platform="slack", external_id="T1", created_at=now))

    with db.session() as session:  # the same external id on another platform is fine
        session.add(Workspace(platform="feishu", external_id="T1", created_at=now))
        assert len(session.exec(select(ProcessedEvent)).all()) == 1


def test_upgrade_from_0001_keeps_rows_and_fills_new_columns(db_url: str) -> None:
    from sqlalchemy import create_engine, text

    from storage import migrate

    engine = create_engine(db_url)
    try:
        migrate.upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO workspace (platform, external_id, name, created_at) "
                    "VALUES ('slack', 'T1', '', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO project (workspace_id, channel_id, name, goal, timezone, locale, standup_time, "
                    "standup_days, standup_remind_minutes, standup_summary_time, standup_enabled, next_task_number, "
                    "next_risk_number, next_retro_number, created_by, created_at) VALUES (1, 'C1', 'Old', '', 'UTC', "
                    "'en', '09:30', 'mon-fri', 30, '10:30', true, 1, 1, 1, 'u', CURRENT_TIMESTAMP)"
                )
            )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT name, standup_mode, digest_time, due_soon_hours, escalate_after_days, "
                    "weekly_report_day, alerts_on_holidays FROM project"
                )
            ).one()
        assert tuple(row) == ("Old", "channel", "09:00", 24, 2, "fri", False)
    finally:
        engine.dispose()


def test_upgrade_to_0006_turns_encoded_targets_into_destinations(db_url: str) -> None:
    """Rows queued or sent before 0006 still go (or are updated) where they were meant to."""
    from sqlalchemy import create_engine, text
    from sqlmodel import Session

    from handlers.destination import Destination, MessageRef
    from storage.models import Notification, Project

    engine = create_engine(db_url)
    old = [  # key, platform, target_kind, target, message_ref
        ("slack-post", "slack", "channel", "C1?ws=T1", None),
        ("slack-dm", "slack", "dm", "U2", None),  # workspace and project channel from the row
        ("slack-sent", "slack", "dm", "U2", "D2?ws=T1&ctx=C1|1.5"),
        ("feishu-thread", "feishu", "channel", "oc_g?reply=om_1&thread=1", None),
        ("feishu-p2p", "feishu", "channel", "oc_p?reply=om_2&ctx=oc_g&p2p=1", None),
        ("summary-update", "slack", "update", "key:slack-sent", None),
        ("card-update", "slack", "update", "D2?ws=T1&ctx=C1|1.7", None),
        ("console-dm", "console", "dm", "alice", "@alice|3"),
    ]
    try:
        migrate.upgrade(engine, "0005")
        now = datetime.now(UTC)
        with Session(engine) as session:  # the model's columns with defaults, none added after 0005
            session.add(Workspace(platform="slack", external_id="T1", created_at=now))
            session.flush()
            session.execute(
                Project.__table__.insert().values(
                    workspace_id=1, channel_id="C1", name="ERP", created_by="pm", created_at=now
                )
            )
            session.commit()
        with engine.begin() as conn:
            for key, platform, kind, target, ref in old:
                conn.execute(
                    text(
                        "INSERT INTO notification (key, platform, workspace_id, project_id, target_kind, target, payload, "
                        "status, attempts, next_attempt_at, last_error, message_ref, created_at) VALUES (:key, :platform, "
                        ":ws, :project, :kind, :target, '{}', :status, 0, CURRENT_TIMESTAMP, '', :ref, CURRENT_TIMESTAMP)"
                    ),
                    {
                        "key": key,
                        "platform": platform,
                        "kind": kind,
                        "target": target,
                        "ref": ref,
                        "ws": 1 if platform == "slack" else None,
                        "project": 1 if platform == "slack" else None,
                        "status": "sent" if ref else "pending",
                    },
                )
        migrate.upgrade(engine)
        database = Database(db_url)
        with database.session() as session:
            rows = {n.key: n for n in session.exec(select(Notification))}
        database.dispose()
    finally:
        engine.dispose()

    def where(key: str) -> tuple[str, Destination, str | None, str | None]:
        row = rows[key]
        return row.action, Destination.from_dict(row.destination), row.update_of, row.message_id

    assert where("slack-post") == ("send", Destination.channel("T1", "C1"), None, None)
    assert where("slack-dm") == ("send", Destination.dm("T1", "U2", project_channel="C1"), None, None)
    assert where("slack-sent") == ("send", Destination.dm("T1", "D2", project_channel="C1"), None, "1.5")
    assert where("feishu-thread") == ("send", Destination("", "thread", "oc_g", reply_to="om_1"), None, None)
    assert where("feishu-p2p") == (
        "send",
        Destination.dm("", "oc_p", reply_to="om_2", project_channel="oc_g"),
        None,
        None,
    )
    assert where("summary-update")[::2] == ("update", "slack-sent")
    card = where("card-update")
    assert (card[0], MessageRef(card[1], card[3])) == (
        "update",
        MessageRef(Destination.channel("T1", "D2", project_channel="C1"), "1.7"),
    )
    assert where("console-dm") == ("send", Destination.dm("", "alice"), None, "3")


@pytest.mark.postgres
def test_upgrade_of_a_current_database_takes_no_lock(pg_server) -> None:
    """A process starting while another migrates (or holds the lock) does not wait when the
    schema is already at head: the revision check comes first."""
    url = pg_server.create_database("t_current_no_lock")
    database = Database(url)
    database.upgrade()
    holder = pg_server.connect("t_current_no_lock")
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (migrate.MIGRATION_LOCK_KEY,))
        thread = threading.Thread(target=database.upgrade)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive(), "upgrade of a current database waited for the migration lock"
    finally:
        holder.close()
        database.dispose()
