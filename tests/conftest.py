"""Shared fixtures.

Databases (every test that takes `db_url` or `db` runs twice: ids `sqlite` and `postgresql`):

    pg_server  session-scoped `tests.support.postgres.PostgresServer`, a throwaway PostgreSQL 15
               cluster started on first use (so `pytest -m "not postgres"` never starts one)
               and stopped at the end of the session. `pg_server.create_database(name)`
               returns a URL; names must be unique within the session.
    db_url     URL of a fresh, empty database: a file in `tmp_path` for sqlite, a new database
               `t_<n>` on `pg_server` for postgresql (marked `pytest.mark.postgres`).
    db         `storage.database.Database(db_url)` already migrated to head; disposed after
               the test. Use `db.session()` for ORM work, `db.engine` / `db.dialect` otherwise.

    def test_something(db):
        with db.session() as session:
            ...

The PostgreSQL binaries come from /usr/lib/postgresql/15/bin (PMBOT_PG_BIN overrides;
`make test` installs them via scripts/ensure-postgres.sh). If the server cannot start the
postgresql tests fail with the initdb/pg_ctl output; they are never skipped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from storage.database import Database
from tests.support.postgres import PostgresServer

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pmbot.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")  # started lazily, here
    return server.create_database(f"t_{next(_database_numbers)}")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.upgrade()
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def chat(db: Database):
    """A `tests.chat.Chat` on a migrated database (runs on SQLite and PostgreSQL)."""
    from tests.chat import Chat

    return Chat(db)
