"""The platform-neutral entry point: text or card actions in, a neutral Reply out.

Every adapter (console, Slack, Feishu) and the scheduler call `Core`. It resolves the
workspace and the project bound to the channel, parses, checks, dispatches to the area
module and turns every user mistake into an error reply with the usage line. Nothing a
user types escapes as an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from handlers import home as home_area
from handlers import i18n, jobs, slips
from handlers.commands import SPECS
from handlers.context import Context
from handlers.destination import Destination, MessageRef
from handlers.env import Defaults, Env, UserError
from handlers.limits import check_command
from handlers.notify import queue
from handlers.onboarding import already_bound, welcome
from handlers.parse import Command, ParseError, command_from_payload, is_command, parse
from handlers.replies import Reply
from storage.database import Database, insert_absent, insert_new, is_outage, is_retryable
from storage.logs import RepeatLog
from storage.models import Member, ProcessedEvent, Project, Workspace

__all__ = ["Core", "Defaults", "Finish"]  # Defaults re-exported for the runtime

log = logging.getLogger(__name__)

BOT_USER = "pmbot"
# An outage fails every command: one traceback, then a count (storage/logs.py).
_DB_FAILURES = RepeatLog(log)
ATTEMPTS = 3  # runs of a command that lost a race (see `storage.database.is_retryable`)


def _error_key(exc: DBAPIError) -> str:
    """The answer to a command the database failed: "try again later" when it is unreachable."""
    return "error.unavailable" if is_outage(exc) else "error.internal"


# Completes an inbound delivery inside the transaction that records its outcome: queues the answer
# (`Core.queue_in`) and marks the stored request done, so effects, delivery key, answer and done
# mark commit together or not at all. Given None for a repeated delivery (nothing to answer).
Finish: TypeAlias = Callable[[Session, Reply | None], None]


def _works_unbound(command: Command) -> bool:
    """What works in a channel with no project bound yet: binding one, and every help."""
    return command.action == "help" or (command.area, command.action) == ("project", "init")


def _typed_locale(text: str) -> str:
    """The language a command was typed in, judged by its command word (`/任务` vs `/task`)."""
    head = text.strip().split(None, 1)[0] if text.strip() else ""
    return "zh" if any("\u3400" <= ch <= "\u9fff" for ch in head) else "en"


class Core:
    def __init__(self, db: Database, defaults: Defaults | None = None) -> None:
        self.db = db
        self.defaults = defaults or Defaults()
        jobs.track_changes()  # commands keep each project's next due instant true
        slips.track_plan_changes()  # and say who must know when the plan slips

    # --- entry points -----------------------------------------------------------------
    # `delivery_keys` identify an inbound delivery (e.g. "slack:event:Ev123"). They are stored
    # in the same transaction as the command's effects, so a retried or replayed delivery is
    # recognised and answered with None, and never creates a second record. `finish` (see
    # `Finish`) runs in that transaction too, whatever the outcome.

    def handle_text(
        self, ctx: Context, text: str, *, delivery_keys: Sequence[str] = (), finish: Finish | None = None
    ) -> Reply | None:
        """Answer one message. None when the text is not a command, or is a repeated delivery."""
        if not is_command(text):
            return None
        return self._run(ctx, lambda: parse(text), delivery_keys, typed=_typed_locale(text), finish=finish)

    def handle_action(
        self,
        ctx: Context,
        payload: dict[str, Any],
        form: dict[str, Any] | None = None,
        *,
        delivery_keys: Sequence[str] = (),
        finish: Finish | None = None,
    ) -> Reply | None:
        """Answer a button click or form submission (payload from `Button.payload()`)."""
        return self._run(ctx, lambda: command_from_payload(payload, form), delivery_keys, finish=finish)

    def handle_command(self, ctx: Context, command: Command, *, delivery_keys: Sequence[str] = ()) -> Reply | None:
        return self._run(ctx, lambda: command, delivery_keys)

    # --- machinery --------------------------------------------------------------------
    def _run(
        self,
        ctx: Context,
        make_command: Callable[[], Command],
        keys: Sequence[str],
        typed: str | None = None,
        finish: Finish | None = None,
    ) -> Reply | None:
        """Run a command in one transaction; one that lost a race with a concurrent command is
        rolled back and run again, so it sees what the other committed (e.g. the workspace or
        member row both created, or the channel already bound, answered as such)."""
        locale = ctx.locale or self.defaults.locale
        lost: DBAPIError | None = None
        for _ in range(ATTEMPTS):
            try:
                return self._attempt(ctx, make_command, keys, typed, finish)
            except DBAPIError as exc:
                if not is_retryable(exc):
                    _DB_FAILURES.failure("database error while handling a command", exc)
                    return Reply.failure(i18n.t(_error_key(exc), locale), locale)

                    log.exception("unexpected database error while handling a command")
                    return self._failed(finish, "error.internal", locale)
                log.info("running again a command that lost a race (%s)", type(exc).__name__)
                lost = exc
            except Exception:
                log.exception("unexpected error while handling a command")
                return self._failed(finish, "error.internal", locale)
        if lost is not None and is_outage(lost):
            _DB_FAILURES.failure("database unreachable while handling a command", lost)
            return self._failed(finish, "error.unavailable", locale)
        log.warning("a command lost %d races in a row: %r", ATTEMPTS, ctx, exc_info=lost)
        return self._failed(finish, "error.conflict", locale)

    def _failed(self, finish: Finish | None, code: str, locale: str) -> Reply:
        """The answer to a command that could not run. Its delivery is finished with that answer
        in a transaction of its own; when even that fails (the database is down) the exception
        escapes, and a stored request stays unfinished, to be processed again."""
        reply = Reply.failure(i18n.t(code, locale), locale)
        if finish is not None:
            with self.db.session() as session:
                finish(session, reply)
        return reply

    def _attempt(
        self,
        ctx: Context,
        make_command: Callable[[], Command],
        keys: Sequence[str],
        typed: str | None,
        finish: Finish | None,
    ) -> Reply | None:
        """One transaction: record the delivery, run the command, finish the delivery, commit
        (or answer the user's mistake)."""
        done = finish or (lambda _session, _reply: None)
        with self.db.session() as session:
            if not self._first_delivery(session, keys, ctx.now):
                done(session, None)
                return None
            env = self._env(session, ctx, typed)
            try:
                reply = self._dispatch(env, make_command())
                reply.locale = env.locale
            except (ParseError, UserError) as exc:
                session.rollback()
                self._first_delivery(session, keys, ctx.now)  # a retry must not answer twice
                reply = Reply.failure(self._error_text(env.locale, exc), env.locale, exc.field)
            done(session, reply)
            return reply

    @staticmethod
    def _first_delivery(session: Session, keys: Sequence[str], now: datetime) -> bool:
        """Record the delivery keys; False if any was seen before (a retry or a replay)."""
        fresh = True
        for key in keys:
            fresh = insert_new(session, ProcessedEvent(key=key[:200], received_at=now), "key") and fresh
        return fresh

    def _dispatch(self, env: Env, command: Command) -> Reply:
        if env.project is None and not _works_unbound(command):
            raise UserError("error.no_project", "project.init")
        check_command(command)
        if env.project is not None:
            env.member = env.ensure_member(env.user, env.ctx.user_name)
            if env.ctx.user_tz and env.member.timezone != env.ctx.user_tz:
                env.member.timezone = env.ctx.user_tz
        reply = SPECS[command.area][command.action].handler(env, command)
        slips.after_command(env)
        return reply

    def _env(self, session: Session, ctx: Context, typed: str | None = None) -> Env:
        """The Env of a command. Without a project, a typed command is answered in the language
        it was typed in (`/任务 帮助` in Chinese), else in the default language."""
        workspace = self.workspace(session, ctx.platform, ctx.workspace, ctx.now)
        project = session.exec(
            select(Project).where(Project.workspace_id == workspace.id, Project.channel_id == ctx.channel)
        ).first()
        member = None
        if project is not None:
            member = session.exec(
                select(Member).where(Member.project_id == project.id, Member.user_id == ctx.user)
            ).first()
        locale = ctx.locale or (project.locale if project else typed or self.defaults.locale)
        return Env(
            session=session,
            ctx=ctx,
            workspace=workspace,
            project=project,
            member=member,
            locale=locale,
            defaults=self.defaults,
        )

    def project_env(self, session: Session, project_id: int, now: datetime) -> Env:
        """The Env the scheduler speaks in: the project's channel, as the bot itself."""
        project = session.get_one(Project, project_id)
        workspace = session.get_one(Workspace, project.workspace_id)
        ctx = Context(
            platform=workspace.platform,
            workspace=workspace.external_id,
            channel=project.channel_id,
            user=BOT_USER,
            user_name=BOT_USER,
            now=now,
        )
        return Env(
            session=session,
            ctx=ctx,
            workspace=workspace,
            project=project,
            member=None,
            locale=project.locale,
            defaults=self.defaults,
        )

    def home(self, ctx: Context) -> home_area.Home:
        """The user's overview across the workspace's projects (Slack's App Home), read-only."""
        with self.db.session() as session:
            workspace = self.workspace(session, ctx.platform, ctx.workspace, ctx.now)
            return home_area.home(session, ctx, workspace, ctx.locale or self.defaults.locale)

    # --- what every adapter does the same way -----------------------------------------
    def context(
        self,
        platform: str,
        workspace: str,
        channel: str,
        user: str,
        now: datetime,
        *,
        private: bool = False,
        **about: Any,
    ) -> Context:
        """The Context of an inbound message or click (`about`: user_name, locale, user_tz).
        In a private chat (`private`) it acts on the channel `resolve_channel` picks."""
        if private:
            channel = self.resolve_channel(platform, workspace, channel, user)
        return Context(platform=platform, workspace=workspace, channel=channel, user=user, now=now, **about)

    def resolve_channel(self, platform: str, workspace: str, channel: str, user: str) -> str:
        """The channel a private chat acts on: itself when bound to a project, else the user's
        only project (when they are in exactly one), else itself."""
        if self.channel_project(platform, workspace, channel):
            return channel
        projects = self.projects_of(platform, workspace, user)
        return projects[0][0] if len(projects) == 1 else channel

    def bot_joined(self, platform: str, workspace: str, channel: str, channel_name: str = "") -> Reply:
        """What the bot says when added to a channel: the welcome card that binds it to a
        project in one click, or which project it is bound to already."""
        locale = self.defaults.locale
        bound = self.channel_project(platform, workspace, channel)
        if bound:
            return already_bound(locale, bound)
        return welcome(locale, timezone=self.defaults.timezone, channel_name=channel_name)

    def queue(
        self,
        platform: str,
        key: str,
        destination: Destination,
        reply: Reply,
        *,
        now: datetime,
        replaces: MessageRef | None = None,
    ) -> bool:
        """Queue an answer in the outbox (False when `key` was queued before): an adapter's
        answers are durable, retried and sent once, like the scheduler's."""
        with self.db.session() as session:
            return self.queue_in(session, platform, key, destination, reply, now=now, replaces=replaces)

    def queue_in(
        self,
        session: Session,
        platform: str,
        key: str,
        destination: Destination,
        reply: Reply,
        *,
        now: datetime,
        replaces: MessageRef | None = None,
    ) -> bool:
        """`queue` inside the caller's transaction (a `Finish` queues a command's answer so)."""
        workspace = self.workspace(session, platform, destination.workspace, now)
        project_id = session.exec(
            select(Project.id).where(Project.workspace_id == workspace.id, Project.channel_id == destination.about)
        ).first()
        return queue(
            session,
            key=key,
            platform=platform,
            destination=destination,
            reply=reply,
            now=now,
            replaces=replaces,
            workspace_id=workspace.id,
            project_id=project_id,
        )

    @staticmethod
    def updates_in_place(args: Any, reply: Reply, *, form_in_card: bool = False) -> bool:
        """Whether the answer to a click replaces the card clicked instead of adding a message:
        when it shows the item the button was about (`args[0]`, e.g. `#12`), or when the click
        submitted a form shown inside that card (the form is done with; the result takes its place)."""
        if reply.error or reply.visibility != "channel":
            return False
        if form_in_card:
            return bool(reply.cards)
        subject = str(args[0]) if isinstance(args, (list, tuple)) and args else ""
        return reply.shows_only(subject)

    # --- lookups for private chats, which carry no project of their own ----------------
    def channel_project(self, platform: str, workspace: str, channel: str) -> str | None:
        """The name of the project bound to `channel`, or None."""
        with self.db.session() as session:
            return session.exec(
                select(Project.name)
                .join(Workspace, col(Workspace.id) == Project.workspace_id)
                .where(
                    Workspace.platform == platform, Workspace.external_id == workspace, Project.channel_id == channel
                )
            ).first()

    def projects_of(self, platform: str, workspace: str, user: str) -> list[tuple[str, str]]:
        """(channel, name) of every project `user` is a member of, newest first."""
        with self.db.session() as session:
            rows = session.exec(
                select(Project.channel_id, Project.name)
                .join(Workspace, col(Workspace.id) == Project.workspace_id)
                .join(Member, col(Member.project_id) == Project.id)
                .where(Workspace.platform == platform, Workspace.external_id == workspace, Member.user_id == user)
                .order_by(col(Project.created_at).desc(), col(Project.id).desc())
            )
            return [(channel, name) for channel, name in rows]

    @staticmethod
    def workspace(session: Session, platform: str, external_id: str, now: datetime) -> Workspace:
        """The workspace row, created on first sight (by racing first commands too, as one row)."""
        row = session.exec(
            select(Workspace).where(Workspace.platform == platform, Workspace.external_id == external_id)
        ).first()
        if row is None:
            row = insert_absent(
                session,
                Workspace(platform=platform, external_id=external_id, created_at=now),
                "platform",
                "external_id",
            )
        return row

    @staticmethod
    def _error_text(locale: str, exc: ParseError | UserError) -> str:
        return i18n.t(exc.code, locale, **exc.detail) + "\n" + i18n.usage(exc.usage or "help.help", locale)
