"""The outbox: outbound messages stored under an idempotency key before they are sent.

Messages are queued as `Notification` rows (`handlers.notify.queue`, through `Core.queue` for
adapters); the unique `key` (e.g. `overdue:42:2026-12-01`) means a restart, a retry or a second
replica can never queue the same message twice. Senders deliver the due rows through the
platform's Messenger:

- Claims come in batches: one statement marks up to `batch` due rows `sending` under a lease
  (in `next_attempt_at`) and returns them — on PostgreSQL `UPDATE … WHERE id IN (SELECT … FOR
  UPDATE SKIP LOCKED) RETURNING`, so concurrent senders (threads, replicas) never get the same
  row; SQLite serialises writers. A lease left by a crashed process expires.
- Lanes keep order: a row is claimed only when no earlier row of its destination (its `lane`)
  is still unsent, so one destination never has two messages in flight and a later message
  never overtakes an earlier one, even one waiting for a retry.
- No sender sleeps on a busy channel: the messenger's pacer raises `Paced` and the row is given
  back for the instant the channel is free (attempts not counted) while other rows go out. A
  platform's rate limit (`Deferred`, 429 + Retry-After) is given back the same way.
- Results are written in few transactions: a batch's outcomes are recorded together, and sent
  rows also after `FLUSH_EVERY` sends or when a send ends `FLUSH_AFTER` seconds after the first
  unrecorded one (so one slow call can hold the group up to its timeout). A process killed after
  the platform accepted a message but before it was recorded sends it again once the lease
  expires: at most those few messages (Feishu drops the repeat by its `uuid`; Slack has no
  idempotency key, so there it shows twice).
- A failed send is retried with exponential backoff; after `max_attempts` the row is `dead`
  and logged, never silently dropped (`pmbot outbox list --status dead`, `retry`).

`deliver()` sends what is due now without ever sleeping; `drain(seconds)` also waits for what
falls due within the time (paced rows, retries); `worker(platform)` runs `senders` threads that
loop at once while their claims come back full and otherwise sleep until the earliest due row
or a kick.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, literal, select, update
from sqlalchemy.sql.elements import ColumnElement

from bot import metrics
from bot.clock import Clock
from bot.messenger import Messenger
from bot.pacing import Deferred, Paced
from handlers.destination import Destination, MessageRef
from handlers.replies import Reply, reply_from_dict
from storage.database import Database
from storage.models import NOTIFICATION_UNSENT, Notification

__all__ = ["SETTLE_SECONDS", "DeliveryWorker", "Outbox"]

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)
MIN_RATE_LIMIT = 1.0  # seconds a platform's 429 without a usable Retry-After is waited out
BATCH = 50  # rows one claim takes
SENDERS = 4  # sender threads per platform
FLUSH_EVERY = 20  # sent rows recorded together at most...
FLUSH_AFTER = 0.2  # ...and at most this many seconds after the platform accepted the first
IDLE = 30.0  # the longest a sender sleeps when nothing is due (a kick wakes it at once)
NAP = 0.05  # a sender's pause when a row is due but another sender holds it
SETTLE_SECONDS = 10.0  # how far an adapter's `deliver()` waits for paced channels and retries
UNSENT = ("pending", "sending")
RETRYABLE = ("pending", "dead")  # what `pmbot outbox retry ID` may make due now

_TABLE = Notification.__table__  # type: ignore[attr-defined]


class NotSentYet(Exception):
    """An update whose original message has not been sent yet; retried later."""

    retry_after = 30


class Outbox:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        messengers: Mapping[str, Messenger] | None = None,
        *,
        max_attempts: int = 12,
        batch: int = BATCH,
        senders: int = SENDERS,
    ) -> None:
        self.db = db
        self.clock = clock
        self.messengers = dict(messengers or {})
        self.max_attempts = max_attempts
        self.batch = batch
        self.senders = senders

    def register(self, messenger: Messenger) -> None:
        """Send the rows of `messenger.platform` through it."""
        self.messengers[messenger.platform] = messenger

    def worker(self, platform: str, *, name: str = "") -> DeliveryWorker:
        """The sender threads of one platform (started by its adapter)."""
        return DeliveryWorker(self, platform, senders=self.senders, name=name or f"pmbot-{platform}-delivery")

    # --- sending ----------------------------------------------------------------------
    def deliver(self, limit: int | None = None, now: datetime | None = None, *, platform: str | None = None) -> int:
        """Send every message due at `now` (default: the clock; the scheduler passes the instant
        it is replaying) of `platform` (default: every registered one), claiming at most `limit`
        rows. Never sleeps: a row whose channel is busy is given back for later. Returns how many
        were sent."""
        now = now or self.clock.now()
        sent = claimed = 0
        while limit is None or claimed < limit:
            size = self.batch if limit is None else min(self.batch, limit - claimed)
            round_sent, round_claimed = self.round(platform, now, size=size)
            if not round_claimed:
                break
            sent += round_sent
            claimed += round_claimed
        return sent

    def drain(
        self,
        seconds: float,
        *,
        platform: str | None = None,
        now: datetime | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> int:
        """Deliver what is due, then wait for and deliver what falls due (channels paced free,
        retries), until nothing more is due within `seconds`. Time inside runs from `now` by
        `monotonic`, so a replayed instant and fake time in tests work alike. Returns how many
        were sent."""
        start, base = monotonic(), now or self.clock.now()
        sent = 0
        while True:
            elapsed = monotonic() - start
            moment = base + timedelta(seconds=elapsed)
            done = self.deliver(now=moment, platform=platform)
            sent += done
            wait = self.due_in(platform, moment)
            if wait is None or elapsed + wait > seconds:
                return sent
            if wait > 0 or not done:
                sleep(max(round(wait, 6), NAP if not done else 0.0))  # instants are stored to the µs

    def round(
        self, platform: str | None = None, now: datetime | None = None, *, size: int | None = None
    ) -> tuple[int, int]:
        """Claim one batch due at `now` and send it: (sent, claimed)."""
        now = now or self.clock.now()
        rows = self._claim(now, self._platforms(platform), size or self.batch)
        return (self._send_batch(rows, now), len(rows)) if rows else (0, 0)

    def due_in(self, platform: str | None = None, now: datetime | None = None) -> float | None:
        """Seconds until the earliest row that can be claimed falls due (<= 0: now; None: no
        row is waiting)."""
        now = now or self.clock.now()
        due = _TABLE.alias("due")
        with self.db.session() as session:
            earliest = session.execute(
                select(func.min(due.c.next_attempt_at)).where(*self._claimable(due, self._platforms(platform)))
            ).scalar()
        return None if earliest is None else (earliest - now).total_seconds()

    def sent_ref(self, key: str) -> MessageRef | None:
        """Where a message went, once sent (to update it in place later)."""
        with self.db.session() as session:
            row = session.execute(select(Notification).where(_TABLE.c.key == key)).scalar_one_or_none()
            return _ref(row) if row and row.status == "sent" and row.message_id else None

    # --- operators (`pmbot outbox`) ------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Rows by status."""
        with self.db.session() as session:
            rows = session.execute(select(_TABLE.c.status, func.count()).group_by(_TABLE.c.status)).all()
        return {status: count for status, count in rows}

    def listing(self, status: str | None = None, limit: int = 50) -> list[Notification]:
        """The newest rows (of `status`), newest first."""
        query = select(Notification).order_by(_TABLE.c.id.desc()).limit(limit)
        if status:
            query = query.where(_TABLE.c.status == status)
        with self.db.session() as session:
            return list(session.scalars(query).all())

    def retry(self, ids: Iterable[int] = (), *, dead: bool = False) -> list[int]:
        """Make the rows `ids` (dead or pending), or with `dead` every dead row, due now with
        their attempts reset; returns the ids changed."""
        which = _TABLE.c.status == "dead" if dead else _TABLE.c.id.in_(list(ids)) & _TABLE.c.status.in_(RETRYABLE)
        with self.db.session() as session:
            changed = session.scalars(
                update(Notification)
                .where(which)
                .values(status="pending", attempts=0, next_attempt_at=self.clock.now())
                .returning(_TABLE.c.id),
                execution_options={"synchronize_session": False},
            ).all()
        return sorted(changed)

    # --- claims -------------------------------------------------------------------------
    def _platforms(self, platform: str | None) -> list[str]:
        return [platform] if platform else list(self.messengers)

    @staticmethod
    def _claimable(due: Any, platforms: Iterable[str]) -> list[ColumnElement[bool]]:
        """Rows of `due` (an alias of the table) of `platforms` not yet sent whose lane has no
        earlier unsent row: the head of each lane. The inner query reads the table itself under
        its own name, so its status term is the partial index's own and it is an index probe."""
        earlier = (
            select(literal(1))
            .select_from(_TABLE)
            .where(
                _TABLE.c.platform == due.c.platform,
                _TABLE.c.lane == due.c.lane,
                _TABLE.c.id < due.c.id,
                NOTIFICATION_UNSENT,
            )
            .correlate(due)
        )
        return [due.c.status.in_(UNSENT), due.c.platform.in_(list(platforms)), ~exists(earlier)]

    def _claim(self, now: datetime, platforms: list[str], size: int) -> list[Notification]:
        """Lease up to `size` due lane heads in one statement and return them (in id order)."""
        if not platforms:
            return []
        due = _TABLE.alias("due")
        pick = (
            select(due.c.id)
            .where(due.c.next_attempt_at <= now, *self._claimable(due, platforms))
            .order_by(due.c.id)
            .limit(size)
        )
        if self.db.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        with self.db.session() as session:
            rows = session.scalars(
                update(Notification)
                .where(_TABLE.c.id.in_(pick.scalar_subquery()))
                .values(status="sending", next_attempt_at=now + LEASE)
                .returning(Notification),
                execution_options={"synchronize_session": False},
            ).all()
        return sorted(rows, key=lambda row: row.id or 0)

    # --- one batch ----------------------------------------------------------------------
    def _send_batch(self, rows: list[Notification], now: datetime) -> int:
        """Send each claimed row; outcomes are written by `_Results` in few transactions. If the
        batch ends abruptly (an exception), rows not tried are given back at once."""
        results = _Results(self.db)
        tried = 0
        try:
            for row in rows:
                if row.update_of is not None:
                    results.flush()  # the original may be among the rows just sent
                results.add(row, self._attempt(row, now))
                tried += 1
        finally:
            for row in rows[tried + 1 :]:
                results.add(row, {"status": "pending", "next_attempt_at": now})
            results.flush()
        return results.sent

    def _attempt(self, row: Notification, now: datetime) -> dict[str, Any]:
        """Send one row; the values to record for it."""
        started = time.perf_counter()
        try:
            ref = self._dispatch(self.messengers[row.platform], row, reply_from_dict(row.payload))
        except Deferred as exc:
            if not isinstance(exc, Paced):  # paced: no call was made
                metrics.observe_send(row.platform, time.perf_counter() - started, ok=False)
            return self._deferred(row, now, exc)
        except Exception as exc:  # any failure of the platform call is retried
            metrics.observe_send(row.platform, time.perf_counter() - started, ok=False)
            return self._failed(row, now, exc)
        metrics.observe_send(row.platform, time.perf_counter() - started, ok=True)
        return {
            "status": "sent",
            "sent_at": self.clock.now(),
            "attempts": row.attempts + 1,
            "destination": ref.destination.to_dict(),
            "message_id": ref.id,
            "last_error": "",
        }

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

    @staticmethod
    def _deferred(row: Notification, now: datetime, exc: Deferred) -> dict[str, Any]:
        """Not sent, and not a failure: the channel is paced or the platform said "later"."""
        values: dict[str, Any] = {"status": "pending"}
        if isinstance(exc, Paced):
            values["next_attempt_at"] = now + timedelta(seconds=exc.retry_after)
        else:
            values["next_attempt_at"] = now + timedelta(seconds=max(exc.retry_after, MIN_RATE_LIMIT))
            values["last_error"] = f"{type(exc).__name__}: {exc}"[:2000]
            log.info("notification %s (%s) rate limited, retry in %.1fs", row.id, row.key, exc.retry_after)
        return values

    def _failed(self, row: Notification, now: datetime, exc: Exception) -> dict[str, Any]:
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
        return values


