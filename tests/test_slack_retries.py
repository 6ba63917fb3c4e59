"""Retried deliveries — an HTTP retry with X-Slack-Retry-Num, a Socket Mode redelivery, the same
event id twice — never create a second record nor post a second answer."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.models import Task
from tests.support import slack_payloads as p
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake, texts  # noqa: F401 - fixtures


def _tasks(db) -> list[str]:
    with db.session() as session:
        return list(session.exec(select(Task.title)))


@pytest.mark.parametrize("via", ["http", "socket"])
def test_a_retried_slash_command_creates_one_task(slack_bot: SlackBot, db, via: str) -> None:
    bot = slack_bot
    bot.ok('init "Retries"', command="/project")
    payload = p.command('add "Exactly once"', trigger="trig-same", response_url=bot.fake.response_url("same"))
    for attempt in range(3):
        headers = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "timeout"} if attempt else None
        status, _ = bot.deliver(payload, "form", via=via, headers=headers)
        assert status == 200
    assert _tasks(db) == ["Exactly once"]
    assert len(bot.posts()) == 2  # the charter and the task, once


@pytest.mark.parametrize("via", ["http", "socket"])
def test_a_retried_mention_event_creates_one_task(slack_bot: SlackBot, db, via: str) -> None:
    bot = slack_bot
    bot.ok('init "Retries"', command="/project")
    event = p.app_mention('<@UBOT> /task add "From a mention" due:fri', event_id="EvRetry1")
    bot.event(event, via=via)
    bot.event(event, via=via, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert _tasks(db) == ["From a mention"]
    assert len(bot.posts()) == 2 and "#1 From a mention" in texts(bot.last_post().blocks)


def test_a_repeated_click_acts_once(slack_bot: SlackBot, db) -> None:
    bot = slack_bot
    bot.ok('init "Retries"', command="/project")
    bot.ok('add "Click twice"')
    card = bot.last_post()
    for _ in range(2):
        bot.click(card, "Snooze 1 day", trigger="trig-click")
    assert len(bot.fake.of("chat.update")) == 1
    with db.session() as session:
        assert str(session.exec(select(Task.due_date)).one()) == "2026-11-26"


def test_a_mention_without_a_command_gets_a_hint_once(slack_bot: SlackBot) -> None:
    bot = slack_bot
    event = p.app_mention("<@UBOT> hello there", event_id="EvHint")
    bot.event(event)
    bot.event(event, headers={"X-Slack-Retry-Num": "1"})
    hints = bot.fake.of("chat.postEphemeral")
    assert len(hints) == 1 and "Mention me with a command" in hints[0].body["text"]
