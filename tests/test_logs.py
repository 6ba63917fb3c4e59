"""What reaches the log (issue 10, reliability 7 and 9): no secrets, capability URLs or user
content through the one handler `bot.logs.configure` installs; a database outage logs one
traceback and then counts."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.config import load
from bot.logs import Handler, configure, secrets_of
from handlers import core as core_module
from handlers.context import Context
from handlers.core import Core
from storage.database import Database
from storage.logs import RepeatLog
from tests.support import slack_payloads as p
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake  # noqa: F401 - fixtures

HOSTILE = "Quarterly plan for ACME-SECRET-TITLE"
RESPONSE_URL = "https://hooks.slack.com/commands/T1/123/CapabilitySecret"


@pytest.fixture
def logged() -> Iterator[tuple[Handler, io.StringIO]]:
    """The bot's handler, writing to a buffer, on the root logger for the test."""
    out = io.StringIO()
    handler = configure(stream=out)
    handler.setStream(out)
    try:
        yield handler, out
    finally:
        logging.getLogger().removeHandler(handler)


def test_tokens_urls_and_configured_secrets_are_redacted(logged) -> None:
    handler, out = logged
    config = load(
        environ={"PMBOT_FEISHU__APP_SECRET": "feishu-app-secret-42", "PMBOT_SLACK__SIGNING_SECRET": "sig-0123"}
    )
    handler.redactor.add_secrets(secrets_of(config))
    log = logging.getLogger("pmbot.test")
    log.error("token %s and %s", "xoxb-1234-5678-abcdef", "xapp-1-A1-99-ff")
    log.error("posting to %s and, escaped, %s", RESPONSE_URL, RESPONSE_URL.replace("/", "\\/"))
    log.error("form: response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2FCapabilitySecret&x=1")
    log.error("feishu token t-g1044qeGEDXTB6NDJOXO6ZR2 secret %s and %s", "feishu-app-secret-42", "sig-0123")
    logged_text = out.getvalue()
    for leaked in ("1234-5678", "A1-99", "CapabilitySecret", "g1044qeGEDXTB6", "feishu-app-secret-42", "sig-0123"):
        assert leaked not in logged_text
    assert logged_text.count("[redacted]") >= 7


def test_slack_bolts_refusal_line_keeps_no_body(logged, monkeypatch) -> None:
    _, out = logged
    # bolt sets its logger's level from the WebClient's when an App is built (earlier tests);
    # at INFO the refusal line is written, so that is the level to check.
    monkeypatch.setattr(logging.getLogger("slack_bolt.App"), "level", logging.INFO)
    logging.getLogger("slack_bolt.App").info(
        f"Invalid request signature detected (signature: v0=1, timestamp: 1, body: text={HOSTILE}&team_id=T1)"
    )
    logging.getLogger("slack_bolt.App").warning(
        f"A global middleware (x) skipped calling either `next()` or `next_()` without providing a response for the request ({{'text': '{HOSTILE}'}})"
    )
    assert "Invalid request signature detected" in out.getvalue()
    assert HOSTILE not in out.getvalue()


def test_a_forged_request_leaves_no_body_in_the_log(logged, slack_bot: SlackBot) -> None:
    _, out = logged
    payload = p.command(f'init "{HOSTILE}"', command="/project", response_url=RESPONSE_URL)
    status, _ = slack_bot.deliver(payload, "form", secret="not-the-secret")
    assert status == 401
    assert HOSTILE not in out.getvalue() and "CapabilitySecret" not in out.getvalue()


def test_a_failing_statement_logs_no_parameters(logged, db: Database) -> None:
    _, out = logged
    with pytest.raises(DBAPIError) as failed, db.engine.connect() as conn:
        conn.execute(text("INSERT INTO no_such_table (title) VALUES (:title)"), {"title": HOSTILE})
    logging.getLogger("pmbot.test").error("statement failed", exc_info=failed.value)
    assert "no_such_table" in out.getvalue()  # the statement is there, its parameters are not
    assert HOSTILE not in out.getvalue() and HOSTILE not in str(failed.value)


class Steps:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_repeated_failures_log_one_traceback_then_a_count(caplog) -> None:
    clock = Steps()
    repeats = RepeatLog(logging.getLogger("pmbot.test"), window=10, clock=clock)
    error = OperationalError("SELECT 1", {}, Exception("connection refused"))
    with caplog.at_level(logging.INFO):
        for step in range(1300):  # 13 s of failures, 100 a second
            clock.now = step / 100
            repeats.failure("database unreachable", error)
    assert [bool(r.exc_info) for r in caplog.records] == [True, False]
    assert "1000 more times in the last 10 s" in caplog.records[1].getMessage()
    clock.now = 30  # quiet for a whole window: a new outage gets its traceback again
    with caplog.at_level(logging.INFO):
        repeats.failure("database unreachable", error)
    assert caplog.records[-1].exc_info


def test_a_command_during_an_outage_is_asked_to_retry_and_logs_one_traceback(caplog, monkeypatch) -> None:
    monkeypatch.setattr(core_module, "_DB_FAILURES", RepeatLog(core_module.log))  # no streak from other tests
    core = Core(Database("postgresql+psycopg2://pmbot@127.0.0.1:1/none"))  # nothing listens on port 1
    ctx = Context(platform="console", workspace="w", channel="c", user="u", now=datetime.now(UTC))
    with caplog.at_level(logging.INFO):
        replies = [core.handle_text(ctx, "/task list") for _ in range(20)]
    assert all(r is not None and r.error and "try again in a minute" in r.text for r in replies)
    assert sum(1 for r in caplog.records if r.exc_info) == 1
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1  # the repeats are counted
