"""The bolt App's listeners: Slack payload -> the inbox -> ack; later Context + command -> core -> Block Kit.

bolt runs with `process_before_response=True`, so a listener runs in the request's own thread and
its ack is the HTTP response (or the Socket Mode ack). A listener only stores the request in the
durable inbox (`bot.inbox.Inbox.accept`: one insert, keyed by the delivery) and then acks; it
never waits for a worker, a Web API call or the command. A request that cannot be stored is not
acknowledged: a slash command's ack says so to the user, anything else is answered HTTP 500 so
Slack retries it. The adapter's workers then process the stored requests, one channel at a time
in arrival order (`process`): build a `Context` (platform "slack", workspace = team id, or
`enterprise/team` on Enterprise Grid, channel, user with the name, time zone and language from
`users.info`), ask the core, and answer the Slack way — in the command's own transaction
(`Inbox.finisher`), so its effects, its delivery key, its answer and the done mark commit together:

- an error or an answer meant for one person -> an ephemeral message through the outbox (by the
  request's response_url while it is valid, else chat.postEphemeral), or a read-only modal on
  App Home;
- an answer for the channel -> queued in the outbox under a key derived from the delivery, so a
  failed post is retried and a retried delivery never posts twice;
- an answer holding a form -> a modal (views.open with the request's trigger_id, after the
  commit; when it fails, an ephemeral answer says so and keeps the card's open button);
- a click whose answer shows the same item as the card clicked (`Core.updates_in_place`) -> that
  message is updated in place (chat.update through the outbox; an ephemeral card is replaced by a
  channel post).

A slash command in a direct message acts on the channel `Core.resolve_channel` picks.

Exceptions that run before their ack, because the ack itself is the answer: view submissions
(inline errors under the first input, or a read-only result view; the command, its delivery key
and its channel answer commit in one transaction before the ack). Opening App Home only
refreshes a view (no effects), so it runs on the workers without being stored.

Deduplication: every request has a delivery key (`slack:cmd:<trigger_id>`,
`slack:action:<trigger_id>`, `slack:view:<view id>:<hash>`, `slack:event:<event_id>`,
`slack:shortcut:<trigger_id>`): the inbox stores it once, and the core stores it with the
command's effects, so a retried or replayed delivery changes nothing and is not answered.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.clock import Clock
from bot.inbox import Inbox, Outgoing, Process
from bot.messenger import Destination, MessageRef
from bot.slack.home import render_home
from bot.slack.modals import (
    FORM_CALLBACK,
    Meta,
    error_block,
    form_from_value,
    form_modal,
    form_values,
    info_modal,
)
from bot.slack.oauth import workspace_key
from bot.slack.render import ACTION_PREFIX, card_index, clip, plain
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


class NotStored(Exception):
    """A request the inbox could not store: it must not be acknowledged (Slack retries it)."""


class SlackListeners:
    def __init__(
        self,
        *,
        core: Core,
        kick: Callable[[], None],
        users: UserDirectory,
        clock: Clock,
        commands: Mapping[str, str],
        client_for: Callable[[str], Any],
        inbox: Callable[[Process], Inbox],
    ) -> None:
        """`inbox` builds the adapter's inbox around this object's `process`."""
        self.core = core
        self.kick = kick
        self.users = users
        self.clock = clock
        self.client_for = client_for
        self.commands = {slash: area for area, slash in commands.items()}  # "/task" -> "task"
        self.inbox = inbox(self.process)

    def register(self, app: App) -> None:
        for slash in self.commands:
            app.command(slash)(self.on_command)
        app.action(re.compile(f"^{re.escape(ACTION_PREFIX)}"))(self.on_action)
        app.view_submission(FORM_CALLBACK)(self.on_submit)
        app.message_shortcut(SHORTCUT_CALLBACK)(self.on_message_shortcut)
        app.event("app_home_opened")(self.on_home_opened)
        app.event("app_mention")(self.on_mention)
        app.event("member_joined_channel")(self.on_member_joined)
        app.error(_not_stored)

    # --- receiving: store, then ack ------------------------------------------------------
    def on_command(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        try:
            self._store("command", f"slack:cmd:{body['trigger_id']}", body["channel_id"], body, context)
        except NotStored:
            ack(text=t("inbound.not_stored", self.core.defaults.locale))
            return
        ack()

    def on_action(self, ack: Any, body: dict[str, Any], action: dict[str, Any], context: Any) -> None:
        value = _action_value(action)
        if value is not None:
            where = _where(body)
            key = f"slack:action:{body.get('trigger_id') or action.get('action_ts')}"
            self._store("action", key, str(value.get("ch") or where), {"body": body, "action": action}, context)
        ack()

    def on_message_shortcut(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        channel = str((body.get("channel") or {}).get("id") or "")
        self._store("shortcut", f"slack:shortcut:{body['trigger_id']}", channel, body, context)
        ack()

    def on_mention(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if event.get("user") and event.get("channel") and not event.get("bot_id"):
            self._store("mention", f"slack:event:{body['event_id']}", event["channel"], body, context)

    def on_member_joined(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        channel = event.get("channel")
        if channel and event.get("user") == context.bot_user_id:
            self._store("joined", f"slack:welcome:{channel}:{body.get('event_id')}", channel, body, context)

    def on_home_opened(self, event: dict[str, Any], context: Any) -> None:
        """Only a view refresh (no effects): run on the workers, not stored."""
        if event.get("tab") == "home" and event.get("user"):
            about = _about(context)
            workspace = workspace_key(about["enterprise_id"], about["team_id"])
            self.inbox.executor.submit(
                f"home:{workspace}:{event['user']}",
                lambda: self._publish_home(
                    self.client_for(workspace), self._ctx(about, user=event["user"], channel="")
                ),
            )

    def _store(self, kind: str, key: str, channel: str, body: dict[str, Any], context: Any) -> None:
        """Put a request in the inbox under its delivery key and channel (order of effects)."""
        about = _about(context)
        workspace = workspace_key(about["enterprise_id"], about["team_id"])
        try:
            self.inbox.accept(key, f"{workspace}:{channel}", {"kind": kind, "context": about, "body": body})
        except Exception as exc:
            log.warning("could not store a Slack %s request (%s); not acknowledged", kind, type(exc).__name__)
            raise NotStored(kind) from None

    # --- processing, on the workers -----------------------------------------------------
    def process(self, item: int, stored: dict[str, Any]) -> None:
        """Run one stored request (see the module docstring)."""
        handler = {
            "command": self._command,
            "action": self._action,
            "shortcut": self._shortcut,
            "mention": self._mention,
            "joined": self._joined,
        }[stored["kind"]]
        handler(item, stored["context"], stored["body"])

    def _command(self, item: int, about: dict[str, Any], body: dict[str, Any]) -> None:
        area = self.commands.get(body["command"], body["command"].lstrip("/"))
        ctx = self._ctx(
            about,
            user=body["user_id"],
            channel=body["channel_id"],
            fallback_name=body.get("user_name") or "",
            private=body["channel_id"].startswith("D"),
        )
        key = f"slack:cmd:{body['trigger_id']}"
        text = f"/{area} {command_text(body.get('text') or '')}".rstrip()
        answer = Answer(self, ctx, key, where=body["channel_id"], reply_url=body.get("response_url") or "")
        reply = self.core.handle_text(
            ctx, text, delivery_keys=[key], finish=self.inbox.finisher(item, answer.rows(body["trigger_id"]))
        )
        if reply is not None:
            answer.open_form(reply, body["trigger_id"])

    def _action(self, item: int, about: dict[str, Any], stored: dict[str, Any]) -> None:
        body, action = stored["body"], stored["action"]
        value = _action_value(action) or {}
        container = body.get("container") or {}
        home = (body.get("view") or {}).get("type") == "home"
        where = _where(body)
        channel = str(value.pop("ch", "") or where)
        ctx = self._ctx(about, user=body["user"]["id"], channel=channel)
        trigger = body.get("trigger_id")
        key = f"slack:action:{trigger or action.get('action_ts')}"
        answer = Answer(self, ctx, key, where=where, reply_url=body.get("response_url") or "")
        if "form" in value:  # a form shown inside a message: open it, nothing to ask the core
            self.inbox.done(item)
            carried = form_from_value(value["form"]) if isinstance(value["form"], dict) else None
            if carried is not None and trigger:
                answer.open(trigger, carried[0], carried[1], ctx.locale or self.core.defaults.locale)
            return
        message = body.get("message") or {}
        in_place = None
        if message and not home and not container.get("is_ephemeral") and _cards_in(message) == 1:
            in_place = MessageRef(Destination.channel(ctx.workspace, where, project_channel=channel), message["ts"])

        def rows(reply: Reply) -> list[Outgoing]:
            if home:
                return answer.home_rows(reply, trigger)
            if _form_card(reply) is not None or reply.error or reply.visibility == "ephemeral":
                return answer.rows(trigger)(reply)
            if in_place and self.core.updates_in_place(value.get("args"), reply):
                update = answer.update(in_place, reply)
                return [update] if where == channel else [update, answer.post(reply)]
            return [answer.post(reply)]

        reply = self.core.handle_action(ctx, value, delivery_keys=[key], finish=self.inbox.finisher(item, rows))
        if reply is None:
            return
        if home:
            answer.on_home(reply, trigger)
        elif _form_card(reply) is not None or reply.error or reply.visibility == "ephemeral":
            answer.open_form(reply, trigger, message=in_place)
        elif container.get("is_ephemeral") and self.core.updates_in_place(value.get("args"), reply):
            _delete_ephemeral(answer.reply_url)

    def _shortcut(self, item: int, about: dict[str, Any], body: dict[str, Any]) -> None:
        channel = str((body.get("channel") or {}).get("id") or "")
        message = body.get("message") or {}
        ctx = self._ctx(about, user=body["user"]["id"], channel=channel)
        client = self.client_for(ctx.workspace)
        title = clip(
            readable_text(message.get("text") or "", lambda user: self.users.lookup(client, ctx.workspace, user).name),
            TITLE_MAX,
        )
        options = {
            k: v for k, v in (("title", title), ("link", self._permalink(client, channel, message))) if v.strip()
        }
        key = f"slack:shortcut:{body['trigger_id']}"
        answer = Answer(self, ctx, key, where=channel, reply_url=body.get("response_url") or "")
        reply = self.core.handle_action(
            ctx,
            {"command": "task", "action": "form", "args": [], "options": options},
            delivery_keys=[key],
            finish=self.inbox.finisher(item, answer.rows(body["trigger_id"])),
        )
        if reply is not None:
            answer.open_form(reply, body["trigger_id"])

    def _mention(self, item: int, about: dict[str, Any], body: dict[str, Any]) -> None:
        event = body["event"]
        user, channel = event["user"], event["channel"]
        text = re.sub(rf"^\s*<@{re.escape(about.get('bot_user_id') or '')}(\|[^>]*)?>\s*", "", event.get("text") or "")
        ctx = self._ctx(about, user=user, channel=channel)
        key = f"slack:event:{body['event_id']}"
        answer = Answer(self, ctx, key, where=channel)
        text = command_text(text)
        if not is_command(text):  # say how (once: a retried event is the same stored request)
            locale = ctx.locale or self.core.defaults.locale
            self.inbox.done(item, [answer.ephemeral(Reply(text=t("slack.mention_hint", locale), locale=locale))])
            return
        self.core.handle_text(ctx, text, delivery_keys=[key], finish=self.inbox.finisher(item, answer.rows(None)))

    def _joined(self, item: int, about: dict[str, Any], body: dict[str, Any]) -> None:
        """The bot joined a channel: invite the channel to bind a project (or say which it is)."""
        channel = body["event"]["channel"]
        workspace = workspace_key(about["enterprise_id"], about["team_id"])
        name = self._channel_name(self.client_for(workspace), channel)
        reply = self.core.bot_joined(PLATFORM, workspace, channel, name)
        key = f"slack:welcome:{channel}:{body.get('event_id')}"
        self.inbox.done(item, [(key, Destination.channel(workspace, channel), reply, None)])

    # --- modal submissions (synchronous: the ack carries the answer) ---------------------
    def on_submit(self, ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
        meta = Meta.decode(view.get("private_metadata"))
        if meta is None:
            ack()
            return
        ctx = self._ctx(_about(context), user=body["user"]["id"], channel=meta.channel)
        key = f"slack:view:{view.get('id')}:{view.get('hash', '')}"
        answer = Answer(self, ctx, key, where=meta.channel)

        def rows(reply: Reply) -> list[Outgoing]:
            if reply.error or reply.visibility == "ephemeral":
                return []  # shown in the modal itself
            if meta.message and self.core.updates_in_place(meta.args, reply):
                message = MessageRef.from_dict(meta.message)
                update = answer.update(message, reply)
                return [update] if message.destination.id == meta.channel else [update, answer.post(reply)]
            return [answer.post(reply)]

        reply = self.core.handle_action(
            ctx,
            meta.payload(),
            form_values((view.get("state") or {}).get("values")),
            delivery_keys=[key],
            finish=self.inbox.finisher(None, rows),
        )
        names = self.users.names(ctx.workspace)
        if reply is None:
            ack()
            return
        block = error_block(view, reply.field)
        if reply.error and block:
            ack(response_action="errors", errors={block: clip(plain(reply.text.split("\n")[0], names), ERROR_MAX)})
            return
        if reply.error or reply.visibility == "ephemeral":
            ack(response_action="update", view=info_modal(reply, names=names))
            return
        ack()
        self.kick()
        if meta.home:
            self.inbox.executor.submit(
                f"home:{ctx.workspace}:{ctx.user}", lambda: self._publish_home(self.client_for(ctx.workspace), ctx)
            )

    # --- helpers -------------------------------------------------------------------------
    @staticmethod
    def _permalink(client: Any, channel: str, message: dict[str, Any]) -> str:
        try:
            return str(client.chat_getPermalink(channel=channel, message_ts=message.get("ts"))["permalink"])
        except (SlackApiError, KeyError):
            log.warning("chat.getPermalink failed for %s", channel, exc_info=True)
            return ""

    @staticmethod
    def _channel_name(client: Any, channel: str) -> str:
        try:
            return str(client.conversations_info(channel=channel)["channel"].get("name") or "")
        except (SlackApiError, KeyError):
            return ""

    def _ctx(
        self, about: dict[str, Any], *, user: str, channel: str, fallback_name: str = "", private: bool = False
    ) -> Context:
        workspace = workspace_key(about["enterprise_id"], about["team_id"])
        who = self.users.lookup(self.client_for(workspace), workspace, user)
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

    def _publish_home(self, client: Any, ctx: Context) -> None:
        home = self.core.home(ctx)
        view = render_home(home, self.users.names(ctx.workspace))
        _quietly(lambda: client.views_publish(user_id=ctx.user, view=view))


class Answer:
    """How one request is answered: the outbox rows its reply becomes (queued by the command's
    `Finish`), and what can only happen after the commit (opening a modal: it needs the
    request's trigger_id and shows nothing to queue)."""

    def __init__(self, listeners: SlackListeners, ctx: Context, key: str, *, where: str, reply_url: str = "") -> None:
        self.listeners = listeners
        self.ctx = ctx
        self.key = key
        self.where = where  # the conversation the request came from
        self.reply_url = reply_url

    def rows(self, trigger_id: str | None) -> Callable[[Reply], list[Outgoing]]:
        """An answer in the conversation: a form opens as a modal (nothing queued), an error or
        a private answer is ephemeral, anything else is posted to the channel."""

        def rows(reply: Reply) -> list[Outgoing]:
            card = _form_card(reply)
            if card is not None and not reply.error and trigger_id:
                return []
            if reply.error or reply.visibility == "ephemeral" or card is not None:
                return [self.ephemeral(reply)]
            return [self.post(reply)]

        return rows

    def home_rows(self, reply: Reply, trigger_id: str | None) -> list[Outgoing]:
        """App Home has no ephemeral messages: forms and private answers open a modal instead."""
        private = _form_card(reply) is not None or reply.error or reply.visibility == "ephemeral"
        return [] if private and trigger_id else [self.post(reply)]

    def post(self, reply: Reply) -> Outgoing:
        return (f"{self.key}:post", Destination.channel(self.ctx.workspace, self.ctx.channel), reply, None)

    def update(self, message: MessageRef, reply: Reply) -> Outgoing:
        return (f"{self.key}:update", message.destination, reply, message)

    def ephemeral(self, reply: Reply) -> Outgoing:
        """Shown to the user only, where they spoke (by response_url while valid)."""
        about = self.ctx.channel if self.ctx.channel != self.where else ""
        destination = Destination(
            self.ctx.workspace,
            "ephemeral",
            self.where,
            project_channel=about,
            user=self.ctx.user,
            reply_url=self.reply_url,
        )
        return (f"{self.key}:ephemeral", destination, reply, None)

    def open_form(self, reply: Reply, trigger_id: str | None, *, message: MessageRef | None = None) -> None:
        """After the commit: open the reply's form as a modal; when Slack refuses, say so
        privately (the card keeps an open button)."""
        card = _form_card(reply)
        if card is None or reply.error or not trigger_id:
            return
        if not self.open(trigger_id, card.title, card.form, reply.locale, message=message):
            failed = replace(reply, text=t("slack.modal_failed", reply.locale))
            self._queue(self.ephemeral(failed))

    def on_home(self, reply: Reply, trigger_id: str | None) -> None:
        """After the commit, on App Home: a form or a private answer in a modal, else a refresh."""
        card = _form_card(reply)
        client = self.listeners.client_for(self.ctx.workspace)
        if card is not None and not reply.error and trigger_id:
            self.open(trigger_id, card.title, card.form, reply.locale, home=True)
        elif (reply.error or reply.visibility == "ephemeral") and trigger_id:
            names = self.listeners.users.names(self.ctx.workspace)
            _quietly(lambda: client.views_open(trigger_id=trigger_id, view=info_modal(reply, names=names)))
        else:
            self.listeners._publish_home(client, self.ctx)

    def open(
        self,
        trigger_id: str,
        title: str,
        form: Any,
        locale: str,
        *,
        message: MessageRef | None = None,
        home: bool = False,
    ) -> bool:
        ctx = self.ctx
        meta = Meta(
            form.command,
            form.action,
            list(form.args),
            channel=ctx.channel,
            message=message.to_dict() if message else {},
            home=home,
        )
        names = self.listeners.users.names(ctx.workspace)
        view = form_modal(form, title=title, meta=meta, locale=locale, names=names)
        try:
            self.listeners.client_for(ctx.workspace).views_open(trigger_id=trigger_id, view=view)
            return True
        except SlackApiError:
            log.warning("views.open failed", exc_info=True)
            return False

    def _queue(self, row: Outgoing) -> None:
        key, destination, reply, replaces = row
        self.listeners.core.queue(PLATFORM, key, destination, reply, now=self.listeners.clock.now(), replaces=replaces)
        self.listeners.kick()


def _about(context: Any) -> dict[str, Any]:
    """What a stored request keeps of bolt's context (the workspace and the bot's user id)."""
    return {"enterprise_id": context.enterprise_id, "team_id": context.team_id, "bot_user_id": context.bot_user_id}


def _action_value(action: dict[str, Any]) -> dict[str, Any] | None:
    """A button's JSON value (see `Button.payload`); None when it is not one of ours."""
    try:
        value = json.loads(action.get("value") or "")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _where(body: dict[str, Any]) -> str:
    """The conversation a click came from."""
    container = body.get("container") or {}
    return str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")


def _not_stored(error: Exception, logger: Any) -> BoltResponse | None:
    """bolt's error handler: a request the inbox could not store is answered 500 (Slack retries
    it) with one log line; anything else is logged as bolt would."""
    if isinstance(error, NotStored):
        return BoltResponse(status=500, body="")
    logger.exception("a Slack listener failed")
    return None


def _delete_ephemeral(reply_url: str) -> None:
    """Remove an ephemeral card that a channel post replaced (best effort)."""
    if reply_url:
        _quietly(lambda: WebhookClient(reply_url).send_dict({"delete_original": True}))


def _form_card(reply: Reply) -> Card | None:
    return next((c for c in reply.cards if c.form is not None), None)


def _cards_in(message: dict[str, Any]) -> int:
    """How many cards a message the bot rendered holds (from its block ids)."""
    return len({card_index(b.get("block_id")) for b in message.get("blocks") or []} - {None})


def _quietly(call: Callable[[], Any]) -> bool:
    """Run a best-effort Slack call (an ephemeral answer, a Home refresh); False if it failed."""
    try:
        call()
        return True
    except Exception:
        log.warning("Slack call failed", exc_info=True)
        return False
