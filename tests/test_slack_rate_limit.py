"""Rate limits: a 429 is retried after its Retry-After (inline when short, by the outbox when
long) and the message is delivered exactly once; sends are paced per channel."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from handlers.destination import Destination
from handlers.replies import Reply
from storage.models import Notification
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake  # noqa: F401 - fixtures


def _queue(bot: SlackBot, key: str, channel: str = "C1") -> None:
    bot.queue(key, Destination.channel("T1", channel), Reply(text=key))


def test_a_short_rate_limit_is_waited_out_and_the_message_sent_once(slack_bot: SlackBot) -> None:
    bot = slack_bot
    bot.fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    _queue(bot, "limited-once")
    assert bot.adapter.deliver() == 1
    attempts = bot.fake.of("chat.postMessage", ok=False)
    assert [c.status for c in attempts] == [429, 200]
    assert 1.0 in bot.sleeps  # waited Retry-After on the injected sleeper, not in real time


def test_a_long_rate_limit_waits_in_the_outbox_until_retry_after(slack_bot: SlackBot, db) -> None:
    bot = slack_bot
    bot.fake.rate_limit("chat.postMessage", times=1, retry_after=30)
    _queue(bot, "limited-long")
    assert bot.adapter.deliver() == 0
    with db.session() as session:
        row = session.exec(select(Notification).where(Notification.key == "limited-long")).one()
    assert row.status == "pending" and row.next_attempt_at >= bot.clock.now() + timedelta(seconds=30)
    assert "ratelimited" in row.last_error and 30.0 not in bot.sleeps

    bot.clock.advance(timedelta(seconds=29))
    assert bot.adapter.deliver() == 0  # not before Retry-After
    bot.clock.advance(timedelta(seconds=2))
    assert bot.adapter.deliver() == 1
    assert bot.adapter.deliver() == 0
    assert len(bot.fake.of("chat.postMessage")) == 1


def test_sends_to_one_channel_are_paced_about_one_per_second(slack_bot: SlackBot) -> None:
    bot = slack_bot
    for n in range(3):
        _queue(bot, f"burst-{n}")
    _queue(bot, "elsewhere", channel="C2")
    assert bot.adapter.deliver() == 4
    sent = [(c.body["channel"], round(c.at, 3)) for c in bot.fake.of("chat.postMessage")]
    assert sent == [("C1", 0.0), ("C1", 1.0), ("C1", 2.0), ("C2", 2.0)]  # C2 does not wait for C1
    bot.monotonic += 5
    _queue(bot, "after-a-pause")
    assert bot.adapter.deliver() == 1
    assert bot.fake.of("chat.postMessage")[-1].at == 7.0  # an idle channel sends at once
