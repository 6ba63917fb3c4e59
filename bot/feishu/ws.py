"""The long connection (WebSocket) to Feishu: events arrive without a public URL.

`lark.ws.Client.start()` blocks forever and drives an asyncio loop that `lark_oapi.ws.client`
creates when it is first imported — in whichever thread imports it. So the client runs in its
own daemon thread, and that thread is the one that imports lark_oapi (before anything else in
the process does, in ws mode), so the loop belongs to it and never to the main thread, the
HTTP server's loop or the console. Events go to the same dispatcher as in HTTP mode; the SDK
skips the signature checks there (the connection itself is authenticated with app_id/secret).

An event of a type without a handler is acknowledged and ignored (`acknowledging_unsubscribed`).
Feishu pushes each event to one connected client; after a reconnect it may push recent events
again with new event ids, which the message-id delivery key catches.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from bot.feishu.events import EVENT_TYPES

__all__ = ["LongConnection", "acknowledging_unsubscribed"]

log = logging.getLogger(__name__)


def acknowledging_unsubscribed(handler: Any) -> Any:
    """`handler` (the SDK's dispatcher, changed in place) acknowledging events of a type with no
    handler (`EVENT_TYPES`) instead of failing them: the SDK's long-connection client would log
    an error and answer 500, and Feishu would push the event again. As HTTP mode does."""
    if getattr(handler, "_pmbot_acknowledges", False):
        return handler
    dispatch = handler._do_without_validation

    def dispatch_known(payload: bytes) -> Any:
        event_type = _event_type(payload)
        if event_type is not None and event_type not in EVENT_TYPES:
            log.info("acknowledged a Feishu event of a type pmbot does not handle: %s", event_type)
            return None
        return dispatch(payload)

    handler._do_without_validation = dispatch_known
    handler._pmbot_acknowledges = True
    return handler


def _event_type(payload: bytes) -> str | None:
    """A v2 event's `header.event_type` (None when it is not one: the SDK decides)."""
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    header = body.get("header") if isinstance(body, dict) and "schema" in body else None
    event_type = header.get("event_type") if isinstance(header, dict) else None
    return event_type if isinstance(event_type, str) else None


class LongConnection:
    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        domain: str,
        dispatcher: Callable[[], Any],
        client_factory: Callable[..., Any] | None = None,
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.domain = domain.rstrip("/")
        self.dispatcher = dispatcher
        self.client_factory = client_factory
        self.client: Any = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="pmbot-feishu-ws", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        import lark_oapi as lark  # here, so the SDK's event loop belongs to this thread

        factory = self.client_factory or lark.ws.Client
        try:
            self.client = factory(
                self.app_id,
                self.app_secret,
                event_handler=acknowledging_unsubscribed(self.dispatcher()),
                domain=self.domain,
                log_level=lark.LogLevel.INFO,
                auto_reconnect=True,
            )
        finally:
            self.ready.set()
        try:
            self.client.start()
        except RuntimeError:  # the loop was stopped by stop()
            self._drain()
            log.info("Feishu long connection stopped")
        except Exception:
            log.exception("Feishu long connection failed")

    @staticmethod
    def _drain() -> None:
        """Let the SDK's tasks (receive loop, pings, caches) end cleanly on the stopped loop."""
        import asyncio

        from lark_oapi.ws.client import loop

        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the SDK's loop (it has no stop of its own); the daemon thread then ends."""
        import sys

        module = sys.modules.get("lark_oapi.ws.client")
        loop = getattr(module, "loop", None)
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        if self.thread.is_alive():
            self.thread.join(timeout)
