"""kill -9 of `pmbot run` in the middle of a burst of signed slash commands, then a restart, on
SQLite and PostgreSQL: every command that got an HTTP 200 ack has its effect exactly once and its
answer delivered; nothing runs twice.

Each command is `/project init "Bnnn"` in its own channel `Cnnn`, so its effect is one project
and its answer one chat.postMessage to that channel, counted at the fake Slack. The one repeat
Slack allows is measured, not hidden: a message the fake accepted whose "sent" mark the killed
process had not yet written (sent marks are written in groups, bot/outbox.py) is sent again once
its lease expires, because chat.postMessage has no idempotency key. Such a repeat may only be a
row that was leased ("sending") at the kill, and at most one repeat; the count is
printed (`pytest -s`) for RELIABILITY.md. The 5-minute lease is expired while the bot is down
(rather than waited for) so the restart sends those rows at once.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import update
from sqlmodel import select

from storage.database import Database
from storage.models import Notification, Project
from tests.support import slack_payloads as p
from tests.support.fake_slack import FakeSlack
from tests.support.processes import RunningPmbot, settled, slack_settings, start_pmbot, stop_pmbot
from tests.support.waiting import wait_until

SECRET = "kill-signing-secret"
COMMANDS = 60
CONCURRENT = 8
KILL_AFTER = 20  # acks received before the kill


def _settings(fake: FakeSlack, db_url: str) -> dict[str, str]:
    return {**slack_settings(fake.api_url, SECRET), "PMBOT_STORAGE__URL": db_url}


def _send(bot: RunningPmbot, n: int) -> bool:
    """One signed `/project init` in channel Cnnn; True if the bot acknowledged it (an empty 200:
    a 200 with text says the request could not be stored)."""
    body = p.form_body(p.command(f'init "B{n:03d}"', command="/project", channel=f"C{n:03d}", trigger=f"kill-{n}"))
    headers = p.signed(body, SECRET, content_type="application/x-www-form-urlencoded")
    try:
        response = httpx.post(f"{bot.url}/slack/events", content=body, headers=headers, timeout=10)
        return response.status_code == 200 and not response.content
    except httpx.HTTPError:
        return False  # the process died with the request open, or was already gone


def _burst_and_kill(bot: RunningPmbot) -> set[int]:
    """Fire the burst; SIGKILL the bot once KILL_AFTER acks are in. The acked commands."""
    acked: set[int] = set()
    lock = threading.Lock()
    enough = threading.Event()

    def one(n: int) -> None:
        if _send(bot, n):
            with lock:
                acked.add(n)
                if len(acked) >= KILL_AFTER:
                    enough.set()

    with ThreadPoolExecutor(CONCURRENT) as pool:
        for n in range(COMMANDS):
            pool.submit(one, n)
        assert enough.wait(60), "the bot did not acknowledge enough commands"
        os.kill(bot.process.pid, signal.SIGKILL)
    bot.process.wait(timeout=10)
    with lock:
        return set(acked)


def _leased_channels(db: Database) -> set[str]:
    """Channels of the answers leased for sending when the process died."""
    with db.session() as session:
        rows = session.exec(select(Notification).where(Notification.status == "sending")).all()
    return {str(row.destination.get("id")) for row in rows}


def _expire_leases(db: Database) -> None:
    """What waiting out the outbox lease would do: the rows leased by the dead process are due."""
    with db.session() as session:
        session.execute(
            update(Notification).where(Notification.status == "sending").values(next_attempt_at=datetime.now(UTC))
        )
        session.commit()


def test_acknowledged_commands_survive_kill_9_exactly_once(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    db.upgrade()
    try:
        with FakeSlack() as fake:
            bot = start_pmbot(tmp_path, _settings(fake, db_url))
            try:
                acked = _burst_and_kill(bot)
            finally:
                stop_pmbot(bot.process)
            leased = _leased_channels(db)
            _expire_leases(db)
            restarted = start_pmbot(tmp_path, _settings(fake, db_url))
            try:
                assert wait_until(lambda: settled(db), 60, 0.1), restarted.output()
            finally:
                stop_pmbot(restarted.process)
            posts = fake.of("chat.postMessage")
        with db.session() as session:
            projects = Counter(project.name for project in session.exec(select(Project)))
    finally:
        db.dispose()

    per_channel = Counter(str(call.body.get("channel")) for call in posts)
    repeated = {channel for channel, count in per_channel.items() if count > 1}
    print(f"\nkill -9: {len(acked)} acked of {COMMANDS}, {len(leased)} leased at the kill, {len(repeated)} repeated")

    assert len(acked) >= KILL_AFTER
    assert all(projects[f"B{n:03d}"] == 1 for n in acked), "an acknowledged command was lost"
    assert all(per_channel[f"C{n:03d}"] >= 1 for n in acked), "an acknowledged answer was lost"
    assert max(projects.values()) == 1, "a command ran twice"
    assert repeated <= leased, f"sent twice without being in flight at the kill: {repeated - leased}"
    assert all(count <= 2 for count in per_channel.values())
