"""Slack ack latency: our `/slack/events` route against a bare bolt app, same machine, same run.

    python -m bench.acks                 # SQLite in a temp dir, 3 runs
    python -m bench.acks --db URL        # e.g. PostgreSQL (projects and tasks are written)

Both servers are processes of their own on uvicorn, signed with one secret, and are sent the same
signed slash commands by this process over keep-alive HTTP connections:

- ours: `pmbot run` in HTTP mode (the production path: signature check, durable inbox insert,
  ack; the command then runs on the channel workers and its answer goes to a loopback fake Slack
  in this process), `/task add` into 16 channels that each hold a project;
- bare: a bolt `App` whose `/task` listener only calls `ack()`, served through bolt's documented
  Starlette adapter on uvicorn (the reference: what an ack costs with no work at all).

Ack latency is the client's time from sending the request to the 200. Per run: 200 commands one at
a time, then 400 at 16 concurrent; p50 and p99 of each, the median over runs, and ours as a
ratio of bare (issue 10 goal 5: p99 at 16 concurrent ≤ 1.2×). Runs alternate bare and ours, and
our bot's answers are all delivered before the next measurement starts.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from storage.database import Database
from tests.support import slack_payloads as p
from tests.support.fake_slack import FakeSlack
from tests.support.processes import ROOT, pmbot_env, settled, slack_settings, start_pmbot, stop_pmbot
from tests.support.waiting import free_port, wait_until

SECRET = "bench-acks-secret"
CHANNELS = 16
SEQUENTIAL = 200
CONCURRENT = 16
BURST = 400
FORM = "application/x-www-form-urlencoded"


def serve_bare(port: int, api_url: str) -> None:
    """The reference: a bolt App acking `/task` at once, on uvicorn through bolt's Starlette
    adapter; its one auth.test (cached by bolt, as ours is) goes to the fake Slack at `api_url`."""
    import uvicorn
    from slack_bolt import App
    from slack_bolt.adapter.starlette import SlackRequestHandler
    from slack_sdk import WebClient
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    client = WebClient(token="xoxb-T1", base_url=api_url)
    app = App(signing_secret=SECRET, client=client, token_verification_enabled=False)

    @app.command("/task")
    def task(ack: Callable[[], None]) -> None:
        ack()

    handler = SlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes = [Route("/slack/events", events, methods=["POST"]), Route("/healthz", healthz)]
    uvicorn.run(Starlette(routes=routes), host="127.0.0.1", port=port, log_level="warning")


class Sender:
    """Signed `/task add` commands to one server, each timed from send to ack."""

    def __init__(self, url: str) -> None:
        self.url = f"{url}/slack/events"
        self.count = 0
        self.refused = 0  # requests the server could not store (a 200 with text)
        self._lock = threading.Lock()
        self._local = threading.local()

    def one(self) -> float:
        with self._lock:
            n = self.count
            self.count += 1
        body = p.form_body(p.command(f'add "Ack {n}"', channel=f"C{n % CHANNELS:02d}", trigger=f"ack-{n}"))
        headers = p.signed(body, SECRET, content_type=FORM)
        client = getattr(self._local, "client", None) or httpx.Client(timeout=30)
        self._local.client = client
        started = time.perf_counter()
        response = client.post(self.url, content=body, headers=headers)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, f"{response.status_code} {response.text[:200]}"
        if response.content:  # acknowledged with "could not store it, try again"
            with self._lock:
                self.refused += 1
        return elapsed

    def sequential(self, count: int) -> list[float]:
        return [self.one() for _ in range(count)]

    def concurrent(self, count: int, workers: int) -> list[float]:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(lambda _: self.one(), range(count)))


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(sender: Sender, settle: Callable[[], None]) -> dict[str, float]:
    """p50/p99 in ms, sequential and concurrent; `settle` waits for the server's own work to end."""
    figures: dict[str, float] = {}
    phases: list[tuple[str, Callable[[], list[float]]]] = [
        ("seq", lambda: sender.sequential(SEQUENTIAL)),
        ("c16", lambda: sender.concurrent(BURST, CONCURRENT)),
    ]
    for name, phase in phases:
        samples = phase()
        figures[f"{name} p50"] = percentile(samples, 0.5) * 1000
        figures[f"{name} p99"] = percentile(samples, 0.99) * 1000
        settle()
    return figures


def _setup_projects(url: str, fake: FakeSlack) -> None:
    for c in range(CHANNELS):
        body = p.form_body(p.command(f'init "Acks {c}"', command="/project", channel=f"C{c:02d}", trigger=f"init-{c}"))
        httpx.post(f"{url}/slack/events", content=body, headers=p.signed(body, SECRET, content_type=FORM), timeout=30)
    fake.wait_for("chat.postMessage", CHANNELS, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        url = args.db or f"sqlite:///{Path(tmp) / 'pmbot.db'}"
        settings = {**slack_settings(fake.api_url, SECRET), "PMBOT_STORAGE__URL": url}
        port = free_port()
        bare = subprocess.Popen(
            [sys.executable, "-m", "bench.acks", "--serve-bare", str(port), fake.api_url], cwd=ROOT, env=pmbot_env()
        )
        bare_url = f"http://127.0.0.1:{port}"
        ours = start_pmbot(Path(tmp), settings)
        db = Database(url)
        try:
            assert wait_until(lambda: _up(bare_url), 30, 0.05), "the bare bolt app did not start"
            _setup_projects(ours.url, fake)
            bare_sender, our_sender = Sender(bare_url), Sender(ours.url)

            def answered() -> None:
                assert wait_until(lambda: settled(db), 300, 0.1), "the bot did not finish its work"

            runs = []
            for _ in range(args.runs):
                runs.append((measure(bare_sender, lambda: None), measure(our_sender, answered)))
        finally:
            stop_pmbot(ours.process)
            stop_pmbot(bare)
            db.dispose()
        answers = len(fake.of("chat.postMessage"))
    report(runs, "PostgreSQL" if url.startswith("postgresql") else "SQLite")
    print(f"\n{our_sender.count + CHANNELS} commands sent to pmbot, {our_sender.refused} refused, {answers} answered")


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def report(runs: list[tuple[dict[str, float], dict[str, float]]], database: str) -> None:
    print(f"Slack ack latency, ms (median of {len(runs)} runs; pmbot on {database})\n")
    print("| measure | bare bolt | pmbot | ratio |")
    print("|---|---|---|---|")
    for name in runs[0][0]:
        bare = statistics.median(run[0][name] for run in runs)
        ours = statistics.median(run[1][name] for run in runs)
        print(f"| {name} | {bare:.1f} | {ours:.1f} | {ours / bare:.2f}× |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve-bare"]:
        serve_bare(int(sys.argv[2]), sys.argv[3])
    else:
        main()
