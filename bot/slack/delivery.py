"""The thread that sends the Slack adapter's queued messages.

Listeners queue answers in the outbox and return (Slack wants its ack within 3 seconds, and a
queued answer survives a failed send). This thread sends them: at once when kicked, and every
`interval` seconds for retries that fell due. Pacing sleeps happen here, never in a listener.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["DeliveryWorker"]

log = logging.getLogger(__name__)


class DeliveryWorker:
    def __init__(self, deliver: Callable[[], int], *, interval: float = 2.0,
                 name: str = "pmbot-slack-delivery") -> None:
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
                log.exception("Slack delivery round failed")
