"""The outbox: outbound messages stored under an idempotency key before they are sent.

Messages are queued as `Notification` rows (`handlers.notify.queue`, through `Core.queue` for
adapters); the unique `key` (e.g. `overdue:42:2026-12-01`) means a restart, a retry or a second
replica can never queue the same message twice. `deliver()` sends what is due through the
platform's Messenger. A failed send stays in the table and is retried with exponential backoff;
after `max_attempts` it is marked `dead` and logged, never silently dropped. A row being sent is
leased (status `sending`, lease in `next_attempt_at`) so two processes never send it at the
same time; a lease left by a crashed process expires.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import select

from bot import metrics
from bot.clock import Clock
from bot.messenger import Messenger
from handlers.destination import Destination, MessageRef
from handlers.replies import Reply, reply_from_dict
from storage.database import Database
from storage.models import Notification

__all__ = ["DeliveryWorker", "Outbox"]

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)


class NotSentYet(Exception):
    """An update whose original message has not been sent yet; retried later."""

    retry_after = 30


class Outbox:
    def __init__(
        self, db: Database, clock: Clock, messengers: Mapping[str, Messenger] | None = None, *, max_attempts: int = 12
    ) -> None:
        self.db = db
        self.clock = clock
        self.messengers = dict(messengers or {})
        self.max_attempts = max_attempts

    def register(self, messenger: Messenger) -> None:
        """Send the rows of `messenger.platform` through it."""
        self.messengers[messenger.platform] = messenger

    # --- sending ----------------------------------------------------------------------
    def deliver(self, limit: int = 100, now: datetime | None = None, *, platform: str | None = None) -> int:
        """Send every due message (pending, or with an expired lease) of `platform` (default:
        every registered one). Returns how many were sent. `now` defaults to the clock; the
        scheduler passes the instant it is replaying."""
        now = now or self.clock.now()
        platforms = [platform] if platform else list(self.messengers)
        with self.db.session() as session:
            ids = list(
                session.exec(
                    select(Notification.id)
                    .where(
                        or_(Notification.status == "pending", Notification.status == "sending"),
                        Notification.next_attempt_at <= now,
                        Notification.platform.in_(platforms),
                    )
                    .order_by(Notification.id)
                    .limit(limit)
                )
            )
        return sum(1 for nid in ids if self._send_one(nid, now))

    def sent_ref(self, key: str) -> MessageRef | None:
        """Where a message went, once sent (to update it in place later)."""
        with self.db.session() as session:
            row = session.exec(select(Notification).where(Notification.key == key)).first()
            return _ref(row) if row and row.status == "sent" and row.message_id else None

    def _claim(self, nid: int, now: datetime) -> Notification | None:
        with self.db.session() as session:
            claimed = session.execute(
                update(Notification)
                .where(
                    Notification.id == nid,
                    Notification.next_attempt_at <= now,
                    or_(Notification.status == "pending", Notification.status == "sending"),
                )
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
        started = time.perf_counter()
        try:
            ref = self._dispatch(messenger, row, reply_from_dict(row.payload))
        except Exception as exc:  # any failure of the platform call is retried
            metrics.observe_send(row.platform, time.perf_counter() - started, ok=False)
            self._failed(row, now, exc)
            return False
        metrics.observe_send(row.platform, time.perf_counter() - started, ok=True)
        with self.db.session() as session:
            session.execute(
                update(Notification)
                .where(Notification.id == nid)
                .values(
                    status="sent",
                    sent_at=self.clock.now(),
                    attempts=row.attempts + 1,
                    destination=ref.destination.to_dict(),
                    message_id=ref.id,
                    last_error="",
                )
            )
        return True

    def _replaced(self, row: Notification) -> MessageRef:
        """The message an update replaces; one queued under another key must have been sent."""
        if row.update_of is None:
            return _ref(row)
        ref = self.sent_ref(row.update_of)
        if ref is None:
            raise NotSentYet(row.update_of)
        return ref

    def _dispatch(self, messenger: Messenger, row: Notification, reply: Reply) -> MessageRef:
        if row.action == "send":
            return messenger.send(Destination.from_dict(row.destination), reply, key=row.key)
        ref = self._replaced(row)
        try:
            messenger.update(ref, reply, key=row.key)
        except NotImplementedError:  # the platform cannot edit: send a follow-up instead
            return messenger.send(ref.destination, reply, key=row.key)
        return ref

    def _failed(self, row: Notification, now: datetime, exc: Exception) -> None:
        attempts = row.attempts + 1
        retry_after = getattr(exc, "retry_after", None)
        delay = min(MAX_DELAY, BASE_DELAY * (2 ** (attempts - 1)))
        if isinstance(retry_after, (int, float)) and retry_after > 0:
            delay = max(delay, timedelta(seconds=retry_after))
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_error": f"{type(exc).__name__}: {exc}"[:2000],
            "status": "pending",
            "next_attempt_at": now + delay,
        }
        if attempts >= self.max_attempts:
            values["status"] = "dead"
            log.error("giving up on notification %s (%s) after %d attempts: %s", row.id, row.key, attempts, exc)
        else:
            log.warning("send of notification %s (%s) failed, retry in %s: %s", row.id, row.key, delay, exc)
        with self.db.session() as session:
            session.execute(update(Notification).where(Notification.id == row.id).values(**values))


def _ref(row: Notification) -> MessageRef:
    return MessageRef(Destination.from_dict(row.destination), row.message_id or "")


class DeliveryWorker:
    """A thread that sends an adapter's queued answers: at once when kicked, and every
    `interval` seconds for retries that fell due. Listeners queue and return within the
    platform's 3-second deadline; pacing sleeps happen here, never in a listener."""

    def __init__(self, deliver: Callable[[], int], *, interval: float = 2.0, name: str = "pmbot-delivery") -> None:
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
