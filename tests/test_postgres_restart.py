"""PostgreSQL restarted under a running bot (issue 10): commands meanwhile are answered "try
again", /healthz says degraded with the reason, and afterwards both recover by themselves (pool
pre-ping, dropped connections retried) — on a server of its own, so the shared one is undisturbed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from bot.health import Health
from storage.database import Database
from storage.models import Task
from tests.chat import Chat
from tests.support.postgres import PostgresServer


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.mark.postgres
def test_the_bot_recovers_from_a_database_restart_by_itself(own_server: PostgresServer) -> None:
    db = Database(own_server.create_database("restart"))
    db.upgrade()
    chat = Chat(db)
    health = Health(db, chat.clock, cache_seconds=0)
    try:
        chat.ok("alice", '/project init "Restart"')
        chat.ok("alice", '/task add "Before" @alice')  # the pool now holds connections to the old server
        assert health.reasons() == []

        own_server.halt()
        assert "try again in a minute" in chat.fail("alice", '/task add "During" @alice')
        assert health.reasons()[0].startswith("database unreachable")

        own_server.resume()
        assert health.reasons() == []
        chat.ok("alice", '/task add "After" @alice')
        with db.session() as session:
            assert sorted(session.exec(select(Task.title))) == ["After", "Before"]
    finally:
        db.dispose()