class _Results:
    """The outcomes of one batch, written together: at the end of the batch, and sent rows
    also after `FLUSH_EVERY` of them or `FLUSH_AFTER` seconds, so an accepted message is
    recorded promptly."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.rows: list[dict[str, Any]] = []
        self.sent = 0
        self._unrecorded = 0
        self._since = 0.0

    def add(self, row: Notification, values: dict[str, Any]) -> None:
        self.rows.append({"id": row.id, **values})
        if values.get("status") == "sent":
            self.sent += 1
            if not self._unrecorded:
                self._since = time.monotonic()
            self._unrecorded += 1
            if self._unrecorded >= FLUSH_EVERY or time.monotonic() - self._since >= FLUSH_AFTER:
                self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with self.db.session() as session:
            session.execute(update(Notification), self.rows)  # bulk UPDATE by primary key
        self.rows = []
        self._unrecorded = 0


def _ref(row: Notification) -> MessageRef:
    return MessageRef(Destination.from_dict(row.destination), row.message_id or "")


class DeliveryWorker:
    """`senders` threads sending one platform's queued messages. Each claims a batch and sends
    it, loops at once while its claims come back full, and otherwise sleeps until the earliest
    due row (at most `idle` seconds) or a kick. Listeners queue and return within the
    platform's 3-second deadline; nothing here ever sleeps on a busy channel."""

    def __init__(
        self, outbox: Outbox, platform: str, *, senders: int = SENDERS, idle: float = IDLE, name: str = "pmbot-delivery"
    ) -> None:
        self.outbox = outbox
        self.platform = platform
        self.idle = idle
        self._stopping = threading.Event()
        self._wakes = [threading.Event() for _ in range(max(1, senders))]
        self.threads = [
            threading.Thread(target=self._run, args=(wake,), name=f"{name}-{n + 1}", daemon=True)
            for n, wake in enumerate(self._wakes)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def kick(self) -> None:
        """Something was queued: every sender looks at once."""
        for wake in self._wakes:
            wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self.kick()
        for thread in self.threads:
            if thread.is_alive():
                thread.join(timeout)

    def _run(self, wake: threading.Event) -> None:
        while not self._stopping.is_set():
            wake.clear()
            wait = self._round()
            if wait > 0:
                wake.wait(wait)

    def _round(self) -> float:
        """One claim and its sends; how long to sleep after it (0: go on at once)."""
        try:
            _sent, claimed = self.outbox.round(self.platform)
            if claimed >= self.outbox.batch:
                return 0.0
            due = self.outbox.due_in(self.platform)
        except Exception:  # a broken database must not end the thread; the next round retries
            log.exception("delivery round of %s failed", self.platform)
            return self.idle
        if due is None:
            return self.idle
        if due <= 0:
            return 0.0 if claimed else NAP  # due but held by another sender: look again shortly
        return min(due, self.idle)
