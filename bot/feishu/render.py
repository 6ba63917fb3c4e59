"""Feishu card JSON 2.0 from neutral replies (the twin of `bot/console/render.py`).

A whole `Reply` becomes one interactive card, so one command costs one message (Feishu allows
5 per second per chat) and a button click can replace the card in place. Layout: the first
card's title and colour make the header; the reply text, each card's text, fields (short ones
side by side), lines, table (the `table` component), footer, buttons and form follow; further
cards are separated by a rule and a bold title.

Safety: everything a user typed ends up in `markdown`/`lark_md`, where Feishu honours `<at>`,
links and markdown syntax. `escape()` turns every markup character into an HTML entity (the
escape form Feishu's markdown documents), so a task titled `<at id=all></at>` or
`[bank](https://evil)` shows as typed. Only `mention()` markers become `<at id=ou_…></at>`, and
only for ids shaped like an open_id — never `all`. Plain-text places (header, labels, button
texts, options) are not interpreted by Feishu; user text there still gets full-width angle
brackets (`plain()`), so nothing tag-like travels anywhere in a card.

Size: Feishu refuses a send whose request body is over 30 KB (error 230025: "卡片及富文本消息请求体
最大不能超过30KB", the send/reply/patch API docs). The card travels inside that body as an escaped
JSON string — every `"` becomes `\\"`, so table-heavy cards grow by about a third — so
`render()` measures `request_size()`, the body as the SDK serialises it, and shrinks long lists,
table rows and texts step by step (saying how many items were left out) until it fits the
budget; when nothing fits it sends a short card saying so.

Callbacks: every button and form submit carries `Button.payload()` (or the form's
command/action/args) plus `ch`, the channel the reply was made for, and `dm` when the card
lives in a private chat — so a click in a private chat still acts on the right project.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from handlers.i18n import t
from handlers.replies import Button, Card, Field, Form, Input, Reply, Table, clean_user_text, split_mentions

__all__ = [
    "REQUEST_BUDGET",
    "REQUEST_MAX",
    "callback_value",
    "card_json",
    "escape",
    "fits_whole",
    "markdown",
    "plain",
    "render",
    "request_size",
]

# "卡片及富文本消息请求体最大不能超过30KB" (im/v1 message create/reply/patch, error 230025). Read as
# 30,000 bytes, the stricter reading of "KB".
REQUEST_MAX = 30_000
# What the body holds besides the content: receive_id (≤ 64), msg_type, uuid (≤ 50), reply_in_thread.
ENVELOPE = 300
REQUEST_BUDGET = REQUEST_MAX - ENVELOPE  # bytes for `"content": "<escaped card>"`
TEMPLATES = {
    "neutral": "default",
    "blue": "blue",
    "green": "green",
    "yellow": "yellow",
    "orange": "orange",
    "red": "red",
    "grey": "grey",
}
BUTTON_TYPES = {"default": "default", "primary": "primary", "danger": "danger"}
MAX_TABLES = 5  # Feishu renders at most five table components per card
MAX_COLUMNS = 50
INPUT_MAX = 1000  # the input component's largest `max_length` (handlers.forms.FORM_TEXT_MAX follows it)

_OPEN_ID = re.compile(r"^ou_[A-Za-z0-9_-]{1,64}$")
# Markdown/HTML syntax characters; each becomes `&#NN;`.
_SPECIAL = set("&<>*~_[]()#+-.!|\\`\"':$/{}=@%")
_LEADING_SPACE = re.compile(r"^[ \t]+", re.MULTILINE)
_PLAIN_UNSAFE = str.maketrans({"<": "＜", ">": "＞"})
# Shrinking steps: None renders everything; then at most this many list items / table rows.
_LIMITS = (None, 50, 20, 10, 5, 2)

Names = Callable[[str], str | None]


def _no_names(_user: str) -> str | None:
    return None


# --- text ------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """User text for markdown: markup characters as entities, indentation kept (not a code block)."""
    text = clean_user_text(text)
    out = "".join(f"&#{ord(ch)};" if ch in _SPECIAL else ch for ch in text)
    return _LEADING_SPACE.sub(lambda m: "\u00a0" * len(m.group(0).expandtabs(4)), out)


def is_open_id(user: str) -> bool:
    return bool(_OPEN_ID.match(user))


def markdown(text: str) -> str:
    """Escaped text with `mention()` markers as real Feishu mentions."""
    parts = []
    for part in split_mentions(text):
        if isinstance(part, tuple):
            user = part[0]
            parts.append(f"<at id={user}></at>" if is_open_id(user) else escape("@" + user))
        else:
            parts.append(escape(part))
    return "".join(parts)


def plain(text: str, names: Names = _no_names) -> str:
    """User text for plain_text places (header, table heads, toast): mentions as @name when the
    name is known. Feishu shows plain_text as it is; angle brackets still become full-width ones,
    so nothing tag-like travels even where a client might be lenient."""
    out = "".join(f"@{names(p[0]) or p[0]}" if isinstance(p, tuple) else p for p in split_mentions(text))
    return clean_user_text(out).translate(_PLAIN_UNSAFE)


def _has_unnamed_mention(text: str, names: Names) -> bool:
    return any(isinstance(p, tuple) and not names(p[0]) for p in split_mentions(text))


def _plain_text(content: str) -> dict[str, str]:
    return {"tag": "plain_text", "content": content}


def _md(content: str, **extra: Any) -> dict[str, Any]:
    return {"tag": "markdown", "content": content, **extra}


def _bold(text: str) -> str:
    return f"**{markdown(text)}**"


# --- callbacks -------------------------------------------------------------------------------


def callback_value(payload: Mapping[str, Any], channel: str = "", private: bool = False) -> dict[str, Any]:
    """What a button or form submit sends back: the neutral payload plus where it applies."""
    value = dict(payload)
    if channel:
        value["ch"] = channel
    if private:
        value["dm"] = True
    return value


# --- the card --------------------------------------------------------------------------------


def render(
    reply: Reply, *, channel: str = "", private: bool = False, names: Names = _no_names, budget: int = REQUEST_BUDGET
) -> dict[str, Any]:
    """The card JSON for `reply`, shrunk until its `request_size()` fits `budget`; with nothing
    fitting (or a budget of 0), a short card that says the answer is too long."""
    for limit in _LIMITS:
        card = _CardBuilder(reply, channel, private, names, limit).build()
        if request_size(card) <= budget:
            return card
    title = reply.cards[0].title if reply.cards else ""
    return {
        "schema": "2.0",
        "config": {"update_multi": True},
        "header": {"title": _plain_text(plain(title, names)[:200] or "pmbot"), "template": "default"},
        "body": {"elements": [_md(escape(t("feishu.too_large", reply.locale)))]},
    }


def fits_whole(
    reply: Reply, *, channel: str = "", private: bool = False, names: Names = _no_names, budget: int = REQUEST_BUDGET
) -> bool:
    """Whether `reply` fits one message with nothing left out."""
    return request_size(_CardBuilder(reply, channel, private, names, None).build()) <= budget


def card_json(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False, separators=(",", ":"))


def request_size(card: dict[str, Any]) -> int:
    """Bytes `"content": "<card>"` takes in the request body: the card JSON escaped as a string,
    as lark_oapi's `JSON.marshal` writes it (`ensure_ascii=False`, UTF-8)."""
    return len(json.dumps({"content": card_json(card)}, ensure_ascii=False).encode("utf-8"))


