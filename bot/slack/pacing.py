"""Client-side pacing of Slack sends: about one message per second per channel.

`chat.postMessage` allows roughly one message per second per channel (bursts are tolerated,
sustained traffic is refused with HTTP 429). The scheduler can queue many messages for one
channel at once (a digest, reminders, a report); spacing them keeps 429s the exception. The
clock and the sleeper are injected, so tests never sleep.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["ChannelPacer"]


class ChannelPacer:
    """Reserves send slots at least `interval` seconds apart per key (a channel or a user)."""

    def __init__(self, *, interval: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, max_keys: int = 10_000) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def wait(self, key: str) -> float:
        """Block until a send to `key` may go out; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            at = max(now, self._next.get(key, now))
            self._next[key] = at + self.interval
            if len(self._next) > self._max_keys:  # forget keys whose slot has passed
                for idle in [k for k, v in self._next.items() if v <= now]:
                    del self._next[idle]
        delay = at - now
        if delay > 0:
            self._sleep(delay)
        return delay
