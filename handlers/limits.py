"""The one rule for how long typed text may be, checked on every command before the database.

Every command — typed, clicked or submitted from a form — passes `check_command` in the core,
so a title, an answer or a mention longer than its column is a clear error with the usage line,
never a database failure. Names that reach storage from the platforms (display names) are
cleaned and cut by `replies.clean_name`. The maxima are documented in README ("Rules for tasks, risks
and forms"); keep the two in step.
"""

from __future__ import annotations

from typing import Any

from handlers.command import Command, UserRef
from handlers.env import UserError

__all__ = ["OPTION_MAX", "USER_ID_MAX", "WORDS_MAX", "check_command"]

USER_ID_MAX = 64  # Member.user_id and every column holding a user id
TEXT_MAX = 2000  # any other text
# The free text after a command: titles and names.
WORDS_MAX = {
    ("task", "add"): 300,
    ("risk", "add"): 300,
    ("project", "init"): 200,
    ("retro", "start"): 200,
    ("retro", "add"): 1000,
}
OPTION_MAX = {
    "title": 300,
    "name": 200,
    "goal": 2000,
    "description": 5000,
    "link": 500,
    "yesterday": 2000,
    "today": 2000,
    "blockers": 2000,
    "trigger": 2000,
    "mitigation": 2000,
    "contingency": 2000,
    "note": 1000,
    "questions": 500,
}


def check_command(command: Command) -> None:
    """Refuse text longer than its maximum and mentions longer than a user id can be."""
    usage = f"{command.area}.{command.action}"
    _check_text(command.text, WORDS_MAX.get((command.area, command.action), TEXT_MAX), usage)
    for ref in command.mentions:
        _check_user(ref, usage)
    for key, value in command.options.items():
        if isinstance(value, str):
            _check_text(value, OPTION_MAX.get(key, TEXT_MAX), usage)
        for ref in _refs(value):
            _check_user(ref, usage)


def _refs(value: Any) -> tuple[UserRef, ...]:
    if isinstance(value, UserRef):
        return (value,)
    if isinstance(value, tuple):
        return tuple(v for v in value if isinstance(v, UserRef))
    return ()


def _check_text(text: str, limit: int, usage: str) -> None:
    if len(text) > limit:
        raise UserError("error.title_too_long", usage, max=limit)


def _check_user(ref: UserRef, usage: str) -> None:
    if len(ref.id) > USER_ID_MAX:
        raise UserError("error.user_too_long", usage, value=ref.id[:20] + "…", max=USER_ID_MAX)
