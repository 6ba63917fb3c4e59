"""Measure the hot paths on this machine and print a Markdown table.

    make bench                 # SQLite in a temp dir
    python -m bench --db URL   # e.g. a PostgreSQL database (it is written to)

What is measured: the parser alone; one command through the whole core (parse, session,
handler, commit) for a write and for reads over a few hundred tasks; one scheduler tick over
many projects. Wall-clock medians over repeated runs; they are for comparison between
versions on the same machine, never asserted in tests.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.schedule import bench_recompute
from bot.clock import ManualClock
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from handlers.context import Context
from handlers.core import Core
from handlers.destination import Destination, MessageRef
from handlers.parse import parse
from handlers.replies import Reply
from storage.database import Database

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


class NullMessenger:
    """Accepts every message at once: what is measured is the bot, not a platform."""

    platform = "bench"

    def send(self, destination: Destination, reply: Reply, *, key: str) -> MessageRef:
        return MessageRef(destination, "1")

    def update(self, ref: MessageRef, reply: Reply, *, key: str) -> None:
        return None


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="pmbot-bench-")
    db = Database(args.db or f"sqlite:///{Path(tmp.name) / 'bench.db'}")
    db.upgrade()
    core = Core(db)
    rows: list[tuple[str, str, str]] = []

    line = '/task add "Migrate orders DB" @alice due:"next monday 5pm" A:@bob C:@carol,@dan prio:high'
    med, worst = timed(lambda: [parse(line) for _ in range(1000)], 5)
    rows.append(("parse a full /task add line", f"{med * 1e6 / 1000:.1f} µs", f"{worst * 1e6 / 1000:.1f} µs"))

    ctx = Context(platform="bench", workspace="W", channel="C", user="pm", user_name="pm", now=NOW)
    core.handle_text(ctx, '/project init "Bench" tz:Asia/Shanghai')
    counter = iter(range(1_000_000))
    med, worst = timed(lambda: core.handle_text(ctx, f"/task add Task{next(counter)} @alice due:fri A:@bob"), 300)
    rows.append(("/task add through the core (300 runs)", f"{med * 1e3:.2f} ms", f"{worst * 1e3:.2f} ms"))
    for text in ("/task list all", "/task tree", "/task raci", "/project status"):
        med, worst = timed(lambda t=text: core.handle_text(ctx, t), 30)
        rows.append((f"{text} with 300 tasks", f"{med * 1e3:.2f} ms", f"{worst * 1e3:.2f} ms"))

    for i in range(50):
        c = Context(platform="bench", workspace="W", channel=f"P{i}", user="pm", user_name="pm", now=NOW)
        core.handle_text(c, f'/project init "P{i}" tz:Asia/Shanghai')
        for j in range(20):
            core.handle_text(c, f"/task add T{j} @u{j % 5} A:@lead due:2026-11-{10 + j % 15}")
    clock = ManualClock(NOW)
    outbox = Outbox(db, clock, {"bench": NullMessenger()})
    scheduler = Scheduler(db, core, outbox, clock)
    instants = iter(NOW + timedelta(minutes=m) for m in range(0, 100_000, 30))
    med, worst = timed(lambda: scheduler.tick(next(instants)), 20)
    rows.append(("scheduler tick, 51 projects, 1,300 tasks", f"{med * 1e3:.1f} ms", f"{worst * 1e3:.1f} ms"))
    med, worst = timed(lambda: scheduler.tick(datetime(2026, 11, 24, 1, 0, tzinfo=UTC)), 3)
    rows.append(("tick at 09:00 local that queues 51 digests + DMs", f"{med * 1e3:.1f} ms", f"{worst * 1e3:.1f} ms"))

    rows.append(bench_recompute())

    print(f"| benchmark ({db.dialect}) | median | worst |\n|---|---|---|")
    for name, med_s, worst_s in rows:
        print(f"| {name} | {med_s} | {worst_s} |")
    db.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
