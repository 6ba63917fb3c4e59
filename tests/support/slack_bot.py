"""The Slack adapter on a fake Slack Web API, driven the way Slack drives it.

`SlackBot` sends Slack-shaped payloads either as signed HTTP requests to the bot's one ASGI
app (`POST /slack/events` through httpx's ASGI transport, `via="http"`; tests/test_slack_run.py
covers the same over a real socket) or as Socket Mode envelopes dispatched straight
to the bolt App (`via="socket"`, what `SocketModeHandler` does). After each request it waits,
in short bounded steps, until the listeners that request started are done and then delivers
the outbox synchronously, so a test reads what was sent without sleeping. Time is a
ManualClock; the pacer and the retry handlers wait on a fake monotonic clock.

Fixtures (import them into a test module): `slack_fake` (a running FakeSlack with three users)
and `slack_bot` (a SlackBot on the `db` fixture, so on SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from slack_bolt.request import BoltRequest

from bot.adapters import AdapterDeps
from bot.clock import ManualClock
from bot.config import Config
from bot.http import create_app
from bot.outbox import Outbox
from bot.runtime import defaults_from
from bot.slack import create_adapter
from handlers.core import Core
from handlers.destination import Destination
from handlers.replies import Reply
from storage.database import Database
from tests.chat import START
from tests.support import slack_payloads as p
from tests.support.fake_slack import Call, FakeSlack
from tests.support.waiting import SLOW_MACHINE

__all__ = ["SECRET", "USERS", "SlackBot", "buttons", "slack_bot", "slack_config", "slack_fake", "texts"]

SECRET = "test-signing-secret"
USERS = {
    "U1": {
        "id": "U1",
        "name": "alice",
        "real_name": "Alice Liddell",
        "tz": "Asia/Shanghai",
        "locale": "en-US",
        "profile": {"display_name": "alice", "real_name": "Alice Liddell"},
    },
    "U2": {
        "id": "U2",
        "name": "bob",
        "real_name": "Bob",
        "tz": "Europe/Berlin",
        "locale": "en-GB",
        "profile": {"display_name": "", "real_name": "Bob Builder"},
    },
    "U3": {
        "id": "U3",
        "name": "wang",
        "real_name": "王芳",
        "tz": "Asia/Shanghai",
        "locale": "zh-CN",
        "profile": {"display_name": "王芳", "real_name": "王芳"},
    },
}


def slack_config(fake: FakeSlack, **slack: Any) -> Config:
    return Config.model_validate(
        {
            "console": {"enabled": False},
            "scheduler": {"enabled": False},
            "defaults": {"timezone": "Asia/Shanghai", "locale": "en"},
            "slack": {
                "enabled": True,
                "mode": "http",
                "bot_token": "xoxb-T1",
                "signing_secret": SECRET,
                "api_base_url": fake.api_url,
                **slack,
            },
        }
    )


def texts(blocks: list[dict[str, Any]]) -> str:
    """Every text a list of blocks shows, one per line (headers, sections, fields, context)."""
    out: list[str] = []
    for block in blocks:
        for obj in [block.get("text"), *(block.get("fields") or []), *(block.get("elements") or [])]:
            if isinstance(obj, dict) and isinstance(obj.get("text"), str):
                out.append(obj["text"])
            elif isinstance(obj, dict) and isinstance(obj.get("text"), dict):
                out.append(obj["text"]["text"])
    return "\n".join(out)


def buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The buttons of a list of blocks by label: {label: {action_id, block_id, value}}."""
    found: dict[str, dict[str, Any]] = {}
    for block in blocks:
        if block.get("type") != "actions":
            continue
        for element in block["elements"]:
            found[element["text"]["text"]] = {
                "action_id": element["action_id"],
                "block_id": block["block_id"],
                "value": element["value"],
                "type": "button",
                "text": element["text"],
                "action_ts": "1700000002.1",
            }
    return found


