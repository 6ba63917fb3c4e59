"""What a handler works with: the session, the context, the bound project, the speaker.

`Env` is built once per inbound command by `handlers.core`. Handlers raise `UserError`
for anything the user got wrong; the core turns it into an error reply with usage.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from handlers import i18n
from handlers.command import ParseError
from handlers.context import Context
from handlers.replies import clean_name
from storage.database import insert_absent
from storage.models import AuditEvent, Member, Project, Workspace, saved_id

__all__ = ["Defaults", "Env", "UserError", "about", "snapshot"]


@dataclass(frozen=True)
class Defaults:
    """Settings a new project starts with (from the `[defaults]` config section)."""

    timezone: str = "UTC"
    locale: str = "en"
    standup_time: str = "09:30"
    workdays: str = "mon,tue,wed,thu,fri"
    holidays_country: str = ""


class UserError(Exception):
    """A refusal or mistake to report to the user: catalogue key, usage key, values, and the
    option (form input) it is about, where a form shows it (see `about`)."""

    def __init__(self, code: str, usage: str = "", **detail: Any) -> None:
        super().__init__(code)
        self.code = code
        self.usage = usage
        self.detail = detail
        self.field = str(detail.get("key") or "")


@contextmanager
def about(field: str) -> Iterator[None]:
    """A mistake found while applying option `field` is about that field: a submitted form shows
    it under that input (unless the error already names its field)."""
    try:
        yield
    except (UserError, ParseError) as exc:
        exc.field = exc.field or field
        raise


@dataclass
class Env:
    session: Session
    ctx: Context
    workspace: Workspace
    project: Project | None
    member: Member | None
    locale: str
    defaults: Defaults = Defaults()

    # --- the bound project ------------------------------------------------------------
    @property
    def bound_project(self) -> Project:
        """The channel's project, for code that only runs with one bound: the core refuses every
        command but binding and help in an unbound channel, and the scheduler speaks for a project."""
        if self.project is None:
            raise RuntimeError("no project is bound to this channel")
        return self.project

    @property
    def bound_member(self) -> Member:
        """The speaker's Member row: the core makes one for every command in a bound channel."""
        if self.member is None:
            raise RuntimeError("the speaker is not a member of a bound project")
        return self.member

    @property
    def project_id(self) -> int:
        return saved_id(self.bound_project)

    @property
    def workspace_id(self) -> int:
        return saved_id(self.workspace)

    def __post_init__(self) -> None:
        # The instant the session's changes are made at, for flush-time rules (handlers.jobs);
        # an Env without a session only renders.
        if self.session is not None:
            self.session.info["now"] = self.ctx.now

    # --- text -------------------------------------------------------------------------
    def t(self, key: str, /, **kw: Any) -> str:
        return i18n.t(key, self.locale, **kw)

    # --- time -------------------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.project.timezone if self.project else "UTC")

    @property
    def now(self) -> datetime:
        return self.ctx.now

    @property
    def today(self) -> date:
        return self.ctx.now.astimezone(self.tz).date()

    # --- people -----------------------------------------------------------------------
    @property
    def user(self) -> str:
        return self.ctx.user

    @property
    def is_admin(self) -> bool:
        return self.member is not None and self.member.role == "admin"

    def admins(self) -> list[str]:
        if self.project is None:
            return []
        rows = self.session.exec(
            select(Member.user_id).where(Member.project_id == self.project.id, Member.role == "admin")
        )
        return sorted(rows)

    def ensure_member(self, user_id: str, name: str = "") -> Member:
        """The project's Member row for a user, created on first sight (once, however many of
        their first commands race)."""
        name = clean_name(name)
        member = self.session.exec(
            select(Member).where(Member.project_id == self.project_id, Member.user_id == user_id)
        ).first()
        if member is None:
            member = insert_absent(
                self.session,
                Member(
                    workspace_id=self.workspace_id,
                    project_id=self.project_id,
                    user_id=user_id,
                    display_name=name or user_id,
                    joined_at=self.now,
                ),
                "project_id",
                "user_id",
            )
        if name and name != user_id and member.display_name != name:
            member.display_name = name
        return member

    def display_names(self) -> dict[str, str]:
        if self.project is None:
            return {}
        rows = self.session.exec(select(Member).where(Member.project_id == self.project.id))
        return {m.user_id: m.display_name or m.user_id for m in rows}

    # --- audit ------------------------------------------------------------------------
    def audit(
        self,
        entity: str,
        entity_id: int | None,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        if before is not None and after is not None:
            changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
            before = {k: before.get(k) for k in sorted(changed)}
            after = {k: after.get(k) for k in sorted(changed)}
        self.session.add(
            AuditEvent(
                workspace_id=self.workspace_id,
                project_id=self.project.id if self.project else None,
                actor=self.user,
                entity=entity,
                entity_id=entity_id,
                action=action,
                before=before,
                after=after,
                at=self.now,
            )
        )


_SKIP = {"id", "workspace_id", "project_id", "created_at", "updated_at"}


def snapshot(row: Any) -> dict[str, Any]:
    """A JSON-safe copy of a row's fields, for audit before/after."""
    out: dict[str, Any] = {}
    for key, value in row.model_dump().items():
        if key in _SKIP:
            continue
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out
