"""The console messenger: a terminal chat in one project channel, through the real core.

Lines are messages from the current user. Meta-commands:

    :as USER              speak as another user
    :channel NAME         switch channel
    :now ISO-8601         set the clock (e.g. 2026-12-01T09:00+08:00)
    :advance DURATION     move the clock (30m, 2h, 1d) and run the jobs that fell due
    :click N              press button N of the last reply
    :submit N k=v ...     submit form N of the last reply (quote values with spaces)
    :help                 this list
    :quit                 leave
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Protocol, TextIO

from bot.console.prompt import greet
from bot.console.prompt import prompt as prompt_line
from bot.console.render import Rendered, render
from bot.messenger import Destination, MessageRef
from handlers.context import Context
from handlers.core import Core
from handlers.dates import DateParseError, parse_duration
from handlers.i18n import t
from handlers.replies import Reply

__all__ = ["Console", "ConsoleMessenger"]

PLATFORM = "console"


class MovableClock(Protocol):
    def now(self) -> datetime: ...
    def set(self, moment: datetime) -> None: ...
    def advance(self, delta: timedelta) -> None: ...


class ConsoleMessenger:
    """Messenger port for the terminal: what the bot posts is printed."""

    platform = PLATFORM

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._count = 0
        self.last: Rendered | None = None

    def _emit(self, header: str, reply: Reply) -> str:
        self._count += 1
        self.show(reply, header)
        return str(self._count)

    def show(self, reply: Reply, header: str = "") -> None:
        """Print a reply and remember it: `:click`/`:submit` act on the last message shown,
        whether it answered a command or was posted by the scheduler."""
        self.last = render(reply)
        print(f"{header}\n{self.last.text}" if header else self.last.text, file=self.out, flush=True)

    def send(self, destination: Destination, reply: Reply, *, key: str) -> MessageRef:
        where = f"DM {_place(destination)}" if destination.kind == "dm" else _place(destination)
        return MessageRef(destination, self._emit(f"[{where}] pmbot:", reply))

    def update(self, ref: MessageRef, reply: Reply, *, key: str) -> None:
        self._emit(f"[{_place(ref.destination)} message {ref.id} updated] pmbot:", reply)


def _place(destination: Destination) -> str:
    """`@user` for a DM, `#channel` otherwise."""
    return f"{'@' if destination.kind == 'dm' else '#'}{destination.id}"


class Console:
    def __init__(
        self,
        core: Core,
        clock: MovableClock,
        *,
        workspace: str = "local",
        channel: str = "general",
        user: str = "me",
        out: TextIO = sys.stdout,
        locale: str = "en",
        run_due_jobs: Callable[[datetime, datetime], object] | None = None,
        after_command: Callable[[], object] | None = None,
    ) -> None:
        self.core = core
        self.clock = clock
        self.workspace = workspace
        self.channel = channel
        self.user = user
        self.out = out
        self.locale = locale
        self.messenger = ConsoleMessenger(out)
        self.run_due_jobs = run_due_jobs
        self.after_command = after_command  # e.g. deliver what the command queued

    @property
    def last(self) -> Rendered | None:
        """The last message shown: a reply or a post (one record, kept by the messenger)."""
        return self.messenger.last

    # --- the loop ---------------------------------------------------------------------
    def run(self, lines: Iterable[str], *, echo: bool = False, prompt: bool = False, greeted: bool = False) -> None:
        """Read lines until EOF or `:quit`. In script mode (`echo`) each line is shown first.
        With `prompt`, a welcome line and a prompt before each line; `greeted`: the welcome and
        the first prompt were shown already (`bot.console.prompt.greet`, before the core existed)."""
        if prompt and not greeted:
            greet(self.out, self.locale, self.channel, self.user)
        iterator = iter(lines)
        first = True
        while True:
            if prompt and not first:
                self._prompt()
            first = False
            try:
                line = next(iterator)
            except StopIteration:
                break
            line = line.rstrip("\n")
            if echo and line.strip() and not line.lstrip().startswith("#"):
                self._print(f"» {self.user}: {line}")
            if self.feed(line) is False:
                break

    def feed(self, line: str) -> bool:
        """Handle one line; returns False when the user asked to quit."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        if line.startswith(":"):
            return self._meta(line)
        reply = self.core.handle_text(self._ctx(), line)
        if reply is None:
            self._say("console.not_a_command")
        else:
            self._show(reply)
            self._after()
        return True

    def _after(self) -> None:
        if self.after_command is not None:
            self.after_command()

    # --- helpers ----------------------------------------------------------------------
    def _ctx(self) -> Context:
        return Context(
            platform=PLATFORM,
            workspace=self.workspace,
            channel=self.channel,
            user=self.user,
            user_name=self.user,
            now=self.clock.now(),
        )

    def _show(self, reply: Reply) -> None:
        self.messenger.show(reply)

    def _prompt(self) -> None:
        print(prompt_line(self.channel, self.user), end="", file=self.out, flush=True)

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _say(self, key: str, **values: object) -> None:
        self._print(t(key, self.locale, **values))

    def _usage(self, usage: str) -> None:
        self._say("console.usage", usage=usage)

    def _meta(self, line: str) -> bool:
        try:
            parts = shlex.split(line)
        except ValueError as exc:
            self._say("console.usage", usage=f"{line} ({exc})")
            return True
        verb, args = parts[0], parts[1:]
        handler = {
            ":as": self._as,
            ":channel": self._channel,
            ":now": self._now,
            ":advance": self._advance,
            ":click": self._click,
            ":submit": self._submit,
            ":help": self._help,
        }.get(verb)
        if verb in (":quit", ":q", ":exit"):
            return False
        if handler is None:
            self._say("console.unknown_meta", verb=verb)
            return True
        handler(args)
        return True

    def _as(self, args: list[str]) -> None:
        if len(args) != 1:
            self._usage(":as USER")
            return
        self.user = args[0].lstrip("@")

    def _channel(self, args: list[str]) -> None:
        if len(args) != 1:
            self._usage(":channel NAME")
            return
        self.channel = args[0].lstrip("#")

    def _now(self, args: list[str]) -> None:
        try:
            moment = datetime.fromisoformat(" ".join(args))
            if moment.tzinfo is None:
                raise ValueError("add a UTC offset, e.g. +08:00")
        except ValueError as exc:
            self._usage(f":now 2026-12-01T09:00+08:00 ({exc})")
            return
        self.clock.set(moment)
        self._say("console.clock", now=self.clock.now().isoformat(timespec="minutes"))

    def _advance(self, args: list[str]) -> None:
        try:
            delta = parse_duration(" ".join(args))
        except DateParseError:
            self._usage(":advance 30m | 2h | 1d")
            return
        start = self.clock.now()
        self.clock.advance(delta)
        self._say("console.clock", now=self.clock.now().isoformat(timespec="minutes"))
        if self.run_due_jobs is not None:
            self.run_due_jobs(start, self.clock.now())

    def _click(self, args: list[str]) -> None:
        buttons = self.last.buttons if self.last else []
        if not buttons:
            self._say("console.no_buttons")
            return
        if len(args) != 1 or not args[0].isdigit() or not 1 <= int(args[0]) <= len(buttons):
            self._usage(f":click N (1-{len(buttons)})")
            return
        self._show(self.core.handle_action(self._ctx(), buttons[int(args[0]) - 1].payload()))
        self._after()

    def _submit(self, args: list[str]) -> None:
        forms = self.last.forms if self.last else []
        if not forms:
            self._say("console.no_forms")
            return
        if not args or not args[0].isdigit() or not 1 <= int(args[0]) <= len(forms):
            self._usage(f":submit N field=value ... (1-{len(forms)})")
            return
        form = forms[int(args[0]) - 1]
        values: dict[str, str] = {}
        names = {i.name for i in form.inputs}
        for pair in args[1:]:
            key, sep, value = pair.partition("=")
            if not sep or key not in names:
                self._say("console.bad_field", pair=pair, fields=", ".join(sorted(names)))
                return
            values[key] = value
        payload = {"command": form.command, "action": form.action, "args": list(form.args)}
        self._show(self.core.handle_action(self._ctx(), payload, values))
        self._after()

    def _help(self, _args: list[str]) -> None:
        self._say("console.help")
