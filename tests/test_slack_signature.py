"""HTTP mode verifies Slack's request signature: forged or stale requests are refused with 401
and change nothing."""

from __future__ import annotations

import logging
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


def _signed_post(bot: SlackBot, body: bytes, content_type: str, **headers: str):
    signed = p.signed(body.decode("latin-1"), "test-signing-secret", content_type=content_type)
    if body != body.decode("latin-1").encode():  # sign the raw bytes, as Slack would
        import hashlib
        import hmac

        base = b"v0:" + signed["X-Slack-Request-Timestamp"].encode() + b":" + body
        signed["X-Slack-Signature"] = "v0=" + hmac.new(b"test-signing-secret", base, hashlib.sha256).hexdigest()
    response = bot.http.post("/slack/events", content=body, headers={**signed, **headers})
    bot.settle()
    return response


def test_a_non_numeric_timestamp_is_refused_not_a_server_error(slack_bot: SlackBot, db) -> None:
    body = p.form_body(p.command('init "Odd"', command="/project"))
    for stamp in ("soon", "", "1e9", "-5"):
        headers = {**p.signed(body, "test-signing-secret", content_type="application/x-www-form-urlencoded")}
        headers["X-Slack-Request-Timestamp"] = stamp
        assert slack_bot.http.post("/slack/events", content=body, headers=headers).status_code == 401, stamp
    _nothing_happened(slack_bot, db)


def test_signed_bodies_that_cannot_be_read_get_400(slack_bot: SlackBot, db) -> None:
    """Only Slack can sign, but a bug or a proxy may mangle a body: a 4xx, never a 500."""
    deep = b"[" * 100_000 + b"]" * 100_000
    cases = [
        (b'{"type": "event_callback", "event": {', "application/json"),  # truncated
        (b"not json at all", "application/json"),
        (deep, "application/json"),
        (b"payload=" + deep, "application/x-www-form-urlencoded"),
        (b'payload={"type": "block_actions", ', "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00command=/project", "application/x-www-form-urlencoded"),
    ]
    for body, content_type in cases:
        assert _signed_post(slack_bot, body, content_type).status_code == 400, body[:40]
    _nothing_happened(slack_bot, db)


def test_refused_requests_leave_their_bodies_out_of_the_log(slack_bot: SlackBot, db, caplog) -> None:
    secret_text = "MARKER-body-should-never-be-logged"
    payload = p.command(f'init "{secret_text}"', command="/project", response_url="https://hooks.slack.com/x/y")
    with caplog.at_level(logging.DEBUG):
        status, _ = slack_bot.deliver(payload, "form", secret="not-the-secret")
        slack_bot.deliver(payload, "form", timestamp=int(time.time()) - 3600)
    assert status == 401
    assert caplog.records, "a refusal is logged"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert secret_text not in logged and "hooks.slack.com" not in logged
    _nothing_happened(slack_bot, db)


def test_single_token_mode_serves_only_the_tokens_team(slack_bot: SlackBot, db) -> None:
    """The configured token is team T1's (auth.test): a signed request for T2 must not create a
    workspace T2 nor act in it."""
    status, _ = slack_bot.deliver(p.command('init "Elsewhere"', command="/project", team="T2"), "form")
    assert status == 403
    _nothing_happened(slack_bot, db)
    status, _ = slack_bot.deliver(p.command('init "Home"', command="/project", team="T1"), "form")
    assert status == 200 and len(slack_bot.posts()) == 1
