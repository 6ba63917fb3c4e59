"""A log for failures that repeat: the first one with its traceback, the repeats counted.

A database outage fails every command, tick and delivery round; logging each with a full
traceback buried the log (2,103 tracebacks in a 13 s PostgreSQL stop). `RepeatLog.failure`
logs the first failure of a kind with its traceback, counts the repeats silently, and writes one
line with the count once per `window` while they go on; after a quiet `window` the next failure
is a first one again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RepeatLog"]


@dataclass
class _Streak:
    started: float  # when the current window began
    last: float  # the latest failure
    repeats: int = 0  # failures since the window began, not yet logged


class RepeatLog:
    def __init__(self, logger: logging.Logger, *, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.logger = logger
        self.window = window
        self.clock = clock
        self._streaks: dict[tuple[str, str], _Streak] = {}
        self._lock = threading.Lock()

    def failure(self, what: str, exc: BaseException) -> None:
        """Log that `what` failed with `exc`: with a traceback when it is the first in a window."""
        key = (what, type(exc).__name__)
        now = self.clock()
        with self._lock:
            streak = self._streaks.get(key)
            if streak is None or now - streak.last > self.window:
                self._streaks[key] = _Streak(started=now, last=now)
                first, repeats = True, 0
            else:
                streak.last = now
                streak.repeats += 1
                first, repeats = False, streak.repeats
                if now - streak.started < self.window:
                    return
                streak.started, streak.repeats = now, 0
        if first:
            self.logger.error("%s", what, exc_info=exc)
        else:
            summary = (str(exc).splitlines() or [""])[0]
            self.logger.error(
                "%s: %d more times in the last %g s (%s: %s)", what, repeats, self.window, type(exc).__name__, summary
            )
