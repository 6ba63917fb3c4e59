"""The values the command language produces: a typed `Command`, or a `ParseError`.

Kept apart from the grammar so that the area modules, which declare their commands, can use
these types without importing the parser (which imports them to learn the grammar).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Command", "ParseError", "UserRef"]


@dataclass(frozen=True)
class UserRef:
    """A platform-neutral user reference: `@alice` or Slack's `<@U123|alice>`."""

    id: str
    name: str = ""


@dataclass(frozen=True)
class Command:
    """One parsed command. What the arguments were is typed by the command's argument kind:
    task and risk numbers in `refs` (`/task done #1 #2` -> (1, 2)), the chosen filter or kind
    in `choice` (`/task list mine`, `/retro add well …`), free text in `words`."""

    area: str
    action: str
    words: tuple[str, ...] = ()
    mentions: tuple[UserRef, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    refs: tuple[int, ...] = ()
    choice: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def ref(self) -> int:
        """The one number of a single-ref command (`/task show #12` -> 12)."""
        return self.refs[0]

    def opt(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


class ParseError(ValueError):
    """Not a valid command. `code` names the problem (a message catalogue key), `usage`
    the usage entry to show ("task.add", or "" for the general help), `detail` the values
    the message needs; `field` the option (form input) it is about, where a form shows it."""

    def __init__(self, code: str, usage: str = "", **detail: Any) -> None:
        super().__init__(code, usage, detail)
        self.code = code
        self.usage = usage
        self.detail = detail
        self.field = str(detail.get("key") or "")
