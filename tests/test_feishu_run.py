"""End to end: `pmbot run` in HTTP mode against the fake Feishu API, driven by a plain HTTP
client sending encrypted, signed events — configuration from the environment only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.support import feishu_payloads as p
from tests.support.fake_feishu import FakeFeishu
from tests.support.processes import running_pmbot
from tests.support.waiting import wait_until

ENCRYPT_KEY = "e2e-encrypt-key"
TOKEN = "e2e-token"


def test_pmbot_run_answers_feishu_events_over_http(tmp_path: Path) -> None:
    app_id = f"cli_e2e_{uuid.uuid4().hex[:8]}"
    with (
        FakeFeishu() as fake,
        running_pmbot(
            tmp_path,
            {
                "PMBOT_FEISHU__ENABLED": "true",
                "PMBOT_FEISHU__MODE": "http",
                "PMBOT_FEISHU__APP_ID": app_id,
                "PMBOT_FEISHU__APP_SECRET": "s3cret",
                "PMBOT_FEISHU__ENCRYPT_KEY": ENCRYPT_KEY,
                "PMBOT_FEISHU__VERIFICATION_TOKEN": TOKEN,
                "PMBOT_FEISHU__DOMAIN": fake.url,
            },
        ) as bot,
    ):
        assert httpx.get(f"{bot.url}/healthz").json()["adapters"] == ["feishu"]
        mention = p.mention("@_user_1", "ou_bot", "pmbot")
        for text in ('@_user_1 /项目 初始化 "端到端"', "@_user_1 /任务 新建 端到端任务 截止:明天"):
            body = p.message(text, token=TOKEN, app_id=app_id, mentions=[mention])
            raw, headers = p.signed(body, encrypt_key=ENCRYPT_KEY, now=datetime.now(UTC))
            response = httpx.post(f"{bot.url}/feishu/events", content=raw, headers=headers, timeout=10)
            assert response.status_code == 200, response.text
        assert wait_until(lambda: len(fake.sent("reply")) == 2, 30, 0.05), fake.calls
        assert fake.sent("reply")[-1].card["header"]["title"]["content"] == "#1 端到端任务"
        assert fake.of_path("/open-apis/auth/v3/tenant_access_token/internal")[0].body["app_id"] == app_id
