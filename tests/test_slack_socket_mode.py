"""Socket Mode for real: `start()` asks apps.connections.open for a WebSocket URL, connects, and
answers the envelopes pushed through it — acked by envelope id, answered through the Web API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from storage.database import Database
from storage.models import Task
from tests.support import slack_payloads as p
from tests.support.fake_slack import FakeSlack
from tests.support.slack_bot import USERS, SlackBot
from tests.support.waiting import wait_until


@pytest.fixture
def bot(tmp_path) -> Iterator[SlackBot]:
    # SQLite only: closing the SDK's connection takes its 3-second receive timeout, once is enough.
    db = Database(f"sqlite:///{tmp_path / 'pmbot.db'}")
    db.upgrade()
    with FakeSlack(users=dict(USERS)) as fake:
        fake.serve_websocket()
        bot = SlackBot(db, fake, mode="socket", app_token="xapp-1-test", signing_secret="")
        bot.adapter.start()
        try:
            yield bot
        finally:
            bot.close()
            db.dispose()


def _push(bot: SlackBot, n: int, kind: str, payload: dict, retry: int | None = None) -> None:
    """Push one envelope and wait until it is acknowledged and everything it started is done."""
    envelope = {
        "envelope_id": f"env-{n}",
        "type": kind,
        "payload": payload,
        "accepts_response_payload": kind != "events_api",
    }
    if retry is not None:
        envelope.update(retry_attempt=retry, retry_reason="timeout")
    bot.fake.push(envelope)
    assert wait_until(lambda: any(a.get("envelope_id") == f"env-{n}" for a in bot.fake.ws_answers), 10)
    bot.settle()


def test_commands_and_events_arrive_over_the_socket_and_are_acknowledged(bot: SlackBot) -> None:
    assert wait_until(lambda: bot.fake.ws_connected, 10), "never connected"
    assert bot.fake.of("apps.connections.open")[0].token == "xapp-1-test"
    url = bot.fake.response_url
    _push(
        bot,
        1,
        "slash_commands",
        p.command('init "Over the socket"', command="/project", trigger="s-1", response_url=url("s-1")),
    )
    _push(bot, 2, "slash_commands", p.command('add "Socket task"', trigger="s-2", response_url=url("s-2")))
    mention = p.app_mention('<@UBOT> /task add "From a socket mention"', event_id="EvSock")
    _push(bot, 3, "events_api", mention)
    _push(bot, 4, "events_api", mention, retry=1)  # Slack redelivers: nothing happens twice
    assert [a["envelope_id"] for a in bot.fake.ws_answers] == ["env-1", "env-2", "env-3", "env-4"]
    with bot.deps.db.session() as session:
        assert sorted(session.exec(select(Task.title))) == ["From a socket mention", "Socket task"]
    # The started adapter's own delivery thread may be sending the last answer: wait for it, bounded.
    assert wait_until(lambda: len(bot.posts()) == 3, 10), bot.posts()
    assert bot.adapter.outbox.deliver() == 0 and len(bot.posts()) == 3  # and nothing is sent twice
