"""Neutral replies as Block Kit, built with `slack_sdk.models.blocks` so Slack's limits are
checked here instead of failing at Slack (the console renderer's Slack twin).

A card becomes: a header (or a bold section when its title mentions someone, because a header
is plain text and cannot show a mention), text and list sections, fields in sections of ten, a
table as a code block, buttons in actions blocks of 25, and the footer as a context block.
Card colours become a coloured circle in front of the title. Every block id starts with
`c<card index>.`, so an action tells which card of a message it came from.

Safety: user text is escaped (`&`, `<`, `>`) everywhere mrkdwn is parsed, so a task title like
`<!channel>` can neither ping a channel nor spoof a link; only `mention()` markers become
`<@U…>`. Plain-text places (headers, button labels, modal titles) show mentions as `@name`.

Size: long texts are split over several sections at line boundaries and never cut inside an
escape or a mention. A reply longer than a message allows ("You can include up to 50 blocks in
each message, and 100 blocks in modals or Home tabs", Block Kit reference) first shows fewer of
each card's list lines and table rows, saying "… and N more" of them — so N counts items (people,
tasks), not blocks; only if that is not enough are the last blocks cut with such a note.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from handlers.i18n import t
from handlers.replies import Button, Card, Form, Reply, Table, split_mentions

__all__ = [
    "ACTION_PREFIX",
    "MESSAGE_BLOCKS",
    "SURFACE_BLOCKS",
    "NameOf",
    "button_value",
    "card_index",
    "escape",
    "fallback_text",
    "mrkdwn",
    "plain",
    "render_blocks",
    "render_message",
]

NameOf = Callable[[str], "str | None"]

MESSAGE_BLOCKS = 50  # per message
SURFACE_BLOCKS = 100  # per modal or Home tab
TEXT_MAX = 3000  # section text, context text
FIELD_MAX = 2000  # one section field
FIELDS_PER_SECTION = 10
BUTTONS_PER_BLOCK = 25
HEADER_MAX = 150
BUTTON_LABEL_MAX = 75
VALUE_MAX = 2000
FALLBACK_MAX = 3000  # the notification text; Slack allows more, nobody reads more
ACTION_PREFIX = "pmbot:"
# Shrinking steps: None shows every list line and table row; then at most this many per card.
_ITEM_CAPS = (None, 40, 20, 10, 5, 2)

COLOR_MARKS = {
    "neutral": "",
    "blue": "🔵 ",
    "green": "🟢 ",
    "yellow": "🟡 ",
    "orange": "🟠 ",
    "red": "🔴 ",
    "grey": "⚪ ",
}
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_URL = re.compile(r"https?://(?:(?!&gt;|&lt;)[^\s<>|])+?(?=[.,;:!?)]*(?:\s|&gt;|&lt;|$))")
_BLOCK_ID = re.compile(r"^c(\d+)\.")


def _no_names(_user: str) -> str | None:
    return None


# --- text -------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack's three control characters, so user text is shown, never interpreted."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str, names: NameOf = _no_names) -> str:
    """Neutral text as mrkdwn: escaped, with `mention()` markers as native `<@U…>` mentions."""
    out: list[str] = []
    for part in split_mentions(text):
        if isinstance(part, tuple):
            user = part[0]
            out.append(f"<@{user}>" if _SLACK_USER_ID.match(user) else escape(f"@{names(user) or user}"))
        else:
            # Blocks are `verbatim` (nothing typed is auto-parsed); URLs are linked explicitly,
            # showing the address itself so a link cannot hide where it goes.
            out.append(_URL.sub(lambda m: f"<{m.group(0)}>", escape(part)))
    return "".join(out)


def plain(text: str, names: NameOf = _no_names) -> str:
    """Neutral text for plain-text places: mentions as `@name` (or `@id` for unknown users)."""
    return "".join(f"@{names(p[0]) or p[0]}" if isinstance(p, tuple) else p for p in split_mentions(text))


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut; never ends inside `&…;` or `<…>`."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for opener, closer in (("<", ">"), ("&", ";")):
        start = cut.rfind(opener)
        if start > cut.rfind(closer):
            cut = cut[:start]
    return cut + "…"


def _chunks(lines: Iterable[str], limit: int = TEXT_MAX) -> list[str]:
    """Pack rendered lines into texts of at most `limit` characters, splitting only between lines."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = clip(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def _section(block_id: str, text: str) -> SectionBlock:
    return SectionBlock(block_id=block_id, text=MarkdownTextObject(text=text, verbatim=True))


