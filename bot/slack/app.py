"""The bolt App's listeners: Slack payload -> Context + command text or action -> core -> Block Kit.

Listeners are thin. Each acknowledges first (Slack's 3-second deadline; bolt then runs the rest
in its thread pool, `process_before_response=False`), builds a `Context` (platform "slack",
workspace = team id, or `enterprise/team` on Enterprise Grid, channel, user with the name, time
zone and language from `users.info`), asks the core, and delivers the answer the Slack way:

- an error or an answer meant for one person -> an ephemeral message (`respond`, or
  chat.postEphemeral where a payload has no response_url), or a read-only modal on App Home;
- an answer for the channel -> queued in the outbox under a key derived from the delivery, so a
  failed post is retried and a retried delivery never posts twice;
- an answer holding a form -> a modal (views.open with the request's trigger_id);
- a click whose answer shows the same item as the card clicked (`Core.updates_in_place`) -> that
  message is updated in place (chat.update through the outbox; an ephemeral card is replaced by a
  channel post).

A slash command in a direct message acts on the channel `Core.resolve_channel` picks.

View submissions are the exception to "ack first": their ack carries the answer (inline errors
under the first input, or a read-only result view), so the core runs before it.

Deduplication: every call into the core passes a delivery key (`slack:cmd:<trigger_id>`,
`slack:action:<trigger_id>`, `slack:view:<view id>:<hash>`, `slack:event:<event_id>`), stored
with the command's effects: a retried or replayed delivery changes nothing and is not answered.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from bot.messenger import Destination, MessageRef
from bot.slack.home import render_home
from bot.slack.modals import (
    FORM_CALLBACK,
    Meta,
    first_input,
    form_from_value,
    form_modal,
    form_values,
    info_modal,
)
from bot.slack.oauth import workspace_key
from bot.slack.render import ACTION_PREFIX, card_index, clip, plain, render_message
from bot.slack.users import UserDirectory
from handlers.context import Context
from handlers.core import Core
from handlers.i18n import t
from handlers.parse import is_command
from handlers.replies import Card, Reply

__all__ = ["PLATFORM", "SHORTCUT_CALLBACK", "SlackListeners", "command_text", "readable_text"]

log = logging.getLogger(__name__)

PLATFORM = "slack"
SHORTCUT_CALLBACK = "create_task_from_message"
TITLE_MAX = 300  # a task title (handlers/tasks.py MAX_TITLE)
ERROR_MAX = 500

_SLACK_MARKUP = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


# --- Slack text -> pmbot text ---------------------------------------------------------------


def _special(token: str, names: Callable[[str], str | None], keep_users: bool) -> str:
    """One `<…>` token of Slack's message format in readable form."""
    ident, _, label = token.partition("|")
    if ident.startswith("@"):
        if keep_users:
            return f"<{token}>"  # the parser reads <@U…|name> as a mention
        return "@" + (label or names(ident[1:]) or ident[1:])
    if ident.startswith("#"):
        return "#" + (label or ident[1:])
    if ident.startswith("!subteam^"):
        return label or "@team"
    if ident.startswith("!"):
        return "@" + (label or ident[1:].split("^")[0]).lstrip("@")
    if keep_users:
        return f"<{token}>"  # a link: the parser keeps its address
    return label or ident


def command_text(text: str) -> str:
    """A slash command's or a mention's text for the parser: `&lt;` etc. unescaped, user
    mentions and links kept in Slack's form, channels and @here as plain words."""
    return _SLACK_MARKUP.sub(
        lambda m: _special(m.group(1), lambda _u: None, True) if m.group(1) is not None else _ENTITIES[m.group(2)], text
    )


def readable_text(text: str, names: Callable[[str], str | None]) -> str:
    """A message as a person reads it (a task title from a message): one line, no markup."""
    plain_text = _SLACK_MARKUP.sub(
        lambda m: _special(m.group(1), names, False) if m.group(1) is not None else _ENTITIES[m.group(2)], text
    )
    return " ".join(plain_text.split())


# --- listeners --------------------------------------------------------------------------------


