"""`GET /healthz`: is this replica able to do its work — `{"status": "ok"|"degraded", "reasons": [...]}`.

Degraded when the database does not answer `SELECT 1` (down, restarting, unreachable), or when
the outbox falls behind: messages due for longer than `backlog_after` and still not sent. The
answer is cached for `cache_seconds`, so a flood of probes costs the database at most one check
per interval. HTTP 200 when ok, 503 when degraded (load balancers take the replica out).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from bot.clock import Clock, SystemClock

__all__ = ["Health"]


class Health:
    def __init__(
        self,
        db: object,
        clock: Clock | None = None,
        *,
        backlog_after: timedelta = timedelta(minutes=10),
        cache_seconds: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.backlog_after = backlog_after
        self.cache_seconds = cache_seconds
        self.monotonic = monotonic
        self._cached: tuple[float, list[str]] | None = None
        self._lock = threading.Lock()

    def reasons(self) -> list[str]:
        """Why this replica is degraded (empty: ok), checked at most once per `cache_seconds`."""
        with self._lock:
            now = self.monotonic()
            if self._cached is None or now - self._cached[0] >= self.cache_seconds:
                self._cached = (now, self._check())
            return list(self._cached[1])

    def _check(self) -> list[str]:
        from sqlalchemy import func, text
        from sqlmodel import col, select

        from storage.models import Notification

        try:
            with self.db.session() as session:  # type: ignore[attr-defined]
                session.execute(text("SELECT 1"))
                overdue = session.exec(
                    select(func.count()).where(
                        col(Notification.status).in_(("pending", "sending")),
                        Notification.next_attempt_at <= self.clock.now() - self.backlog_after,
                    )
                ).one()
        except Exception as exc:
            summary = (str(exc).splitlines() or [""])[0]
            return [f"database unreachable: {type(exc).__name__}: {summary}"[:300]]
        if overdue:
            minutes = self.backlog_after.total_seconds() / 60
            return [f"outbox backlog: {overdue} message(s) due for over {minutes:g} minutes"]
        return []
