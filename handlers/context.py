"""The typed context every inbound message or card action is handled in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

Locale = Literal["en", "zh"]
LOCALES: tuple[Locale, ...] = ("en", "zh")


@dataclass(frozen=True)
class Context:
    """Who said something, where, and when.

    `workspace` is the platform's team/tenant id; together with `platform` it scopes every
    row. `locale` is the user's language when the platform tells it, else None (the
    project's locale then applies). `now` is an aware datetime from the injected clock.
    `user_tz` is the user's IANA time zone when the platform tells it (stored on Member).
    """

    platform: str
    workspace: str
    channel: str
    user: str
    now: datetime
    user_name: str = ""
    locale: Locale | None = None
    channel_name: str = ""
    user_tz: str | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Context.now must be timezone-aware")

    def at(self, now: datetime) -> Context:
        return replace(self, now=now)

    def as_user(self, user: str, user_name: str = "") -> Context:
        return replace(self, user=user, user_name=user_name or user)
