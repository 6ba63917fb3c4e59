"""Feishu events and card callbacks -> the core -> replies through the outbox.

The handlers are thin: they read the SDK's event object, build a `Context` (platform
"feishu", workspace = tenant_key, channel = chat_id, user = the sender's open_id, locale None so
the project's language applies) and the command text or card payload, ask the core, and queue
the answer. They finish within Feishu's 3 seconds because sending happens later, in the
outbox's delivery thread; a handler that raised would make Feishu re-push the event.

Where answers go (Feishu has no ephemeral messages in groups):
- a command in a group is answered by replying to it; an answer meant only for the speaker
  ("ephemeral": lists, forms, errors) is a *thread* reply under it, which keeps the group tidy
  and keeps people pickers in forms working (they offer the chat's members — in a private
  chat that would only be the speaker);
- in a private chat every answer is a reply there. A private chat acts on the channel
  `Core.resolve_channel` picks;
- a click on a card answers within the callback: the card is replaced when the answer shows
  the same item (`Core.updates_in_place`), a toast reports errors, and private answers are a
  thread reply under the card;
- bot menu items are answered in the user's private chat, once per project they are in;
- opening the private chat with the bot (`im.chat.access_event.bot_p2p_chat_entered_v1`) is
  greeted with the command overview, once per user, in the language of the project the chat acts
  on (else the configured default).

Deduplication: message commands pass `feishu:event:<event_id>` and `feishu:msg:<message_id>`
as delivery keys (a replay after reconnect has a new event_id but the same message_id), card
callbacks their event id and callback token; every queued answer has an outbox key derived
from the same ids, so it is sent once.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bot.clock import Clock
from bot.feishu.render import plain, render
from bot.inbox import Inbox, Outgoing, Process
from bot.messenger import Destination
from handlers.core import Core
from handlers.env import Defaults
from handlers.forms import error_line
from handlers.i18n import t
from handlers.parse import is_command
from handlers.replies import Reply

__all__ = [
    "EVENT_TYPES",
    "MENU_COMMANDS",
    "FeishuEvents",
    "Mention",
    "NameBook",
    "build_dispatcher",
    "command_text",
    "form_values",
    "message_text",
]

log = logging.getLogger(__name__)

PLATFORM = "feishu"
# Every event/callback type the setup guide subscribes; each has a handler (an unregistered
# type is answered HTTP 500 and re-sent by Feishu).
EVENT_TYPES = (
    "im.message.receive_v1",
    "card.action.trigger",
    "im.chat.member.bot.added_v1",
    "application.bot.menu_v6",
    "im.chat.access_event.bot_p2p_chat_entered_v1",
    "im.message.message_read_v1",
    "im.message.recalled_v1",
)
# Bot menu items (event_key set in the developer console) and the command each one runs.
MENU_COMMANDS = {"my_tasks": "/task list mine", "checkin": "/standup", "status": "/project status", "help": "/help"}
MENU_PROJECTS = 5  # a menu click answers for at most this many of the user's projects
HELP_COMMAND = {"zh": "/帮助", "en": "/help"}  # typed in the default language when no project decides

_PLACEHOLDER = re.compile(r"@_user_\d+|@_all")
_LEADING_MENTIONS = re.compile(r"^\s*((?:@_user_\d+\s*)+)")
_NAME_UNSAFE = re.compile(r"[\s<>|\"'“”‘’「」『』«»,，、:：@]+")
_DATE_VALUE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?: [+-]\d{4})?$")


# --- pure helpers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    key: str  # the placeholder in the text: @_user_1, @_all
    open_id: str
    name: str = ""


def message_text(message_type: str | None, content: str | None) -> str | None:
    """The text of a text or rich-text (post) message; None for other kinds."""
    try:
        body = json.loads(content or "{}")
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if message_type == "text":
        return str(body.get("text") or "")
    if message_type != "post":
        return None
    post = body if "content" in body else next((v for v in body.values() if isinstance(v, dict) and "content" in v), {})
    lines = []
    for paragraph in post.get("content") or []:
        parts = []
        for element in paragraph if isinstance(paragraph, list) else []:
            tag = element.get("tag") if isinstance(element, dict) else None
            if tag in ("text", "a", "code_block"):
                parts.append(str(element.get("text") or ""))
            elif tag == "at":
                user = str(element.get("user_id") or "")
                parts.append("@_all" if user == "all" else user if user.startswith("@_") else f"<@{user}>")
        lines.append("".join(parts))
    return "\n".join(lines)


def _safe_name(name: str) -> str:
    """A display name usable inside a `<@id|name>` token (no spaces or delimiters)."""
    return _NAME_UNSAFE.sub("_", name).strip("_")[:64]


def command_text(text: str, mentions: list[Mention], *, chat_type: str | None, bot_open_id: str | None) -> str | None:
    """The command a message carries, with Feishu's mention placeholders resolved.

    In a group only messages that mention the bot count (None otherwise). The bot's own
    mention is removed; `@_user_N` becomes `<@open_id|Name>` for the parser; `@_all` becomes
    the plain word Feishu shows for it, never a mention of everyone.
    """
    by_key = {m.key: m for m in mentions}
    if bot_open_id:
        bot_keys = {m.key for m in mentions if m.open_id == bot_open_id and m.key in _PLACEHOLDER.findall(text)}
    else:  # the bot's id is not known yet: mentions in front of the command address it
        lead = _LEADING_MENTIONS.match(text)
        bot_keys = set(re.findall(r"@_user_\d+", lead.group(1))) if lead else set()
    if chat_type != "p2p" and not bot_keys:
        return None

    def resolve(match: re.Match[str]) -> str:
        key = match.group(0)
        mention = by_key.get(key)
        if key in bot_keys:
            return ""
        if key == "@_all":
            return _safe_name(mention.name if mention else "") or "all"
        if mention is None or not mention.open_id:
            return key[1:]
        name = _safe_name(mention.name)
        return f"<@{mention.open_id}|{name}>" if name else f"<@{mention.open_id}>"

    return _PLACEHOLDER.sub(resolve, text).strip()


def form_values(raw: dict[str, Any] | None) -> dict[str, Any]:
    """Form fields as the core expects them: date pickers' `2026-12-01 +0800` become dates."""
    out: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        if isinstance(value, str):
            match = _DATE_VALUE.match(value.strip())
            out[key] = match.group(1) if match else value
        elif isinstance(value, list):
            out[key] = [str(v) for v in value]
        elif value is not None:
            out[key] = str(value)
    return out


