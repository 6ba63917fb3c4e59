"""End to end: `pmbot run` in HTTP mode against the fake Feishu API, driven by a plain HTTP
client sending encrypted, signed events — configuration from the environment only."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import httpx

from tests.support import feishu_payloads as p
from tests.support.fake_feishu import FakeFeishu
from tests.support.waiting import free_port, healthy, wait_until

ENCRYPT_KEY = "e2e-encrypt-key"
TOKEN = "e2e-token"


def test_pmbot_run_answers_feishu_events_over_http(tmp_path: Path) -> None:
    port = free_port()
    app_id = f"cli_e2e_{uuid.uuid4().hex[:8]}"
    with FakeFeishu() as fake:
        env = {**os.environ, "PMBOT_CONSOLE__ENABLED": "false", "PMBOT_SCHEDULER__ENABLED": "false",
               "PMBOT_HTTP__PORT": str(port), "PMBOT_STORAGE__URL": f"sqlite:///{tmp_path / 'e2e.db'}",
               "PMBOT_FEISHU__ENABLED": "true", "PMBOT_FEISHU__MODE": "http", "PMBOT_FEISHU__APP_ID": app_id,
               "PMBOT_FEISHU__APP_SECRET": "s3cret", "PMBOT_FEISHU__ENCRYPT_KEY": ENCRYPT_KEY,
               "PMBOT_FEISHU__VERIFICATION_TOKEN": TOKEN, "PMBOT_FEISHU__DOMAIN": fake.url}
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            base = f"http://127.0.0.1:{port}"
            assert wait_until(lambda: healthy(f"{base}/healthz") or proc.poll() is not None, 30, 0.05), "never became healthy"
            assert proc.poll() is None, proc.communicate()[1]
            assert httpx.get(f"{base}/healthz").json()["adapters"] == ["feishu"]
            bot = p.mention("@_user_1", "ou_bot", "pmbot")
            for text in ('@_user_1 /项目 初始化 "端到端"', "@_user_1 /任务 新建 端到端任务 截止:明天"):
                body = p.message(text, token=TOKEN, app_id=app_id, mentions=[bot])
                raw, headers = p.signed(body, encrypt_key=ENCRYPT_KEY, now=datetime.now(timezone.utc))
                response = httpx.post(f"{base}/feishu/events", content=raw, headers=headers, timeout=10)
                assert response.status_code == 200, response.text
            assert wait_until(lambda: len(fake.sent("reply")) == 2, 30, 0.05), fake.calls
            assert fake.sent("reply")[-1].card["header"]["title"]["content"] == "#1 端到端任务"
            assert fake.of_path("/open-apis/auth/v3/tenant_access_token/internal")[0].body["app_id"] == app_id
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _out, err = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                _out, err = proc.communicate()
        assert proc.returncode == 0, err
