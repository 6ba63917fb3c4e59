"""What a messenger adapter (Slack, Feishu) offers the runtime.

An adapter translates platform payloads into `Context` + text/actions for the core, renders
the neutral replies, and exposes a `Messenger` for proactive sends (outbox, scheduler).
Adapters are created lazily by `bot.runtime` only when enabled in the config, so their SDKs
are never imported otherwise.
"""
from __future__ import annotations

from typing import Protocol

from starlette.routing import BaseRoute

from bot.messenger import Messenger

__all__ = ["Adapter"]


class Adapter(Protocol):
    platform: str
    messenger: Messenger

    def routes(self) -> list[BaseRoute]:
        """HTTP routes served on the bot's one ASGI app (HTTP mode); [] otherwise."""

    def start(self) -> None:
        """Open background connections (Socket Mode, long connection). Must not block."""

    def stop(self) -> None:
        """Close connections; called once at shutdown."""
