"""Engine and sessions. SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL by URL.

Concurrency rules shared by every writer: a row that many transactions may create at once (a
workspace, a member, the day's standup) is created with `insert_absent` (`INSERT … ON CONFLICT
DO NOTHING`, then select), and a transaction that lost a race anyway (`is_retryable`) is run
again from the start by its caller, which then sees the winner's committed rows.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session, SQLModel, create_engine, select

__all__ = ["Database", "insert_absent", "insert_new", "is_current", "is_outage", "is_retryable", "script_head"]

Row = TypeVar("Row", bound=SQLModel)

# PostgreSQL's serialization_failure and deadlock_detected: the transaction is safe to run again.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """The engine for `url`. `hide_parameters`: statement parameters (task titles, standup
    answers) never appear in an error's text, so a failing statement logs no user content.
    `pool_pre_ping` (PostgreSQL): a connection the server dropped (a restart) is replaced before
    use instead of failing the next command."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def insert_absent(session: Session, row: Row, *unique: str) -> Row:
    """Insert `row` unless a row with the same `unique` column values exists — before, or
    committed meanwhile by a concurrent transaction (PostgreSQL waits for it, then skips) — and
    return the row that is there. Racing first writers thus all succeed and share one row."""
    insert_new(session, row, *unique)
    model = type(row)
    match = [getattr(model, name) == getattr(row, name) for name in unique]
    return session.exec(select(model).where(*match)).one()


def insert_new(session: Session, row: SQLModel, *unique: str) -> bool:
    """`INSERT … ON CONFLICT (unique) DO NOTHING`: True when `row` was inserted, False when a row
    with the same `unique` values exists. No savepoint is needed, so on SQLite (where pysqlite
    begins the transaction only at the first DML, and a savepoint opened before it commits on
    release) the insert belongs to the caller's transaction like any other write."""
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {
        column.name: getattr(row, column.name)
        for column in table.columns
        if getattr(row, column.name, None) is not None  # unset: the column default applies
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    result = session.connection().execute(
        insert(table).values(**values).on_conflict_do_nothing(index_elements=list(unique))
    )
    return bool(result.rowcount)


def is_retryable(exc: BaseException) -> bool:
    """Whether running the failed transaction again can succeed: it lost a race for a unique
    row, a serialization check or a deadlock (PostgreSQL), SQLite's write lock, or its
    connection was dropped by the server (nothing of it was committed)."""
    if isinstance(exc, IntegrityError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:  # the server went away (a restart): the pool has fresh ones
        return True
    sqlstate = getattr(exc.orig, "pgcode", None) or getattr(exc.orig, "sqlstate", None)
    return sqlstate in _RETRYABLE_SQLSTATES or "database is locked" in str(exc.orig)


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached (down, restarting, refusing
    connections) rather than that a statement was wrong: the user is asked to try again later."""
    if not isinstance(exc, DBAPIError):
        return False
    return exc.connection_invalidated or (isinstance(exc, OperationalError) and exc.statement is None)


class Database:
    """One engine per process; short sessions per inbound message or job."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def upgrade(self) -> None:
        """Bring the schema to the newest migration. A current schema is recognised by one query
        without importing Alembic (`is_current`), so start-up and `pmbot tick` pay nothing for it."""
        if is_current(self.engine):
            return
        from storage.migrate import upgrade

        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


_REVISION = re.compile(r"^(down_)?revision\b[^=\n]*=\s*(.+)$", re.MULTILINE)
VERSIONS_DIR = Path(__file__).parent / "migrations" / "versions"


@lru_cache(maxsize=1)
def script_head() -> str | None:
    """The newest migration's revision, read from the scripts' `revision`/`down_revision` lines
    (what Alembic's ScriptDirectory computes, without importing Alembic and every script; a test
    holds them equal). None unless there is exactly one head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        for down, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            names = ast.literal_eval(value.strip())
            names = names if isinstance(names, (tuple, list)) else (names,)
            (parents if down else revisions).update(n for n in names if n)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest migration: one query on `alembic_version`."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        versions = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    head = script_head()
    return head is not None and versions == {head}
