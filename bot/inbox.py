"""Acknowledged means stored; stored requests run in per-channel order on the adapter's own workers.

A listener calls `Inbox.accept` and only then acknowledges: the request is inserted into the
inbox table (storage/inbox.py; a retried delivery is a no-op) in one short transaction, and
handed to a `KeyedExecutor` under its channel key. The ack therefore waits for one insert — never
for a busy worker, a Web API call or the command itself — and a request that could not be stored
is never acknowledged (the platform retries it, or the user is told).

Workers run the requests of one channel one at a time, in arrival order (a `/task add` sees the
`/project init` sent just before it), and different channels in parallel on a bounded pool. The
adapter's `process(item_id, payload)` runs the command with a `Finish` from `finisher`, so the
effects, the delivery key, the answer's outbox rows and the row's done mark commit together. A
request whose processing failed (the database was down, the process was killed) stays pending:
`recover` at start-up and a sweep every `sweep` seconds process it again; the delivery keys make
a second run a no-op when the first one did commit. Done rows are pruned after `retention`.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from bot.adapters import AdapterDeps
from bot.clock import Clock
from handlers.core import Core, Finish
from handlers.destination import Destination, MessageRef
from handlers.replies import Reply
from storage import inbox as table
from storage.database import Database
from storage.logs import RepeatLog

__all__ = ["Inbox", "KeyedExecutor", "Outgoing", "Process", "inbox_for"]

log = logging.getLogger(__name__)
_FAILURES = RepeatLog(log)

WORKERS = 8
RETENTION = timedelta(days=7)
SWEEP_SECONDS = 60.0

Process = Callable[[int, dict[str, Any]], None]  # runs one stored request (id, payload)
# One outbox row an answer becomes: (key, destination, reply, message replaced or None).
Outgoing = tuple[str, Destination, Reply, MessageRef | None]


class KeyedExecutor:
    """Runs tasks one at a time per key, in submission order; different keys in parallel on at
    most `workers` threads (started on demand)."""

    def __init__(self, workers: int = WORKERS, *, name: str = "pmbot-inbox") -> None:
        self.workers = workers
        self.name = name
        self._cond = threading.Condition()
        self._queues: dict[str, deque[Callable[[], None]]] = {}
        self._ready: deque[str] = deque()  # keys with work that no thread is running
        self._threads: list[threading.Thread] = []
        self._busy = 0  # tasks queued or running
        self._stopping = False

    def submit(self, key: str, task: Callable[[], None]) -> None:
        with self._cond:
            if self._stopping:
                return  # a stored request is recovered at the next start; nothing is lost
            self._busy += 1
            waiting = self._queues.get(key)
            if waiting is not None:
                waiting.append(task)
                return
            self._queues[key] = deque([task])
            self._ready.append(key)
            if len(self._threads) < self.workers:
                thread = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or running (bounded); True when idle."""
        with self._cond:
            return self._cond.wait_for(lambda: self._busy == 0, timeout)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Finish the tasks running now, start no more (stored requests wait for the next start)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._ready or self._stopping)
                if self._stopping:
                    return
                key = self._ready.popleft()
                task = self._queues[key][0]
            try:
                task()
            except Exception as exc:  # a database outage: one traceback, then counts
                _FAILURES.failure("an inbound request failed; it stays stored and is tried again", exc)
            with self._cond:
                waiting = self._queues[key]
                waiting.popleft()
                self._busy -= 1
                if waiting:
                    self._ready.append(key)
                else:
                    del self._queues[key]
                self._cond.notify_all()


class Inbox:
    """One adapter's durable inbox: `accept` before the ack, `process` on the workers."""

    def __init__(
        self,
        *,
        db: Database,
        core: Core,
        clock: Clock,
        platform: str,
        process: Process,
        kick: Callable[[], None],
        workers: int = WORKERS,
        retention: timedelta = RETENTION,
        sweep: float = SWEEP_SECONDS,
    ) -> None:
        self.db = db
        self.core = core
        self.clock = clock
        self.platform = platform
        self.process = process
        self.kick = kick
        self.retention = retention
        self.sweep = sweep
        self.executor = KeyedExecutor(workers, name=f"pmbot-{platform}-inbox")
        self._inflight: set[int] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def accept(self, key: str, channel_key: str, payload: dict[str, Any]) -> bool:
        """Store a request and schedule it; False for a retried delivery (stored before). Raises
        when it cannot be stored: the caller must then not acknowledge it."""
        item = table.receive(
            self.db, platform=self.platform, key=key, channel_key=channel_key, payload=payload, now=self.clock.now()
        )
        if item is None:
            return False
        self._schedule(item, channel_key, payload)
        return True

    def finisher(self, item_id: int | None, answer: Callable[[Reply], Sequence[Outgoing]]) -> Finish:
        """The `Finish` of a request: its answer's outbox rows and (for a stored request,
        `item_id`) its done mark, in the command's transaction."""

        def finish(session: Session, reply: Reply | None) -> None:
            now = self.clock.now()
            for key, destination, message, replaces in answer(reply) if reply is not None else ():
                self.core.queue_in(session, self.platform, key, destination, message, now=now, replaces=replaces)
            if item_id is not None:
                table.finish(session, item_id, now)

        return finish

    def done(self, item_id: int, answer: Sequence[Outgoing] = ()) -> None:
        """Finish a request that ran no command (nothing to record but its answer, if any)."""
        with self.db.session() as session:
            self.finisher(item_id, lambda _reply: answer)(session, Reply(text=""))

    def start(self) -> None:
        """Process what a previous run left unfinished, then sweep for failures periodically."""
        self.recover()
        threading.Thread(target=self._sweeping, name=f"pmbot-{self.platform}-inbox-sweep", daemon=True).start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self.executor.shutdown(timeout)

    def recover(self) -> int:
        """Schedule the stored requests not done and not running here; prune old done ones."""
        table.prune(self.db, self.clock.now() - self.retention)
        items = [i for i in table.unfinished(self.db, self.platform) if i.id is not None]
        for item in items:
            self._schedule(item.id or 0, item.channel_key, item.payload)
        return len(items)

    def _sweeping(self) -> None:
        while not self._stopping.wait(self.sweep):
            try:
                self.recover()
            except Exception:
                log.warning("the inbox sweep failed; trying again in %ss", self.sweep, exc_info=True)

    def _schedule(self, item_id: int, channel_key: str, payload: dict[str, Any]) -> None:
        with self._lock:
            if item_id in self._inflight:
                return
            self._inflight.add(item_id)
        self.executor.submit(channel_key, lambda: self._run(item_id, payload))

    def _run(self, item_id: int, payload: dict[str, Any]) -> None:
        try:
            self.process(item_id, payload)
        finally:
            with self._lock:
                self._inflight.discard(item_id)
            self.kick()


def inbox_for(deps: AdapterDeps, platform: str, kick: Callable[[], None]) -> Callable[[Process], Inbox]:
    """How an adapter's event handlers build their inbox around their `process`."""
    return lambda process: Inbox(
        db=deps.db, core=deps.core, clock=deps.clock, platform=platform, process=process, kick=kick
    )
