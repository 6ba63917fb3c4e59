"""Replicas of the scheduler on one PostgreSQL, for the leader tests (tests/test_leader.py,
tests/test_faults_replicas.py): each is a process of tests/support/replica.py appending what it
does to one shared log, read back per process.

    with replicas_on(pg_server, "name", tmp_path) as replicas:
        a = replicas.leader()          # replica-a, once it holds the lease
        b = replicas.start("replica-b")
        wait_until(lambda: ticks(replicas.log, b, "follower") >= 1, 20)
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.scheduler import LEADER_LEASE
from storage.database import Database
from storage.leases import holder_of
from tests.chat import Chat
from tests.support.postgres import PostgresServer
from tests.support.processes import ROOT, pmbot_env
from tests.support.waiting import wait_until

__all__ = ["INTERVAL", "NOW", "Replicas", "holder", "records", "replicas_on", "sent", "ticks"]

NOW = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai: standups are due
INTERVAL = 2  # the replicas' tick interval, in seconds; the lease lasts as long


def holder(db: Database) -> int | None:
    """The process id of the replica holding an unexpired leader lease (holder `host:pid:nonce`)."""
    lease_holder = holder_of(db.engine, LEADER_LEASE)
    return int(lease_holder.split(":")[1]) if lease_holder else None


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
        assert wait_until(lambda: holder(self.db), 20, 0.05) == a.pid
        return a


@contextmanager
def replicas_on(pg_server: PostgresServer, name: str, tmp_path: Path) -> Iterator[Replicas]:
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


def records(log: Path, proc: subprocess.Popen) -> list[dict[str, Any]]:
    """What one replica logged (see tests/support/replica.py)."""
    records = (json.loads(line) for line in log.read_text(encoding="utf-8").splitlines())
    return [r for r in records if r["pid"] == proc.pid]


def sent(log: Path, proc: subprocess.Popen) -> list[str]:
    return [r["title"] for r in records(log, proc) if "sent" in r]


def ticks(log: Path, proc: subprocess.Popen, role: str) -> int:
    return sum(1 for r in records(log, proc) if r.get("tick") == role)
