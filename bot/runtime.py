"""Builds the core once (database, clock, handlers, outbox) and starts what the config enables.

`build()` is cheap and imports no messenger SDK; `Runtime.run()` creates the enabled adapters
(found by name in `bot.registry.MESSENGERS`, each given an `AdapterDeps`, never the runtime), serves
the HTTP app when an adapter runs in HTTP mode, and then either runs the console in the
foreground or waits for a signal.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from bot.adapters import Adapter, AdapterDeps, create_adapter
from bot.clock import Clock, OffsetClock
from bot.config import Config
from bot.outbox import Outbox
from bot.registry import MESSENGERS
from bot.scheduler import Scheduler
from handlers.core import Core, Defaults
from storage.database import Database

__all__ = ["Runtime", "build"]

log = logging.getLogger(__name__)

TICK_MARGIN = 5.0  # seconds `pmbot tick` stops delivering before the next tick is due


@dataclass
class Runtime:
    config: Config
    db: Database
    core: Core
    clock: Clock
    outbox: Outbox
    scheduler: Scheduler
    adapters: list[Adapter] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def console(
        self,
        *,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        channel: str | None = None,
        user: str | None = None,
        greeted: bool = False,
    ) -> None:
        """Run the terminal chat until EOF; a pipe is read as a script (no prompt, lines echoed).
        `greeted`: the welcome and first prompt are on the terminal already (`pmbot console`)."""
        from bot.console.app import Console

        clock = self.clock if hasattr(self.clock, "advance") else OffsetClock()
        cfg = self.config.console
        console = Console(
            self.core,
            clock,
            workspace=cfg.workspace,
            channel=channel or cfg.channel,
            user=user or cfg.user,
            out=stdout,
            locale=self.config.defaults.locale,
            run_due_jobs=self.scheduler.run_between,
            after_command=self.outbox.deliver,
        )
        self.outbox.register(console.messenger)
        interactive = stdin.isatty()
        # A script is deterministic: only `:advance` runs jobs. Interactively, real time passes too.
        background = interactive and self.config.scheduler.enabled
        if background:
            self.scheduler.start()
        try:
            console.run(stdin, echo=not interactive, prompt=interactive, greeted=greeted)
        finally:
            if background:
                self.scheduler.stop()

    def deps(self, name: str) -> AdapterDeps:
        """What the adapter `name` is given: its config section and the shared core parts."""
        return AdapterDeps(
            config=getattr(self.config, name), core=self.core, db=self.db, clock=self.clock, outbox=self.outbox
        )

    def enabled(self) -> list[str]:
        """The registered messengers whose config section enables them."""
        return [name for name in MESSENGERS if getattr(self.config, name).enabled]

    def create_adapters(self) -> None:
        """Create the enabled adapters; each registers its messenger with the outbox (no connection yet)."""
        self.adapters.extend(create_adapter(name, self.deps(name)) for name in self.enabled())

    def tick(
        self, now: datetime | None = None, *, drain_seconds: float | None = None, stdout: TextIO = sys.stdout
    ) -> int:
        """`pmbot tick`: run what is due at `now` once, then deliver what is due for up to
        `drain_seconds` (default: a few seconds less than the tick interval), waiting for paced
        channels and retries meanwhile; returns the messages sent."""
        from bot.console.app import ConsoleMessenger

        self.create_adapters()
        self.outbox.register(ConsoleMessenger(stdout))
        sent = self.scheduler.tick(now)
        seconds = self.drain_seconds() if drain_seconds is None else drain_seconds
        return sent + self.outbox.drain(seconds, now=now)

    def drain_seconds(self) -> float:
        """How long `pmbot tick` delivers by default: until shortly before the next tick."""
        return max(1.0, self.config.scheduler.tick_seconds - TICK_MARGIN)

    def run(self, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
        """Start every enabled messenger. Returns the process exit code."""
        if not (self.config.console.enabled or self.enabled()):
            log.error("no messenger is enabled: set [console] enabled = true, or enable slack/feishu")
            return 2
        self.create_adapters()
        for adapter in self.adapters:
            adapter.start()
        http = self._start_http()
        try:
            if self.config.console.enabled:
                self.console(stdin=stdin, stdout=stdout)
            else:
                if self.config.scheduler.enabled:
                    self.scheduler.start()
                self._wait_for_signal()
                self.scheduler.stop()
        finally:
            if http is not None:
                http.stop()
            for adapter in self.adapters:
                adapter.stop()
        return 0

    def _start_http(self):
        routes = [a for a in self.adapters if a.routes()]
        if not routes:
            return None
        from bot.http import HttpServer, create_app

        app = create_app(self.adapters, db=self.db, clock=self.clock, metrics=self.config.http.metrics)
        server = HttpServer(app, self.config.http.host, self.config.http.port)
        server.start()
        if server.wait_started():
            log.info("HTTP server listening on %s:%s", self.config.http.host, self.config.http.port)
        return server

    def _wait_for_signal(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        self.stopping.wait()

    def close(self) -> None:
        self.db.dispose()


def defaults_from(config: Config) -> Defaults:
    d = config.defaults
    return Defaults(
        timezone=d.timezone,
        locale=d.locale,
        standup_time=d.standup_time,
        workdays=d.workdays,
        holidays_country=d.holidays_country.upper(),
    )


def build(config: Config, *, clock: Clock | None = None, db_url: str | None = None) -> Runtime:
    db = Database(db_url or config.storage.url)
    db.upgrade()
    clock = clock or OffsetClock()
    core = Core(db, defaults_from(config))
    outbox = Outbox(db, clock, senders=config.outbox.senders, max_attempts=config.outbox.max_attempts)
    scheduler = Scheduler(db, core, outbox, clock, tick_seconds=config.scheduler.tick_seconds)
    return Runtime(config=config, db=db, core=core, clock=clock, outbox=outbox, scheduler=scheduler)
