"""Three scheduler replicas on one PostgreSQL: each scheduled message is posted exactly once, the
leader's death hands the lease to one of the others within one tick interval, and a `pmbot run`
replica started while another leads is healthy at once (start-up waits on neither the leader
lease nor migrations)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.support.fake_slack import FakeSlack
from tests.support.postgres import PostgresServer
from tests.support.processes import running_pmbot, slack_settings
from tests.support.replicas import INTERVAL, holder, replicas_on, sent, ticks
from tests.support.waiting import wait_until


@pytest.mark.postgres
def test_three_replicas_post_each_message_once_and_one_takes_over(pg_server: PostgresServer, tmp_path: Path) -> None:
    with replicas_on(pg_server, "three_replicas", tmp_path) as replicas:
        log = replicas.log
        a = replicas.leader()
        others = [replicas.start("replica-b"), replicas.start("replica-c")]
        assert wait_until(lambda: any("Standup time — Alpha" in t for t in sent(log, a)), 20, 0.05)
        assert wait_until(lambda: all(ticks(log, r, "follower") >= 2 for r in others), 20, 0.05)
        assert holder(replicas.db) == a.pid and all(sent(log, r) == [] for r in others)

        a.kill()
        a.wait(timeout=10)
        killed = time.monotonic()
        assert wait_until(lambda: holder(replicas.db) in {r.pid for r in others}, 20, 0.02)
        takeover = time.monotonic() - killed
        heir = next(r for r in others if r.pid == holder(replicas.db))
        replicas.chat.ok("pm", '/project init "Beta" tz:Asia/Shanghai', channel="C2")
        assert wait_until(lambda: any("Standup time — Beta" in t for t in sent(log, heir)), 20, 0.05)
        assert wait_until(lambda: ticks(log, heir, "leader") >= 3, 20, 0.05)  # a few more ticks: no repeat
    print(f"\nthree replicas: took over in {takeover:.2f} s")
    everything = [title for proc in replicas.procs for title in sent(log, proc)]
    assert [t for t, n in Counter(everything).items() if n > 1] == [], f"posted twice: {everything}"
    assert [ticks(log, r, "leader") > 0 for r in others].count(True) == 1  # one heir, never two leaders
    # The dead leader's lease runs one interval; followers try three times per interval.
    assert takeover < 2 * INTERVAL, f"took {takeover:.1f} s"


@pytest.mark.postgres
def test_a_replica_starting_while_another_leads_is_healthy_at_once(pg_server: PostgresServer, tmp_path: Path) -> None:
    with replicas_on(pg_server, "replica_startup", tmp_path) as replicas, FakeSlack() as fake:
        a = replicas.leader()
        settings = {
            "PMBOT_STORAGE__URL": replicas.url,
            "PMBOT_SCHEDULER__ENABLED": "true",
            **slack_settings(fake.api_url, "replica-secret"),
        }
        started = time.monotonic()
        with running_pmbot(tmp_path, settings) as bot:  # entered once /healthz answers 200
            healthy_after = time.monotonic() - started
            health = httpx.get(f"{bot.url}/healthz", timeout=5).json()
            # a never lets go of the lease: a start-up waiting on it would never have become healthy
            assert holder(replicas.db) == a.pid and a.poll() is None
    print(f"\nhealthy after {healthy_after:.2f} s while another replica leads")
    assert health["status"] == "ok", health
