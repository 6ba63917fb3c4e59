"""POST /feishu/events: Feishu's request URL for events and card callbacks (HTTP mode).

The SDK's dispatcher decrypts the body and checks the verification token and the signature,
but it answers every failure with HTTP 500 (Feishu's cue to send again), a request without
the signature headers crashes it (500 as well), it looks headers up with one exact casing, and
it never looks at the timestamp (`EventDispatcherHandler.do` / `_verify_sign` in lark-oapi 1.7.5
hash timestamp + nonce + key + body and compare, nothing more), so a captured request could be
replayed forever. This route therefore checks first and refuses with a 4xx:

- 400 for a body that is not JSON (or nested too deeply to read), cannot be decrypted, is plaintext although an encrypt key is
  set, or lacks the timestamp/nonce/signature headers (signatures exist only with an encrypt key);
- 401 for a wrong verification token, a wrong signature, or a timestamp outside the replay
  window (on the injected clock);
- 403 for an event addressed to another app (`header.app_id` is not ours).

A valid event of a type nobody subscribed is acknowledged with 200 and ignored (anything else
makes Feishu push it again for hours). Oversized and slow bodies never get here: `bot.http`
bounds every request body.

The replay window. Feishu re-pushes an event not answered 200 within 3 s "以 15秒、5分钟、1小时、
6小时 的间隔重新推送事件,最多重试 4 次 … 事件重发的最长时间窗口约为 7.1 小时" (event subscription
guide); whether a re-push carries a fresh `X-Lark-Request-Timestamp` is not documented. A request
with a valid signature may therefore be up to `SIGNED_WINDOW` old: it can only be Feishu's own
push, and replaying it changes nothing, because every handler dedupes on the event id stored with
its effects (`feishu:event:<event_id>` delivery keys, outbox keys). Without an encrypt key there
is no signature, and the 5-minute `REPLAY_WINDOW` applies to everything. Timestamps from the
future get 5 minutes either way.

Only then does the SDK see the request, with the header names it expects, in a worker thread
(its handlers are synchronous). The url_verification challenge carries no signature headers;
it is answered by the SDK after the token check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Collection, Mapping
from datetime import timedelta
from typing import Any

from Crypto.Cipher import AES
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.clock import Clock
from bot.feishu.events import EVENT_TYPES

__all__ = ["REPLAY_WINDOW", "SIGNED_WINDOW", "FeishuWebhook", "decrypt", "signature"]

log = logging.getLogger(__name__)

REPLAY_WINDOW = timedelta(minutes=5)
# Feishu's retries span about 7.1 hours (15 s + 5 min + 1 h + 6 h after the first push); an hour more
# for slow first attempts and clock skew.
SIGNED_WINDOW = timedelta(hours=8)
TIMESTAMP, NONCE, SIGNATURE = "X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature"
# Header names as the SDK looks them up (it does not normalise case).
_CANONICAL = (TIMESTAMP, NONCE, SIGNATURE, "X-Request-Id", "Content-Type")


def decrypt(encrypted: str, encrypt_key: str) -> str:
    """Feishu's body encryption: AES-256-CBC, key = SHA-256(encrypt_key), IV first, PKCS7."""
    data = base64.b64decode(encrypted, validate=True)
    if len(data) < 32 or len(data) % 16:
        raise ValueError("ciphertext has a bad length")
    plain = AES.new(hashlib.sha256(encrypt_key.encode()).digest(), AES.MODE_CBC, data[:16]).decrypt(data[16:])
    pad = plain[-1]
    if not 1 <= pad <= 16 or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad padding")
    return plain[:-pad].decode("utf-8")


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body).hexdigest()