# --- buttons ----------------------------------------------------------------------------------


def button_value(button: Button, channel: str = "") -> str:
    """The JSON a Slack button carries: the neutral payload, plus the project channel the
    click acts in when the message is not in that channel (DMs, App Home)."""
    payload = button.payload()
    if channel:
        payload["ch"] = channel
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def form_value(form: Form, title: str, channel: str = "") -> str:
    """The JSON of a button that opens `form` as a modal (a form inside a message)."""
    payload: dict[str, Any] = {
        "form": {
            "title": title,
            "command": form.command,
            "action": form.action,
            "args": list(form.args),
            "submit": form.submit_label,
            "inputs": [
                {
                    "name": i.name,
                    "label": i.label,
                    "kind": i.kind,
                    "required": i.required,
                    "initial": i.initial,
                    "placeholder": i.placeholder,
                    "options": [[o.value, o.label] for o in i.options],
                }
                for i in form.inputs
            ],
        }
    }
    if channel:
        payload["ch"] = channel
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def card_index(block_id: str | None) -> int | None:
    """Which card of a message a block belongs to (from its `c<n>.` block id)."""
    match = _BLOCK_ID.match(block_id or "")
    return int(match.group(1)) if match else None


# --- cards ------------------------------------------------------------------------------------


class _CardRenderer:
    def __init__(
        self, index: int, names: NameOf, channel: str, buttons: bool, locale: str, cap: int | None = None
    ) -> None:
        self.prefix = f"c{index}."
        self.names = names
        self.channel = channel
        self.with_buttons = buttons
        self.locale = locale
        self.cap = cap
        self.blocks: list[Block] = []

    def _capped(self, items: list[str]) -> tuple[list[str], str | None]:
        """The items shown under the current cap, and the "… and N more" line for the rest."""
        if self.cap is None or len(items) <= self.cap:
            return items, None
        return items[: self.cap], t("list.more", self.locale, count=len(items) - self.cap)

    def _id(self, kind: str) -> str:
        return f"{self.prefix}{kind}{len(self.blocks)}"

    def _sections(self, lines: Iterable[str]) -> None:
        for chunk in _chunks(lines):
            self.blocks.append(_section(self._id("s"), chunk))

    def render(self, card: Card) -> list[Block]:
        self._title(card)
        if card.text:
            self._sections(mrkdwn(card.text, self.names).split("\n"))
        self._fields(card)
        if card.lines:
            lines, more = self._capped(card.lines)
            self._sections([*(mrkdwn(line, self.names) for line in lines), *([escape(more)] if more else [])])
        if card.table is not None:
            self._table(card.table)
        if self.with_buttons:
            self._buttons(card)
        if card.footer:
            self.blocks.append(
                ContextBlock(
                    block_id=self._id("f"),
                    elements=[MarkdownTextObject(text=clip(mrkdwn(card.footer, self.names), TEXT_MAX), verbatim=True)],
                )
            )
        return self.blocks

    def _title(self, card: Card) -> None:
        mark = COLOR_MARKS.get(card.color, "")
        if any(isinstance(p, tuple) for p in split_mentions(card.title)):
            self.blocks.append(_section(self._id("t"), clip(f"{mark}*{mrkdwn(card.title, self.names)}*", TEXT_MAX)))
        else:
            self.blocks.append(
                HeaderBlock(
                    block_id=self._id("h"),
                    text=PlainTextObject(text=clip(mark + plain(card.title, self.names), HEADER_MAX), emoji=True),
                )
            )

    def _fields(self, card: Card) -> None:
        short: list[MarkdownTextObject] = []

        def flush() -> None:
            for start in range(0, len(short), FIELDS_PER_SECTION):
                self.blocks.append(
                    SectionBlock(block_id=self._id("f"), fields=short[start : start + FIELDS_PER_SECTION])
                )
            short.clear()

        for f in card.fields:
            text = f"*{mrkdwn(f.label, self.names)}*\n{mrkdwn(f.value, self.names)}"
            if f.short:
                short.append(MarkdownTextObject(text=clip(text, FIELD_MAX), verbatim=True))
            else:
                flush()
                self._sections([f"*{mrkdwn(f.label, self.names)}*", *mrkdwn(f.value, self.names).split("\n")])
        flush()

    def _table(self, table: Table) -> None:
        shown, more = self._capped(list(table.rows))
        rows = [
            tuple(plain(c, self.names) for c in table.headers),
            *(tuple(plain(c, self.names) for c in r) for r in shown),
        ]
        widths = [max(_width(r[i]) for r in rows) for i in range(len(table.headers))]
        lines = [escape(" | ".join(_pad(cell, w) for cell, w in zip(r, widths, strict=False)).rstrip()) for r in rows]
        header, body = lines[0], lines[1:] or [""]
        room = TEXT_MAX - len("```\n\n```") - len(header) - 1
        for chunk in _chunks(body, room):
            self.blocks.append(_section(self._id("tb"), f"```\n{header}\n{chunk}\n```"))
        if more:
            self.blocks.append(ContextBlock(block_id=self._id("m"), elements=[MarkdownTextObject(text=escape(more))]))

    def _buttons(self, card: Card) -> None:
        elements: list[ButtonElement] = []
        for n, b in enumerate(card.buttons):
            value = button_value(b, self.channel)
            if len(value) > VALUE_MAX:
                continue  # cannot be carried; the typed command still works
            elements.append(
                ButtonElement(
                    text=PlainTextObject(text=clip(plain(b.label, self.names), BUTTON_LABEL_MAX), emoji=True),
                    action_id=f"{ACTION_PREFIX}{self.prefix}b{n}",
                    value=value,
                    style=b.style if b.style in ("primary", "danger") else None,
                )
            )
        if card.form is not None:
            value = form_value(card.form, card.title, self.channel)
            if len(value) <= VALUE_MAX:
                elements.append(
                    ButtonElement(
                        text=PlainTextObject(
                            text=clip(plain(card.form.submit_label, self.names) + " …", BUTTON_LABEL_MAX)
                        ),
                        action_id=f"{ACTION_PREFIX}{self.prefix}form",
                        value=value,
                        style="primary",
                    )
                )
        for start in range(0, len(elements), BUTTONS_PER_BLOCK):
            self.blocks.append(
                ActionsBlock(block_id=self._id("a"), elements=elements[start : start + BUTTONS_PER_BLOCK])
            )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


