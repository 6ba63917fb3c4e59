"""One person's overview across the projects of a workspace (shown as Slack's App Home tab).

Platform-neutral like every handler: it returns cards, and each card says which project
channel its buttons act in (a home surface belongs to no channel). What it shows:

- my open tasks (Responsible) across projects, overdue first;
- open tasks where I am Accountable;
- per project: my standup today (checked in, not yet, away, no standup) and my task counts,
  with quick actions — check in, new task, new risk, my tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_
from sqlmodel import Session, col, select

from handlers.calendar import is_standup_day
from handlers.context import Context
from handlers.env import Env
from handlers.i18n import t
from handlers.replies import Button, Card, Color, Field, mention
from handlers.standups import enrolled, get_run, is_away
from handlers.views import (
    OPEN_STATUSES,
    STATUS_ICONS,
    due_end,
    fmt_due,
    is_overdue,
    who,
)
from storage.models import Member, Project, StandupEntry, Task, Workspace

__all__ = ["Home", "HomeSection", "home"]

LINES = 15  # per overview card; the rest is counted


@dataclass
class HomeSection:
    card: Card
    channel: str = ""  # the project channel the card's buttons act in ("" = none)


@dataclass
class Home:
    sections: list[HomeSection] = field(default_factory=list)
    locale: str = "en"


def home(session: Session, ctx: Context, workspace: Workspace, locale: str) -> Home:
    rows = list(
        session.exec(
            select(Project, Member)
            .join(Member, col(Member.project_id) == Project.id)
            .where(Project.workspace_id == workspace.id, Member.user_id == ctx.user)
            .order_by(Project.name)
        )
    )
    out = Home(locale=locale)
    out.sections.append(HomeSection(_intro(ctx, locale, len(rows))))
    if not rows:
        return out
    envs = {
        p.id: Env(
            session=session,
            ctx=replace(ctx, channel=p.channel_id),
            workspace=workspace,
            project=p,
            member=m,
            locale=locale,
        )
        for p, m in rows
    }
    tasks = list(
        session.exec(
            select(Task).where(
                col(Task.project_id).in_(list(envs)),
                col(Task.status).in_(OPEN_STATUSES),
                or_(col(Task.responsible) == ctx.user, col(Task.accountable) == ctx.user),
            )
        )
    )
    tasks.sort(key=lambda task: _urgency(envs[task.project_id], task))
    mine = [task for task in tasks if task.responsible == ctx.user]
    approving = [task for task in tasks if task.accountable == ctx.user and task.responsible != ctx.user]
    late = any(is_overdue(envs[x.project_id], x) for x in mine)
    out.sections.append(
        HomeSection(
            _overview(
                t("home.my_tasks", locale, count=len(mine)),
                [_line(envs[x.project_id], x) for x in mine],
                t("home.my_tasks_empty", locale),
                locale,
                "red" if late else "blue",
            )
        )
    )
    out.sections.append(
        HomeSection(
            _overview(
                t("home.accountable", locale, count=len(approving)),
                [f"{_line(envs[x.project_id], x)} · {who(x.responsible)}" for x in approving],
                t("home.accountable_empty", locale),
                locale,
                "blue",
            )
        )
    )
    for project, member in rows:
        env = envs[project.id]
        own = [x for x in mine if x.project_id == project.id]
        out.sections.append(HomeSection(_project_card(env, member, own), project.channel_id))
    return out


def _intro(ctx: Context, locale: str, projects: int) -> Card:
    card = Card(title=t("home.title", locale), text=t("home.intro", locale, user=mention(ctx.user), count=projects))
    if not projects:
        card.text = t("home.no_projects", locale)
    try:
        local = ctx.now.astimezone(ZoneInfo(ctx.user_tz or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        local = ctx.now
    card.footer = t("home.updated", locale, time=local.strftime("%H:%M"))
    return card


def _urgency(env: Env, task: Task) -> tuple[bool, bool, datetime, str, int]:
    end = due_end(env, task)
    return (
        not is_overdue(env, task),
        end is None,
        end or datetime.max.replace(tzinfo=env.now.tzinfo),
        env.bound_project.name,
        task.number,
    )


def _line(env: Env, task: Task) -> str:
    due = f" · {fmt_due(env, task)}" if task.due_date is not None else ""
    return f"{env.bound_project.name} · {STATUS_ICONS[task.status]} #{task.number} {task.title}{due}"


def _overview(title: str, lines: list[str], empty: str, locale: str, color: Color) -> Card:
    card = Card(title=title, color=color if lines else "grey", lines=lines[:LINES])
    if len(lines) > LINES:
        card.footer = t("list.more", locale, count=len(lines) - LINES)
    if not lines:
        card.text = empty
    return card


def _standup(env: Env, member: Member) -> str:
    project, today = env.bound_project, env.today
    if (
        not project.standup_enabled
        or member.user_id not in enrolled(env, today)
        or not is_standup_day(project.standup_days, project.holidays_country, today)
    ):
        return env.t("home.standup_none")
    if is_away(member, today):
        return env.t("home.standup_away")
    run = get_run(env, today)
    entry = (
        env.session.exec(
            select(StandupEntry).where(StandupEntry.run_id == run.id, StandupEntry.user_id == member.user_id)
        ).first()
        if run is not None
        else None
    )
    if entry is not None:
        return env.t("home.standup_done", time=entry.updated_at.astimezone(env.tz).strftime("%H:%M"))
    return env.t("home.standup_pending", time=project.standup_time)


def _project_card(env: Env, member: Member, own: list[Task]) -> Card:
    overdue = sum(1 for x in own if is_overdue(env, x))
    card = Card(
        title=env.bound_project.name,
        color="red" if overdue else "blue",
        fields=[
            Field(env.t("home.standup_field"), _standup(env, member)),
            Field(env.t("home.tasks_field"), env.t("home.tasks_count", open=len(own), overdue=overdue)),
        ],
    )
    card.buttons = [
        Button(env.t("button.check_in"), "standup", "checkin", style="primary"),
        Button(env.t("button.new_task"), "task", "form"),
        Button(env.t("button.new_risk"), "risk", "form"),
        Button(env.t("button.my_tasks"), "task", "list", ("mine",)),
    ]
    return card
