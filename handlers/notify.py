"""Queueing outbound messages from domain code, inside the caller's transaction.

A row in `Notification` is the outbox entry: its unique `key` makes queueing idempotent, so a
repeated tick, a restart or a second replica can never queue the same message twice. The bot's
outbox (`bot/outbox.py`) sends the rows. A row either sends a reply to a `Destination`, or
replaces a message sent earlier: one named by its `MessageRef`, or the one queued under another
key (resolved once that message has been sent).

`queue_many` writes any number of messages in a few statements (`INSERT … ON CONFLICT (key) DO
NOTHING RETURNING key`, on SQLite and PostgreSQL alike), which is what lets the scheduler queue a
whole batch of projects' morning messages at once; `queue` is the one-message case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from handlers.destination import Destination, MessageRef
from handlers.replies import Reply, reply_to_dict
from storage.models import Notification

__all__ = ["Message", "queue", "queue_many"]

KEY_LENGTH = 200


@dataclass(frozen=True)
class Message:
    """One message to queue. `replaces` makes it an update: of that message, or of the message
    queued under that key (`destination` then says where that one was meant to go)."""

    key: str
    platform: str
    destination: Destination
    reply: Reply
    now: datetime
    replaces: MessageRef | str | None = None
    workspace_id: int | None = None
    project_id: int | None = None

    @property
    def stored_key(self) -> str:
        return self.key[:KEY_LENGTH]

    def row(self) -> dict[str, Any]:
        """The outbox row's column values (every column but the id, defaults spelled out)."""
        replaces = self.replaces
        destination = replaces.destination if isinstance(replaces, MessageRef) else self.destination
        return {
            "key": self.stored_key,
            "platform": self.platform,
            "workspace_id": self.workspace_id,
            "project_id": self.project_id,
            "action": "send" if replaces is None else "update",
            "destination": destination.to_dict(),
            "update_of": replaces if isinstance(replaces, str) else None,
            "payload": reply_to_dict(self.reply),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": self.now,
            "last_error": "",
            "message_id": replaces.id if isinstance(replaces, MessageRef) else None,
            "created_at": self.now,
            "sent_at": None,
        }


def queue(
    session: Session,
    *,
    key: str,
    platform: str,
    destination: Destination,
    reply: Reply,
    now: datetime,
    replaces: MessageRef | str | None = None,
    workspace_id: int | None = None,
    project_id: int | None = None,
) -> bool:
    """Queue a message; False if one with this key was queued before (then nothing changes)."""
    message = Message(key, platform, destination, reply, now, replaces, workspace_id, project_id)
    return bool(queue_many(session, [message]))


def queue_many(session: Session, messages: Sequence[Message]) -> set[str]:
    """Queue `messages` in order, skipping every key queued before (or earlier in `messages`);
    returns the stored keys of those queued now. A key a concurrent transaction is inserting
    waits for it (PostgreSQL) and is then skipped, never an error."""
    fresh: dict[str, dict[str, Any]] = {}
    for message in messages:
        fresh.setdefault(message.stored_key, message.row())
    if not fresh:
        return set()
    table = Notification.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.key)
    # Many rows with RETURNING: SQLAlchemy sends them as multi-row INSERTs ("insertmanyvalues").
    return set(session.execute(insert, list(fresh.values())).scalars())
