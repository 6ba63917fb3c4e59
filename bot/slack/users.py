"""Who a Slack user is: display name, time zone and language, from `users.info`, cached.

Every inbound request needs them (the core stores the name and time zone on the project's
Member, and answers in the user's language), so a lookup must not cost a Web API call each
time: answers are kept for `ttl` seconds per (workspace, user); a failed lookup (missing scope,
deleted user, Slack down) is remembered briefly and answered with what the payload itself said.
The cache also serves renderers, which show mentions as `@name` where Slack cannot render one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handlers.context import Locale

__all__ = ["SlackUser", "UserDirectory", "locale_of"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackUser:
    name: str = ""
    tz: str | None = None
    locale: Locale | None = None


def locale_of(slack_locale: str | None) -> Locale | None:
    """Slack's `en-US`, `zh-CN`, `zh-TW` … as pmbot's en/zh; None for other languages."""
    lang = (slack_locale or "").split("-")[0].lower()
    return lang if lang in ("en", "zh") else None  # type: ignore[return-value]


def _user(data: dict[str, Any]) -> SlackUser:
    profile = data.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or data.get("real_name") or data.get("name") or ""
    return SlackUser(name=str(name)[:200], tz=data.get("tz") or None, locale=locale_of(data.get("locale")))


class UserDirectory:
    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        failure_ttl: float = 60.0,
        size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.failure_ttl = failure_ttl
        self.size = size
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, SlackUser]] = OrderedDict()
        self._lock = threading.Lock()  # listeners run on several threads

    def lookup(self, client: Any, workspace: str, user: str) -> SlackUser:
        """The user as `users.info` describes them (cached); an empty SlackUser when unknown."""
        key = (workspace, user)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > self._clock():
                return hit[1]
        try:
            found, ttl = _user(client.users_info(user=user, include_locale=True)["user"]), self.ttl
        except Exception:  # a name is a nicety: never fail the request over it
            log.warning("users.info failed for %s in %s", user, workspace, exc_info=True)
            found, ttl = (hit[1] if hit is not None else SlackUser()), self.failure_ttl
        with self._lock:
            self._entries[key] = (self._clock() + ttl, found)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return found

    def names(self, workspace: str) -> Callable[[str], str | None]:
        """Display names of one workspace from the cache only (for renderers; no API call)."""

        def name_of(user: str) -> str | None:
            with self._lock:
                hit = self._entries.get((workspace, user))
            return hit[1].name or None if hit is not None else None

        return name_of
