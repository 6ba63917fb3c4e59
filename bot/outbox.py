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
import threading
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, select

from bot.clock import Clock
from bot.messenger import MessageRef, Messenger
from handlers.notify import queue
from handlers.replies import Reply, reply_from_dict
from storage.database import Database
from storage.models import Notification

__all__ = ["SENDING_KEY", "DeliveryWorker", "Outbox", "Outgoing"]

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# The key of the message being sent, for messengers whose platform deduplicates sends by a
# client token (Feishu's `uuid`): a retry after a lost response then never posts twice.
SENDING_KEY: ContextVar[str | None] = ContextVar("pmbot_outbox_sending_key", default=None)
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


class NotSentYet(Exception):
    """An update whose original message has not been sent yet; retried later."""

    retry_after = 30


class Outbox:
    def __init__(self, db: Database, clock: Clock, messengers: Mapping[str, Messenger], *,
                 max_attempts: int = 12) -> None:
        self.db = db
        self.clock = clock
        self.messengers = dict(messengers)
        self.max_attempts = max_attempts

    # --- queueing ---------------------------------------------------------------------
    def add(self, session: Session, m: Outgoing) -> bool:
        """Queue inside the caller's transaction. False if the key was queued before."""
        return queue(session, key=m.key, platform=m.platform, target_kind=m.target_kind, target=m.target,
                     reply=m.reply, now=self.clock.now(), workspace_id=m.workspace_id, project_id=m.project_id)

    def enqueue(self, message: Outgoing) -> bool:
        with self.db.session() as session:
            return self.add(session, message)

    # --- sending ----------------------------------------------------------------------
    def deliver(self, limit: int = 100, now: datetime | None = None) -> int:
        """Send every due message (pending, or with an expired lease). Returns how many were sent.
        `now` defaults to the clock; the scheduler passes the instant it is replaying."""
        now = now or self.clock.now()
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
        token = SENDING_KEY.set(row.key)
        try:
            ref = self._dispatch(messenger, self._resolve(row), reply)
        except Exception as exc:  # any failure of the platform call is retried
            self._failed(row, now, exc)
            return False
        finally:
            SENDING_KEY.reset(token)
        with self.db.session() as session:
            session.execute(update(Notification).where(Notification.id == nid).values(
                status="sent", sent_at=self.clock.now(), attempts=row.attempts + 1,
                message_ref=ref_to_text(ref) if ref else row.message_ref, last_error=""))
        return True

    def _resolve(self, row: Notification) -> Notification:
        """An update aimed at `key:<k>` goes to wherever message <k> was sent; until then it waits."""
        if row.target_kind == "update" and row.target.startswith("key:"):
            ref = self.sent_ref(row.target[4:])
            if ref is None:
                raise NotSentYet(row.target[4:])
            row.target = ref_to_text(ref)
        return row

    @staticmethod
    def _dispatch(messenger: Messenger, row: Notification, reply: Reply) -> MessageRef | None:
        if row.target_kind == "channel":
            return messenger.post(row.target, reply)
        if row.target_kind == "dm":
            return messenger.dm(row.target, reply)
        if row.target_kind == "update":
            ref = ref_from_text(row.target)
            try:
                messenger.update(ref, reply)
            except NotImplementedError:  # the platform cannot edit: send a follow-up instead
                return messenger.post(ref.channel, reply)
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


class DeliveryWorker:
    """A thread that sends an adapter's queued answers: at once when kicked, and every
    `interval` seconds for retries that fell due. Listeners queue and return within the
    platform's 3-second deadline; pacing sleeps happen here, never in a listener."""

    def __init__(self, deliver: Callable[[], int], *, interval: float = 2.0,
                 name: str = "pmbot-delivery") -> None:
        self.deliver = deliver
        self.interval = interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.deliver()
            except Exception:  # a broken database must not end the thread; the next round retries
                log.exception("delivery round of %s failed", self.thread.name)
