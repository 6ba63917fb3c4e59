"""Client-side pacing of Feishu API calls, so the bot stays under the platform's rate limits.

Feishu limits message sends to 5 per second per chat (shared by every bot in a group) and per
user, card patches to 5 per second per message, and the whole app to 50 per second. A limited
call is refused with HTTP 429 / code 99991400 (or 230020), which the outbox then retries later;
pacing keeps that the exception. `Pacer.wait(*keys)` reserves the next free slot in every window
the call belongs to and sleeps until then. The clock and the sleeper are injected, so tests
never sleep.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["Pacer", "Window"]


class Window:
    """At most `limit` calls per `period` seconds for one key (a sliding window of reservations)."""

    def __init__(self, limit: int, period: float = 1.0) -> None:
        self.limit = limit
        self.period = period
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
        if len(self._slots) > 10_000:  # forget idle keys so memory stays bounded
            for idle in [k for k, s in self._slots.items() if not s or s[-1] < at - self.period]:
                del self._slots[idle]


class Pacer:
    """Shared by all sending threads. Reservations are made under a lock; sleeping is not."""

    def __init__(self, *, per_target: int = 5, per_app: int = 50,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._target = Window(per_target)
        self._app = Window(per_app)
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
                later = max(self._target.next_free(key, at), self._app.next_free("*", at))
                if later == at:
                    break
                at = later
            self._target.take(key, at)
            self._app.take("*", at)
        delay = at - now
        if delay > 0:
            self._sleep(delay)
        return delay
