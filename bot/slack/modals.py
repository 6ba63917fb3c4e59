"""Neutral forms as Slack modals, and modal submissions back into form values.

A `Form` becomes a modal with one input block per input (block id and action id = the input's
name): text/textarea -> plain_text_input, user -> users_select, users -> multi_users_select,
date -> datepicker, select -> static_select, each with its initial value. What the submission
needs that the form values do not say — the command, action and arguments, the project
channel, the message the form was opened from (to update it in place) and whether it came from
App Home — travels in `private_metadata`, since a view submission carries no channel.

Read-only modals show a reply (lists, errors, details) where Slack has no ephemeral messages:
clicks on App Home and answers to a submitted form.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    DatePickerElement,
    DateTimePickerElement,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.blocks import (
    Option as SlackOption,
)
from slack_sdk.models.views import View

from bot.slack.render import SURFACE_BLOCKS, NameOf, clip, plain, render_blocks
from handlers.i18n import t
from handlers.replies import Form, Input, Option, Reply

__all__ = [
    "FORM_CALLBACK",
    "INFO_CALLBACK",
    "Meta",
    "error_block",
    "form_from_value",
    "form_modal",
    "form_values",
    "info_modal",
]

FORM_CALLBACK = "pmbot_form"
INFO_CALLBACK = "pmbot_info"
TITLE_MAX = 24  # modal title, submit and close labels
LABEL_MAX = 2000
PLACEHOLDER_MAX = 150
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


@dataclass
class Meta:
    """What a submission needs besides the values (`private_metadata`, ≤3000 characters)."""

    command: str
    action: str
    args: list[str] = field(default_factory=list)
    channel: str = ""  # the project channel the form acts in
    # The MessageRef (as a dict) of the message the form was opened from, to update it in place.
    message: dict[str, Any] = field(default_factory=dict)
    home: bool = False  # opened from App Home: refresh it afterwards

    def encode(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> Meta | None:
        try:
            data = json.loads(text or "")
            return cls(
                command=str(data["command"]),
                action=str(data["action"]),
                args=[str(a) for a in data.get("args") or []],
                channel=str(data.get("channel") or ""),
                message=data["message"] if isinstance(data.get("message"), dict) else {},
                home=bool(data.get("home")),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def payload(self) -> dict[str, Any]:
        """The core's action payload (the same shape as `Button.payload()`)."""
        return {"command": self.command, "action": self.action, "args": list(self.args), "options": {}}


def _title(text: str) -> PlainTextObject:
    return PlainTextObject(text=clip(text, TITLE_MAX) or "pmbot", emoji=True)


def _element(i: Input, names: NameOf) -> Any:
    placeholder = PlainTextObject(text=clip(i.placeholder, PLACEHOLDER_MAX)) if i.placeholder else None
    initial = i.initial or None
    if i.kind in ("text", "textarea"):
        return PlainTextInputElement(
            action_id=i.name, multiline=i.kind == "textarea", initial_value=initial, placeholder=placeholder
        )
    if i.kind == "user":
        return UserSelectElement(
            action_id=i.name,
            placeholder=placeholder,
            initial_user=initial if initial and _USER_ID.match(initial) else None,
        )
    if i.kind == "users":
        users = [u.strip() for u in (initial or "").split(",") if _USER_ID.match(u.strip())]
        return UserMultiSelectElement(action_id=i.name, placeholder=placeholder, initial_users=users or None)
    if i.kind == "date":
        return DatePickerElement(
            action_id=i.name,
            placeholder=placeholder,
            initial_date=initial if initial and _DATE.match(initial) else None,
        )
    if i.kind == "datetime":
        return DateTimePickerElement(action_id=i.name, initial_date_time=_epoch(initial))
    options = [
        SlackOption(
            value=clip(o.value, OPTION_VALUE_MAX),
            text=PlainTextObject(text=clip(plain(o.label, names), OPTION_TEXT_MAX)),
        )
        for o in i.options[:OPTIONS_MAX]
    ]
    chosen = next((o for o, raw in zip(options, i.options, strict=True) if raw.value == initial), None)
    return StaticSelectElement(action_id=i.name, placeholder=placeholder, options=options, initial_option=chosen)


