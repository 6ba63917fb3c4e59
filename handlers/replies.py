"""Neutral reply model: what handlers return and adapters render.

Handlers never produce Block Kit, Feishu card JSON or terminal text. They return a
`Reply` made of plain text and `Card`s; each messenger adapter renders it at the edge.

User mentions inside text are written with `mention(user_id)`, which wraps the id in two
private-use characters. Inbound text is stripped of those characters (`clean_user_text`),
so a user can never forge a mention; renderers escape everything else as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Literal

__all__ = [
    "Button",
    "Card",
    "Field",
    "Form",
    "Input",
    "Option",
    "Reply",
    "Table",
    "clean_name",
    "clean_user_text",
    "mention",
    "reply_from_dict",
    "reply_to_dict",
    "split_mentions",
]

MENTION_OPEN = "\ue000"
MENTION_CLOSE = "\ue001"
_MENTION_RE = re.compile(f"{MENTION_OPEN}([^{MENTION_CLOSE}]*){MENTION_CLOSE}")
# Bidi overrides/isolates/marks and zero-width characters: invisible, and able to make a title
# read differently from what it is. A zero-width joiner inside an emoji sequence stays.
_INVISIBLE = "\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_EMOJI = "\u2600-\u27bf\U0001f000-\U0001faff"
_FORBIDDEN = re.compile(
    f"[{MENTION_OPEN}{MENTION_CLOSE}\x00-\x08\x0b\x0c\x0e-\x1f\x7f{_INVISIBLE}]"
    f"|(?<![{_EMOJI}\ufe0f])\u200d|\u200d(?![{_EMOJI}])"
)

Color = Literal["neutral", "blue", "green", "yellow", "orange", "red", "grey"]
Visibility = Literal["channel", "ephemeral"]


def mention(user_id: str) -> str:
    """A mention of `user_id` for use inside reply text."""
    return f"{MENTION_OPEN}{user_id}{MENTION_CLOSE}"


def split_mentions(text: str) -> list[str | tuple[str]]:
    """Split text into plain strings and 1-tuples holding a mentioned user id.

    Renderers walk this list: escape the strings, render the tuples as native mentions.
    """
    parts: list[str | tuple[str]] = []
    pos = 0
    for match in _MENTION_RE.finditer(text):
        if match.start() > pos:
            parts.append(text[pos : match.start()])
        parts.append((match.group(1),))
        pos = match.end()
    if pos < len(text):
        parts.append(text[pos:])
    return parts


def clean_user_text(text: str) -> str:
    """Remove characters a user must not send: mention markers, control characters, and bidi
    and zero-width characters."""
    return _FORBIDDEN.sub("", text)


NAME_MAX = 200  # Member.display_name


def clean_name(name: str) -> str:
    """A display name as stored: cleaned like typed text, spaces collapsed, at most NAME_MAX."""
    return " ".join(clean_user_text(name).split())[:NAME_MAX]


@dataclass(frozen=True)
class Field:
    label: str
    value: str
    short: bool = True


@dataclass(frozen=True)
class Button:
    """A button that runs a command as the user who clicks it.

    `command` is a canonical command area ("task", "risk", ...), `action` its action and
    `args` the positional arguments, e.g. Button("Done", "task", "done", ("#12",)).
    `options` become key:value options of that command.
    """

    label: str
    command: str
    action: str
    args: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    style: Literal["default", "primary", "danger"] = "default"

    def payload(self) -> dict[str, Any]:
        """Serialisable value carried by the platform button and returned on click."""
        return {
            "command": self.command,
            "action": self.action,
            "args": list(self.args),
            "options": dict(self.options),
        }


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Input:
    """A form input. `name` is the command option key the value is submitted as."""

    name: str
    label: str
    # `datetime` takes and gives an instant with its UTC offset: 2026-12-01T17:00+08:00.
    kind: Literal["text", "textarea", "date", "datetime", "user", "users", "select"] = "text"
    required: bool = False
    initial: str | None = None
    placeholder: str | None = None
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Form:
    """A form whose submission runs `command action` with the inputs as options."""

    command: str
    action: str
    inputs: tuple[Input, ...]
    submit_label: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """A small grid of plain text (e.g. the RACI matrix); renderers keep it aligned."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass
class Card:
    title: str
    text: str = ""
    color: Color = "neutral"
    fields: list[Field] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    table: Table | None = None
    buttons: list[Button] = field(default_factory=list)
    form: Form | None = None
    footer: str = ""
    # The item the card shows (`#12`, `R2`: the reference buttons carry), so an answer showing
    # the item a button was about replaces the card clicked instead of adding one.
    subject: str = ""


