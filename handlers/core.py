"""The platform-neutral entry point: text or card actions in, a neutral Reply out.

Every adapter (console, Slack, Feishu) and the scheduler call `Core`. It resolves the
workspace and the project bound to the channel, parses, checks, dispatches to the area
module and turns every user mistake into an error reply with the usage line. Nothing a
user types escapes as an exception.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from handlers import help as help_area
from handlers import i18n, projects, retros, risks, standups, tasks
from handlers.context import Context
from handlers.env import Defaults, Env, UserError
from handlers.parse import Command, ParseError, command_from_payload, is_command, parse
from handlers.replies import Reply
from storage.database import Database
from storage.models import Member, Project, Workspace

__all__ = ["Core", "Defaults"]  # Defaults re-exported for the runtime

log = logging.getLogger(__name__)

Handler = Callable[[Env, Command], Reply]

ROUTES: dict[str, dict[str, Handler]] = {
    "project": projects.ROUTES,
    "task": tasks.ROUTES,
    "risk": risks.ROUTES,
    "standup": standups.ROUTES,
    "retro": retros.ROUTES,
    "help": help_area.ROUTES,
}
# Commands that work in a channel with no project bound yet.
_UNBOUND_OK = {("project", "init"), ("project", "help"), ("help", "help")}


class Core:
    def __init__(self, db: Database, defaults: Defaults | None = None) -> None:
        self.db = db
        self.defaults = defaults or Defaults()

    # --- entry points -----------------------------------------------------------------
    def handle_text(self, ctx: Context, text: str) -> Reply | None:
        """Answer one message. Returns None when the text is not a command."""
        if not is_command(text):
            return None
        return self._run(ctx, lambda: parse(text))

    def handle_action(self, ctx: Context, payload: dict[str, Any],
                      form: dict[str, Any] | None = None) -> Reply:
        """Answer a button click or form submission (payload from `Button.payload()`)."""
        return self._run(ctx, lambda: command_from_payload(payload, form))

    def handle_command(self, ctx: Context, command: Command) -> Reply:
        return self._run(ctx, lambda: command)

    # --- machinery --------------------------------------------------------------------
    def _run(self, ctx: Context, make_command: Callable[[], Command]) -> Reply:
        try:
            with self.db.session() as session:
                env = self._env(session, ctx)
                try:
                    reply = self._dispatch(env, make_command())
                    reply.locale = env.locale
                    return reply
                except (ParseError, UserError) as exc:
                    session.rollback()
                    return Reply.failure(self._error_text(env.locale, exc), env.locale)
        except IntegrityError:
            # A concurrent change won a race (e.g. the same channel bound twice at once).
            log.warning("integrity error while handling %r", ctx, exc_info=True)
            locale = ctx.locale or self.defaults.locale
            return Reply.failure(i18n.t("error.conflict", locale), locale)
        except Exception:
            log.exception("unexpected error while handling a command")
            locale = ctx.locale or self.defaults.locale
            return Reply.failure(i18n.t("error.internal", locale), locale)

    def _dispatch(self, env: Env, command: Command) -> Reply:
        key = (command.area, command.action)
        if env.project is None and key not in _UNBOUND_OK:
            raise UserError("error.no_project", "project.init")
        if env.project is not None:
            env.member = env.ensure_member(env.user, env.ctx.user_name)
        return ROUTES[command.area][command.action](env, command)

    def _env(self, session: Session, ctx: Context) -> Env:
        workspace = self.workspace(session, ctx.platform, ctx.workspace, ctx.now)
        project = session.exec(
            select(Project).where(Project.workspace_id == workspace.id, Project.channel_id == ctx.channel)
        ).first()
        member = None
        if project is not None:
            member = session.exec(
                select(Member).where(Member.project_id == project.id, Member.user_id == ctx.user)
            ).first()
        locale = ctx.locale or (project.locale if project else self.defaults.locale)
        return Env(session=session, ctx=ctx, workspace=workspace, project=project, member=member,
                   locale=locale, defaults=self.defaults)

    @staticmethod
    def workspace(session: Session, platform: str, external_id: str, now: datetime) -> Workspace:
        row = session.exec(
            select(Workspace).where(Workspace.platform == platform, Workspace.external_id == external_id)
        ).first()
        if row is None:
            row = Workspace(platform=platform, external_id=external_id, created_at=now)
            session.add(row)
            session.flush()
        return row

    @staticmethod
    def _error_text(locale: str, exc: ParseError | UserError) -> str:
        return i18n.t(exc.code, locale, **exc.detail) + "\n" + i18n.usage(exc.usage or "help.help", locale)