class NameBook:
    """Display names seen in events (mentions, menu clicks), for places where Feishu cannot
    render a mention (card headers, toasts). Bounded; names are a nicety, never required."""

    def __init__(self, size: int = 10_000) -> None:
        self._names: OrderedDict[str, str] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()  # events arrive on several threads

    def remember(self, user: str | None, name: str | None) -> None:
        if user and name:
            with self._lock:
                self._names[user] = name
                self._names.move_to_end(user)
                while len(self._names) > self._size:
                    self._names.popitem(last=False)

    def __call__(self, user: str) -> str | None:
        with self._lock:
            return self._names.get(user)


def _get(obj: Any, path: str) -> Any:
    for name in path.split("."):
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return obj


# --- the handlers -----------------------------------------------------------------------------


class FeishuEvents:
    def __init__(
        self,
        *,
        core: Core,
        clock: Clock,
        defaults: Defaults,
        kick: Callable[[], None],
        bot_open_id: Callable[[], str | None],
        names: NameBook,
        inbox: Callable[[Process], Inbox],
    ) -> None:
        """`inbox` builds the adapter's inbox around this object's `process`."""
        self.core = core
        self.clock = clock
        self.defaults = defaults
        self.kick = kick
        self.bot_open_id = bot_open_id
        self.names = names
        self.inbox = inbox(self.process)

    # --- messages: stored, then acknowledged; processed on the workers -----------------
    def on_message(self, data: Any) -> None:
        event, message = data.event, _get(data, "event.message")
        if message is None or _get(event, "sender.sender_type") not in (None, "user"):
            return
        text = message_text(message.message_type, message.content)
        if not text:
            return
        mentions = [Mention(m.key or "", _get(m, "id.open_id") or "", m.name or "") for m in message.mentions or []]
        for m in mentions:
            self.names.remember(m.open_id, m.name)
        command = command_text(text, mentions, chat_type=message.chat_type, bot_open_id=self.bot_open_id())
        user = _get(event, "sender.sender_id.open_id")
        if command is None or not user:
            return
        workspace = _get(data, "header.tenant_key") or _get(event, "sender.tenant_key") or ""
        stored = {
            "workspace": workspace,
            "chat": message.chat_id,
            "message": message.message_id,
            "user": user,
            "private": message.chat_type == "p2p",
            "command": command,
            "event_id": _get(data, "header.event_id"),
        }
        self._store("message", f"feishu:msg:{message.message_id}", f"{workspace}:{message.chat_id}", stored)

    def _message(self, item: int, m: dict[str, Any]) -> None:
        workspace, chat, message, user, private = m["workspace"], m["chat"], m["message"], m["user"], m["private"]
        key = f"feishu:reply:{message}"
        if not is_command(m["command"]):  # talking to the bot without a command: say how
            locale = self.defaults.locale
            hint = Reply(text=t("error.not_a_command", locale), visibility="ephemeral", locale=locale)
            where = _answer(workspace, chat, message, user, private=private, thread=True)
            self.inbox.done(item, [(key, where, hint, None)])
            return
        ctx = self.core.context(
            PLATFORM, workspace, chat, user, self.clock.now(), private=private, user_name=self.names(user) or ""
        )

        def rows(reply: Reply) -> list[Outgoing]:
            thread = reply.visibility == "ephemeral"
            where = _answer(workspace, chat, message, user, private=private, about=ctx.channel, thread=thread)
            return [(key, where, reply, None)]

        self.core.handle_text(
            ctx,
            m["command"],
            delivery_keys=[f"feishu:event:{m['event_id']}", f"feishu:msg:{message}"],
            finish=self.inbox.finisher(item, rows),
        )

    # --- card callbacks ----------------------------------------------------------------
    def on_card_action(self, data: Any) -> dict[str, Any]:
        event = data.event
        value = dict(_get(event, "action.value") or {})
        channel, private = value.pop("ch", None), bool(value.pop("dm", False))
        chat, message = _get(event, "context.open_chat_id") or "", _get(event, "context.open_message_id") or ""
        user = _get(event, "operator.open_id")
        if "command" not in value or not user:
            return {}
        workspace = _get(data, "header.tenant_key") or _get(event, "operator.tenant_key") or ""
        ctx = self.core.context(
            PLATFORM,
            workspace,
            channel or chat,
            user,
            self.clock.now(),
            private=private,
            user_name=self.names(user) or "",
        )
        channel = ctx.channel
        token = _get(event, "token") or _get(data, "header.event_id")
        form = _get(event, "action.form_value")
        reply = self.core.handle_action(
            ctx,
            value,
            form_values(form) if form is not None else None,
            delivery_keys=[f"feishu:event:{_get(data, 'header.event_id')}", f"feishu:card:{token}"],
        )
        if reply is None:
            return {}
        if reply.error:
            return _toast("error", plain(error_line(reply), self.names))
        if reply.visibility == "ephemeral":
            self._queue(
                f"feishu:card:{token}",
                _answer(workspace, chat, message, user, private=private, about=channel, thread=True),
                reply,
            )
            return _toast("info", t("feishu.toast_see_reply", reply.locale))
        if channel != chat:  # acted in a private chat: the project's channel hears about it
            self._queue(f"feishu:card:{token}:post", Destination.channel(workspace, channel), reply)
        response = _toast("success", t("feishu.toast_done", reply.locale))
        if self.core.updates_in_place(value.get("args"), reply, form_in_card=form is not None):
            response["card"] = {
                "type": "raw",
                "data": render(reply, channel=channel, private=private, names=self.names),
            }
        elif channel == chat:
            self._queue(f"feishu:card:{token}", _answer(workspace, chat, message, user, private=private), reply)
        return response

    # --- lifecycle ---------------------------------------------------------------------
    def on_bot_added(self, data: Any) -> None:
        chat = _get(data.event, "chat_id")
        if chat:
            workspace = _get(data, "header.tenant_key") or _get(data.event, "operator_tenant_key") or ""
            stored = {"workspace": workspace, "chat": chat, "name": _get(data.event, "name") or ""}
            stored["event_id"] = _get(data, "header.event_id")
            key = f"feishu:welcome:{chat}:{_get(data, 'header.event_id')}"
            self._store("bot_added", key, f"{workspace}:{chat}", stored)

    def _bot_added(self, item: int, m: dict[str, Any]) -> None:
        reply = self.core.bot_joined(PLATFORM, m["workspace"], m["chat"], m["name"])
        key = f"feishu:welcome:{m['chat']}:{m['event_id']}"
        self.inbox.done(item, [(key, Destination.channel(m["workspace"], m["chat"]), reply, None)])

    def on_menu(self, data: Any) -> None:
        event = data.event
        user = _get(event, "operator.operator_id.open_id")
        if not user or _get(event, "event_key") not in MENU_COMMANDS:
            log.info("ignoring bot menu item %r (known: %s)", _get(event, "event_key"), ", ".join(MENU_COMMANDS))
            return
        self.names.remember(user, _get(event, "operator.operator_name"))
        workspace = _get(data, "header.tenant_key") or ""
        stored = {"workspace": workspace, "user": user, "item": _get(event, "event_key")}
        stored["event_id"] = _get(data, "header.event_id")
        self._store("menu", f"feishu:menu:{_get(data, 'header.event_id')}", f"{workspace}:user:{user}", stored)

    def _menu(self, item: int, m: dict[str, Any]) -> None:
        """One answer per project of the user (read-only commands: each queued with its own
        key, so a second run after a crash sends none twice), then the request is done."""
        workspace, user, event_id = m["workspace"], m["user"], m["event_id"]
        projects = self.core.projects_of(PLATFORM, workspace, user)[:MENU_PROJECTS]
        if not projects:
            locale = self.defaults.locale
            reply = Reply(text=t("feishu.menu_no_project", locale), locale=locale)
            self.inbox.done(item, [(f"feishu:menu:{event_id}", Destination.dm(workspace, user), reply, None)])
            return
        for channel, _name in projects:
            ctx = self.core.context(
                PLATFORM, workspace, channel, user, self.clock.now(), user_name=self.names(user) or ""
            )
            where = Destination.dm(workspace, user, project_channel=channel)
            answer = self.inbox.finisher(
                None,
                lambda reply, where=where, channel=channel: [(f"feishu:menu:{event_id}:{channel}", where, reply, None)],
            )
            self.core.handle_text(ctx, MENU_COMMANDS[m["item"]], finish=answer)
        self.inbox.done(item)

    def on_p2p_entered(self, data: Any) -> None:
        """The user opened the private chat with the bot: greet them once with what it can do."""
        user, chat = _get(data.event, "operator_id.open_id"), _get(data.event, "chat_id")
        if user and chat:
            workspace = _get(data, "header.tenant_key") or ""
            stored = {"workspace": workspace, "user": user, "chat": chat}
            self._store("p2p_entered", f"feishu:hello:{workspace}:{user}", f"{workspace}:{chat}", stored)

    def _p2p_entered(self, item: int, m: dict[str, Any]) -> None:
        workspace, user, chat = m["workspace"], m["user"], m["chat"]
        ctx = self.core.context(
            PLATFORM, workspace, chat, user, self.clock.now(), private=True, user_name=self.names(user) or ""
        )
        where = Destination.channel(workspace, chat, project_channel=ctx.channel)

        def rows(reply: Reply) -> list[Outgoing]:
            hello = replace(reply, text=t("feishu.hello", reply.locale))
            return [(f"feishu:hello:{workspace}:{user}", where, hello, None)]

        self.core.handle_text(
            ctx, HELP_COMMAND.get(self.defaults.locale, "/help"), finish=self.inbox.finisher(item, rows)
        )

    def on_ignored(self, data: Any) -> None:
        """Subscribed events the bot has nothing to do for (read receipts, recalls)."""

    # --- the inbox ---------------------------------------------------------------------
    def _store(self, kind: str, key: str, channel_key: str, stored: dict[str, Any]) -> None:
        """Put an event in the inbox before it is acknowledged; raising makes the SDK answer
        HTTP 500, so Feishu pushes it again (never acknowledged without being stored)."""
        try:
            self.inbox.accept(key, channel_key, {"kind": kind, **stored})
        except Exception as exc:
            log.warning("could not store a Feishu %s event (%s); not acknowledged", kind, type(exc).__name__)
            raise NotStored(kind) from None

    def process(self, item: int, stored: dict[str, Any]) -> None:
        """Run one stored event on the workers."""
        handler = {
            "message": self._message,
            "bot_added": self._bot_added,
            "menu": self._menu,
            "p2p_entered": self._p2p_entered,
        }[stored["kind"]]
        handler(item, stored)

    def _queue(self, key: str, destination: Destination, reply: Reply) -> None:
        self.core.queue(PLATFORM, key, destination, reply, now=self.clock.now())
        self.kick()


