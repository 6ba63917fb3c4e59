"""Inbound requests: acks never wait, acknowledged work is durable, private answers go through the outbox.

Driven through the real Slack adapter (signed HTTP to the bolt app) on the fake Slack API, on
SQLite and PostgreSQL. A worker is blocked with a threading.Event (never a sleep) to show what
the ack does not wait for; a crash is simulated by failing the answer's outbox insert.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.inbox import KeyedExecutor
from storage.database import Database
from storage.inbox import InboxItem
from storage.models import Notification, ProcessedEvent, Project, Task
from tests.support import slack_payloads as p
from tests.support.fake_slack import FakeSlack
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake  # noqa: F401 - fixtures
from tests.support.waiting import wait_until

CHANNEL_KEY = "T1:C1"  # workspace:channel, the order key of channel C1


@pytest.fixture
def blocked(slack_bot: SlackBot) -> Iterator[threading.Event]:
    """Channel C1's worker queue is busy until the event is set (set at the end in any case)."""
    release = threading.Event()
    slack_bot.adapter.executor.submit(CHANNEL_KEY, lambda: release.wait(10))
    yield release
    release.set()


def rows(db: Database, model: type) -> list:
    with db.session() as session:
        return list(session.exec(select(model)))


def test_ack_returns_while_the_channel_worker_is_blocked(slack_bot: SlackBot, blocked, db: Database) -> None:
    status, body = slack_bot.command('init "ERP"', command="/project", settle=False)

    assert status == 200 and body == ""  # acknowledged while nothing could run
    [item] = rows(db, InboxItem)
    assert item.status == "pending" and item.key.startswith("slack:cmd:")
    assert rows(db, Project) == []  # stored, not yet run

    blocked.set()
    slack_bot.settle()
    assert [r.name for r in rows(db, Project)] == ["ERP"]
    assert [i.status for i in rows(db, InboxItem)] == ["done"]
    assert "ERP" in slack_bot.last_post().text


def test_one_channel_runs_in_arrival_order_others_in_parallel(slack_bot: SlackBot, blocked, db: Database) -> None:
    slack_bot.command('init "ERP"', command="/project", settle=False)
    slack_bot.command('add "Migrate orders" @U1', settle=False)
    slack_bot.command('init "Other"', command="/project", channel="C2", settle=False)

    # C2 is not held up by C1's busy worker
    assert wait_until(lambda: [r.name for r in rows(db, Project)] == ["Other"])
    assert rows(db, Task) == []

    blocked.set()
    slack_bot.settle()
    assert [t.title for t in rows(db, Task)] == ["Migrate orders"]  # it saw the project made before it
    assert not [c for c in slack_bot.fake.calls if "no project" in c.text.lower()]


