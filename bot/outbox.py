"""The outbox: outbound messages stored under an idempotency key before they are sent.

`enqueue()` inserts a `Notification` row; its unique `key` (e.g. `overdue:42:2026-12-01`) means
a restart, a retry or a second replica can never queue the same message twice. `deliver()`
sends what is due through the platform's Messenger. A failed send stays in the table and is
retried with exponential backoff; after `max_attempts` it is marked `dead` and logged, never
silently dropped. A row being sent is leased (status `sending`, lease in `next_attempt_at`) so
two processes never send it at the same time; a lease left by a crashed process expires.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.clock import Clock
from bot.messenger import MessageRef, Messenger
from handlers.replies import Reply, reply_from_dict, reply_to_dict
from storage.database import Database
from storage.models import Notification

__all__ = ["Outbox", "Outgoing"]

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)


@dataclass(frozen=True)
class Outgoing:
    """One message to send. `target_kind` is channel | dm | update; for `update`, `target`
    is the `channel|id` of the message to replace."""

    key: str
    platform: str
    target_kind: str
    target: str
    reply: Reply
    workspace_id: int | None = None
    project_id: int | None = None


def ref_to_text(ref: MessageRef) -> str:
    return f"{ref.channel}|{ref.id}"


def ref_from_text(text: str) -> MessageRef:
    channel, _, ident = text.partition("|")
    return MessageRef(channel, ident)


class Outbox:
    def __init__(self, db: Database, clock: Clock, messengers: Mapping[str, Messenger], *,
                 max_attempts: int = 12) -> None:
        self.db = db
        self.clock = clock
        self.messengers = dict(messengers)
        self.max_attempts = max_attempts

    # --- queueing ---------------------------------------------------------------------
    def add(self, session: Session, message: Outgoing) -> bool:
        """Queue inside the caller's transaction. False if the key was queued before."""
        try:
            with session.begin_nested():
                session.add(self._row(message))
                session.flush()
        except IntegrityError:
            return False
        return True

    def enqueue(self, message: Outgoing) -> bool:
        with self.db.session() as session:
            return self.add(session, message)

    def _row(self, m: Outgoing) -> Notification:
        now = self.clock.now()
        return Notification(key=m.key[:200], platform=m.platform, workspace_id=m.workspace_id,
                            project_id=m.project_id, target_kind=m.target_kind, target=m.target,
                            payload=reply_to_dict(m.reply), next_attempt_at=now, created_at=now)

    # --- sending ----------------------------------------------------------------------
    def deliver(self, limit: int = 100) -> int:
        """Send every due message (pending, or with an expired lease). Returns how many were sent."""
        now = self.clock.now()
        with self.db.session() as session:
            ids = list(session.exec(
                select(Notification.id).where(
                    or_(Notification.status == "pending", Notification.status == "sending"),
                    Notification.next_attempt_at <= now,
                    Notification.platform.in_(list(self.messengers)),
                ).order_by(Notification.id).limit(limit)
            ))
        return sum(1 for nid in ids if self._send_one(nid, now))

    def sent_ref(self, key: str) -> MessageRef | None:
        """Where a message went, once sent (to update it in place later)."""
        with self.db.session() as session:
            row = session.exec(select(Notification).where(Notification.key == key)).first()
            return ref_from_text(row.message_ref) if row and row.message_ref else None

    def _claim(self, nid: int, now: datetime) -> Notification | None:
        with self.db.session() as session:
            claimed = session.execute(
                update(Notification)
                .where(Notification.id == nid, Notification.next_attempt_at <= now,
                       or_(Notification.status == "pending", Notification.status == "sending"))
                .values(status="sending", next_attempt_at=now + LEASE)
            ).rowcount
            if claimed != 1:
                return None
            return session.get(Notification, nid)

    def _send_one(self, nid: int, now: datetime) -> bool:
        row = self._claim(nid, now)
        if row is None:
            return False  # another process has it
        messenger = self.messengers[row.platform]
        reply = reply_from_dict(row.payload)
        try:
            ref = self._dispatch(messenger, row, reply)
        except Exception as exc:  # any failure of the platform call is retried
            self._failed(row, now, exc)
            return False
        with self.db.session() as session:
            session.execute(update(Notification).where(Notification.id == nid).values(
                status="sent", sent_at=self.clock.now(), attempts=row.attempts + 1,
                message_ref=ref_to_text(ref) if ref else row.message_ref, last_error=""))
        return True

    @staticmethod
    def _dispatch(messenger: Messenger, row: Notification, reply: Reply) -> MessageRef | None:
        if row.target_kind == "channel":
            return messenger.post(row.target, reply)
        if row.target_kind == "dm":
            return messenger.dm(row.target, reply)
        if row.target_kind == "update":
            ref = ref_from_text(row.target)
            messenger.update(ref, reply)
            return ref
        raise ValueError(f"unknown target kind {row.target_kind!r}")

    def _failed(self, row: Notification, now: datetime, exc: Exception) -> None:
        attempts = row.attempts + 1
        retry_after = getattr(exc, "retry_after", None)
        delay = min(MAX_DELAY, BASE_DELAY * (2 ** (attempts - 1)))
        if isinstance(retry_after, (int, float)) and retry_after > 0:
            delay = max(delay, timedelta(seconds=retry_after))
        values: dict[str, Any] = {"attempts": attempts, "last_error": f"{type(exc).__name__}: {exc}"[:2000],
                                  "status": "pending", "next_attempt_at": now + delay}
        if attempts >= self.max_attempts:
            values["status"] = "dead"
            log.error("giving up on notification %s (%s) after %d attempts: %s", row.id, row.key, attempts, exc)
        else:
            log.warning("send of notification %s (%s) failed, retry in %s: %s", row.id, row.key, delay, exc)
        with self.db.session() as session:
            session.execute(update(Notification).where(Notification.id == row.id).values(**values))
