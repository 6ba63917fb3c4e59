"""Several replicas on one PostgreSQL: exactly one runs the scheduler while the others tick as
followers; another takes over when the leader dies or freezes, and no message is sent twice.
Leading blocks nothing else: `pmbot tick` and `pmbot db upgrade` run meanwhile, and the leader
keeps no transaction open."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.scheduler import LEADER_LEASE
from storage.database import Database
from storage.leases import holder_of
from tests.chat import Chat
from tests.support.postgres import PostgresServer
from tests.support.processes import ROOT, pmbot, pmbot_env
from tests.support.waiting import wait_until

NOW = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai: standups are due
INTERVAL = 2  # the replicas' tick interval, in seconds; the lease lasts as long


def _holder(db: Database) -> int | None:
    """The process id of the replica holding an unexpired leader lease (holder `host:pid:nonce`)."""
    holder = holder_of(db.engine, LEADER_LEASE)
    return int(holder.split(":")[1]) if holder else None


def _replica(url: str, name: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.support.replica", f"{url}?application_name={name}"),
            *(str(log), NOW.isoformat(), str(INTERVAL)),
        ],
        env=pmbot_env(),
        cwd=ROOT,
    )


@dataclass
class Replicas:
    """Replica processes on one database holding project Alpha, whose standup is due at NOW."""

    url: str
    db: Database
    chat: Chat
    log: Path
    procs: list[subprocess.Popen] = field(default_factory=list)

    def start(self, name: str) -> subprocess.Popen:
        proc = _replica(self.url, name, self.log)
        self.procs.append(proc)
        return proc

    def leader(self) -> subprocess.Popen:
        """Start replica-a and wait until it leads."""
        a = self.start("replica-a")
        assert wait_until(lambda: _holder(self.db), 20, 0.05) == a.pid
        return a


@contextmanager
def _replicas(pg_server: PostgresServer, name: str, tmp_path: Path) -> Iterator[Replicas]:
    url = pg_server.create_database(name)
    db = Database(url)
    db.upgrade()
    chat = Chat(db, start=NOW)
    chat.ok("pm", '/project init "Alpha" tz:Asia/Shanghai')
    replicas = Replicas(url, db, chat, tmp_path / "replicas.log")
    replicas.log.touch()
    try:
        yield replicas
    finally:
        for proc in replicas.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)  # a frozen process is killed too
                proc.kill()
                proc.wait(timeout=10)
        db.dispose()


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
    with _replicas(pg_server, "leader_election", tmp_path) as replicas:
        db, log = replicas.db, replicas.log
        a = replicas.leader()
        b = replicas.start("replica-b")
        assert wait_until(lambda: any("Standup time — Alpha" in t for t in _sent(log, a)), 20, 0.05)
        assert wait_until(lambda: _ticks(log, b, "follower") >= 2, 20, 0.05)  # b runs, and only follows
        assert _holder(db) == a.pid and _sent(log, b) == [] and _ticks(log, b, "leader") == 0
        a.kill()
        a.wait(timeout=10)
        started = time.monotonic()
        assert wait_until(lambda: _holder(db) == b.pid, 20, 0.05)
        takeover = time.monotonic() - started
        replicas.chat.ok("pm", '/project init "Beta" tz:Asia/Shanghai', channel="C2")
        assert wait_until(lambda: any("Standup time — Beta" in t for t in _sent(log, b)), 20, 0.05)
    sent_by_a, sent_by_b = _sent(log, a), _sent(log, b)
    assert len(sent_by_a + sent_by_b) == len(set(sent_by_a + sent_by_b)), f"duplicated: {sent_by_a} {sent_by_b}"
    assert all("Alpha" in t for t in sent_by_a) and all("Beta" in t for t in sent_by_b)
    assert _ticks(log, b, "leader") >= 1
    assert takeover < 60


@pytest.mark.postgres
def test_a_frozen_leader_is_replaced_within_one_interval(pg_server: PostgresServer, tmp_path: Path) -> None:
    """SIGSTOP keeps the leader's connections open; its lease still runs out and b leads."""
    with _replicas(pg_server, "leader_frozen", tmp_path) as replicas:
        a = replicas.leader()
        b = replicas.start("replica-b")
        assert wait_until(lambda: _ticks(replicas.log, b, "follower") >= 1, 20, 0.05)
        os.kill(a.pid, signal.SIGSTOP)
        frozen = time.monotonic()
        assert wait_until(lambda: _holder(replicas.db) == b.pid, 20, 0.02), "the frozen leader kept leadership"
        takeover = time.monotonic() - frozen
        assert wait_until(lambda: _ticks(replicas.log, b, "leader") >= 1, 20, 0.05)
    # The lease lasts one interval and followers try three times per interval; the rest is slack
    # for a loaded machine.
    assert takeover < 2 * INTERVAL, f"took {takeover:.1f} s"


@pytest.mark.postgres
def test_tick_and_db_upgrade_run_while_a_replica_leads(pg_server: PostgresServer, tmp_path: Path) -> None:
    """Leading holds nothing other processes wait for: a one-shot tick and a migration complete."""
    with _replicas(pg_server, "leader_and_others", tmp_path) as replicas:
        a = replicas.leader()
        upgraded = pmbot("db", "upgrade", "--db", replicas.url, cwd=tmp_path, timeout=60)
        ticked = pmbot("tick", "--db", replicas.url, "--now", NOW.isoformat(), cwd=tmp_path, timeout=60)
        assert _holder(replicas.db) == a.pid
    assert upgraded.returncode == 0 and "Database at revision" in upgraded.stdout, upgraded.stderr
    assert ticked.returncode == 0 and "message(s) sent" in ticked.stderr, ticked.stderr


@pytest.mark.postgres
def test_the_leader_keeps_no_transaction_open(pg_server: PostgresServer, tmp_path: Path) -> None:
    """A transaction left open between ticks ("idle in transaction") would be cut by
    `idle_in_transaction_session_timeout` and holds back vacuum: none outlives a tick."""
    long_open: list[Any] = []
    with _replicas(pg_server, "leader_idle", tmp_path) as replicas:
        a = replicas.leader()

        def watch() -> bool:
            with replicas.db.engine.connect() as conn:
                long_open.extend(
                    conn.execute(
                        text(
                            "SELECT state, query FROM pg_stat_activity WHERE application_name = 'replica-a' "
                            "AND xact_start < clock_timestamp() - make_interval(secs => :secs)"
                        ),
                        {"secs": INTERVAL},
                    ).all()
                )
            return _ticks(replicas.log, a, "leader") >= 4

        assert wait_until(watch, 30, 0.1)
    assert long_open == []
