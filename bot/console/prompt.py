"""What the console shows before it has a core: the welcome line and the prompt.

This module imports only the catalogue, so `pmbot console` greets and prompts at once and the
heavy imports (SQLAlchemy, SQLModel, the models and handlers) and the schema check happen while
the user types the first line; that line is read (the terminal buffers it) once the core is
built, so nothing typed early is lost or handled differently.
"""

from __future__ import annotations

from typing import TextIO

from handlers.i18n import t

__all__ = ["greet", "prompt", "welcome"]


def welcome(locale: str, channel: str, user: str) -> str:
    return t("console.welcome", locale, channel=channel, user=user)


def prompt(channel: str, user: str) -> str:
    return f"{user}@#{channel}> "


def greet(out: TextIO, locale: str, channel: str, user: str) -> None:
    """The welcome line and the first prompt, as `Console.run` shows them."""
    print(welcome(locale, channel, user), file=out, flush=True)
    print(prompt(channel, user), end="", file=out, flush=True)
