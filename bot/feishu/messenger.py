"""FeishuMessenger: the Messenger port over Feishu's IM API, used through the outbox.

Every send is a card (`bot.feishu.render`), so user text is always escaped the same way.
Reliability, in the order a send meets it:

- pacing: `Pacer` keeps to 5 calls per second per chat / user / card and 50 per app;
- idempotency: the outbox key of the message being sent (`bot.outbox.SENDING_KEY`) becomes
  Feishu's `uuid` (a hash, ≤50 characters), so a retry after a lost response never posts twice;
- rate limits: HTTP 429, code 99991400 or 230020 raise `RateLimited` with `retry_after` from
  the `x-ogw-ratelimit-reset` header, which the outbox honours when it reschedules;
- a rejected tenant token (99991663) is dropped from the SDK's cache and the call repeated once;
- a reply to a recalled message becomes a new message in the chat; a thread reply in a chat
  without threads becomes a plain reply.

Targets are strings the outbox can store (see `Target`): a chat id, or a chat id with a message
to reply to, whether to reply in a thread, and the project channel the content belongs to (so
buttons in a private chat act on that project). lark_oapi is imported on first use only.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

from bot.pacing import Pacer
from bot.feishu.render import card_json, render
from bot.messenger import MessageRef
from bot.outbox import SENDING_KEY
from handlers.replies import Reply

__all__ = ["FeishuError", "FeishuMessenger", "RateLimited", "Target"]

RATE_LIMITED = {99991400, 230020}
TOKEN_INVALID = {99991663, 99991661}
RECALLED = 230011
NO_THREADS = {230071, 230072}
DEFAULT_RETRY_AFTER = 1.0
# Sends per second per chat / user / card, and per app.
LIMITS = {"per_key": 5, "per_app": 50}


@dataclass(frozen=True)
class Target:
    """Where a message goes, stored as `<id>[?reply=om_…&thread=1&ctx=oc_…&p2p=1]`.

    `id` is a chat id (posts) or an open_id (DMs); `reply` the message answered; `thread`
    asks for a thread reply; `ctx` is the channel whose project the content is about (stamped
    into every button), `p2p` marks a private chat.
    """

    id: str
    reply: str = ""
    thread: bool = False
    ctx: str = ""
    p2p: bool = False

    def encode(self) -> str:
        params = {k: v for k, v in (("reply", self.reply), ("thread", "1" if self.thread else ""),
                                    ("ctx", self.ctx), ("p2p", "1" if self.p2p else "")) if v}
        return f"{self.id}?{urlencode(params)}" if params else self.id

    @classmethod
    def parse(cls, text: str) -> Target:
        ident, _, query = text.partition("?")
        q = {k: v[0] for k, v in parse_qs(query).items()}
        return cls(ident, reply=q.get("reply", ""), thread=q.get("thread") == "1", ctx=q.get("ctx", ""),
                   p2p=q.get("p2p") == "1")


class FeishuError(Exception):
    def __init__(self, code: int | None, msg: str) -> None:
        super().__init__(f"feishu error {code}: {msg}")
        self.code = code


class RateLimited(FeishuError):
    """A refused call; the outbox waits `retry_after` seconds before trying again."""

    def __init__(self, code: int | None, msg: str, retry_after: float) -> None:
        super().__init__(code, msg)
        self.retry_after = retry_after


def idempotency_uuid(key: str) -> str:
    return "pmbot-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


class FeishuMessenger:
    platform = "feishu"

    def __init__(self, *, app_id: str, app_secret: str, domain: str, pacer: Pacer | None = None,
                 names: Callable[[str], str | None] | None = None, timeout: float = 10.0) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.domain = domain.rstrip("/")
        self.pacer = pacer or Pacer(**LIMITS)
        self.names = names or (lambda _user: None)
        self.timeout = timeout
        self._sdk: Any = None
        self._lock = threading.Lock()
        self._bot_open_id: str | None = None

    # --- the Messenger port --------------------------------------------------------------
    def post(self, channel: str, reply: Reply) -> MessageRef:
        target = Target.parse(channel)
        content = self._content(reply, target.ctx or target.id, target.p2p)
        if target.reply:
            data = self._reply(target, content)
        else:
            self.pacer.wait(f"chat:{target.id}")
            data = self._create("chat_id", target.id, content)
        return self._ref(data, target.ctx or target.id, target.p2p)

    def dm(self, user: str, reply: Reply) -> MessageRef:
        target = Target.parse(user)
        self.pacer.wait(f"user:{target.id}")
        data = self._create("open_id", target.id, self._content(reply, target.ctx, True))
        return self._ref(data, target.ctx, True)

    def update(self, ref: MessageRef, reply: Reply) -> None:
        where = Target.parse(ref.channel)
        content = self._content(reply, where.ctx or ("" if where.p2p else where.id), where.p2p)
        self.pacer.wait(f"message:{ref.id}")
        from lark_oapi.api.im.v1 import PatchMessageRequest, PatchMessageRequestBody

        request = PatchMessageRequest.builder().message_id(ref.id).request_body(
            PatchMessageRequestBody.builder().content(content).build()).build()
        self._call(lambda: self._client().im.v1.message.patch(request))

    # --- the bot itself ------------------------------------------------------------------
    def bot_open_id(self) -> str | None:
        """The bot's open_id (to recognise mentions of it), fetched once; None if unavailable."""
        if self._bot_open_id is None:
            from lark_oapi.core.enum import AccessTokenType, HttpMethod
            from lark_oapi.core.model import BaseRequest

            request = BaseRequest.builder().http_method(HttpMethod.GET).uri("/open-apis/bot/v3/info") \
                .token_types({AccessTokenType.TENANT}).build()
            response = self._client().request(request)
            body = json.loads(response.raw.content or b"{}")
            if body.get("code") == 0:
                self._bot_open_id = (body.get("bot") or {}).get("open_id") or None
        return self._bot_open_id

    def known_bot_open_id(self) -> str | None:
        return self._bot_open_id

    # --- internals -----------------------------------------------------------------------
    def _content(self, reply: Reply, channel: str, private: bool) -> str:
        return card_json(render(reply, channel=channel, private=private, names=self.names))

    @staticmethod
    def _ref(data: Any, ctx: str, p2p: bool) -> MessageRef:
        chat = getattr(data, "chat_id", None) or ctx
        where = Target(chat, ctx=ctx if ctx != chat else "", p2p=p2p).encode()
        return MessageRef(where, data.message_id)

    def _create(self, id_type: str, receive_id: str, content: str) -> Any:
        from lark_oapi.api.im.v1 import CreateMessageRequest, CreateMessageRequestBody

        body = CreateMessageRequestBody.builder().receive_id(receive_id).msg_type("interactive").content(content)
        key = SENDING_KEY.get()
        if key:
            body = body.uuid(idempotency_uuid(key))
        request = CreateMessageRequest.builder().receive_id_type(id_type).request_body(body.build()).build()
        return self._call(lambda: self._client().im.v1.message.create(request))

    def _reply(self, target: Target, content: str, thread: bool | None = None) -> Any:
        from lark_oapi.api.im.v1 import ReplyMessageRequest, ReplyMessageRequestBody

        thread = target.thread if thread is None else thread
        body = ReplyMessageRequestBody.builder().msg_type("interactive").content(content).reply_in_thread(thread)
        key = SENDING_KEY.get()
        if key:
            body = body.uuid(idempotency_uuid(key))
        request = ReplyMessageRequest.builder().message_id(target.reply).request_body(body.build()).build()
        self.pacer.wait(f"chat:{target.id}")
        try:
            return self._call(lambda: self._client().im.v1.message.reply(request))
        except FeishuError as exc:
            if exc.code in NO_THREADS and thread:
                return self._reply(target, content, thread=False)
            if exc.code == RECALLED:
                self.pacer.wait(f"chat:{target.id}")
                return self._create("chat_id", target.id, content)
            raise

    def _call(self, send: Callable[[], Any]) -> Any:
        response = send()
        if not response.success() and response.code in TOKEN_INVALID:
            self._forget_token()  # Feishu no longer accepts the cached token: fetch a new one, once
            response = send()
        if not response.success():
            raise _error(response)
        return getattr(response, "data", None)

    def _forget_token(self) -> None:
        from lark_oapi.core.token.manager import TokenManager

        TokenManager.cache.set(f"self_tenant_token:{self.app_id}", "", 0)

    def _client(self) -> Any:
        with self._lock:
            if self._sdk is None:
                import lark_oapi as lark

                self._sdk = lark.Client.builder().app_id(self.app_id).app_secret(self.app_secret) \
                    .domain(self.domain).timeout(self.timeout).log_level(lark.LogLevel.WARNING).build()
            return self._sdk


def _error(response: Any) -> FeishuError:
    raw = response.raw
    status = getattr(raw, "status_code", None)
    headers = {k.lower(): v for k, v in (getattr(raw, "headers", None) or {}).items()}
    if status == 429 or response.code in RATE_LIMITED:
        try:
            retry_after = max(float(headers.get("x-ogw-ratelimit-reset", DEFAULT_RETRY_AFTER)), DEFAULT_RETRY_AFTER)
        except ValueError:
            retry_after = DEFAULT_RETRY_AFTER
        return RateLimited(response.code, response.msg or "rate limited", retry_after)
    return FeishuError(response.code, response.msg or f"HTTP {status}")