class _CardBuilder:
    def __init__(self, reply: Reply, channel: str, private: bool, names: Names, limit: int | None) -> None:
        self.reply = reply
        self.channel = channel
        self.private = private
        self.names = names
        self.limit = limit
        self.locale = reply.locale
        self.tables = 0
        self.forms = 0

    def build(self) -> dict[str, Any]:
        elements: list[dict[str, Any]] = []
        card: dict[str, Any] = {"schema": "2.0", "config": {"update_multi": True}}
        cards = list(self.reply.cards)
        first = cards[0] if cards else None
        if first is not None and first.title and not _has_unnamed_mention(first.title, self.names):
            card["header"] = {
                "title": _plain_text(plain(first.title, self.names)),
                "template": TEMPLATES.get(first.color, "default"),
            }
        if self.reply.text:
            elements.append(_md(markdown(self._text(self.reply.text))))
        for index, item in enumerate(cards):
            with_title = index > 0 or "header" not in card
            if elements and index > 0:
                elements.append({"tag": "hr"})
            elements.extend(self._card(item, with_title))
        if not elements:
            elements.append(_md(" "))
        card["body"] = {"elements": elements}
        return card

    # --- shrinking helpers -------------------------------------------------------------------
    def _text(self, text: str) -> str:
        if self.limit is None or len(text) <= self.limit * 100:
            return text
        return text[: self.limit * 100] + "…"

    def _items(self, items: list[str]) -> list[str]:
        if self.limit is None or len(items) <= self.limit:
            return items
        return [*items[: self.limit], t("list.more", self.locale, count=len(items) - self.limit)]

    # --- one neutral card --------------------------------------------------------------------
    def _card(self, card: Card, with_title: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if with_title and card.title:
            out.append(_md(_bold(card.title)))
        if card.text:
            out.append(_md(markdown(self._text(card.text))))
        out.extend(self._fields(card.fields))
        if card.lines:
            out.append(_md("\n".join(markdown(line) for line in self._items(card.lines))))
        if card.table is not None:
            out.extend(self._table(card.table))
        if card.footer:
            out.append(_md(markdown(card.footer), text_size="notation"))
        if card.buttons:
            out.append(self._buttons(card.buttons))
        if card.form is not None:
            out.append(self._form(card.form))
        return out

    def _field_md(self, f: Field) -> str:
        value = "\n".join(self._items(self._text(f.value).split("\n")))
        return f"{_bold(f.label)}\n{markdown(value)}"

    def _fields(self, fields: list[Field]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        pending: list[Field] = []

        def flush() -> None:
            for i in range(0, len(pending), 2):
                pair = pending[i : i + 2]
                out.append(
                    {
                        "tag": "column_set",
                        "flex_mode": "none",
                        "horizontal_spacing": "8px",
                        "columns": [
                            {"tag": "column", "width": "weighted", "weight": 1, "elements": [_md(self._field_md(f))]}
                            for f in pair
                        ],
                    }
                )
            pending.clear()

        for f in fields:
            if f.short and "\n" not in f.value:
                pending.append(f)
                continue
            flush()
            out.append(_md(self._field_md(f)))
        flush()
        return out

    def _table(self, table: Table) -> list[dict[str, Any]]:
        headers = list(table.headers[:MAX_COLUMNS])
        rows = [list(r[:MAX_COLUMNS]) for r in table.rows]
        shown = rows if self.limit is None else rows[: self.limit]
        out: list[dict[str, Any]] = []
        if self.tables < MAX_TABLES:
            self.tables += 1
            out.append(
                {
                    "tag": "table",
                    "page_size": 10,
                    "row_height": "auto",
                    "freeze_first_column": True,
                    "header_style": {"bold": True, "background_style": "grey"},
                    "columns": [
                        {"name": f"c{i}", "display_name": plain(h, self.names), "data_type": "lark_md", "width": "auto"}
                        for i, h in enumerate(headers)
                    ],
                    "rows": [{f"c{i}": markdown(cell) for i, cell in enumerate(row)} for row in shown],
                }
            )
        else:
            lines = [" | ".join(headers), *(" | ".join(row) for row in shown)]
            out.append(_md("\n".join(markdown(line) for line in lines)))
        if len(shown) < len(rows):
            out.append(_md(escape(t("list.more", self.locale, count=len(rows) - len(shown))), text_size="notation"))
        return out

    def _buttons(self, buttons: list[Button]) -> dict[str, Any]:
        return {
            "tag": "column_set",
            "flex_mode": "flow",
            "horizontal_spacing": "8px",
            "columns": [
                {
                    "tag": "column",
                    "width": "auto",
                    "elements": [
                        {
                            "tag": "button",
                            "text": _plain_text(b.label),
                            "type": BUTTON_TYPES.get(b.style, "default"),
                            "behaviors": [
                                {"type": "callback", "value": callback_value(b.payload(), self.channel, self.private)}
                            ],
                        }
                    ],
                }
                for b in buttons
            ],
        }

    def _form(self, form: Form) -> dict[str, Any]:
        self.forms += 1
        elements: list[dict[str, Any]] = []
        for item in form.inputs:
            elements.extend(self._input(item))
        # Feishu cannot preselect people, so their pickers start empty: the current people travel
        # as the submission's options, and an empty pick keeps them instead of clearing them.
        kept = {i.name: i.initial for i in form.inputs if i.kind in ("user", "users") and i.initial}
        payload = {"command": form.command, "action": form.action, "args": list(form.args), "options": kept}
        elements.append(
            {
                "tag": "button",
                "name": "submit",
                "type": "primary",
                "text": _plain_text(form.submit_label),
                "form_action_type": "submit",
                "behaviors": [{"type": "callback", "value": callback_value(payload, self.channel, self.private)}],
            }
        )
        return {"tag": "form", "name": f"form_{self.forms}", "elements": elements}

    def _input(self, item: Input) -> list[dict[str, Any]]:
        placeholder = {"placeholder": _plain_text(item.placeholder)} if item.placeholder else {}
        if item.kind in ("text", "textarea"):
            element: dict[str, Any] = {
                "tag": "input",
                "name": item.name,
                "required": item.required,
                "label": _plain_text(item.label),
                "max_length": INPUT_MAX,
                **placeholder,
            }
            if item.initial:  # never longer than INPUT_MAX: handlers.forms leaves longer texts out
                element["default_value"] = item.initial
            if item.kind == "textarea":
                element.update(input_type="multiline_text", rows=3, auto_resize=True)
            return [element]
        label = _bold(item.label) + (" " + escape("*") if item.required else "")
        base = {"name": item.name, "required": item.required, **placeholder}
        if item.kind == "date":
            element = {"tag": "date_picker", **base}
            if item.initial and re.fullmatch(r"\d{4}-\d{2}-\d{2}", item.initial):
                element["initial_date"] = item.initial
            return [_md(label), element]
        if item.kind == "datetime":  # Feishu shows and submits a wall time: "2026-12-01 17:00"
            element = {"tag": "picker_datetime", **base}
            if item.initial and re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", item.initial):
                element["initial_datetime"] = item.initial[:16].replace("T", " ")
            return [_md(label), element]
        if item.kind == "select":
            element = {
                "tag": "select_static",
                **base,
                "options": [{"text": _plain_text(o.label), "value": o.value} for o in item.options],
            }
            if item.initial and any(o.value == item.initial for o in item.options):
                element["initial_option"] = item.initial
            return [_md(label), element]
        # People pickers. Feishu offers the chat's members unless `options` lists candidates, and
        # only preselects a candidate, so current values are shown in the label instead: an empty
        # pick leaves the value as it is.
        current = [u for u in (item.initial or "").split(",") if is_open_id(u.strip())]
        if current:
            label += " · " + " ".join(f"<person id='{u.strip()}' show_avatar=false></person>" for u in current)
        element = {"tag": "multi_select_person" if item.kind == "users" else "select_person", **base}
        if item.options:
            element["options"] = [{"value": o.value} for o in item.options if is_open_id(o.value)]
        return [_md(label), element]
