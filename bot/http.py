"""The bot's one ASGI app: POST /slack/events, POST /feishu/events (from the adapters), GET /healthz."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.adapters import Adapter

__all__ = ["HttpServer", "create_app"]


def create_app(adapters: Sequence[Adapter], health: dict[str, object] | None = None) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "adapters": [a.platform for a in adapters], **(health or {})})

    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    for adapter in adapters:
        routes.extend(adapter.routes())
    return Starlette(routes=routes)


class HttpServer:
    """uvicorn serving the app in a background thread (the console or a wait loop owns the main one)."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, name="pmbot-http", daemon=True)

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
