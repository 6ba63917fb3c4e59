"""The Messenger port: how the outbox (and so the core and the scheduler) talks to a chat platform.

Each adapter (console, Slack, Feishu, and the recording fake in tests) implements it. Where a
message goes is a typed `Destination` carrying everything the platform needs — the workspace
(which token sends it), the kind of place, the message answered, the project channel — so a
messenger never looks anything up. `key` is the outbox key of the message: platforms that
deduplicate sends by a client token (Feishu's `uuid`) use it, so a retry never posts twice.
"""

from __future__ import annotations

from typing import Protocol

from handlers.destination import Destination, MessageRef
from handlers.replies import Reply

__all__ = ["Destination", "MessageRef", "Messenger"]


class Messenger(Protocol):
    platform: str

    def send(self, destination: Destination, reply: Reply, *, key: str) -> MessageRef:
        """Send a reply; returns where the message is, to update it later."""

    def update(self, ref: MessageRef, reply: Reply, *, key: str) -> None:
        """Replace a message the bot sent earlier (NotImplementedError: the outbox sends a new one)."""
