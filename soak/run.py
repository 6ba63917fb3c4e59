"""Soak: many mixed slash commands at `pmbot run` over HTTP while the Slack API misbehaves.

    make soak                                   # 20,000 commands, 24 concurrent, SQLite
    python -m soak.run --commands 2000 --concurrency 16 [--db URL]

`pmbot run` (HTTP mode) is a process of its own; this process signs and fires the commands and
serves a fake Slack Web API that answers one call in five of the answer paths (chat.postMessage,
chat.postEphemeral, response_url) with a fault: a timeout (the call *is* processed, the answer
comes after the bot's 10 s client timeout — Slack's case of a post accepted but not known to be),
a connection closed without a response, HTTP 503, or 429 + Retry-After: 1.

Every command is valid input in a channel whose project was set up first. Reported: acks that
were not an empty 200 (a 200 with text is the bot's "could not store it, try again"), error
replies (outbox rows of error answers: must be 0), requests or answers left unfinished or dead
(lost), calls the fake accepted beyond the answers recorded as sent (duplicates; only timeouts
can cause them) and the bot's RSS at start, middle and end.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlmodel import select

from storage.database import Database
from storage.inbox import InboxItem
from storage.models import Notification
from tests.support import slack_payloads as p
from tests.support.fake_server import Request, Response
from tests.support.fake_slack import FakeSlack
from tests.support.processes import settled, slack_settings, start_pmbot, stop_pmbot
from tests.support.waiting import wait_until

SECRET = "soak-signing-secret"
FORM = "application/x-www-form-urlencoded"
CHANNELS = 64
CLIENT_TIMEOUT = 10  # the bot's Slack client timeout (bot/slack/client.py), seconds
ANSWER_PATHS = ("/api/chat.postMessage", "/api/chat.postEphemeral", "/response/")
# Fault shares of the answer calls: 20 % in all.
FAULTS = (("timeout", 0.02), ("closed", 0.06), ("503", 0.06), ("429", 0.06))
MIX = (
    ('add "Soak {n}" due:fri prio:high', "/task", 40),
    ("list", "/task", 15),
    ("show #1", "/task", 10),
    ("status", "/project", 15),
    ('add "Risk {n}" p:3 i:2', "/risk", 10),
    ("list", "/risk", 10),
)


class FaultySlack(FakeSlack):
    """The fake Slack answering a share of the answer calls with a fault (module docstring)."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.random = random.Random(seed)
        self.faults: Counter[str] = Counter()
        self.server.handle_error = lambda *_args: None  # a closed connection is the point, not news

    def _fault(self, path: str) -> str | None:
        if not path.startswith(ANSWER_PATHS):
            return None
        with self._lock:
            draw = self.random.random()
            for name, share in FAULTS:
                if draw < share:
                    self.faults[name] += 1
                    return name
                draw -= share
        return None

    def answer(self, request: Request) -> Response:
        fault = self._fault(request.path)
        if fault == "closed":
            raise ConnectionAbortedError("fault: closed without a response")
        if fault == "503":
            return Response(503, {"ok": False, "error": "service_unavailable"})
        if fault == "429":
            return Response(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
        response = super().answer(request)
        if fault == "timeout":
            time.sleep(CLIENT_TIMEOUT + 1)  # processed; the bot stops waiting first
        return response

    def accepted(self) -> int:
        """Answer calls processed (status 200), including those whose answer the bot never got."""
        with self._lock:
            return sum(1 for c in self.calls if c.status == 200 and c.path.startswith(ANSWER_PATHS))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Firing:
    """Signed commands to the bot, `n` numbering them; counts acks by status."""

    def __init__(self, url: str, fake: FakeSlack) -> None:
        self.url = f"{url}/slack/events"
        self.fake = fake
        self.acks: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()

    def send(self, n: int, command: str, text: str, channel: str) -> None:
        body = p.form_body(
            p.command(
                text,
                command=command,
                channel=channel,
                trigger=f"soak-{n}",
                response_url=self.fake.response_url(f"soak-{n}"),
            )
        )
        client = getattr(self._local, "client", None) or httpx.Client(timeout=30)
        self._local.client = client
        try:
            response = client.post(self.url, content=body, headers=p.signed(body, SECRET, content_type=FORM))
            status = "acked" if response.status_code == 200 and not response.content else str(response.status_code)
            if status == "200":  # answered at once: the request could not be stored, retry later
                status = "refused: not stored"
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        with self._lock:
            self.acks[status] += 1


def mixed(n: int, rng: random.Random) -> tuple[str, str]:
    """The `n`th command of the mix: (command, text)."""
    text, command, _ = rng.choices(MIX, weights=[w for *_, w in MIX])[0]
    return command, text.format(n=n)


def outcome(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.exec(select(Notification)).all()
        items = Counter(i.status for i in session.exec(select(InboxItem)))
    status = Counter(r.status for r in rows)
    return {
        "answers sent": status["sent"],
        "answers dead": status["dead"],
        "answers unsent": status["pending"] + status["sending"],
        "error replies": sum(1 for r in rows if r.payload.get("error")),
        "requests done": items["done"],
        "requests not done": sum(items.values()) - items["done"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--db", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp, FaultySlack(args.seed) as fake:
        url = args.db or f"sqlite:///{Path(tmp) / 'pmbot.db'}"
        bot = start_pmbot(Path(tmp), {**slack_settings(fake.api_url, SECRET), "PMBOT_STORAGE__URL": url})
        db = Database(url)
        firing = Firing(bot.url, fake)
        try:
            for c in range(CHANNELS):  # the projects the mix runs in, each with a task #1
                firing.send(-2 * c - 1, "/project", f'init "Soak {c}"', f"C{c:02d}")
                firing.send(-2 * c - 2, "/task", 'add "Seed"', f"C{c:02d}")
            assert wait_until(lambda: settled(db), 300, 0.2), "set-up did not finish"
            rss = {"start": rss_mb(bot.process.pid)}
            started = time.monotonic()
            with ThreadPoolExecutor(args.concurrency) as pool:
                for n in range(args.commands):
                    command, text = mixed(n, rng)
                    pool.submit(firing.send, n, command, text, f"C{rng.randrange(CHANNELS):02d}")
                    if n == args.commands // 2:
                        rss["middle"] = rss_mb(bot.process.pid)
            fired = time.monotonic() - started
            finished = wait_until(lambda: settled(db), 1800, 0.5)
            drained = time.monotonic() - started
            rss["end"] = rss_mb(bot.process.pid)
            figures = outcome(db)
        finally:
            stop_pmbot(bot.process)
            db.dispose()
        duplicates = fake.accepted() - figures["answers sent"]
    print(
        f"soak: {args.commands:,} commands at {args.concurrency} concurrent (+{2 * CHANNELS} set-up), {url.split(':')[0]}"
    )
    print(f"acks: {dict(firing.acks)}; all fired in {fired:.0f} s, all finished in {drained:.0f} s ({finished=})")
    print(f"faults injected: {dict(fake.faults)}")
    print(", ".join(f"{k}: {v}" for k, v in figures.items()))
    print(f"answer calls accepted by the fake beyond the rows sent (duplicates): {duplicates}")
    print("RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))


if __name__ == "__main__":
    main()
