"""The Feishu adapter on a fake Feishu, driven the way Feishu drives it: signed, encrypted
requests through the SDK's own dispatcher (`handler.do(RawRequest)`), answers delivered by the
outbox to the fake API. Time is a ManualClock; the pacer sleeps on a fake clock."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from bot.adapters import AdapterDeps
from bot.clock import ManualClock
from bot.config import Config
from bot.feishu import create_adapter
from bot.outbox import Outbox
from bot.runtime import defaults_from
from handlers.core import Core
from handlers.destination import Destination, MessageRef
from handlers.replies import Reply
from storage.database import Database
from tests.support import feishu_payloads as p
from tests.support.fake_feishu import FakeFeishu
from tests.support.waiting import SLOW_MACHINE

START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wed 10:00 in Asia/Shanghai
ENCRYPT_KEY = "test-encrypt-key"
TOKEN = "test-verification-token"


def feishu_config(fake_url: str, app_id: str, mode: str = "http") -> Config:
    return Config.model_validate(
        {
            "console": {"enabled": False},
            "scheduler": {"enabled": False},
            "defaults": {"timezone": "Asia/Shanghai", "locale": "zh"},
            "feishu": {
                "enabled": True,
                "mode": mode,
                "app_id": app_id,
                "app_secret": "secret",
                "verification_token": TOKEN,
                "encrypt_key": ENCRYPT_KEY,
                "domain": fake_url,
            },
        }
    )


class FeishuBot:
    def __init__(self, db: Database, fake: FakeFeishu, *, mode: str = "http", **adapter_options: Any) -> None:
        self.fake = fake
        fake.clock = lambda: self.monotonic  # calls are stamped on the pacer's (fake) clock
        self.app_id = f"cli_{uuid.uuid4().hex[:12]}"  # the SDK caches tokens per app_id
        self.clock = ManualClock(START)
        self.monotonic = 0.0
        self.sleeps: list[float] = []
        config = feishu_config(fake.url, self.app_id, mode)
        core = Core(db, defaults_from(config))
        self.deps = AdapterDeps(config=config.feishu, core=core, db=db, clock=self.clock, outbox=Outbox(db, self.clock))
        self.adapter = create_adapter(
            self.deps, monotonic=lambda: self.monotonic, sleep=self._sleep, request_clock=self.clock, **adapter_options
        )
        self.core = core

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.monotonic += seconds

    # --- Feishu -> bot -----------------------------------------------------------------
    def send(self, body: dict[str, Any]) -> Any:
        """Send one event/callback through the SDK's dispatcher, as Feishu's push would; returns
        the SDK's response, whatever its status."""
        from lark_oapi.core.model import RawRequest

        raw, headers = p.signed(body, encrypt_key=ENCRYPT_KEY, now=self.clock.now())
        request = RawRequest()
        request.uri = "/feishu/events"
        request.body = raw
        request.headers = headers
        response = self.adapter.dispatcher().do(request)
        assert self.adapter.executor.wait_idle(SLOW_MACHINE), "a stored event was not processed"
        return response

    def do(self, body: dict[str, Any]) -> Any:
        """`send`, asserting the answer is HTTP 200 (Feishu re-pushes anything else)."""
        response = self.send(body)
        assert response.status_code == 200, response.content
        return response

    def say(self, text: str, **kw: Any) -> dict[str, Any]:
        body = p.message(text, token=TOKEN, app_id=self.app_id, **kw)
        self.do(body)
        return body

    def click(self, value: dict[str, Any], **kw: Any) -> dict[str, Any]:
        response = self.do(p.card_action(value, token=TOKEN, app_id=self.app_id, **kw))
        return json.loads(response.content)

    def payload(self, build: Any, *args: Any, **kw: Any) -> dict[str, Any]:
        return build(*args, token=TOKEN, app_id=self.app_id, **kw)

    def queue(self, key: str, destination: Destination, reply: Reply, *, replaces: MessageRef | None = None) -> None:
        """Queue a message as the scheduler or an event handler does; `deliver()` sends it."""
        self.core.queue("feishu", key, destination, reply, now=self.clock.now(), replaces=replaces)

    # --- bot -> Feishu -----------------------------------------------------------------
    def deliver(self) -> int:
        """Send what is queued, once the workers processed every stored event."""
        assert self.adapter.executor.wait_idle(SLOW_MACHINE), "a stored event was not processed"
        return self.adapter.deliver()


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Button label -> callback value, anywhere in a card."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("tag") == "button":
                for behavior in node.get("behaviors", []):
                    if behavior.get("type") == "callback":
                        found[node["text"]["content"]] = behavior["value"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def texts(card: dict[str, Any]) -> str:
    """Every markdown/plain text of a card, joined (for assertions on what users see)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("content", "display_name"):
                if isinstance(node.get(key), str):
                    out.append(node[key])
            for key, value in node.items():
                if key == "rows" and isinstance(value, list):
                    out.extend(str(v) for row in value for v in row.values())
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(out)
