"""A test driver for the core: people talking in channels, with a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.console.render import render
from handlers.context import Context
from handlers.core import Core
from handlers.replies import Reply
from storage.database import Database

START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wed 10:00 in Asia/Shanghai


class Chat:
    def __init__(
        self,
        db: Database,
        *,
        workspace: str = "W1",
        channel: str = "C1",
        platform: str = "console",
        start: datetime = START,
    ) -> None:
        self.db = db
        self.core = Core(db)
        self.clock = ManualClock(start)
        self.workspace = workspace
        self.channel = channel
        self.platform = platform

    def ctx(self, user: str, channel: str | None = None, workspace: str | None = None) -> Context:
        return Context(
            platform=self.platform,
            workspace=workspace or self.workspace,
            channel=channel or self.channel,
            user=user,
            user_name=user,
            now=self.clock.now(),
        )

    def say(self, user: str, text: str, **where: str) -> Reply:
        reply = self.core.handle_text(self.ctx(user, **where), text)
        assert reply is not None, f"{text!r} was not taken as a command"
        return reply

    def ok(self, user: str, text: str, **where: str) -> Reply:
        """Say something that must succeed."""
        reply = self.say(user, text, **where)
        assert not reply.error, f"{text!r} failed: {reply.text}"
        return reply

    def fail(self, user: str, text: str, **where: str) -> str:
        """Say something that must be refused; returns the error text."""
        reply = self.say(user, text, **where)
        assert reply.error, f"{text!r} should have failed but gave: {show(reply)}"
        assert reply.visibility == "ephemeral"
        return reply.text

    def click(self, user: str, reply: Reply, label: str) -> Reply:
        buttons = [b for c in reply.cards for b in c.buttons if b.label == label]
        assert buttons, f"no button {label!r} in {show(reply)}"
        return self.core.handle_action(self.ctx(user), buttons[0].payload())

    def advance(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))


def show(reply: Reply) -> str:
    """The reply as the console shows it (mentions as @id)."""
    return render(reply).text