class SlackListeners:
    def __init__(
        self, *, core: Core, kick: Callable[[], None], users: UserDirectory, clock: Clock, commands: Mapping[str, str]
    ) -> None:
        self.core = core
        self.kick = kick
        self.users = users
        self.clock = clock
        self.commands = {slash: area for area, slash in commands.items()}  # "/task" -> "task"

    def register(self, app: App) -> None:
        for slash in self.commands:
            app.command(slash)(self.on_command)
        app.action(re.compile(f"^{re.escape(ACTION_PREFIX)}"))(self.on_action)
        app.view_submission(FORM_CALLBACK)(self.on_submit)
        app.message_shortcut(SHORTCUT_CALLBACK)(self.on_message_shortcut)
        app.event("app_home_opened")(self.on_home_opened)
        app.event("app_mention")(self.on_mention)
        app.event("member_joined_channel")(self.on_member_joined)

    # --- slash commands ----------------------------------------------------------------
    def on_command(self, ack: Any, body: dict[str, Any], client: Any, respond: Any, context: Any) -> None:
        ack()
        area = self.commands[body["command"]]
        ctx = self._ctx(
            client,
            context,
            user=body["user_id"],
            channel=body["channel_id"],
            fallback_name=body.get("user_name") or "",
            private=body["channel_id"].startswith("D"),
        )
        key = f"slack:cmd:{body['trigger_id']}"
        text = f"/{area} {command_text(body.get('text') or '')}".rstrip()
        reply = self.core.handle_text(ctx, text, delivery_keys=[key])
        if reply is not None:
            self._answer(reply, ctx, client, key=key, respond=respond, trigger_id=body["trigger_id"])

    # --- buttons -----------------------------------------------------------------------
    def on_action(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any, respond: Any, context: Any
    ) -> None:
        ack()
        try:
            value = json.loads(action.get("value") or "")
        except ValueError:
            return
        if not isinstance(value, dict):
            return
        container = body.get("container") or {}
        home = (body.get("view") or {}).get("type") == "home"
        where = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        channel = str(value.pop("ch", "") or where)
        ctx = self._ctx(client, context, user=body["user"]["id"], channel=channel)
        trigger = body.get("trigger_id")
        if "form" in value:  # a form shown inside a message: open it, nothing to ask the core
            carried = form_from_value(value["form"]) if isinstance(value["form"], dict) else None
            if carried is not None and trigger:
                self._open_form(client, trigger, carried[0], carried[1], ctx, ctx.locale or self.core.defaults.locale)
            return
        key = f"slack:action:{trigger or action.get('action_ts')}"
        reply = self.core.handle_action(ctx, value, delivery_keys=[key])
        if reply is None:
            return
        message = body.get("message") or {}
        in_place = None
        if message and not home and not container.get("is_ephemeral") and _cards_in(message) == 1:
            in_place = MessageRef(Destination.channel(ctx.workspace, where, project_channel=channel), message["ts"])
        if home:
            self._answer_on_home(reply, ctx, client, key=key, trigger_id=trigger)
            return
        if _form_card(reply) is not None or reply.error or reply.visibility == "ephemeral":
            self._answer(reply, ctx, client, key=key, respond=respond, trigger_id=trigger, message=in_place)
            return
        if self.core.updates_in_place(value.get("args"), reply):
            if container.get("is_ephemeral"):
                _responded(lambda: respond(delete_original=True))
            elif in_place:
                self._update(key, in_place, reply)
                if where == channel:
                    return  # the channel sees the card change; a DM's card also tells the project
        self._post(key, ctx, reply)

    # --- modal submissions -------------------------------------------------------------
    def on_submit(self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any, context: Any) -> None:
        meta = Meta.decode(view.get("private_metadata"))
        if meta is None:
            ack()
            return
        ctx = self._ctx(client, context, user=body["user"]["id"], channel=meta.channel)
        key = f"slack:view:{view.get('id')}:{view.get('hash', '')}"
        reply = self.core.handle_action(
            ctx, meta.payload(), form_values((view.get("state") or {}).get("values")), delivery_keys=[key]
        )
        names = self.users.names(ctx.workspace)
        if reply is None:
            ack()
            return
        block = first_input(view)
        if reply.error and block:
            ack(response_action="errors", errors={block: clip(plain(reply.text.split("\n")[0], names), ERROR_MAX)})
            return
        if reply.error or reply.visibility == "ephemeral":
            ack(response_action="update", view=info_modal(reply, names=names))
            return
        ack()
        if meta.message and self.core.updates_in_place(meta.args, reply):
            message = MessageRef.from_dict(meta.message)
            self._update(key, message, reply)
            if message.destination.id != meta.channel:
                self._post(key, ctx, reply)
        else:
            self._post(key, ctx, reply)
        if meta.home:
            self._publish_home(client, ctx)

    # --- the message shortcut ----------------------------------------------------------
    def on_message_shortcut(self, ack: Any, body: dict[str, Any], client: Any, respond: Any, context: Any) -> None:
        ack()
        channel = str((body.get("channel") or {}).get("id") or "")
        message = body.get("message") or {}
        ctx = self._ctx(client, context, user=body["user"]["id"], channel=channel)
        title = clip(
            readable_text(message.get("text") or "", lambda user: self.users.lookup(client, ctx.workspace, user).name),
            TITLE_MAX,
        )
        options = {
            k: v for k, v in (("title", title), ("link", self._permalink(client, channel, message))) if v.strip()
        }
        key = f"slack:shortcut:{body['trigger_id']}"
        reply = self.core.handle_action(
            ctx, {"command": "task", "action": "form", "args": [], "options": options}, delivery_keys=[key]
        )
        if reply is not None:
            self._answer(reply, ctx, client, key=key, respond=respond, trigger_id=body["trigger_id"])

    @staticmethod
    def _permalink(client: Any, channel: str, message: dict[str, Any]) -> str:
        try:
            return str(client.chat_getPermalink(channel=channel, message_ts=message.get("ts"))["permalink"])
        except (SlackApiError, KeyError):
            log.warning("chat.getPermalink failed for %s", channel, exc_info=True)
            return ""

    # --- events ------------------------------------------------------------------------
    def on_home_opened(self, event: dict[str, Any], client: Any, context: Any) -> None:
        if event.get("tab") == "home" and event.get("user"):
            self._publish_home(client, self._ctx(client, context, user=event["user"], channel=""))

    def on_mention(self, body: dict[str, Any], event: dict[str, Any], client: Any, context: Any, request: Any) -> None:
        user, channel = event.get("user"), event.get("channel")
        if not user or not channel or event.get("bot_id"):
            return
        text = re.sub(rf"^\s*<@{re.escape(context.bot_user_id or '')}(\|[^>]*)?>\s*", "", event.get("text") or "")
        ctx = self._ctx(client, context, user=user, channel=channel)
        text = command_text(text)
        if not is_command(text):
            if not request.headers.get("x-slack-retry-num"):  # say how once, not per retry
                locale = ctx.locale or self.core.defaults.locale
                self._ephemeral(Reply(text=t("slack.mention_hint", locale), locale=locale), ctx, client, None)
            return
        key = f"slack:event:{body['event_id']}"
        reply = self.core.handle_text(ctx, text, delivery_keys=[key])
        if reply is not None:
            self._answer(reply, ctx, client, key=key)

    def on_member_joined(self, body: dict[str, Any], event: dict[str, Any], client: Any, context: Any) -> None:
        """The bot joined a channel: invite the channel to bind a project (or say which it is)."""
        channel = event.get("channel")
        if not channel or event.get("user") != context.bot_user_id:
            return
        workspace = workspace_key(context.enterprise_id, context.team_id)
        reply = self.core.bot_joined(PLATFORM, workspace, channel, self._channel_name(client, channel))
        self._queue(f"slack:welcome:{channel}:{body.get('event_id')}", Destination.channel(workspace, channel), reply)

    @staticmethod
    def _channel_name(client: Any, channel: str) -> str:
        try:
            return str(client.conversations_info(channel=channel)["channel"].get("name") or "")
        except (SlackApiError, KeyError):
            return ""

    # --- answering ---------------------------------------------------------------------
    def _ctx(
        self, client: Any, context: Any, *, user: str, channel: str, fallback_name: str = "", private: bool = False
    ) -> Context:
        workspace = workspace_key(context.enterprise_id, context.team_id)
        who = self.users.lookup(client, workspace, user)
        return self.core.context(
            PLATFORM,
            workspace,
            channel,
            user,
            self.clock.now(),
            private=private,
            user_name=who.name or fallback_name,
            locale=who.locale,
            user_tz=who.tz,
        )

    def _answer(
        self,
        reply: Reply,
        ctx: Context,
        client: Any,
        *,
        key: str,
        respond: Any = None,
        trigger_id: str | None = None,
        message: MessageRef | None = None,
    ) -> None:
        card = _form_card(reply)
        if card is not None and not reply.error and trigger_id:
            if self._open_form(client, trigger_id, card.title, card.form, ctx, reply.locale, message=message):
                return
            reply = replace(reply, text=t("slack.modal_failed", reply.locale))  # the card keeps an open button
        if reply.error or reply.visibility == "ephemeral" or card is not None:
            self._ephemeral(reply, ctx, client, respond)
        else:
            self._post(key, ctx, reply)

    def _answer_on_home(self, reply: Reply, ctx: Context, client: Any, *, key: str, trigger_id: str | None) -> None:
        """App Home has no ephemeral messages: forms and private answers open a modal."""
        card = _form_card(reply)
        names = self.users.names(ctx.workspace)
        if card is not None and not reply.error and trigger_id:
            self._open_form(client, trigger_id, card.title, card.form, ctx, reply.locale, home=True)
        elif (reply.error or reply.visibility == "ephemeral") and trigger_id:
            _quietly(lambda: client.views_open(trigger_id=trigger_id, view=info_modal(reply, names=names)))
        else:
            self._post(key, ctx, reply)
            self._publish_home(client, ctx)

    def _open_form(
        self,
        client: Any,
        trigger_id: str,
        title: str,
        form: Any,
        ctx: Context,
        locale: str,
        *,
        message: MessageRef | None = None,
        home: bool = False,
    ) -> bool:
        meta = Meta(
            form.command,
            form.action,
            list(form.args),
            channel=ctx.channel,
            message=message.to_dict() if message else {},
            home=home,
        )
        view = form_modal(form, title=title, meta=meta, locale=locale, names=self.users.names(ctx.workspace))
        try:
            client.views_open(trigger_id=trigger_id, view=view)
            return True
        except SlackApiError:
            log.warning("views.open failed", exc_info=True)
            return False

    def _ephemeral(self, reply: Reply, ctx: Context, client: Any, respond: Any) -> None:
        body = render_message(reply, channel=ctx.channel, names=self.users.names(ctx.workspace))
        if respond is not None and _responded(
            lambda: respond(response_type="ephemeral", replace_original=False, **body)
        ):
            return
        _quietly(lambda: client.chat_postEphemeral(channel=ctx.channel, user=ctx.user, **body))

    def _post(self, key: str, ctx: Context, reply: Reply) -> None:
        self._queue(f"{key}:post", Destination.channel(ctx.workspace, ctx.channel), reply)

    def _update(self, key: str, message: MessageRef, reply: Reply) -> None:
        self._queue(f"{key}:update", message.destination, reply, replaces=message)

    def _queue(self, key: str, destination: Destination, reply: Reply, *, replaces: MessageRef | None = None) -> None:
        self.core.queue(PLATFORM, key, destination, reply, now=self.clock.now(), replaces=replaces)
        self.kick()

    def _publish_home(self, client: Any, ctx: Context) -> None:
        home = self.core.home(ctx)
        view = render_home(home, self.users.names(ctx.workspace))
        _quietly(lambda: client.views_publish(user_id=ctx.user, view=view))


def _form_card(reply: Reply) -> Card | None:
    return next((c for c in reply.cards if c.form is not None), None)


def _cards_in(message: dict[str, Any]) -> int:
    """How many cards a message the bot rendered holds (from its block ids)."""
    return len({card_index(b.get("block_id")) for b in message.get("blocks") or []} - {None})


def _responded(call: Callable[[], Any]) -> bool:
    """Post to a response_url (best effort); False when Slack refused it (e.g. expired)."""
    try:
        return getattr(call(), "status_code", 200) == 200
    except Exception:
        log.warning("respond() failed", exc_info=True)
        return False


def _quietly(call: Callable[[], Any]) -> bool:
    """Run a best-effort Slack call (an ephemeral answer, a Home refresh); False if it failed."""
    try:
        call()
        return True
    except Exception:
        log.warning("Slack call failed", exc_info=True)
        return False
