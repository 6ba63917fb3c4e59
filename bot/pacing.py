"""Client-side pacing of outbound API calls, one implementation for every messenger.

Platforms refuse sustained traffic above their rate limits (Slack: about one message per second
per channel; Feishu: 5 sends per second per chat or user, 5 patches per second per message, 50
calls per second per app). A refused call is retried by the outbox later; pacing keeps that the
exception. Each messenger builds a `Pacer` with its platform's limits. Keys are paced in a
group (a Slack workspace, a Feishu app: `per_app` calls per second in all, when set).

The outbox's senders never sleep on a busy channel: `admit(key)` reserves a slot if the key is
free now and otherwise raises `Paced` saying when it will be, and the outbox gives the message
back for then and sends other channels' messages meanwhile. `wait(key)` (reserve the next slot,
then sleep until it) is for the follow-up calls of one message (its further pages, a fallback),
which must not restart the message. A rate limit the platform answered (429) backs the whole
group off for its Retry-After (`back_off`). The clock and the sleeper are injected, so tests
never sleep.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["APP", "Deferred", "Paced", "Pacer", "Turn", "Window"]

MAX_KEYS = 10_000  # idle keys are forgotten beyond this many, so memory stays bounded
APP = "*"  # the group of a platform with one app-wide limit


class Deferred(Exception):
    """A call not made, or refused by the platform's rate limit: try again after `retry_after`
    seconds. The outbox reschedules the message without counting a failed attempt. (A marker
    base: each messenger's rate-limit error also derives from its own error class.)"""

    retry_after: float


class Paced(Deferred):
    """The key (or its group) is busy: no call was made."""

    def __init__(self, key: str, retry_after: float) -> None:
        super().__init__(f"{key} is paced for {retry_after:.3f}s")
        self.retry_after = retry_after


class Window:
    """At most `limit` calls per `period` seconds for one key (a sliding window of reservations)."""

    def __init__(self, limit: int, period: float = 1.0, max_keys: int = MAX_KEYS) -> None:
        self.limit = limit
        self.period = period
        self.max_keys = max_keys
        self._slots: dict[str, deque[float]] = {}

    def next_free(self, key: str, now: float) -> float:
        """The earliest instant (>= now) at which one more call under `key` fits."""
        slots = self._slots.get(key)
        if not slots:
            return now
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
    `per_app` is set, at most that many per second in each group. Shared by all sending threads:
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
        self._app = Window(per_app, max_keys=max_keys) if per_app else None
        self._blocked: dict[str, float] = {}  # group -> until when the platform refused it (429)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def admit(self, key: str, group: str = APP) -> None:
        """Reserve a call for `key` now, or raise `Paced` with the seconds until it is free."""
        with self._lock:
            now = self._clock()
            at = self._free_at(key, group, now)
            if at > now:
                raise Paced(key, at - now)
            self._take(key, group, now)

    def wait(self, key: str, group: str = APP) -> float:
        """Block until a call for `key` (e.g. `chat:oc_…`) may go out; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            at = self._free_at(key, group, now)
            self._take(key, group, at)
        delay = at - now
        if delay > 0:
            self._sleep(delay)
        return delay

    def back_off(self, group: str, seconds: float) -> None:
        """The platform refused a call of `group` (HTTP 429): no call of the group for `seconds`."""
        with self._lock:
            until = self._clock() + seconds
            self._blocked[group] = max(until, self._blocked.get(group, until))

    def turn(self) -> Turn:
        """The pacing of the calls of one message (see `Turn`)."""
        return Turn(self)

    def remembered(self) -> int:
        """How many keys the pacer holds reservations for (idle ones are forgotten past `max_keys`)."""
        return self._key.remembered()

    def _free_at(self, key: str, group: str, now: float) -> float:
        """The earliest instant >= now at which both windows have room and the group is not
        backed off (a few rounds settle it)."""
        at = max(now, self._blocked.get(group, now))
        for _ in range(8):
            later = self._key.next_free(key, at)
            if self._app is not None:
                later = max(later, self._app.next_free(group, at))
            if later == at:
                break
            at = later
        return at

    def _take(self, key: str, group: str, at: float) -> None:
        self._key.take(key, at)
        if self._app is not None:
            self._app.take(group, at)
        if self._blocked.get(group, at) < at:
            del self._blocked[group]


class Turn:
    """The pacing of one message's calls: the first must find its key free now (`admit`: else
    the outbox gives the message back), the follow-ups of the same message (further pages, a
    fallback call) wait for theirs, briefly, so a message is never restarted half sent."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer
        self.started = False

    def __call__(self, key: str, group: str = APP) -> None:
        if self.started:
            self.pacer.wait(key, group)
        else:
            self.pacer.admit(key, group)
            self.started = True
