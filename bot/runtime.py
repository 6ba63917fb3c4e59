"""Builds the core once (database, clock, handlers) and starts what the config enables."""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import TextIO

from bot.clock import Clock, OffsetClock
from bot.config import Config
from handlers.core import Core, Defaults
from storage.database import Database

__all__ = ["Runtime", "build"]

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    config: Config
    db: Database
    core: Core
    clock: Clock

    def console(self, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
                channel: str | None = None, user: str | None = None) -> None:
        """Run the terminal chat until EOF; a pipe is read as a script (no prompt, lines echoed)."""
        from bot.console.app import Console

        clock = self.clock if hasattr(self.clock, "advance") else OffsetClock()
        cfg = self.config.console
        console = Console(self.core, clock, workspace=cfg.workspace, channel=channel or cfg.channel,
                          user=user or cfg.user, out=stdout, locale=self.config.defaults.locale)
        interactive = stdin.isatty()
        console.run(stdin, echo=not interactive, prompt=interactive)

    def run(self, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
        """Start every enabled messenger. Returns the process exit code."""
        if self.config.slack.enabled or self.config.feishu.enabled:
            log.error("Slack and Feishu adapters are not part of this build yet; use the console")
            return 2
        if not self.config.console.enabled:
            log.error("no messenger is enabled: set [console] enabled = true (or enable slack/feishu)")
            return 2
        self.console(stdin=stdin, stdout=stdout)
        return 0

    def close(self) -> None:
        self.db.dispose()


def defaults_from(config: Config) -> Defaults:
    d = config.defaults
    return Defaults(timezone=d.timezone, locale=d.locale, standup_time=d.standup_time, workdays=d.workdays,
                    holidays_country=d.holidays_country.upper())


def build(config: Config, *, clock: Clock | None = None, db_url: str | None = None) -> Runtime:
    db = Database(db_url or config.storage.url)
    db.upgrade()
    return Runtime(config=config, db=db, core=Core(db, defaults_from(config)), clock=clock or OffsetClock())
