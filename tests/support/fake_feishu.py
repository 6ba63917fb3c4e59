"""A fake Feishu OpenAPI on a free loopback port, for the adapter's tests.

It serves what the bot uses — the tenant token, message create / reply / patch / urgent_app,
bot info and the long-connection endpoint — and records every call (method, path, query,
headers, JSON body). `serve_websocket()` adds the long connection itself: a WebSocket server
that pushes events as the SDK's protobuf frames (`push_event`) and records the client's answers;
it imports lark_oapi only when a frame is built, so a test can let the bot import it first.

It behaves like Feishu where the bot relies on it: a send with a `uuid` seen before returns the
first message again; an unknown token is refused with 99991663; it can be told to rate-limit
the next N IM calls (HTTP 429, code 99991400, `x-ogw-ratelimit-reset`) or to fail them with a
given code. Point the SDK at it with `domain(fake.url)`; use a distinct
app_id per test, because the SDK caches tenant tokens per app_id for the whole process.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.fake_server import FakeServer, Request, Response

__all__ = ["Call", "FakeFeishu"]

_MESSAGE = re.compile(r"^/open-apis/im/v1/messages/([^/]+)(/reply|/urgent_app)?$")


@dataclass
class Call(Request):
    body: Any = None  # the JSON body (or the text, when it is not JSON)
    ok: bool = False  # answered with code 0
    at: float = 0.0  # when it arrived, on the fake's clock

    @property
    def card(self) -> dict[str, Any]:
        """The card JSON a send or patch carried."""
        return json.loads(self.body["content"])

    @property
    def kind(self) -> str:
        if self.path == "/open-apis/im/v1/messages":
            return "create"
        if self.path.endswith("/reply"):
            return "reply"
        if self.path.endswith("/urgent_app"):
            return "urgent"
        if self.method == "PATCH":
            return "patch"
        return self.path


@dataclass
class _Failure:
    status: int
    code: int
    msg: str
    headers: dict[str, str] = field(default_factory=dict)


class FakeFeishu(FakeServer):
    name = "fake-feishu"

    def __init__(self, *, bot_open_id: str = "ou_bot", clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock=clock)
        self.bot_open_id = bot_open_id
        self.calls: list[Call] = []
        self.chats: dict[str, str] = {}  # message id -> chat id
        self.ws_answers: list[dict[str, Any]] = []  # the client's answers to pushed events
        self._ids = itertools.count(1)
        self._tokens: set[str] = set()
        self._failures: list[_Failure] = []
        self._by_uuid: dict[tuple[str, str], dict[str, Any]] = {}

    # --- the long connection -----------------------------------------------------------
    def serve_websocket(self, path: str = "/ws?device_id=fake-device&service_id=7") -> None:
        """Start the WebSocket endpoint that `/callback/ws/endpoint` hands out."""
        super().serve_websocket(path)

    def ws_received(self, message: str | bytes) -> None:
        answer = self._answer_frame(message)
        if answer is not None:
            with self._lock:
                self.ws_answers.append(answer)

    def push_event(self, body: dict[str, Any], message_id: str = "ws-msg-1") -> None:
        """Push one event to the connected client, as a DATA frame of type "event"."""
        from lark_oapi.ws.pb.pbbp2_pb2 import Frame

        frame = Frame(
            SeqID=1, LogID=1, service=7, method=1, payload=json.dumps(body, ensure_ascii=False).encode("utf-8")
        )
        for key, value in (
            ("type", "event"),
            ("message_id", message_id),
            ("trace_id", "trace-1"),
            ("sum", "1"),
            ("seq", "0"),
        ):
            header = frame.headers.add()
            header.key, header.value = key, value
        self.ws_send(frame.SerializeToString())

    @staticmethod
    def _answer_frame(message: bytes) -> dict[str, Any] | None:
        from lark_oapi.ws.pb.pbbp2_pb2 import Frame

        frame = Frame()
        frame.ParseFromString(message)
        headers = {h.key: h.value for h in frame.headers}
        if headers.get("type") != "event":
            return None  # pings
        return {"headers": headers, **json.loads(frame.payload)}

    # --- test controls -----------------------------------------------------------------
    def rate_limit(self, times: int = 1, *, reset: int = 3) -> None:
        """Refuse the next `times` IM calls as Feishu's rate limiter does."""
        with self._lock:
            self._failures.extend(
                _Failure(429, 99991400, "request trigger frequency limit", {"x-ogw-ratelimit-reset": str(reset)})
                for _ in range(times)
            )

    def fail(self, code: int, times: int = 1, *, status: int = 400, msg: str = "failed") -> None:
        with self._lock:
            self._failures.extend(_Failure(status, code, msg) for _ in range(times))

    def revoke_tokens(self) -> None:
        """Make every issued tenant token invalid (as after it expired on Feishu's side)."""
        with self._lock:
            self._tokens.clear()

    def sent(self, *kinds: str) -> list[Call]:
        """Successful message sends/patches, in order (kinds: create, reply, patch, urgent)."""
        with self._lock:
            return [c for c in self.calls if c.ok and c.kind in (kinds or ("create", "reply", "patch", "urgent"))]

    def of_path(self, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path == path]

    # --- serving -----------------------------------------------------------------------
    def answer(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            body = request.raw.decode("utf-8", "replace")
        call = Call(**vars(request), body=body)
        with self._lock:
            call.at = self.clock()
            self.calls.append(call)
            status, payload, headers = self._answer(call)
            call.ok = status == 200 and payload.get("code") == 0
        return Response(status, payload, headers)

    def _answer(self, call: Call) -> tuple[int, dict[str, Any], dict[str, str]]:
        if call.path == "/open-apis/auth/v3/tenant_access_token/internal":
            token = f"t-{next(self._ids)}"
            self._tokens.add(token)
            return 200, {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}, {}
        if call.path == "/callback/ws/endpoint":
            config = {"ReconnectCount": 1, "ReconnectInterval": 1, "ReconnectNonce": 0, "PingInterval": 60}
            return 200, {"code": 0, "msg": "ok", "data": {"URL": self.ws_url, "ClientConfig": config}}, {}
        if call.headers.get("authorization", "").removeprefix("Bearer ") not in self._tokens:
            return 400, {"code": 99991663, "msg": "Invalid access token for authorization"}, {}
        if call.path == "/open-apis/bot/v3/info":
            return (
                200,
                {
                    "code": 0,
                    "msg": "ok",
                    "bot": {"open_id": self.bot_open_id, "app_name": "pmbot", "activate_status": 2},
                },
                {},
            )
        if not call.path.startswith("/open-apis/im/v1/messages"):
            return 404, {"code": 404, "msg": "not found"}, {}
        if self._failures:
            failure = self._failures.pop(0)
            return failure.status, {"code": failure.code, "msg": failure.msg}, failure.headers
        return 200, self._message(call), {}

    def _message(self, call: Call) -> dict[str, Any]:
        body = call.body if isinstance(call.body, dict) else {}
        uuid = body.get("uuid")
        if uuid and (call.kind, uuid) in self._by_uuid:
            return self._by_uuid[(call.kind, uuid)]
        if call.kind == "create":
            receive_id = body.get("receive_id", "")
            chat = receive_id if call.query.get("receive_id_type") == "chat_id" else f"oc_p2p_{receive_id}"
        elif call.kind == "reply":
            parent = _MESSAGE.match(call.path).group(1)
            chat = self.chats.get(parent, "oc_unknown")
        else:
            return {"code": 0, "msg": "success", "data": {}}
        message_id = f"om_{next(self._ids)}"
        self.chats[message_id] = chat
        answer = {
            "code": 0,
            "msg": "success",
            "data": {"message_id": message_id, "chat_id": chat, "msg_type": body.get("msg_type")},
        }
        if uuid:
            self._by_uuid[(call.kind, uuid)] = answer
        return answer