class AsgiClient:
    """HTTP requests to the bot's ASGI app in-process (httpx's ASGI transport): the real
    Starlette routes and bolt's request handling, without a server to start per test."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="https://slack.test") as client:
                return await client.request(method, path, **kw)

        return asyncio.run(send())

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)


class SlackBot:
    def __init__(self, db: Database, fake: FakeSlack, *, via: str = "http", **slack: Any) -> None:
        self.fake = fake
        fake.clock = lambda: self.monotonic  # calls are stamped on the pacer's (fake) clock
        self.via = via
        self.clock = ManualClock(START)
        self.monotonic = 0.0
        self.sleeps: list[float] = []
        config = slack_config(fake, **slack)
        self.core = Core(db, defaults_from(config))
        self.deps = AdapterDeps(
            config=config.slack, core=self.core, db=db, clock=self.clock, outbox=Outbox(db, self.clock)
        )
        self.adapter = create_adapter(self.deps, sleep=self._sleep, monotonic=lambda: self.monotonic)
        self.http = AsgiClient(create_app([self.adapter]))
        self._ids = itertools.count(1)

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.monotonic += seconds

    def close(self) -> None:
        self.adapter.stop()

    def queue(self, key: str, destination: Destination, reply: Reply) -> None:
        """Queue a message as the scheduler or a listener does; `settle()` sends it."""
        self.core.queue("slack", key, destination, reply, now=self.clock.now())

    # --- Slack -> bot --------------------------------------------------------------------
    def deliver(
        self,
        payload: dict[str, Any],
        kind: str,
        *,
        via: str | None = None,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        secret: str = SECRET,
        settle: bool = True,
    ) -> tuple[int, str]:
        """One request as Slack sends it; returns (status, body) of the bot's answer (the ack).
        `settle=False` returns at the ack, before the workers are waited for."""
        via = via or self.via
        if via == "socket":
            response = self.adapter.app.dispatch(BoltRequest(mode="socket_mode", body=payload, headers=headers))
            result = (response.status, response.body or "")
        else:
            if kind == "json":
                body, content_type = json.dumps(payload), "application/json"
            elif kind == "interactive":
                body, content_type = p.interactive_body(payload), "application/x-www-form-urlencoded"
            else:
                body, content_type = p.form_body(payload), "application/x-www-form-urlencoded"
            sent = {**p.signed(body, secret, timestamp=timestamp, content_type=content_type), **(headers or {})}
            response = self.http.post("/slack/events", content=body.encode("utf-8"), headers=sent)
            result = (response.status_code, response.text)
        if settle:
            self.settle()
        return result

    def settle(self) -> None:
        """Wait until the listeners this request started are done, then send what they queued."""
        assert self.adapter.executor.wait_idle(SLOW_MACHINE), "a listener did not finish"
        self.adapter.deliver()

    def command(self, text: str, *, command: str = "/task", settle: bool = True, **kw: Any) -> tuple[int, str]:
        via = kw.pop("via", None)
        kw.setdefault("trigger", f"trig-{next(self._ids)}")
        kw.setdefault("response_url", self.fake.response_url(kw["trigger"]))
        return self.deliver(p.command(text, command=command, **kw), "form", via=via, settle=settle)

    def ok(self, text: str, **kw: Any) -> None:
        """A command whose channel answer must be posted (asserted)."""
        before = len(self.fake.of("chat.postMessage"))
        self.command(text, **kw)
        assert len(self.fake.of("chat.postMessage")) == before + 1, self.responses()[-1:] or self.fake.calls[-3:]

    def click(self, message: Call, label: str, *, via: str | None = None, **kw: Any) -> tuple[int, str]:
        """Click the button `label` of a message the bot posted (or of a response_url answer,
        an ephemeral message)."""
        ephemeral = message.method == "response_url" or message.method == "chat.postEphemeral"
        kw.setdefault("channel", message.answer.get("channel") or message.body.get("channel") or "C1")
        kw.setdefault("trigger", f"trig-a{next(self._ids)}")
        kw.setdefault("response_url", self.fake.response_url(kw["trigger"]))
        return self.deliver(
            p.block_actions(
                buttons(message.blocks)[label],
                ephemeral=ephemeral,
                message={"ts": message.answer.get("ts", "1700000000.000001"), "blocks": message.blocks},
                **kw,
            ),
            "interactive",
            via=via,
        )

    def click_home(self, label: str, *, nth: int = 0, via: str | None = None, **kw: Any) -> tuple[int, str]:
        """Click the `nth` button `label` on the App Home tab last published."""
        view = {**self.last_view("views.publish"), "id": "VHOME", "type": "home"}
        found = [b for b in view["blocks"] if b["type"] == "actions" and label in buttons([b])]
        kw.setdefault("trigger", f"trig-h{next(self._ids)}")
        return self.deliver(
            p.block_actions(buttons([found[nth]])[label], view=view, channel=None, **kw), "interactive", via=via
        )

    def submit(
        self, view: dict[str, Any], answers: dict[str, Any], *, via: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Submit a modal the bot opened; returns the ack's JSON ({} for a plain ack)."""
        kw.setdefault("view_id", f"V{next(self._ids)}")
        status, body = self.deliver(p.view_submission(view, answers, **kw), "interactive", via=via)
        assert status == 200, body
        return json.loads(body) if body else {}

    def event(self, payload: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return self.deliver(payload, "json", **kw)

    # --- bot -> Slack --------------------------------------------------------------------
    def posts(self) -> list[Call]:
        return self.fake.of("chat.postMessage")

    def last_post(self) -> Call:
        posts = self.posts()
        assert posts, [c.method for c in self.fake.calls]
        return posts[-1]

    def responses(self) -> list[Call]:
        """What `respond()` posted to response_urls."""
        return self.fake.of("response_url")

    def last_view(self, method: str = "views.open") -> dict[str, Any]:
        calls = self.fake.of(method)
        assert calls, [c.method for c in self.fake.calls]
        return calls[-1].view


@pytest.fixture
def slack_fake() -> Iterator[FakeSlack]:
    with FakeSlack(users={k: dict(v) for k, v in USERS.items()}) as fake:
        yield fake


@pytest.fixture
def slack_bot(db: Database, slack_fake: FakeSlack) -> Iterator[SlackBot]:
    bot = SlackBot(db, slack_fake)
    try:
        yield bot
    finally:
        bot.close()