# --- replies ----------------------------------------------------------------------------------


def render_blocks(
    reply: Reply,
    *,
    channel: str = "",
    names: NameOf = _no_names,
    limit: int = MESSAGE_BLOCKS,
    buttons: bool = True,
    start: int = 0,
) -> list[dict[str, Any]]:
    """The reply as Block Kit dicts (validated), at most `limit` blocks.

    `channel` is stamped into every button when the surface is not the project's channel;
    `buttons=False` leaves them out (read-only surfaces); `start` numbers the cards from there
    (surfaces assembled from several replies)."""
    for cap in _ITEM_CAPS:
        blocks = _blocks(reply, names, channel, buttons, start, cap)
        if len(blocks) <= limit:
            break
    if len(blocks) > limit:
        omitted = len(blocks) - (limit - 1)
        blocks = [
            *blocks[: limit - 1],
            ContextBlock(
                block_id=f"more{start}",
                elements=[MarkdownTextObject(text=escape(t("list.more", reply.locale, count=omitted)))],
            ),
        ]
    return [b.to_dict() for b in blocks]


def _blocks(reply: Reply, names: NameOf, channel: str, buttons: bool, start: int, cap: int | None) -> list[Block]:
    blocks: list[Block] = []
    if reply.text:
        blocks.extend(
            _section(f"text{start}.{i}", chunk)
            for i, chunk in enumerate(_chunks(mrkdwn(reply.text, names).split("\n")))
        )
    for i, card in enumerate(reply.cards, start):
        if blocks:
            blocks.append(DividerBlock(block_id=f"c{i}.div"))
        blocks.extend(_CardRenderer(i, names, channel, buttons, reply.locale, cap).render(card))
    return blocks


def fallback_text(reply: Reply, names: NameOf = _no_names) -> str:
    """The message's `text`: what notifications and screen readers show."""
    first = reply.text or (reply.cards[0].title if reply.cards else "")
    return clip(mrkdwn(first, names), FALLBACK_MAX) or " "


def render_message(reply: Reply, *, channel: str = "", names: NameOf = _no_names) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / chat.update / respond(): `text` and `blocks`."""
    return {"text": fallback_text(reply, names), "blocks": render_blocks(reply, channel=channel, names=names)}
