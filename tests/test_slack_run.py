"""End to end: `pmbot run` in HTTP mode against the fake Slack API, configured from the
environment only, driven by a plain HTTP client sending signed slash commands."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support import slack_payloads as p
from tests.support.fake_slack import FakeSlack
from tests.support.waiting import free_port, healthy, wait_until

SECRET = "e2e-signing-secret"




def test_pmbot_run_answers_signed_slash_commands_over_http(tmp_path: Path) -> None:
    port = free_port()
    with FakeSlack() as fake:
        env = {**os.environ, "PMBOT_CONSOLE__ENABLED": "false", "PMBOT_SCHEDULER__ENABLED": "false",
               "PMBOT_HTTP__PORT": str(port), "PMBOT_STORAGE__URL": f"sqlite:///{tmp_path / 'e2e.db'}",
               "PMBOT_SLACK__ENABLED": "true", "PMBOT_SLACK__MODE": "http", "PMBOT_SLACK__BOT_TOKEN": "xoxb-T1",
               "PMBOT_SLACK__SIGNING_SECRET": SECRET, "PMBOT_SLACK__API_BASE_URL": fake.api_url}
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            base = f"http://127.0.0.1:{port}"
            assert wait_until(lambda: healthy(f"{base}/healthz") or proc.poll() is not None, 30, 0.05)
            assert proc.poll() is None, proc.communicate()[1]
            assert httpx.get(f"{base}/healthz").json()["adapters"] == ["slack"]
            commands = [("/project", 'init "End to end"'), ("/task", 'add "Over HTTP" due:fri')]
            for n, (command, text) in enumerate(commands):
                body = p.form_body(p.command(text, command=command, trigger=f"e2e-{n}",
                                             response_url=fake.response_url(f"e2e-{n}")))
                headers = p.signed(body, SECRET, content_type="application/x-www-form-urlencoded")
                response = httpx.post(f"{base}/slack/events", content=body, headers=headers, timeout=10)
                assert response.status_code == 200, response.text
                posts = fake.wait_for("chat.postMessage", n + 1, timeout=20)  # acked at once, answered after
            assert posts[-1].token == "xoxb-T1" and "#1 Over HTTP" in posts[-1].text
            forged = httpx.post(f"{base}/slack/events", content=body, headers={**headers, "X-Slack-Signature": "v0=0"})
            assert forged.status_code == 401
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _out, err = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                _out, err = proc.communicate()
        assert proc.returncode == 0, err
