"""The `pmbot` command in a subprocess, for the end-to-end tests: one-shot (`pmbot(...)`) or as a
running server (`running_pmbot(...)`), both configured only through PMBOT_ variables on top of an
environment cleaned of the developer's own PMBOT_ settings.

    with running_pmbot(tmp_path, {"PMBOT_SLACK__ENABLED": "true", ...}) as bot:
        httpx.post(f"{bot.url}/slack/events", ...)

The server gets a free HTTP port, SQLite in the working directory, no console and no scheduler
unless `settings` say otherwise; it is used once /healthz answers, and must exit 0 on SIGTERM.
Its output goes to a log file, so a chatty process can never block on a full pipe.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from storage.database import Database
from storage.inbox import InboxItem
from storage.models import Notification
from tests.support.waiting import SLOW_MACHINE, free_port, healthy, wait_until

__all__ = [
    "ROOT",
    "RunningPmbot",
    "pmbot",
    "pmbot_env",
    "running_pmbot",
    "settled",
    "slack_settings",
    "start_pmbot",
    "stop_pmbot",
]

ROOT = Path(__file__).resolve().parents[2]
PMBOT = (sys.executable, "-m", "bot.cli")


def pmbot_env(settings: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without PMBOT_ variables, plus `settings`; the checkout importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMBOT_")}
    return {**env, "PYTHONPATH": str(ROOT), **(settings or {})}


def pmbot(
    *args: str, cwd: Path, stdin: str | None = None, settings: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `pmbot ARGS` to completion, `stdin` piped in; its output is captured as text."""
    return subprocess.run(
        [*PMBOT, *args], cwd=cwd, env=pmbot_env(settings), input=stdin, capture_output=True, text=True, timeout=timeout
    )


def slack_settings(api_url: str, secret: str) -> dict[str, str]:
    """Settings of a `pmbot run` serving Slack over HTTP (workspace T1) against a fake Web API."""
    return {
        "PMBOT_SLACK__ENABLED": "true",
        "PMBOT_SLACK__MODE": "http",
        "PMBOT_SLACK__BOT_TOKEN": "xoxb-T1",
        "PMBOT_SLACK__SIGNING_SECRET": secret,
        "PMBOT_SLACK__API_BASE_URL": api_url,
    }


def settled(db: Database) -> bool:
    """True when a bot on `db` has nothing left to do: every stored request done, every answer sent
    (or dead)."""
    with db.session() as session:
        unsent = session.exec(select(Notification.id).where(Notification.status.in_(("pending", "sending")))).first()
        pending = session.exec(select(InboxItem.id).where(InboxItem.status != "done")).first()
    return unsent is None and pending is None


@dataclass(frozen=True)
class RunningPmbot:
    url: str  # the HTTP server, e.g. http://127.0.0.1:PORT
    process: subprocess.Popen[bytes]
    log: Path  # stdout and stderr

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_pmbot(cwd: Path, settings: Mapping[str, str], *, start_timeout: float = 2 * SLOW_MACHINE) -> RunningPmbot:
    """`pmbot run` started and healthy; the caller ends it (a crash test kills it with SIGKILL and
    starts another on the same settings, whose output is appended to the same log)."""
    port = free_port()
    env = pmbot_env(
        {
            "PMBOT_CONSOLE__ENABLED": "false",
            "PMBOT_SCHEDULER__ENABLED": "false",
            "PMBOT_HTTP__PORT": str(port),
            "PMBOT_STORAGE__URL": f"sqlite:///{cwd / 'pmbot.db'}",
            **settings,
        }
    )
    log = cwd / "pmbot-run.log"
    with log.open("ab") as sink:
        process = subprocess.Popen([*PMBOT, "run"], cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT)
    bot = RunningPmbot(f"http://127.0.0.1:{port}", process, log)
    health = f"{bot.url}/healthz"
    wait_until(lambda: process.poll() is not None or healthy(health), start_timeout, 0.05)
    if process.poll() is not None or not healthy(health):
        stop_pmbot(process)
        raise AssertionError(f"pmbot run never became healthy:\n{bot.output()}")
    return bot


@contextmanager
def running_pmbot(
    cwd: Path, settings: Mapping[str, str], *, start_timeout: float = 2 * SLOW_MACHINE
) -> Iterator[RunningPmbot]:
    """`pmbot run` until the block ends; fails unless it becomes healthy and exits 0 on SIGTERM."""
    bot = start_pmbot(cwd, settings, start_timeout=start_timeout)
    try:
        yield bot
    finally:
        stop_pmbot(bot.process)
    assert bot.process.returncode == 0, f"pmbot run exited {bot.process.returncode}:\n{bot.output()}"


def stop_pmbot(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the graceful stop under test), and a kill only if that does not end it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
