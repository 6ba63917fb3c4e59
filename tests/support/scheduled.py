"""The core, the outbox and the scheduler on one database and one manual clock (scheduler tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.outbox import Outbox
from bot.scheduler import Scheduler
from storage.database import Database
from tests.chat import Chat
from tests.support.recording import RecordingMessenger, Sent

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")


class Bot:
    """People in a chat plus the scheduler, driven by `at(local time)`; records what was sent."""

    def __init__(self, db: Database, start: datetime) -> None:
        self.chat = Chat(db, start=start)
        self.messenger = RecordingMessenger("console")
        self.outbox = Outbox(db, self.chat.clock, {"console": self.messenger})
        self.scheduler = Scheduler(db, self.chat.core, self.outbox, self.chat.clock)

    def at(self, local: datetime) -> int:
        """Move the clock to `local` and run one tick there."""
        self.chat.clock.set(local)
        return self.scheduler.tick()

    def run_until(self, local: datetime) -> int:
        """Run every job that falls due from now to `local`, as a running scheduler would."""
        return self.scheduler.run_between(self.chat.clock.now(), local.astimezone(UTC))

    def restart(self) -> Bot:
        """A new process on the same database (nothing kept in memory)."""
        fresh = Bot(self.chat.db, self.chat.clock.now())
        fresh.messenger = self.messenger
        fresh.outbox.messengers["console"] = self.messenger
        return fresh

    def sent(self, kind: str | None = None) -> list[tuple[str, str, str]]:
        return [
            (s.kind, s.target, s.reply.cards[0].title if s.reply.cards else s.reply.text)
            for s in self.messenger.sent
            if kind is None or s.kind == kind
        ]

    def titled(self, prefix: str) -> list[Sent]:
        """Messages whose first card's title starts with `prefix`."""
        return [s for s in self.messenger.sent if s.reply.cards and s.reply.cards[0].title.startswith(prefix)]

    def titles(self) -> list[str]:
        return [title for _, _, title in self.sent()]

    def clear(self) -> None:
        self.messenger.sent.clear()


def make_bot(db: Database, tz: ZoneInfo = SH, when: datetime | None = None, init: str = "") -> Bot:
    """A bot whose project "ERP" was created by @pm at `when` (default Monday 2026-11-23 08:00)."""
    start = when or datetime(2026, 11, 23, 8, 0, tzinfo=tz)
    bot = Bot(db, start.astimezone(UTC))
    bot.chat.ok("pm", f'/project init "ERP" tz:{tz.key} {init}'.strip())
    return bot
