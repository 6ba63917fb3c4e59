"""The one base of the fake platform servers (tests/support/fake_slack.py, fake_feishu.py).

A `FakeServer` serves HTTP on a free loopback port from a daemon thread and, once
`serve_websocket()` is called, a WebSocket endpoint from its own event loop (Slack's Socket
Mode, Feishu's long connection). A subclass says only what is platform-specific: how a request
is answered (`answer`), what a WebSocket client is greeted with (`ws_greeting`) and what to do
with what it sends (`ws_received`). The base owns the lifecycle, the request/response plumbing,
the lock, and the clock that stamps every recorded call — a pacing test hands it the bot's fake
monotonic clock and reads the send times off the calls.

Use it as a context manager (`with FakeSlack() as fake:`) or with `start()` / `stop()`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = ["FakeServer", "Request", "Response"]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    raw: bytes

    def json(self) -> Any:
        """The body as JSON (None when empty)."""
        return json.loads(self.raw) if self.raw else None


@dataclass(frozen=True)
class Response:
    status: int
    payload: Any  # JSON-encoded unless it is bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"

    def body(self) -> bytes:
        if isinstance(self.payload, bytes):
            return self.payload
        return json.dumps(self.payload, ensure_ascii=False).encode("utf-8")


class FakeServer:
    """HTTP (and optionally WebSocket) on loopback; subclasses implement `answer`."""

    name = "fake"

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.ws_url = ""
        self._lock = threading.RLock()  # held by subclasses around their own state, too
        self._ws_loop: asyncio.AbstractEventLoop | None = None
        self._ws_clients: list[Any] = []
        self._ws_main: asyncio.Task[None] | None = None
        serve = self._serve

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                serve(self, "GET")

            def do_POST(self) -> None:
                serve(self, "POST")

            def do_PATCH(self) -> None:
                serve(self, "PATCH")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, name=self.name, daemon=True
        )

    # --- what a platform implements -------------------------------------------------------
    def answer(self, request: Request) -> Response:
        raise NotImplementedError

    def ws_greeting(self) -> str | bytes | None:
        """What a WebSocket client is sent as soon as it connects (None: nothing)."""
        return None

    def ws_received(self, message: str | bytes) -> None:
        """One message a WebSocket client sent."""

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._ws_loop is not None:
            asyncio.run_coroutine_threadsafe(self._close_websockets(), self._ws_loop).result(5)
            self._ws_loop.call_soon_threadsafe(self._ws_loop.stop)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- WebSocket ------------------------------------------------------------------------
    def serve_websocket(self, path: str = "/ws") -> None:
        """Start the WebSocket endpoint; `ws_url` is then where a client connects."""
        from websockets.asyncio.server import serve
        from websockets.exceptions import ConnectionClosed

        started = threading.Event()

        async def handler(connection: Any) -> None:
            self._ws_clients.append(connection)
            greeting = self.ws_greeting()
            if greeting is not None:
                await connection.send(greeting)
            try:
                async for message in connection:
                    self.ws_received(message)
            except ConnectionClosed:
                pass  # the client went away without a closing handshake

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._ws_loop = loop

            async def main() -> None:
                # A client that no longer answers (its bot stopped) must not hold up stop().
                server = await serve(handler, "127.0.0.1", 0, close_timeout=0.5)
                self.ws_url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}{path}"
                started.set()
                await asyncio.Event().wait()

            self._ws_main = loop.create_task(main())  # held: the loop keeps only weak references
            loop.run_forever()

        threading.Thread(target=run, name=f"{self.name}-ws", daemon=True).start()
        assert started.wait(5), f"{self.name}: the WebSocket endpoint did not start"

    @property
    def ws_connected(self) -> bool:
        return bool(self._ws_clients)

    def ws_send(self, message: str | bytes) -> None:
        """Send one message to the most recently connected client."""
        assert self._ws_loop is not None and self._ws_clients, f"{self.name}: no WebSocket client"
        asyncio.run_coroutine_threadsafe(self._ws_clients[-1].send(message), self._ws_loop).result(5)

    async def _close_websockets(self) -> None:
        for client in self._ws_clients:
            await client.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- serving --------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        request = Request(
            method,
            parts.path,
            dict(parse_qsl(parts.query)),
            {k.lower(): v for k, v in handler.headers.items()},
            handler.rfile.read(length) if length else b"",
        )
        response = self.answer(request)
        body = response.body()
        handler.send_response(response.status)
        handler.send_header("Content-Type", response.content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in response.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