def _epoch(value: str | None) -> int | None:
    """Slack's datetimepicker speaks UNIX seconds; our inputs ISO 8601 with an offset."""
    try:
        return int(datetime.fromisoformat(value).timestamp()) if value else None
    except ValueError:
        return None


def form_modal(form: Form, *, title: str, meta: Meta, locale: str, names: NameOf) -> dict[str, Any]:
    """The modal for `form`; the card's full title is repeated inside when the 24-character
    modal title had to be shortened."""
    blocks: list[Any] = []
    full = plain(title, names)
    if len(full) > TITLE_MAX:
        blocks.extend(render_blocks(Reply(text=f"*{full}*"), names=names))
    for i in form.inputs:
        blocks.append(
            InputBlock(
                block_id=i.name,
                label=PlainTextObject(text=clip(plain(i.label, names), LABEL_MAX)),
                element=_element(i, names),
                optional=not i.required,
            )
        )
    view = View(
        type="modal",
        callback_id=FORM_CALLBACK,
        title=_title(full),
        submit=_title(plain(form.submit_label, names)),
        close=_title(t("slack.cancel", locale)),
        private_metadata=meta.encode(),
        blocks=blocks[:SURFACE_BLOCKS],
    )
    return view.to_dict()


def info_modal(reply: Reply, *, names: NameOf) -> dict[str, Any]:
    """A read-only modal showing a reply (without buttons: a modal is no place to act)."""
    title = reply.cards[0].title if reply.cards and not reply.text else t("slack.app_name", reply.locale)
    blocks = render_blocks(reply, names=names, limit=SURFACE_BLOCKS, buttons=False)
    view = View(
        type="modal",
        callback_id=INFO_CALLBACK,
        title=_title(plain(title, names)),
        close=_title(t("slack.close", reply.locale)),
        blocks=blocks,
    )
    return view.to_dict()


def error_block(view: dict[str, Any], field: str = "") -> str | None:
    """The block id of the input a submission's error is shown under: the input of the field
    it is about (`Reply.field`) when the view has it, else the first input."""
    inputs = [b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"]
    return field if field in inputs else next(iter(inputs), None)


def form_values(state: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` as the core's form: {name: text | user id | [user ids] | YYYY-MM-DD},
    with "" for an input left empty (the core clears an emptied optional field)."""
    out: dict[str, Any] = {}
    for actions in (state or {}).values():
        for name, v in (actions or {}).items():
            kind = v.get("type")
            if kind == "plain_text_input":
                value: Any = v.get("value")
            elif kind == "users_select":
                value = v.get("selected_user")
            elif kind == "multi_users_select":
                value = list(v.get("selected_users") or [])
            elif kind == "datepicker":
                value = v.get("selected_date")
            elif kind == "datetimepicker":
                stamp = v.get("selected_date_time")
                value = datetime.fromtimestamp(int(stamp), UTC).isoformat() if stamp else None
            elif kind == "static_select":
                value = (v.get("selected_option") or {}).get("value")
            else:
                continue
            out[name] = value if value not in (None, []) else ""
    return out


def form_from_value(data: dict[str, Any]) -> tuple[str, Form] | None:
    """The (title, form) a button carries (see `render.form_value`); None when malformed."""
    try:
        inputs = tuple(
            Input(
                name=str(i["name"]),
                label=str(i["label"]),
                kind=i["kind"],
                required=bool(i["required"]),
                initial=i.get("initial"),
                placeholder=i.get("placeholder"),
                options=tuple(Option(str(v), str(label)) for v, label in i.get("options") or []),
            )
            for i in data["inputs"]
        )
        return str(data.get("title") or ""), Form(
            command=str(data["command"]),
            action=str(data["action"]),
            inputs=inputs,
            submit_label=str(data["submit"]),
            args=tuple(str(a) for a in data.get("args") or []),
        )
    except (KeyError, TypeError, ValueError):
        return None