class FeishuWebhook:
    def __init__(
        self,
        *,
        dispatcher: Callable[[], Any],
        app_id: str,
        encrypt_key: str,
        verification_token: str,
        clock: Clock,
        window: timedelta = REPLAY_WINDOW,
        signed_window: timedelta = SIGNED_WINDOW,
        known_types: Collection[str] = EVENT_TYPES,
    ) -> None:
        """`known_types`: the event types with a handler; others are acknowledged unread."""
        self.dispatcher = dispatcher
        self.app_id = app_id
        self.known_types = frozenset(known_types)
        self.encrypt_key = encrypt_key
        self.verification_token = verification_token
        self.clock = clock
        self.window = window
        self.signed_window = signed_window

    def route(self) -> Route:
        return Route("/feishu/events", self.endpoint, methods=["POST"])

    async def endpoint(self, request: Request) -> Response:
        raw = await request.body()
        refusal, body = self._inspect(raw, request.headers)
        if refusal is not None:
            log.warning("refused a Feishu request: %s", refusal[0])
            return JSONResponse({"msg": refusal[0]}, status_code=refusal[1])
        if self._unsubscribed(body):
            return JSONResponse({"msg": "success"})
        from lark_oapi.core.model import RawRequest

        sdk_request = RawRequest()
        sdk_request.uri = request.url.path
        sdk_request.body = raw
        sdk_request.headers = {name: request.headers[name] for name in _CANONICAL if name in request.headers}
        response = await run_in_threadpool(self.dispatcher().do, sdk_request)
        return Response(response.content or b"", status_code=response.status_code or 200, media_type="application/json")

    def check(self, raw: bytes, headers: Mapping[str, str]) -> tuple[str, int] | None:
        """Why the request must be refused (reason, status), or None when it may go to the SDK."""
        return self._inspect(raw, headers)[0]

    def _inspect(self, raw: bytes, headers: Mapping[str, str]) -> tuple[tuple[str, int] | None, dict[str, Any]]:
        """(`check`'s answer, the decrypted body as far as it could be read)."""
        opened = self._open(raw)
        if isinstance(opened, tuple):
            return opened, {}
        return self._verify(opened, raw, headers), opened

    def _open(self, raw: bytes) -> dict[str, Any] | tuple[str, int]:
        """The body as a JSON object, decrypted; or why it cannot be read."""
        body = _json(raw)
        if body is None:
            return "body is not JSON", 400
        if not isinstance(body, dict):
            return "body is not a JSON object", 400
        if "encrypt" in body:
            if not self.encrypt_key:
                return "encrypted body but no encrypt_key configured", 400
            try:
                body = _json(decrypt(str(body["encrypt"]), self.encrypt_key))
            except ValueError:
                return "body cannot be decrypted", 400
            if not isinstance(body, dict):
                return "decrypted body is not a JSON object", 400
        elif self.encrypt_key:
            return "body must be encrypted", 400
        return body

    def _verify(self, body: dict[str, Any], raw: bytes, headers: Mapping[str, str]) -> tuple[str, int] | None:
        """Token, app, signature and timestamp of an opened body."""
        header = _header(body)
        token = header.get("token") if "schema" in body else body.get("token")
        if self.verification_token and not hmac.compare_digest(str(token or ""), self.verification_token):
            return "wrong verification token", 401
        if self.app_id and "app_id" in header and header["app_id"] != self.app_id:
            return "event for another app", 403
        if body.get("type") == "url_verification":
            return None
        timestamp, nonce, sent = headers.get(TIMESTAMP), headers.get(NONCE), headers.get(SIGNATURE)
        if self.encrypt_key:
            if not (timestamp and nonce and sent):
                return "missing X-Lark-Request-Timestamp / X-Lark-Request-Nonce / X-Lark-Signature", 400
            if not hmac.compare_digest(signature(timestamp, nonce, self.encrypt_key, raw), sent):
                return "wrong signature", 401
        if timestamp is not None:
            try:
                age = self.clock.now().timestamp() - int(timestamp)
            except ValueError:
                return "timestamp is not a number", 400
            oldest = self.signed_window if self.encrypt_key else self.window  # signed: checked above
            if not -self.window.total_seconds() <= age <= oldest.total_seconds():
                return "timestamp outside the replay window", 401
        return None

    def _unsubscribed(self, body: dict[str, Any]) -> bool:
        """Whether a checked body is an event of a type without a handler."""
        event_type = _header(body).get("event_type")
        if event_type is None or event_type in self.known_types:
            return False
        log.info("acknowledged a Feishu event of a type pmbot does not handle: %s", event_type)
        return True


def _header(body: dict[str, Any]) -> dict[str, Any]:
    header = body.get("header")
    return header if isinstance(header, dict) else {}


def _json(text: str | bytes) -> Any:
    """The parsed JSON, or None when it is not JSON: also bytes that are not UTF-8 and nesting
    too deep for the parser (RecursionError, which is no ValueError)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
