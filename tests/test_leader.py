"""Several replicas on one PostgreSQL: exactly one runs the scheduler while the others tick as
followers; another takes over when the leader dies or freezes, and no message is sent twice.
Leading blocks nothing else: `pmbot tick` and `pmbot db upgrade` run meanwhile, and the leader
keeps no transaction open."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.support.postgres import PostgresServer
from tests.support.processes import pmbot
from tests.support.replicas import INTERVAL, NOW, holder, replicas_on, sent, ticks
from tests.support.waiting import wait_until


@pytest.mark.postgres
def test_one_leader_takeover_after_kill_and_no_duplicates(pg_server: PostgresServer, tmp_path: Path) -> None:
    with replicas_on(pg_server, "leader_election", tmp_path) as replicas:
        db, log = replicas.db, replicas.log
        a = replicas.leader()
        b = replicas.start("replica-b")
        assert wait_until(lambda: any("Standup time — Alpha" in t for t in sent(log, a)), 20, 0.05)
        assert wait_until(lambda: ticks(log, b, "follower") >= 2, 20, 0.05)  # b runs, and only follows
        assert holder(db) == a.pid and sent(log, b) == [] and ticks(log, b, "leader") == 0
        a.kill()
        a.wait(timeout=10)
        started = time.monotonic()
        assert wait_until(lambda: holder(db) == b.pid, 20, 0.05)
        takeover = time.monotonic() - started
        replicas.chat.ok("pm", '/project init "Beta" tz:Asia/Shanghai', channel="C2")
        assert wait_until(lambda: any("Standup time — Beta" in t for t in sent(log, b)), 20, 0.05)
    sent_by_a, sent_by_b = sent(log, a), sent(log, b)
    assert len(sent_by_a + sent_by_b) == len(set(sent_by_a + sent_by_b)), f"duplicated: {sent_by_a} {sent_by_b}"
    assert all("Alpha" in t for t in sent_by_a) and all("Beta" in t for t in sent_by_b)
    assert ticks(log, b, "leader") >= 1
    assert takeover < 60


@pytest.mark.postgres
def test_a_frozen_leader_is_replaced_within_one_interval(pg_server: PostgresServer, tmp_path: Path) -> None:
    """SIGSTOP keeps the leader's connections open; its lease still runs out and b leads."""
    with replicas_on(pg_server, "leader_frozen", tmp_path) as replicas:
        a = replicas.leader()
        b = replicas.start("replica-b")
        assert wait_until(lambda: ticks(replicas.log, b, "follower") >= 1, 20, 0.05)
        os.kill(a.pid, signal.SIGSTOP)
        frozen = time.monotonic()
        assert wait_until(lambda: holder(replicas.db) == b.pid, 20, 0.02), "the frozen leader kept leadership"
        takeover = time.monotonic() - frozen
        assert wait_until(lambda: ticks(replicas.log, b, "leader") >= 1, 20, 0.05)
    # The lease lasts one interval and followers try three times per interval; the rest is slack
    # for a loaded machine.
    assert takeover < 2 * INTERVAL, f"took {takeover:.1f} s"


@pytest.mark.postgres
def test_tick_and_db_upgrade_run_while_a_replica_leads(pg_server: PostgresServer, tmp_path: Path) -> None:
    """Leading holds nothing other processes wait for: a one-shot tick and a migration complete."""
    with replicas_on(pg_server, "leader_and_others", tmp_path) as replicas:
        a = replicas.leader()
        upgraded = pmbot("db", "upgrade", "--db", replicas.url, cwd=tmp_path, timeout=60)
        ticked = pmbot("tick", "--db", replicas.url, "--now", NOW.isoformat(), cwd=tmp_path, timeout=60)
        assert holder(replicas.db) == a.pid
    assert upgraded.returncode == 0 and "Database at revision" in upgraded.stdout, upgraded.stderr
    assert ticked.returncode == 0 and "message(s) sent" in ticked.stderr, ticked.stderr


@pytest.mark.postgres
def test_the_leader_keeps_no_transaction_open(pg_server: PostgresServer, tmp_path: Path) -> None:
    """A transaction left open between ticks ("idle in transaction") would be cut by
    `idle_in_transaction_session_timeout` and holds back vacuum: none outlives a tick."""
    long_open: list[Any] = []
    with replicas_on(pg_server, "leader_idle", tmp_path) as replicas:
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
            return ticks(replicas.log, a, "leader") >= 4

        assert wait_until(watch, 30, 0.1)
    assert long_open == []
