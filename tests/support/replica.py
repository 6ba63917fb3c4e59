"""A pmbot scheduler replica in its own process, for the leader-election test.

    python -m tests.support.replica DB_URL SENT_FILE NOW_ISO

Runs the real Scheduler (APScheduler, 1 s ticks, advisory-lock leadership) on a fixed clock;
every message it sends is appended to SENT_FILE as `<pid> <kind> <target> <title>`.
"""
from __future__ import annotations

import os
import sys
import threading
from datetime import datetime
from pathlib import Path

from bot.clock import ManualClock
from bot.messenger import Destination, MessageRef
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from handlers.core import Core
from handlers.replies import Reply
from storage.database import Database


class FileMessenger:
    platform = "console"

    def __init__(self, path: Path) -> None:
        self.path = path

    def _write(self, kind: str, destination: Destination, reply: Reply) -> MessageRef:
        title = reply.cards[0].title if reply.cards else reply.text
        with self.path.open("a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {kind} {destination.id} {title}\n")
        return MessageRef(destination, str(os.getpid()))

    def send(self, destination: Destination, reply: Reply, *, key: str) -> MessageRef:
        return self._write("dm" if destination.kind == "dm" else "post", destination, reply)

    def update(self, ref: MessageRef, reply: Reply, *, key: str) -> None:
        self._write("update", ref.destination, reply)


def main(url: str, sent_file: str, now_iso: str) -> None:
    db = Database(url)
    clock = ManualClock(datetime.fromisoformat(now_iso))
    outbox = Outbox(db, clock)
    outbox.register(FileMessenger(Path(sent_file)))
    scheduler = Scheduler(db, Core(db), outbox, clock, tick_seconds=1)
    scheduler.start()
    threading.Event().wait()  # until killed


if __name__ == "__main__":
    main(*sys.argv[1:4])
