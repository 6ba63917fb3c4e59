"""Client-side pacing of outbound API calls, one implementation for every messenger.

Platforms refuse sustained traffic above their rate limits (Slack: about one message per second
per channel; Feishu: 5 sends per second per chat or user, 5 patches per second per message, 50
calls per second per app). A refused call is retried by the outbox later; pacing keeps that the
exception. Each messenger builds a `Pacer` with its platform's limits, and `Pacer.wait(key)`
reserves the next free slot in the key's window and in the app-wide one, then sleeps until then.
The clock and the sleeper are injected, so tests never sleep.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["Pacer", "Window"]

MAX_KEYS = 10_000  # idle keys are forgotten beyond this many, so memory stays bounded


class Window:
    """At most `limit` calls per `period` seconds for one key (a sliding window of reservations)."""

    def __init__(self, limit: int, period: float = 1.0, max_keys: int = MAX_KEYS) -> None:
        self.limit = limit
        self.period = period
        self.max_keys = max_keys
        self._slots: dict[str, deque[float]] = {}

    def next_free(self, key: str, now: float) -> float:
        """The earliest instant (>= now) at which one more call under `key` fits."""
        slots = self._slots.setdefault(key, deque())
        while slots and slots[0] <= now - self.period:
            slots.popleft()
        # Reservations stay in order (a later call never overtakes an earlier one), so the
        # `limit`-th last reservation decides when the window has room again.
        at = max(now, slots[-1]) if slots else now
        if len(slots) >= self.limit:
            at = max(at, slots[-self.limit] + self.period)
        return at

    def take(self, key: str, at: float) -> None:
        slots = self._slots.setdefault(key, deque())
        slots.append(at)
        while len(slots) > self.limit:
            slots.popleft()
        if len(self._slots) > self.max_keys:
            for idle in [k for k, s in self._slots.items() if not s or s[-1] < at - self.period]:
                del self._slots[idle]

    def remembered(self) -> int:
        """How many keys the window holds reservations for."""
        return len(self._slots)


class Pacer:
    """At most `per_key` calls per second for each key (a channel, a user, a message) and, when
    `per_app` is set, at most that many per second in all. Shared by all sending threads:
    reservations are made under a lock; sleeping is not."""

    def __init__(
        self,
        *,
        per_key: int,
        per_app: int | None = None,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._key = Window(per_key, max_keys=max_keys)
        self._app = Window(per_app) if per_app else None
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Block until a call for `key` (e.g. `chat:oc_…`) may go out; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            at = now
            # Both windows must have room at the same instant; a few rounds settle it.
            for _ in range(8):
                later = self._key.next_free(key, at)
                if self._app is not None:
                    later = max(later, self._app.next_free("*", at))
                if later == at:
                    break
                at = later
            self._key.take(key, at)
            if self._app is not None:
                self._app.take("*", at)
        delay = at - now
        if delay > 0:
            self._sleep(delay)
        return delay

    def remembered(self) -> int:
        """How many keys the pacer holds reservations for (idle ones are forgotten past `max_keys`)."""
        return self._key.remembered()
