"""End to end: `pmbot run` in HTTP mode against the fake Slack API, configured from the
environment only, driven by a plain HTTP client sending signed slash commands."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support import slack_payloads as p
from tests.support.fake_slack import FakeSlack
from tests.support.processes import running_pmbot

SECRET = "e2e-signing-secret"


def test_pmbot_run_answers_signed_slash_commands_over_http(tmp_path: Path) -> None:
    with (
        FakeSlack() as fake,
        running_pmbot(
            tmp_path,
            {
                "PMBOT_SLACK__ENABLED": "true",
                "PMBOT_SLACK__MODE": "http",
                "PMBOT_SLACK__BOT_TOKEN": "xoxb-T1",
                "PMBOT_SLACK__SIGNING_SECRET": SECRET,
                "PMBOT_SLACK__API_BASE_URL": fake.api_url,
            },
        ) as bot,
    ):
        assert httpx.get(f"{bot.url}/healthz").json()["adapters"] == ["slack"]
        commands = [("/project", 'init "End to end"'), ("/task", 'add "Over HTTP" due:fri')]
        for n, (command, text) in enumerate(commands):
            body = p.form_body(
                p.command(text, command=command, trigger=f"e2e-{n}", response_url=fake.response_url(f"e2e-{n}"))
            )
            headers = p.signed(body, SECRET, content_type="application/x-www-form-urlencoded")
            response = httpx.post(f"{bot.url}/slack/events", content=body, headers=headers, timeout=10)
            assert response.status_code == 200, response.text
            posts = fake.wait_for("chat.postMessage", n + 1, timeout=20)  # acked at once, answered after
        assert posts[-1].token == "xoxb-T1" and "#1 Over HTTP" in posts[-1].text
        forged = httpx.post(f"{bot.url}/slack/events", content=body, headers={**headers, "X-Slack-Signature": "v0=0"})
        assert forged.status_code == 401
