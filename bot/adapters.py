"""What a messenger adapter (Slack, Feishu, …) is given, what it offers, and how it is found.

An adapter translates platform payloads into neutral calls on the core (`Core.context`,
`handle_text`, `handle_action`, `bot_joined`, `queue`) and neutral replies into platform calls
(its `Messenger`, used by the outbox). It is given only what it uses, an `AdapterDeps`, and
never the runtime: adapters depend on the core, not the other way round.

The runtime finds adapters by name in `bot.registry.MESSENGERS` and imports an adapter's package
only when its config section says `enabled = true`, so no SDK is loaded otherwise. A new messenger
is its own package under `bot/` (exposing `create_adapter(deps, **options)` and a `config.Settings`
section), plus one line in `bot/registry.py`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.routing import BaseRoute

from bot.clock import Clock
from bot.messenger import Messenger
from bot.outbox import Outbox
from bot.registry import MESSENGERS
from handlers.core import Core
from storage.database import Database

__all__ = ["Adapter", "AdapterDeps", "create_adapter"]


@dataclass(frozen=True)
class AdapterDeps:
    """What an adapter may use: its own config section, the core, the database (for SDK stores
    such as Slack's installations), the clock, and the outbox its messenger sends through."""

    config: Any
    core: Core
    db: Database
    clock: Clock
    outbox: Outbox


class Adapter(Protocol):
    platform: str
    messenger: Messenger

    def routes(self) -> list[BaseRoute]:
        """HTTP routes served on the bot's one ASGI app (HTTP mode); [] otherwise."""

    def start(self) -> None:
        """Open background connections (Socket Mode, long connection). Must not block."""

    def stop(self) -> None:
        """Close connections; called once at shutdown."""


def create_adapter(name: str, deps: AdapterDeps, **options: Any) -> Adapter:
    """The adapter registered as `name`, built on `deps` (imports its package now)."""
    adapter: Adapter = importlib.import_module(MESSENGERS[name]).create_adapter(deps, **options)
    return adapter
