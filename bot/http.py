"""The bot's one ASGI app: POST /slack/events, POST /feishu/events (from the adapters), GET /healthz,
GET /metrics (when `[http] metrics`).

The routes are open to anyone who can reach the port, so every request is bounded before a route
sees it (`BodyGuard`): a body larger than `MAX_BODY` is refused with 413 before more than the cap
is read (at once when Content-Length says so), a body that does not arrive within `BODY_TIMEOUT`
gets 408, and a client that goes away mid-body is logged in one line, not a traceback. The server
(`HttpServer`) closes connections whose request headers take longer than `HEADER_TIMEOUT`, idle
keep-alive connections after `KEEP_ALIVE`, caps header size and the number of connections.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.adapters import Adapter
from bot.health import Health

if TYPE_CHECKING:
    from bot.clock import Clock
    from storage.database import Database

__all__ = [
    "BODY_TIMEOUT",
    "HEADER_TIMEOUT",
    "KEEP_ALIVE",
    "MAX_BODY",
    "MAX_CONNECTIONS",
    "MAX_HEADERS",
    "BodyGuard",
    "HttpServer",
    "create_app",
]

log = logging.getLogger(__name__)

# Slack documents no payload limit above a few hundred KB (a message is ≤ 40,000 characters, a
# view ≤ 100 blocks); Feishu's event bodies are far smaller. 1 MB covers both with room.
MAX_BODY = 1 << 20
BODY_TIMEOUT = 10.0  # seconds for the whole body, from the first read
HEADER_TIMEOUT = 10.0  # seconds from connection (or the previous response) to complete headers
KEEP_ALIVE = 5  # seconds an idle keep-alive connection stays open
MAX_HEADERS = 16 * 1024  # bytes of request line + headers
MAX_CONNECTIONS = 512  # concurrent connections and requests; more get 503 at once


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class BodyGuard:
    """ASGI middleware bounding every request body in size and time, while it streams in."""

    def __init__(self, app: ASGIApp, *, max_body: int = MAX_BODY, body_timeout: float = BODY_TIMEOUT) -> None:
        self.app = app
        self.max_body = max_body
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await self._refuse(send, path, _Refused(413, f"request body too large (over {self.max_body} bytes)"))
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, self._bounded(receive), tracking_send)
        except _Refused as refusal:
            if started:  # not expected: routes read the body before answering
                raise
            await self._refuse(send, path, refusal)
        except ClientDisconnect:
            log.info("client went away before its request to %s was read", path)

    def _bounded(self, receive: Receive) -> Receive:
        """`receive` raising `_Refused` once the body passes the cap or the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        state = {"read": 0, "done": False}

        async def bounded() -> Message:
            if state["done"]:  # after the body: waits for a disconnect, unbounded
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise _Refused(408, f"request body not received within {self.body_timeout:g} s") from None
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > self.max_body:
                    raise _Refused(413, f"request body too large (over {self.max_body} bytes)")
                state["done"] = not message.get("more_body", False)
            return message

        return bounded

    @staticmethod
    async def _refuse(send: Send, path: str, refusal: _Refused) -> None:
        log.warning("refused a request to %s: %s", path, refusal.reason)
        response = JSONResponse({"error": refusal.reason}, status_code=refusal.status, headers={"Connection": "close"})
        await response({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


def create_app(
    adapters: Sequence[Adapter], *, db: Database | None = None, clock: Clock | None = None, metrics: bool = False
) -> Starlette:
    """The routes of `adapters`, `GET /healthz` (checking `db` when given, see bot/health.py) and,
    with `metrics`, `GET /metrics` and the inbound request counter (bot/metrics.py)."""
    health = Health(db, clock) if db is not None else None

    async def healthz(_request: Request) -> JSONResponse:
        reasons = await run_in_threadpool(health.reasons) if health is not None else []
        body = {
            "status": "degraded" if reasons else "ok",
            "reasons": reasons,
            "adapters": [a.platform for a in adapters],
        }
        return JSONResponse(body, status_code=503 if reasons else 200)

    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    for adapter in adapters:
        routes.extend(adapter.routes())
    middleware = [Middleware(BodyGuard)]
    if metrics:
        from bot import metrics as instruments

        async def scrape(_request: Request) -> Response:
            text = await run_in_threadpool(instruments.render, db)
            return Response(text, media_type=instruments.CONTENT_TYPE_LATEST)

        routes.append(Route("/metrics", scrape, methods=["GET"]))
        paths = frozenset(getattr(route, "path", "") for route in routes)
        middleware.insert(0, Middleware(instruments.RequestCounter, routes=paths))
    return Starlette(routes=routes, middleware=middleware)


def _guarded_protocol(header_timeout: float) -> type:
    """uvicorn's h11 protocol closing connections whose request headers do not arrive in time
    (uvicorn bounds idle keep-alive, not a request trickling in a byte at a time)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutH11(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._header_timer is None and self._awaiting_headers():
                self._arm()
            super().data_received(data)
            if not self._awaiting_headers():
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _awaiting_headers(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            self._header_timer = self.loop.call_later(header_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if self._awaiting_headers() and not self.transport.is_closing():
                log.info("closed a connection whose request headers took over %g s", header_timeout)
                self.transport.close()

    return HeaderTimeoutH11


class HttpServer:
    """uvicorn serving the app in a background thread (the console or a wait loop owns the main one)."""

    def __init__(self, app: Starlette, host: str, port: int, *, header_timeout: float = HEADER_TIMEOUT) -> None:
        import uvicorn

        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            http=_guarded_protocol(header_timeout),
            timeout_keep_alive=KEEP_ALIVE,
            h11_max_incomplete_event_size=MAX_HEADERS,
            limit_concurrency=MAX_CONNECTIONS,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="pmbot-http", daemon=True)

    @property
    def port(self) -> int:
        """The port listened on (the one chosen when 0 was asked); after `wait_started`."""
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    def start(self) -> None:
        self.thread.start()

    def wait_started(self, timeout: float = 10.0) -> bool:
        """Block until the socket is listening (bounded): for tests and start-up logs."""
        import time

        deadline = time.monotonic() + timeout
        while not self.server.started and time.monotonic() < deadline and self.thread.is_alive():
            time.sleep(0.02)
        return self.server.started

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