class NotStored(Exception):
    """An event the inbox could not store: it must not be acknowledged."""


def _answer(
    workspace: str, chat: str, message: str, user: str, *, private: bool, about: str = "", thread: bool = False
) -> Destination:
    """Where the answer to `message` in `chat` goes: a reply in the user's private chat, or in
    the group — in a thread under it when only the speaker needs it (`thread`). `about` is the
    channel whose project the answer is about."""
    if private:
        return Destination.dm(workspace, user, reply_to=message, project_channel=about or chat)
    if thread:
        return Destination(workspace, "thread", chat, reply_to=message, project_channel=about if about != chat else "")
    return Destination.channel(workspace, chat, reply_to=message, project_channel=about)


def _toast(kind: str, content: str) -> dict[str, Any]:
    return {"toast": {"type": kind, "content": content[:200]}}


def build_dispatcher(events: FeishuEvents, *, encrypt_key: str = "", verification_token: str = "") -> Any:
    """The SDK's dispatcher with a handler for every type in `EVENT_TYPES` (HTTP and long connection)."""
    import lark_oapi as lark

    return (
        lark.EventDispatcherHandler.builder(encrypt_key, verification_token)
        .register_p2_im_message_receive_v1(events.on_message)
        .register_p2_card_action_trigger(events.on_card_action)
        .register_p2_im_chat_member_bot_added_v1(events.on_bot_added)
        .register_p2_application_bot_menu_v6(events.on_menu)
        .register_p2_im_chat_access_event_bot_p2p_chat_entered_v1(events.on_p2p_entered)
        .register_p2_im_message_message_read_v1(events.on_ignored)
        .register_p2_im_message_recalled_v1(events.on_ignored)
        .build()
    )
