"""Bounded waiting for tests that talk to real servers and processes (never a fixed sleep)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import httpx

__all__ = ["SLOW_MACHINE", "free_port", "healthy", "wait_until"]

# Deadline (seconds) for work on other threads or processes to finish: generous, because CI and
# shared machines run several suites at once; a passing run returns as soon as the work is done.
SLOW_MACHINE = 60.0


def wait_until(condition: Callable[[], Any], timeout: float = 5.0, step: float = 0.01) -> Any:
    """Poll `condition` in short steps until it is truthy (returned) or `timeout` passes (its last value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    """True once `GET url` answers 200 (e.g. the bot's /healthz)."""
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
