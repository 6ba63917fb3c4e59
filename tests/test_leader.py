"""Several replicas on one PostgreSQL: exactly one runs the scheduler; another takes over when it dies."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import Database
from tests.chat import Chat
from tests.support.postgres import PostgresServer
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 1, 30, tzinfo=timezone.utc)  # 09:30 in Shanghai: standups are due


def _holder(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted")).scalar()


def _replica(url: str, name: str, sent: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.support.replica", f"{url}?application_name={name}",
                             str(sent), NOW.isoformat()], env=env, cwd=ROOT)


@pytest.mark.postgres
def test_one_leader_takeover_after_kill_and_no_duplicates(pg_server: PostgresServer, tmp_path: Path) -> None:
    url = pg_server.create_database("leader_election")
    db = Database(url)
    db.upgrade()
    chat = Chat(db, start=NOW)
    chat.ok("pm", '/project init "Alpha" tz:Asia/Shanghai')
    sent = tmp_path / "sent.log"
    sent.touch()
    a = _replica(url, "replica-a", sent)
    b = None
    try:
        assert wait_until(lambda: _holder(db), 20, 0.05) == "replica-a"
        b = _replica(url, "replica-b", sent)
        assert wait_until(lambda: "Standup time — Alpha" in sent.read_text(), 20, 0.05)
        time.sleep(0.1)  # replica b ticks as a follower meanwhile
        assert _holder(db) == "replica-a"
        a.kill()
        a.wait(timeout=10)
        started = time.monotonic()
        assert wait_until(lambda: _holder(db) == "replica-b", 20, 0.05)
        takeover = time.monotonic() - started
        chat.ok("pm", '/project init "Beta" tz:Asia/Shanghai', channel="C2")
        assert wait_until(lambda: "Standup time — Beta" in sent.read_text(), 20, 0.05)
    finally:
        for proc in (a, b):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        db.dispose()
    lines = sent.read_text().splitlines()
    messages = [line.split(" ", 1)[1] for line in lines]
    assert len(messages) == len(set(messages)), f"duplicated: {lines}"
    senders = {line.split(" ", 1)[0] for line in lines}
    assert senders == {str(a.pid), str(b.pid)}  # a sent Alpha's prompt, b (after takeover) Beta's
    assert takeover < 60
