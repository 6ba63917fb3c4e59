"""The Messenger port: how the core and the scheduler talk to a chat platform.

Each adapter (console, Slack, Feishu, and the recording fake in tests) implements it. A
`MessageRef` identifies a sent message so it can be updated in place later.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from handlers.replies import Reply

__all__ = ["MessageRef", "Messenger"]


@dataclass(frozen=True)
class MessageRef:
    channel: str
    id: str


class Messenger(Protocol):
    platform: str

    def post(self, channel: str, reply: Reply) -> MessageRef:
        """Post into a channel (visible to everyone in it)."""

    def dm(self, user: str, reply: Reply) -> MessageRef:
        """Send a direct message to one user."""

    def update(self, ref: MessageRef, reply: Reply) -> None:
        """Replace a message the bot sent earlier."""
