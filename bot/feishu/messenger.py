"""FeishuMessenger: the Messenger port over Feishu's IM API, used through the outbox.

Every send is a card (`bot.feishu.render`), so user text is always escaped the same way.
Reliability, in the order a send meets it:

- pacing: `Pacer` keeps to 5 calls per second per chat / user / card and 50 per app; a busy
  chat raises `Paced` before any call (the outbox sends other chats' messages meanwhile), and
  the further calls of a message already started (pages, fallbacks) wait their turn;
- idempotency: the outbox key of the message becomes Feishu's `uuid` (a hash, ≤50 characters),
  so a retry after a lost response never posts twice;
- rate limits: HTTP 429, code 99991400 or 230020 raise `RateLimited` with `retry_after` from
  the `x-ogw-ratelimit-reset` header, which the outbox honours when it reschedules (not counted
  as a failed attempt); an app-wide one (HTTP 429, 99991400) backs the whole app off that long;
- a rejected tenant token (99991663) is dropped from the SDK's cache and the call repeated once;
- an answer too big for one message (30 KB per request) goes out whole over several numbered
  messages (`Reply.pages`), each with its own `uuid`;
- a card Feishu finds too large (230025, "消息体长度超出限制") is sent again at half the size, then
  as a short "too long" note — never retried as it is until the outbox gives up;
- a reply to a recalled message becomes a new message in the chat; a thread reply in a chat
  without threads becomes a plain reply.

A `Destination` with `reply_to` is a reply to that message (in a thread for kind "thread");
without, a new message in the chat (`oc_…`) or to the user (`ou_…`, kind "dm"). Its project
channel is stamped into every button, so a click in a private chat acts on that project.
lark_oapi is imported on first use only.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any

from bot.feishu.render import REQUEST_BUDGET, card_json, fits_whole, render
from bot.messenger import Destination, MessageRef
from bot.pacing import APP, Deferred, Pacer, Turn
from handlers.replies import Reply

__all__ = ["LIMITS", "FeishuError", "FeishuMessenger", "RateLimited"]

RATE_LIMITED = {99991400, 230020}
APP_RATE_LIMITED = 99991400  # the app's frequency limit (230020 is one chat's)
TOKEN_INVALID = {99991663, 99991661}
RECALLED = 230011
# "The length of the message content reaches its limit": the request body is over 30 KB.
TOO_LARGE = 230025
# Budgets tried in turn when Feishu refuses a card as too large; 0 renders the "too long" note.
SHRINKING_BUDGETS = (REQUEST_BUDGET, REQUEST_BUDGET // 2, 0)
# A new message never grows past this many pages (a 30x300 RACI matrix takes about five).
MAX_PAGES = 10
NO_THREADS = {230071, 230072}
DEFAULT_RETRY_AFTER = 1.0
# Sends per second per chat / user / card, and per app.
LIMITS = {"per_key": 5, "per_app": 50}
CHAT_PREFIX = "oc_"  # Feishu's chat ids; a DM may name the user's private chat instead of the user


class FeishuError(Exception):
    def __init__(self, code: int | None, msg: str) -> None:
        super().__init__(f"feishu error {code}: {msg}")
        self.code = code


class RateLimited(FeishuError, Deferred):
    """A refused call; the outbox waits `retry_after` seconds before trying again."""

    def __init__(self, code: int | None, msg: str, retry_after: float, *, app_wide: bool = True) -> None:
        super().__init__(code, msg)
        self.retry_after = retry_after
        self.app_wide = app_wide


def idempotency_uuid(key: str) -> str:
    return "pmbot-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


class FeishuMessenger:
    platform = "feishu"

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        domain: str,
        pacer: Pacer | None = None,
        names: Callable[[str], str | None] | None = None,
        timeout: float = 10.0,
    ) -> None:
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
    def send(self, destination: Destination, reply: Reply, *, key: str) -> MessageRef:
        """Send `reply`, as several messages when it outgrows one (each page its own `uuid`, so a
        retry after a partial send repeats none); the reference is the first message's."""
        first = None
        turn = self.pacer.turn()
        for n, page in enumerate(self._pages(reply, destination)):
            page_key = key if n == 0 else f"{key}:page{n + 1}"

            def send(content: str, page_key: str = page_key) -> Any:
                if destination.reply_to:
                    return self._reply(destination, content, page_key, turn)
                return self._create(destination, content, page_key, turn)

            data = self._sized(page, destination, send)
            first = first or data
        return MessageRef(destination, first.message_id)

    def update(self, ref: MessageRef, reply: Reply, *, key: str) -> None:
        turn = self.pacer.turn()

        def patch(content: str) -> Any:
            from lark_oapi.api.im.v1 import PatchMessageRequest, PatchMessageRequestBody

            turn(f"message:{ref.id}")
            request = (
                PatchMessageRequest.builder()
                .message_id(ref.id)
                .request_body(PatchMessageRequestBody.builder().content(content).build())
                .build()
            )
            return self._call(lambda: self._client().im.v1.message.patch(request))

        self._sized(reply, ref.destination, patch)

    # --- the bot itself ------------------------------------------------------------------
    def bot_open_id(self) -> str | None:
        """The bot's open_id (to recognise mentions of it), fetched once; None if unavailable."""
        if self._bot_open_id is None:
            from lark_oapi.core.enum import AccessTokenType, HttpMethod
            from lark_oapi.core.model import BaseRequest

            request = (
                BaseRequest.builder()
                .http_method(HttpMethod.GET)
                .uri("/open-apis/bot/v3/info")
                .token_types({AccessTokenType.TENANT})
                .build()
            )
            response = self._client().request(request)
            body = json.loads(response.raw.content or b"{}")
            if body.get("code") == 0:
                self._bot_open_id = (body.get("bot") or {}).get("open_id") or None
        return self._bot_open_id

    def known_bot_open_id(self) -> str | None:
        return self._bot_open_id

    # --- internals -----------------------------------------------------------------------
    def _pages(self, reply: Reply, destination: Destination) -> list[Reply]:
        """The fewest pages (up to MAX_PAGES) that each fit a message whole; past that, the
        pages are shortened to fit, saying how much was left out."""
        for count in range(1, MAX_PAGES + 1):
            pages = reply.pages(count)
            private = destination.kind == "dm"
            if all(fits_whole(p, channel=destination.about, private=private, names=self.names) for p in pages):
                return pages
            if len(pages) < count:  # nothing left to share out
                break
        return reply.pages(MAX_PAGES)

    def _sized(self, reply: Reply, destination: Destination, send: Callable[[str], Any]) -> Any:
        """Send `reply` as a card; when Feishu refuses it as too large (its size rule may count
        differently from ours), send it again shorter instead of failing until the outbox gives up."""

        def card(budget: int) -> str:
            return card_json(
                render(
                    reply, channel=destination.about, private=destination.kind == "dm", names=self.names, budget=budget
                )
            )

        for budget in SHRINKING_BUDGETS[:-1]:
            try:
                return send(card(budget))
            except FeishuError as exc:
                if exc.code != TOO_LARGE:
                    raise
        return send(card(SHRINKING_BUDGETS[-1]))

    @staticmethod
    def _pace_key(destination: Destination) -> str:
        return f"{'user' if destination.kind == 'dm' else 'chat'}:{destination.id}"

    def _create(self, destination: Destination, content: str, key: str, turn: Turn) -> Any:
        """A new message in the chat, or to the user of a DM."""
        from lark_oapi.api.im.v1 import CreateMessageRequest, CreateMessageRequestBody

        to_user = destination.kind == "dm" and not destination.id.startswith(CHAT_PREFIX)
        body = (
            CreateMessageRequestBody.builder()
            .receive_id(destination.id)
            .msg_type("interactive")
            .content(content)
            .uuid(idempotency_uuid(key))
        )
        request = (
            CreateMessageRequest.builder()
            .receive_id_type("open_id" if to_user else "chat_id")
            .request_body(body.build())
            .build()
        )
        turn(self._pace_key(destination))
        return self._call(lambda: self._client().im.v1.message.create(request))

    def _reply(self, destination: Destination, content: str, key: str, turn: Turn, thread: bool | None = None) -> Any:
        from lark_oapi.api.im.v1 import ReplyMessageRequest, ReplyMessageRequestBody

        thread = destination.kind == "thread" if thread is None else thread
        body = (
            ReplyMessageRequestBody.builder()
            .msg_type("interactive")
            .content(content)
            .reply_in_thread(thread)
            .uuid(idempotency_uuid(key))
        )
        request = ReplyMessageRequest.builder().message_id(destination.reply_to).request_body(body.build()).build()
        turn(self._pace_key(destination))
        try:
            return self._call(lambda: self._client().im.v1.message.reply(request))
        except FeishuError as exc:
            if exc.code in NO_THREADS and thread:
                return self._reply(destination, content, key, turn, thread=False)
            if exc.code == RECALLED:
                return self._create(destination, content, key, turn)
            raise

    def _call(self, send: Callable[[], Any]) -> Any:
        response = send()
        if not response.success() and response.code in TOKEN_INVALID:
            self._forget_token()  # Feishu no longer accepts the cached token: fetch a new one, once
            response = send()
        if not response.success():
            error = _error(response)
            if isinstance(error, RateLimited) and error.app_wide:
                self.pacer.back_off(APP, error.retry_after)
            raise error
        return getattr(response, "data", None)

    def _forget_token(self) -> None:
        from lark_oapi.core.token.manager import TokenManager

        TokenManager.cache.set(f"self_tenant_token:{self.app_id}", "", 0)

    def _client(self) -> Any:
        with self._lock:
            if self._sdk is None:
                import lark_oapi as lark

                self._sdk = (
                    lark.Client.builder()
                    .app_id(self.app_id)
                    .app_secret(self.app_secret)
                    .domain(self.domain)
                    .timeout(self.timeout)
                    .log_level(lark.LogLevel.WARNING)
                    .build()
                )
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
        app_wide = status == 429 or response.code == APP_RATE_LIMITED
        return RateLimited(response.code, response.msg or "rate limited", retry_after, app_wide=app_wide)
    return FeishuError(response.code, response.msg or f"HTTP {status}")
