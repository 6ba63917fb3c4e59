"""Delivery at the platform ceiling, in real time over real HTTP.

    python -m bench.delivery                 # SQLite in a temp dir, 1,000 messages, 3 runs
    python -m bench.delivery --db URL        # e.g. PostgreSQL (rows are written)

The bot side is the production path: the Slack adapter (its sender threads, pacer and the
slack_sdk WebClient) sending from the outbox. The platform is a loopback fake Slack that enforces
what Slack enforces for chat.postMessage: one message per second per channel and a
workspace-wide cap (`--cap`, default 50 per second, an assumption: Slack does not publish its
figure), answering HTTP 429 + Retry-After beyond either. Two configurations: `[slack]
workspace_rate = 0` (the default: the bot is not told the cap and backs the workspace off for
each 429's Retry-After) and `workspace_rate` = the cap (the bot paces itself at it).

1,000 prompts to 1,000 channels are queued at once and timed from the first accepted message to
the last. With a 1-second sliding window of `cap` messages, N messages need at least
ceil(N / cap) - 1 seconds from first to last: that is the allowed rate, and the achieved rate is
reported as a share of it, with messages lost and sent twice. The 20,000 morning messages of
1,000 projects (20 per project channel) are computed from the same limits and the efficiency
measured here, not run (400 s of real time per run).
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import threading
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

from bot.adapters import AdapterDeps
from bot.clock import SystemClock
from bot.outbox import Outbox
from bot.runtime import defaults_from
from bot.slack import create_adapter
from handlers.core import Core
from handlers.destination import Destination
from handlers.replies import Reply
from storage.database import Database
from tests.support.fake_server import Request, Response
from tests.support.fake_slack import FakeSlack
from tests.support.slack_bot import slack_config

WORKSPACE = "T1"


class PacingSlack(FakeSlack):
    """A fake Slack that enforces 1 chat.postMessage per second per channel and `cap` per
    second per workspace (sliding windows), answering 429 + Retry-After beyond them; it counts
    what it accepted by message text (each message's text is its outbox key)."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap
        self.accepted: Counter[str] = Counter()
        self.first = self.last = 0.0
        self.refused = 0
        self._channel_at: dict[str, float] = {}
        self._window: deque[float] = deque()
        self._limit_lock = threading.Lock()

    def answer(self, request: Request) -> Response:
        if not request.path.endswith("/chat.postMessage"):
            return super().answer(request)
        body = self._body(request.raw.decode("utf-8"), request.headers.get("content-type", ""))
        with self._limit_lock:
            now = time.monotonic()
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            channel = str(body.get("channel"))
            free_at = max(
                self._channel_at.get(channel, 0.0) + 1.0,
                self._window[0] + 1.0 if len(self._window) >= self.cap else 0.0,
            )
            if free_at > now:
                self.refused += 1
                return Response(
                    429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(math.ceil(free_at - now))}
                )
            self._window.append(now)
            self._channel_at[channel] = now
            self.accepted[str(body.get("text"))] += 1
            self.first = self.first or now
            self.last = now
        return Response(200, {"ok": True, "channel": channel, "ts": f"{now:.6f}"})


def run_once(db_url: str, messages: int, cap: int, workspace_rate: int) -> dict[str, Any]:
    """Queue `messages` prompts to as many channels, send them through the Slack adapter (pacing
    each workspace at `workspace_rate`, 0: not at all), and measure what the fake accepted."""
    db = Database(db_url)
    db.upgrade()
    with PacingSlack(cap) as fake:
        config = slack_config(fake, workspace_rate=workspace_rate)
        core = Core(db, defaults_from(config))
        outbox = Outbox(db, SystemClock(), senders=config.outbox.senders)
        adapter = create_adapter(AdapterDeps(config=config.slack, core=core, db=db, clock=outbox.clock, outbox=outbox))
        stamp = time.time_ns()
        keys = [f"prompt-{stamp}-{n}" for n in range(messages)]
        with db.session() as session:
            from handlers.notify import queue

            now = outbox.clock.now()
            for n, key in enumerate(keys):
                queue(
                    session,
                    key=key,
                    platform="slack",
                    destination=Destination.channel(WORKSPACE, f"C{n:05d}"),
                    reply=Reply(text=key),
                    now=now,
                )
        started = time.monotonic()
        adapter.start()
        adapter.worker.kick()
        while sum(fake.accepted[k] > 0 for k in keys) < messages and time.monotonic() - started < 20 * messages / cap:
            time.sleep(0.05)
        time.sleep(1.0)  # anything sent twice arrives late: give it the time to
        adapter.stop()
    db.dispose()
    ideal = math.ceil(messages / cap) - 1
    span = fake.last - fake.first
    return {
        "span": span,
        "share": ideal / span if span else 1.0,
        "lost": sum(1 for k in keys if fake.accepted[k] == 0),
        "duplicated": sum(max(0, fake.accepted[k] - 1) for k in keys),
        "refused": fake.refused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--cap", type=int, default=50, help="the fake's workspace cap per second")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'delivery.db'}"
        for rate in (0, args.cap):
            runs = [run_once(url, args.messages, args.cap, rate) for _ in range(args.runs)]
            report(runs, args.messages, args.cap, rate)


def report(runs: list[dict[str, Any]], messages: int, cap: int, rate: int) -> None:
    span = statistics.median(r["span"] for r in runs)
    share = statistics.median(r["share"] for r in runs)
    ideal = math.ceil(messages / cap) - 1
    morning = 20_000
    paced = f"workspace_rate = {rate}" if rate else "workspace_rate = 0 (429s only)"
    print(f"### {messages:,} prompts to {messages:,} channels, cap {cap}/s per workspace, {paced}")
    print()
    print("| | median | runs |")
    print("|---|---|---|")

    def row(label: str, value: str, field: str, fmt: str) -> None:
        print(f"| {label} | {value} | {', '.join(format(r[field], fmt) for r in runs)} |")

    row(f"first to last accepted (allowed: ≥ {ideal} s)", f"{span:.2f} s", "span", ".2f")
    row("achieved rate, share of the allowed", f"{share:.1%}", "share", ".1%")
    row("lost", str(max(r["lost"] for r in runs)), "lost", "d")
    row("sent twice", str(max(r["duplicated"] for r in runs)), "duplicated", "d")
    row("429 answers", f"{statistics.median(r['refused'] for r in runs):.0f}", "refused", "d")
    allowed = morning / cap
    print()
    print(
        f"{morning:,} morning messages for 1,000 projects (20 per channel, one workspace): the cap allows "
        f"{allowed:.0f} s ({allowed / 60:.1f} min; 20 per channel at 1/s alone would need 19 s); at the "
        f"measured {share:.1%} of the allowed rate: {allowed / share:.0f} s ({allowed / share / 60:.1f} min)."
    )
    print()


if __name__ == "__main__":
    main()
