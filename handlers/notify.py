"""Queueing outbound messages from domain code, inside the caller's transaction.

A row in `Notification` is the outbox entry: its unique `key` makes queueing idempotent, so a
repeated tick, a restart or a second replica can never queue the same message twice. The bot's
outbox (`bot/outbox.py`) sends the rows. A row either sends a reply to a `Destination`, or
replaces a message sent earlier: one named by its `MessageRef`, or the one queued under another
key (resolved once that message has been sent).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from handlers.destination import Destination, MessageRef
from handlers.replies import Reply, reply_to_dict
from storage.models import Notification

__all__ = ["queue"]


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
    """Queue a message; False if one with this key was queued before (then nothing changes).

    `replaces` makes it an update: of that message, or of the message queued under that key
    (`destination` then says where that one was meant to go)."""
    if isinstance(replaces, MessageRef):
        destination = replaces.destination
    row = Notification(
        key=key[:200],
        platform=platform,
        workspace_id=workspace_id,
        project_id=project_id,
        action="send" if replaces is None else "update",
        destination=destination.to_dict(),
        update_of=replaces if isinstance(replaces, str) else None,
        message_id=replaces.id if isinstance(replaces, MessageRef) else None,
        payload=reply_to_dict(reply),
        next_attempt_at=now,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True
