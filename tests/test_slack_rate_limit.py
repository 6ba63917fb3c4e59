"""Rate limits: a 429 is retried by the outbox after its Retry-After, without counting a failed
attempt, and backs the workspace off meanwhile; the message is delivered exactly once. Sends are
paced per channel without holding other channels up."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from handlers.destination import Destination
from handlers.replies import Reply
from storage.models import Notification
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake  # noqa: F401 - fixtures


def _queue(bot: SlackBot, key: str, channel: str = "C1") -> None:
    bot.queue(key, Destination.channel("T1", channel), Reply(text=key))


def _row(db, key: str) -> Notification:
    with db.session() as session:
        return session.exec(select(Notification).where(Notification.key == key)).one()


def test_a_rate_limit_is_retried_after_retry_after_and_is_not_a_failed_attempt(slack_bot: SlackBot, db) -> None:
    bot = slack_bot
    bot.fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    _queue(bot, "limited-once")
    assert bot.adapter.deliver() == 1
    attempts = bot.fake.of("chat.postMessage", ok=False)
    assert [(c.status, c.at) for c in attempts] == [(429, 0.0), (200, 1.0)]  # not before Retry-After
    assert _row(db, "limited-once").attempts == 1  # only the send that went through counts


def test_a_long_rate_limit_backs_the_workspace_off_in_the_outbox(slack_bot: SlackBot, db) -> None:
    bot = slack_bot
    bot.fake.rate_limit("chat.postMessage", times=1, retry_after=30)
    _queue(bot, "limited-long")
    _queue(bot, "same-workspace", channel="C2")
    assert bot.adapter.deliver() == 0  # neither goes within the adapter's settle window
    row = _row(db, "limited-long")
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.next_attempt_at >= bot.clock.now() + timedelta(seconds=30)
    assert "ratelimited" in row.last_error and 30.0 not in bot.sleeps  # no sender slept through it
    assert len(bot.fake.of("chat.postMessage", ok=False)) == 1  # C2 was held back, not sent into the limit
    assert _row(db, "same-workspace").attempts == 0

    bot.clock.advance(timedelta(seconds=30))  # both clocks move, as real time does
    bot.monotonic += 30
    assert bot.adapter.deliver() == 2
    assert bot.adapter.deliver() == 0
    assert len(bot.fake.of("chat.postMessage")) == 2


def test_a_busy_channel_does_not_hold_up_another_one(slack_bot: SlackBot) -> None:
    bot = slack_bot
    for n in range(3):
        _queue(bot, f"burst-{n}")
    _queue(bot, "elsewhere", channel="C2")
    assert bot.adapter.deliver() == 4
    sent = [(c.body["channel"], c.body["text"], round(c.at, 3)) for c in bot.fake.of("chat.postMessage")]
    assert sent == [
        ("C1", "burst-0", 0.0),
        ("C2", "elsewhere", 0.0),  # C2 does not wait for C1
        ("C1", "burst-1", 1.0),  # one a second in C1, in the order queued
        ("C1", "burst-2", 2.0),
    ]
    assert bot.sleeps == [1.0, 1.0]  # the outbox waited for C1's slots; no send slept
    bot.monotonic += 5
    _queue(bot, "after-a-pause")
    assert bot.adapter.deliver() == 1
    assert bot.fake.of("chat.postMessage")[-1].at == 7.0  # an idle channel sends at once
