"""Render neutral replies as terminal text, numbering buttons and forms for `:click`/`:submit`."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.i18n import t
from handlers.replies import Button, Card, Form, Reply, Table, split_mentions

__all__ = ["Rendered", "render"]

_COLOR_MARKS = {
    "neutral": "",
    "blue": "🔵 ",
    "green": "🟢 ",
    "yellow": "🟡 ",
    "orange": "🟠 ",
    "red": "🔴 ",
    "grey": "⚪ ",
}


@dataclass
class Rendered:
    text: str
    buttons: list[Button] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render(reply: Reply, name_of: Callable[[str], str] = lambda uid: uid) -> Rendered:
    """Text for the terminal; buttons and forms are numbered in the order shown."""
    out = Rendered("")

    def txt(value: str) -> str:
        return "".join(f"@{name_of(p[0])}" if isinstance(p, tuple) else p for p in split_mentions(value))

    lines: list[str] = []
    if reply.visibility == "ephemeral":
        lines.append(t("console.ephemeral", reply.locale))
    if reply.text:
        lines.append(txt(reply.text))
    for card in reply.cards:
        lines.extend(_card(card, txt, out))
    out.text = "\n".join(lines)
    return out


def _card(card: Card, txt: Callable[[str], str], out: Rendered) -> list[str]:
    lines = [f"┌ {_COLOR_MARKS[card.color]}{txt(card.title)}"]
    body: list[str] = []
    if card.text:
        body.extend(txt(card.text).split("\n"))
    for f in card.fields:
        value = txt(f.value)
        if "\n" in value:
            body.append(f"{txt(f.label)}:")
            body.extend(f"  {v}" for v in value.split("\n"))
        else:
            body.append(f"{txt(f.label)}: {value}")
    body.extend(txt(line) for line in card.lines)
    if card.table is not None:
        body.extend(_table(card.table, txt))
    if card.form is not None:
        out.forms.append(card.form)
        n = len(out.forms)
        body.append(
            f"[form {n}] {txt(card.form.submit_label)}: :submit {n} "
            + " ".join(f"{i.name}=…" for i in card.form.inputs)
        )
        body.extend(
            f"  {i.name}: {txt(i.label)}"
            + (" *" if i.required else "")
            + (f" (now: {txt(i.initial)})" if i.initial else "")
            for i in card.form.inputs
        )
    if card.buttons:
        marks = []
        for b in card.buttons:
            out.buttons.append(b)
            marks.append(f"[{len(out.buttons)}] {txt(b.label)}")
        body.append("  ".join(marks))
    if card.footer:
        body.append(txt(card.footer))
    lines.extend(f"│ {line}" for line in body)
    lines.append("└")
    return lines


def _table(table: Table, txt: Callable[[str], str]) -> list[str]:
    rows = [tuple(txt(c) for c in table.headers), *(tuple(txt(c) for c in r) for r in table.rows)]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(table.headers))]
    return [" | ".join(_pad(cell, w) for cell, w in zip(r, widths, strict=False)).rstrip() for r in rows]
