"""Engine and sessions. SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL by URL.

Concurrency rules shared by every writer: a row that many transactions may create at once (a
workspace, a member, the day's standup) is created with `insert_absent` (`INSERT … ON CONFLICT
DO NOTHING`, then select), and a transaction that lost a race anyway (`is_retryable`) is run
again from the start by its caller, which then sees the winner's committed rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel, create_engine, select

__all__ = ["Database", "insert_absent", "insert_new", "is_retryable"]

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
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


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
    row, a serialization check or a deadlock (PostgreSQL), or SQLite's write lock."""
    if isinstance(exc, IntegrityError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "pgcode", None) or getattr(exc.orig, "sqlstate", None)
    return sqlstate in _RETRYABLE_SQLSTATES or "database is locked" in str(exc.orig)


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
        """Bring the schema to the newest migration."""
        from storage.migrate import upgrade

        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
