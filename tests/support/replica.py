"""A pmbot scheduler replica in its own process, for the leader-election test.

    python -m tests.support.replica DB_URL LOG_FILE NOW_ISO [TICK_SECONDS]

Runs the real Scheduler (APScheduler, TICK_SECONDS ticks (default 1), lease leadership renewed
three times per tick) on a fixed clock and
appends what it does to LOG_FILE, one JSON object per line, so the test reads structured records
instead of parsing text: `{"pid", "tick": "leader" | "follower"}` for every tick, and
`{"pid", "sent": post | dm | update, "to", "title"}` for every message sent.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.clock import ManualClock
from bot.messenger import Destination, MessageRef
from bot.outbox import Outbox
from bot.scheduler import LeaderLock, Scheduler
from handlers.core import Core
from handlers.replies import Reply
from storage.database import Database


class Log:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, **record: Any) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"pid": os.getpid(), **record}, ensure_ascii=False) + "\n")


class ReportingLock(LeaderLock):
    """The real leader election; each answer is logged, so the test sees a follower tick."""

    def __init__(self, db: Database, log: Log, *, ttl: float) -> None:
        super().__init__(db, ttl=ttl)
        self.log = log

    def is_leader(self) -> bool:
        leading = super().is_leader()
        self.log.write(tick="leader" if leading else "follower")
        return leading


class FileMessenger:
    platform = "console"

    def __init__(self, log: Log) -> None:
        self.log = log

    def _write(self, kind: str, destination: Destination, reply: Reply) -> MessageRef:
        self.log.write(sent=kind, to=destination.id, title=reply.cards[0].title if reply.cards else reply.text)
        return MessageRef(destination, str(os.getpid()))

    def send(self, destination: Destination, reply: Reply, *, key: str) -> MessageRef:
        return self._write("dm" if destination.kind == "dm" else "post", destination, reply)

    def update(self, ref: MessageRef, reply: Reply, *, key: str) -> None:
        self._write("update", ref.destination, reply)


def main(url: str, log_file: str, now_iso: str, tick_seconds: str = "1") -> None:
    db = Database(url)
    log = Log(Path(log_file))
    clock = ManualClock(datetime.fromisoformat(now_iso))
    outbox = Outbox(db, clock)
    outbox.register(FileMessenger(log))
    scheduler = Scheduler(db, Core(db), outbox, clock, tick_seconds=int(tick_seconds))
    scheduler.leader = ReportingLock(db, log, ttl=scheduler.tick_seconds)
    scheduler.start()
    threading.Event().wait()  # until killed


if __name__ == "__main__":
    main(*sys.argv[1:5])