@dataclass
class Reply:
    """What a handler answers: text and/or cards, shown to the channel or only to the user."""

    text: str = ""
    cards: list[Card] = field(default_factory=list)
    visibility: Visibility = "channel"
    error: bool = False
    locale: str = "en"  # the language the reply is written in, for the renderer's own words
    field: str = ""  # the form input an error is about (a form shows it there), or ""

    @classmethod
    def ephemeral(cls, text: str = "", cards: list[Card] | None = None) -> Reply:
        return cls(text=text, cards=cards or [], visibility="ephemeral")

    @classmethod
    def failure(cls, text: str, locale: str = "en", field: str = "") -> Reply:
        return cls(text=text, visibility="ephemeral", error=True, locale=locale, field=field)

    def shows_only(self, subject: str) -> bool:
        """The reply is one card about `subject` (and `subject` names an item)."""
        return bool(subject) and len(self.cards) == 1 and self.cards[0].subject == subject

    def pages(self, count: int) -> list[Reply]:
        """The reply as `count` messages, for a platform whose message size it outgrows: the
        lines and table rows of its longest card are shared out in order, each page titled
        "(n/count)"; the text comes with the first page, buttons and forms with the last."""
        if count <= 1 or not self.cards:
            return [self]
        longest = max(range(len(self.cards)), key=lambda i: _rows(self.cards[i]))
        card = self.cards[longest]
        count = max(1, min(count, _rows(card)))
        out: list[Reply] = []
        for n in range(count):
            page = replace(
                card,
                title=f"{card.title} ({n + 1}/{count})",
                lines=_share(card.lines, n, count),
                table=replace(card.table, rows=tuple(_share(list(card.table.rows), n, count))) if card.table else None,
                buttons=card.buttons if n == count - 1 else [],
                form=card.form if n == count - 1 else None,
                footer=card.footer if n == count - 1 else "",
                fields=card.fields if n == 0 else [],
                text=card.text if n == 0 else "",
            )
            before = self.cards[:longest] if n == 0 else []
            after = self.cards[longest + 1 :] if n == count - 1 else []
            out.append(replace(self, text=self.text if n == 0 else "", cards=[*before, page, *after]))
        return out


def _rows(card: Card) -> int:
    return len(card.lines) + (len(card.table.rows) if card.table else 0)


def _share(items: list[Any], n: int, count: int) -> list[Any]:
    """The n-th of `count` consecutive, nearly equal slices of `items`."""
    size, extra = divmod(len(items), count)
    start = n * size + min(n, extra)
    return items[start : start + size + (1 if n < extra else 0)]


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """A JSON-safe form of a reply, for the outbox: what `dataclasses.asdict` gives, without its
    generic deep copy (every value in a reply is immutable), since the scheduler stores
    thousands of replies a tick."""
    plain = _plain(reply)
    assert isinstance(plain, dict)
    return plain


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """Dataclasses as dicts; lists, tuples and dicts rebuilt; any other value as it is."""
    kind = type(value)
    if kind is list or kind is tuple:
        return kind(_plain(v) for v in value)
    if kind is dict:
        return {k: _plain(v) for k, v in value.items()}
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if not is_dataclass(value):
            return value
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(value))
    return {name: _plain(getattr(value, name)) for name in names}


def reply_from_dict(data: dict[str, Any]) -> Reply:
    def card(c: dict[str, Any]) -> Card:
        form = c.get("form")
        table = c.get("table")
        return Card(
            title=c["title"],
            text=c.get("text", ""),
            color=c.get("color", "neutral"),
            fields=[Field(**f) for f in c.get("fields", [])],
            lines=list(c.get("lines", [])),
            table=Table(tuple(table["headers"]), tuple(tuple(r) for r in table["rows"])) if table else None,
            buttons=[
                Button(
                    label=b["label"],
                    command=b["command"],
                    action=b["action"],
                    args=tuple(b["args"]),
                    options=tuple(tuple(o) for o in b["options"]),
                    style=b["style"],
                )
                for b in c.get("buttons", [])
            ],
            form=Form(
                command=form["command"],
                action=form["action"],
                submit_label=form["submit_label"],
                args=tuple(form["args"]),
                inputs=tuple(
                    Input(**{**i, "options": tuple(Option(**o) for o in i["options"])}) for i in form["inputs"]
                ),
            )
            if form
            else None,
            footer=c.get("footer", ""),
            subject=c.get("subject", ""),
        )

    return Reply(
        text=data.get("text", ""),
        cards=[card(c) for c in data.get("cards", [])],
        visibility=data.get("visibility", "channel"),
        error=data.get("error", False),
        locale=data.get("locale", "en"),
        field=data.get("field", ""),
    )
