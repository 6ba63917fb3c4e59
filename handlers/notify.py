"""Queueing outbound messages from domain code, inside the caller's transaction.

A row in `Notification` is the outbox entry: its unique `key` makes queueing idempotent, so a
repeated tick, a restart or a second replica can never queue the same message twice. The bot's
outbox (`bot/outbox.py`) sends the rows. `target_kind` is channel | dm | update; an update's
target is `key:<key of the message to replace>`, resolved once that message has been sent.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from handlers.replies import Reply, reply_to_dict
from storage.models import Notification

__all__ = ["queue", "update_target"]


def update_target(key: str) -> str:
    return f"key:{key}"


def queue(session: Session, *, key: str, platform: str, target_kind: str, target: str, reply: Reply,
          now: datetime, workspace_id: int | None = None, project_id: int | None = None) -> bool:
    """Queue a message; False if one with this key was queued before (then nothing changes)."""
    row = Notification(key=key[:200], platform=platform, workspace_id=workspace_id, project_id=project_id,
                       target_kind=target_kind, target=target, payload=reply_to_dict(reply),
                       next_attempt_at=now, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True
