"""Several replicas on one PostgreSQL: exactly one runs the scheduler while the others tick as
followers; another takes over when the leader dies, and no message is sent twice."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from storage.database import Database
from tests.chat import Chat
from tests.support.postgres import PostgresServer
from tests.support.processes import ROOT, pmbot_env
from tests.support.waiting import wait_until

NOW = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai: standups are due


def _holder(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted"
            )
        ).scalar()


def _replica(url: str, name: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.replica", f"{url}?application_name={name}", str(log), NOW.isoformat()],
        env=pmbot_env(),
        cwd=ROOT,
    )


def _records(log: Path, proc: subprocess.Popen) -> list[dict[str, Any]]:
    """What one replica logged (see tests/support/replica.py)."""
    records = (json.loads(line) for line in log.read_text(encoding="utf-8").splitlines())
    return [r for r in records if r["pid"] == proc.pid]


def _sent(log: Path, proc: subprocess.Popen) -> list[str]:
    return [r["title"] for r in _records(log, proc) if "sent" in r]


def _ticks(log: Path, proc: subprocess.Popen, role: str) -> int:
    return sum(1 for r in _records(log, proc) if r.get("tick") == role)


@pytest.mark.postgres
def test_one_leader_takeover_after_kill_and_no_duplicates(pg_server: PostgresServer, tmp_path: Path) -> None:
    url = pg_server.create_database("leader_election")
    db = Database(url)
    db.upgrade()
    chat = Chat(db, start=NOW)
    chat.ok("pm", '/project init "Alpha" tz:Asia/Shanghai')
    log = tmp_path / "replicas.log"
    log.touch()
    a = _replica(url, "replica-a", log)
    b = None
    try:
        assert wait_until(lambda: _holder(db), 20, 0.05) == "replica-a"
        b = _replica(url, "replica-b", log)
        assert wait_until(lambda: any("Standup time — Alpha" in t for t in _sent(log, a)), 20, 0.05)
        assert wait_until(lambda: _ticks(log, b, "follower") >= 2, 20, 0.05)  # b runs, and only follows
        assert _holder(db) == "replica-a" and _sent(log, b) == [] and _ticks(log, b, "leader") == 0
        a.kill()
        a.wait(timeout=10)
        started = time.monotonic()
        assert wait_until(lambda: _holder(db) == "replica-b", 20, 0.05)
        takeover = time.monotonic() - started
        chat.ok("pm", '/project init "Beta" tz:Asia/Shanghai', channel="C2")
        assert wait_until(lambda: any("Standup time — Beta" in t for t in _sent(log, b)), 20, 0.05)
    finally:
        for proc in (a, b):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        db.dispose()
    sent_by_a, sent_by_b = _sent(log, a), _sent(log, b)
    assert len(sent_by_a + sent_by_b) == len(set(sent_by_a + sent_by_b)), f"duplicated: {sent_by_a} {sent_by_b}"
    assert all("Alpha" in t for t in sent_by_a) and all("Beta" in t for t in sent_by_b)
    assert _ticks(log, b, "leader") >= 1
    assert takeover < 60
