"""A fake Slack Web API on a free loopback port, for the Slack adapter's tests.

It answers what the bot uses — auth.test, chat.postMessage / postEphemeral / update /
getPermalink, views.open / publish, users.info, conversations.info, apps.connections.open and
oauth.v2.access — and records every call (method, token, JSON or form body). It also serves
`response_url`s (`fake.response_url()`; names starting "expired" answer 404), recording what
is posted there, and can be told
to answer the next N calls of a method with HTTP 429 and a `Retry-After`, or with an error.

`serve_websocket()` adds Socket Mode: a WebSocket endpoint (handed out by apps.connections.open)
that greets a client with `hello`, pushes envelopes (`push()`) and records the client's acks.

Tokens `xoxb-<team>` belong to team `<team>`: a workspace's bot token says which workspace a
call was made for. Point a WebClient at it with `base_url=fake.api_url`.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tests.support.fake_server import FakeServer, Request, Response
from tests.support.waiting import wait_until

__all__ = ["Call", "FakeSlack"]

BOT_USER = "UBOT"


@dataclass
class Call:
    method: str  # chat.postMessage, …, or "response_url"
    body: dict[str, Any]
    token: str = ""
    path: str = ""
    status: int = 200
    answer: dict[str, Any] = field(default_factory=dict)  # what the fake replied
    at: float = 0.0  # when it arrived, on the fake's clock

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.body.get("blocks") or (self.body.get("view") or {}).get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else blocks

    @property
    def view(self) -> dict[str, Any]:
        view = self.body.get("view") or {}
        return json.loads(view) if isinstance(view, str) else view

    @property
    def text(self) -> str:
        """Everything the call shows, as one string (fallback text + block texts) for assertions."""
        return json.dumps(self.body, ensure_ascii=False)


@dataclass
class _Limit:
    method: str
    times: int
    retry_after: int


class FakeSlack(FakeServer):
    name = "fake-slack"

    def __init__(
        self, users: dict[str, dict[str, Any]] | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(clock=clock)
        self.users = users if users is not None else {}  # users.info answers by user id
        self.calls: list[Call] = []
        self.installs: dict[str, dict[str, Any]] = {}  # oauth.v2.access answers by code
        self.ws_answers: list[dict[str, Any]] = []  # what a Socket Mode client sent back
        self._ts = itertools.count(1)
        self._limits: list[_Limit] = []
        self._errors: list[tuple[str, str]] = []

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/response/{name}"

    # --- Socket Mode -------------------------------------------------------------------
    def serve_websocket(self, path: str = "/link") -> None:
        """Start the WebSocket endpoint apps.connections.open hands out."""
        super().serve_websocket(path)

    def ws_greeting(self) -> str:
        return json.dumps({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})

    def ws_received(self, message: str | bytes) -> None:
        with self._lock:
            self.ws_answers.append(json.loads(message))

    def push(self, envelope: dict[str, Any]) -> None:
        """Send one Socket Mode envelope to the connected client."""
        self.ws_send(json.dumps(envelope))

    # --- test controls -----------------------------------------------------------------
    def rate_limit(self, method: str, times: int = 1, *, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 and `Retry-After`."""
        with self._lock:
            self._limits.append(_Limit(method, times, retry_after))

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`."""
        with self._lock:
            self._errors.extend([(method, error)] * times)

    def of(self, method: str, *, ok: bool = True) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (c.status == 200 or not ok)]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Poll until `count` successful calls of `method` were recorded; returns them all."""
        calls = wait_until(lambda: len(self.of(method)) >= count and self.of(method), timeout)
        assert calls and len(calls) >= count, f"expected {count} {method}, got {[c.method for c in self.calls]}"
        return calls

    # --- serving -----------------------------------------------------------------------
    def answer(self, request: Request) -> Response:
        body = self._body(request.raw.decode("utf-8"), request.headers.get("content-type", ""))
        token = request.headers.get("authorization", "").removeprefix("Bearer ") or str(body.get("token") or "")
        if request.path.startswith("/response/expired"):  # past 30 minutes or 5 uses
            self._record(Call("response_url", body, path=request.path, status=404))
            return Response(404, b"expired_url", content_type="text/plain")
        if request.path.startswith("/response/"):
            self._record(Call("response_url", body, path=request.path))
            return Response(200, b"ok", content_type="text/plain")
        method = request.path.removeprefix("/api/")
        limit = self._take_limit(method)
        if limit is not None:
            self._record(Call(method, body, token, request.path, status=429))
            return Response(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(limit)})
        answer = self._answer(method, body, token)
        self._record(Call(method, body, token, request.path, answer=answer))
        return Response(200, answer)

    @staticmethod
    def _body(raw: str, content_type: str) -> dict[str, Any]:
        if "json" in content_type:
            return json.loads(raw or "{}")
        return dict(parse_qsl(raw))

    def _record(self, call: Call) -> None:
        with self._lock:
            call.at = self.clock()
            self.calls.append(call)

    def _take_limit(self, method: str) -> int | None:
        with self._lock:
            for limit in self._limits:
                if limit.method == method and limit.times > 0:
                    limit.times -= 1
                    return limit.retry_after
        return None

    def _answer(self, method: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        with self._lock:
            failure = next((f for f in self._errors if f[0] == method), None)
            if failure is not None:
                self._errors.remove(failure)
                return {"ok": False, "error": failure[1]}
        team = token.removeprefix("xoxb-") or "T1"
        ts = f"1700000000.{next(self._ts):06d}"
        channel = str(body.get("channel") or "")
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": team,
                "team_id": team,
                "user": "pmbot",
                "user_id": BOT_USER,
                "bot_id": "BBOT",
            }
        if method == "chat.postMessage":
            # A message to a user id lands in the bot's DM with that user.
            where = f"D{channel[1:]}" if channel[:1] in ("U", "W") else channel
            return {"ok": True, "channel": where, "ts": ts, "message": {"ts": ts, "text": body.get("text")}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": body.get("ts"), "text": body.get("text")}
        if method == "chat.getPermalink":
            stamp = str(body.get("message_ts") or "").replace(".", "")
            return {"ok": True, "channel": channel, "permalink": f"https://fake.slack.com/archives/{channel}/p{stamp}"}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = body.get("view")
            view = json.loads(view) if isinstance(view, str) else view or {}
            return {"ok": True, "view": {**view, "id": f"V{next(self._ts)}", "hash": f"h{next(self._ts)}"}}
        if method == "users.info":
            user = self.users.get(str(body.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "conversations.info":
            return {"ok": True, "channel": {"id": channel, "name": f"proj-{channel.lower()}"}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.ws_url} if self.ws_url else {"ok": False, "error": "no_socket"}
        if method == "oauth.v2.access":
            found = self.installs.get(str(body.get("code")))
            return found if found else {"ok": False, "error": "invalid_code"}
        return {"ok": False, "error": "unknown_method"}
