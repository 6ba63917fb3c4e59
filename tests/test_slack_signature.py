"""HTTP mode verifies Slack's request signature: forged or stale requests are refused with 401
and change nothing."""

from __future__ import annotations

import time

from sqlmodel import select

from storage.models import ProcessedEvent, Project
from tests.support import slack_payloads as p
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake  # noqa: F401 - fixtures


def _nothing_happened(bot: SlackBot, db) -> None:
    with db.session() as session:
        assert session.exec(select(Project)).all() == [] and session.exec(select(ProcessedEvent)).all() == []
    assert not bot.posts() and not bot.responses()


def test_a_request_signed_with_another_secret_is_refused(slack_bot: SlackBot, db) -> None:
    status, _ = slack_bot.deliver(p.command('init "Forged"', command="/project"), "form", secret="not-the-secret")
    assert status == 401
    _nothing_happened(slack_bot, db)


def test_a_request_older_than_five_minutes_is_refused(slack_bot: SlackBot, db) -> None:
    stale = int(time.time()) - 6 * 60
    status, _ = slack_bot.deliver(p.command('init "Replayed"', command="/project"), "form", timestamp=stale)
    assert status == 401
    _nothing_happened(slack_bot, db)


def test_a_tampered_body_is_refused(slack_bot: SlackBot, db) -> None:
    body = p.form_body(p.command('init "Original"', command="/project"))
    headers = p.signed(body, "test-signing-secret", content_type="application/x-www-form-urlencoded")
    response = slack_bot.http.post("/slack/events", content=body.replace("Original", "Tampered"), headers=headers)
    slack_bot.settle()
    assert response.status_code == 401
    _nothing_happened(slack_bot, db)


def test_a_correctly_signed_request_is_accepted(slack_bot: SlackBot) -> None:
    status, _ = slack_bot.deliver(
        p.command('init "Genuine"', command="/project"), "form", timestamp=int(time.time()) - 60
    )
    assert status == 200 and len(slack_bot.posts()) == 1