def test_a_crash_before_the_answer_commits_leaves_nothing_and_the_request_runs_again(
    slack_bot: SlackBot,
    db: Database,
) -> None:
    def crash(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATION"):
            raise RuntimeError("killed while queueing the answer")

    event.listen(db.engine, "before_cursor_execute", crash)
    try:
        status, _ = slack_bot.command('init "ERP"', command="/project")
    finally:
        event.remove(db.engine, "before_cursor_execute", crash)

    assert status == 200
    assert rows(db, Project) == [] and rows(db, ProcessedEvent) == [] and rows(db, Notification) == []
    assert [i.status for i in rows(db, InboxItem)] == ["pending"]

    assert slack_bot.adapter.inbox.recover() == 1  # what start-up does after a crash
    slack_bot.settle()
    assert [r.name for r in rows(db, Project)] == ["ERP"]
    assert [i.status for i in rows(db, InboxItem)] == ["done"]
    assert len(slack_bot.posts()) == 1


def test_a_retried_delivery_creates_nothing_twice(slack_bot: SlackBot, db: Database) -> None:
    slack_bot.ok('init "ERP"', command="/project")
    for _ in range(2):
        assert slack_bot.command('add "Once"', trigger="trig-same")[0] == 200
    slack_bot.adapter.inbox.recover()  # a sweep or a restart finds nothing left to do
    slack_bot.settle()

    assert [t.title for t in rows(db, Task)] == ["Once"]
    assert len([c for c in slack_bot.posts() if "Once" in c.text]) == 1
    assert len([i for i in rows(db, InboxItem) if i.key == "slack:cmd:trig-same"]) == 1


def test_a_request_that_cannot_be_stored_is_not_acknowledged(slack_bot: SlackBot, db: Database) -> None:
    def down(_conn, _cursor, statement: str, *_args: object) -> None:
        if "INSERT INTO inbox" in statement:
            raise ConnectionError("database unreachable")

    event.listen(db.engine, "before_cursor_execute", down)
    try:
        status, body = slack_bot.command('init "ERP"', command="/project")
        event_status, _ = slack_bot.event(p.app_mention('<@UBOT> /project init "ERP"', event_id="EvDown"))
    finally:
        event.remove(db.engine, "before_cursor_execute", down)

    assert status == 200 and "try again" in body  # the ack tells the user; nothing was taken
    assert event_status == 500  # Slack retries the event
    assert rows(db, InboxItem) == [] and rows(db, Project) == []


def test_private_answers_are_outbox_rows_sent_by_response_url(slack_bot: SlackBot, db: Database) -> None:
    slack_bot.ok('init "ERP"', command="/project")
    slack_bot.command("list", trigger="trig-list")

    [row] = [n for n in rows(db, Notification) if n.key == "slack:cmd:trig-list:ephemeral"]
    assert row.status == "sent" and row.destination["kind"] == "ephemeral" and row.destination["user"] == "U1"
    [answer] = [c for c in slack_bot.responses() if c.path.endswith("/trig-list")]
    assert answer.body["response_type"] == "ephemeral"
    assert row.destination["reply_url"].endswith("/trig-list")  # stored with the row, for the send


def test_an_expired_response_url_falls_back_to_post_ephemeral(slack_bot: SlackBot, slack_fake: FakeSlack) -> None:
    slack_bot.ok('init "ERP"', command="/project")
    slack_bot.command("list", response_url=slack_fake.response_url("expired-1"))

    [sent] = slack_fake.of("chat.postEphemeral")
    assert sent.body["user"] == "U1" and sent.body["channel"] == "C1"


def test_the_response_url_never_appears_in_reprs_or_errors(slack_bot: SlackBot, slack_fake: FakeSlack) -> None:
    from handlers.destination import Destination

    url = slack_fake.response_url("secret-capability")
    assert url not in repr(Destination("T1", "ephemeral", "C1", user="U1", reply_url=url))


def test_keyed_executor_runs_a_key_in_order_and_keys_in_parallel() -> None:
    executor = KeyedExecutor(2)
    release, seen = threading.Event(), []
    executor.submit("a", lambda: release.wait(10))
    executor.submit("a", lambda: seen.append("a2"))
    executor.submit("b", lambda: seen.append("b1"))
    assert wait_until(lambda: seen == ["b1"])  # b ran while a was busy; a2 waits its turn
    release.set()
    assert executor.wait_idle(10) and seen == ["b1", "a2"]
    executor.shutdown()


# --- Feishu -----------------------------------------------------------------------------------


@pytest.fixture
def feishu(db: Database) -> Iterator:
    from tests.support.fake_feishu import FakeFeishu
    from tests.support.feishu_bot import FeishuBot

    with FakeFeishu() as fake:
        bot = FeishuBot(db, fake)
        try:
            yield bot
        finally:
            bot.adapter.stop()


def test_feishu_events_are_stored_once_and_a_storage_failure_is_not_acknowledged(feishu, db: Database) -> None:
    from tests.support import feishu_payloads as fp

    bot_mention = fp.mention("@_user_1", "ou_bot", "pmbot")
    init = feishu.payload(fp.message, '@_user_1 /project init "ERP"', mentions=[bot_mention], message_id="om_1")

    def down(_conn, _cursor, statement: str, *_args: object) -> None:
        if "INSERT INTO inbox" in statement:
            raise ConnectionError("database unreachable")

    event.listen(db.engine, "before_cursor_execute", down)
    try:
        assert feishu.send(init).status_code == 500  # Feishu pushes it again
    finally:
        event.remove(db.engine, "before_cursor_execute", down)
    assert rows(db, InboxItem) == [] and rows(db, Project) == []

    feishu.do(init)
    feishu.do({**init, "header": {**init["header"], "event_id": "ev-replayed"}})  # a replay: same message
    assert feishu.deliver() == 1
    assert [r.name for r in rows(db, Project)] == ["ERP"]
    assert [(i.key, i.status) for i in rows(db, InboxItem)] == [("feishu:msg:om_1", "done")]
