"""Projects: binding a channel, the charter, settings, admins and the status report."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from handlers import permissions
from handlers.calendar import supported_country
from handlers.command import Command
from handlers.env import Env, UserError, snapshot
from handlers.grammar import ALERT_FIELDS, PROJECT_FIELDS, Opt, command
from handlers.replies import Card, Color, Field, Reply, mention
from handlers.risks import top_risks
from handlers.standups import has_blocker
from handlers.tasks import count_and_first, resolve_due, status_counts, tasks_in_status
from handlers.views import fmt_date, fmt_days, risk_line, task_line
from storage.models import Member, Project, StandupEntry, StandupRun

SHOWN = 10  # tasks listed per section of the status report (the counts are of all)
_CHARTER_KEYS = ("goal", "owner", "start", "end", "tz", "lang", "holidays")


def _apply(env: Env, project: Project, cmd: Command, usage: str) -> None:
    opts = cmd.options
    if "name" in opts:
        project.name = _name(env, opts["name"], usage, project)
    if "goal" in opts:
        project.goal = opts["goal"]
    if "owner" in opts:
        project.owner = opts["owner"].id
    if "tz" in opts:
        project.timezone = opts["tz"]
    if "lang" in opts:
        project.locale = opts["lang"]
        env.locale = env.ctx.locale or project.locale
    if "holidays" in opts:
        if opts["holidays"] and not supported_country(opts["holidays"]):
            raise UserError("error.unknown_country", usage, value=opts["holidays"])
        project.holidays_country = opts["holidays"] or None
    for key, attr in (
        ("digest", "digest_time"),
        ("escalate", "escalate_after_days"),
        ("report_day", "weekly_report_day"),
        ("report_time", "weekly_report_time"),
        ("holiday_alerts", "alerts_on_holidays"),
    ):
        if key in opts:
            setattr(project, attr, opts[key])
    if "due_soon" in opts:
        hours = int(opts["due_soon"].total_seconds() // 3600)
        if not 1 <= hours <= 24 * 14:
            raise UserError("error.bad_due_soon", usage, value=str(opts["due_soon"]))
        project.due_soon_hours = hours
    for key, attr in (("start", "start_date"), ("end", "end_date")):
        if key in opts:  # start and end given together are read as one range
            start = project.start_date if key == "end" and "start" in opts else None
            setattr(project, attr, resolve_due(env, opts[key], usage, start=start).date)
    if project.start_date and project.end_date and project.end_date < project.start_date:
        raise UserError("error.end_before_start", usage)


def _name(env: Env, text: str, usage: str, project: Project | None) -> str:
    name = " ".join(text.split())
    if not name:  # the length is checked for every command by handlers.limits
        raise UserError("error.missing_title", usage)
    clash = env.session.exec(
        select(Project).where(Project.workspace_id == env.workspace_id, Project.name == name)
    ).first()
    if clash is not None and clash is not project:
        raise UserError("error.project_name_taken", usage, name=name)
    return name


@command("project", "init", ("初始化", "绑定", "创建", "create", "bind", "new"), options=PROJECT_FIELDS, args="text")
def init(env: Env, cmd: Command) -> Reply:
    usage = "project.init"
    if env.project is not None:
        raise UserError("error.already_bound", usage, name=env.project.name)
    d = env.defaults
    project = Project(
        workspace_id=env.workspace_id,
        channel_id=env.ctx.channel,
        name=_name(env, cmd.text, usage, None),
        timezone=d.timezone,
        locale=env.ctx.locale or d.locale,
        standup_time=d.standup_time,
        standup_days=d.workdays,
        holidays_country=d.holidays_country or None,
        created_by=env.user,
        created_at=env.now,
        owner=env.user,
    )
    env.project = project
    _apply(env, project, cmd, usage)
    env.session.add(project)
    env.session.flush()
    env.member = env.ensure_member(env.user, env.ctx.user_name)
    env.member.role = "admin"
    if project.owner and project.owner != env.user:
        env.ensure_member(project.owner)
    env.audit("project", project.id, "create", None, snapshot(project))
    return Reply(
        text=env.t("project.created", name=project.name, user=mention(env.user)),
        cards=[charter_card(env, project), _next_steps(env)],
    )


def _next_steps(env: Env) -> Card:
    return Card(title=env.t("project.next_steps_title"), lines=env.t("project.next_steps").split("\n"))


def charter_card(env: Env, project: Project) -> Card:
    fields = [
        Field(env.t("field.goal"), project.goal or "—", short=False),
        Field(env.t("field.owner"), mention(project.owner) if project.owner else "—"),
        Field(
            env.t("field.dates"),
            " → ".join(fmt_date(env, d) if d else "?" for d in (project.start_date, project.end_date))
            if project.start_date or project.end_date
            else "—",
        ),
        Field(env.t("field.timezone"), project.timezone),
        Field(env.t("field.language"), env.t(f"language.{project.locale}")),
        Field(env.t("field.holidays"), project.holidays_country or "—"),
        Field(env.t("field.standup"), f"{project.standup_time} ({fmt_days(env, project.standup_days)})"),
        Field(
            env.t("field.alerts"),
            env.t(
                "project.alerts",
                digest=project.digest_time,
                hours=project.due_soon_hours,
                days=project.escalate_after_days,
                day=fmt_days(env, project.weekly_report_day),
                time=project.weekly_report_time,
                holidays=env.t("word.yes" if project.alerts_on_holidays else "word.no"),
            ),
            short=False,
        ),
    ]
    return Card(title=env.t("project.charter_title", name=project.name), color="blue", fields=fields)


@command("project", "show", ("查看", "章程", "charter", "info", "详情"))
def show(env: Env, cmd: Command) -> Reply:
    return Reply(cards=[charter_card(env, env.bound_project)], visibility="ephemeral")


@command(
    "project",
    "set",
    ("设置", "修改", "update", "config"),
    options={**PROJECT_FIELDS, **ALERT_FIELDS, "name": Opt("text", ("名称", "名字"))},
)
def set_(env: Env, cmd: Command) -> Reply:
    usage = "project.set"
    if not cmd.options:
        raise UserError("error.nothing_to_update", usage)
    permissions.check(env, "project.set", usage=usage)
    before = snapshot(env.bound_project)
    _apply(env, env.bound_project, cmd, usage)
    if "owner" in cmd.options:
        env.ensure_member(cmd.options["owner"].id, cmd.options["owner"].name)
    env.audit("project", env.project_id, "update", before, snapshot(env.bound_project))
    return Reply(text=env.t("project.updated", user=mention(env.user)), cards=[charter_card(env, env.bound_project)])


@command(
    "project",
    "admin",
    ("管理员",),
    args="kind_text",
    mentions=True,
    filters={"add": ("添加", "增加", "+"), "remove": ("移除", "删除", "-", "rm")},
)
def admin(env: Env, cmd: Command) -> Reply:
    usage = "project.admin"
    if not cmd.mentions or cmd.words:
        raise UserError("error.missing_user", usage)
    permissions.check(env, "project.admin", usage=usage)
    adding = cmd.choice == "add"
    if not adding:
        admins = env.admins()
        for ref in cmd.mentions:  # every name checked before anything changes or anyone is created
            if ref.id not in admins:
                raise UserError("error.not_admin", usage, user=mention(ref.id))
    lines = []
    for ref in cmd.mentions:
        member = env.ensure_member(ref.id, ref.name)
        if not adding and len(env.admins()) <= 1:
            raise UserError("error.last_admin", usage)
        before = {"role": member.role}
        member.role = "admin" if adding else "member"
        env.session.flush()
        env.audit("member", member.id, "role", before, {"role": member.role})
        lines.append(env.t("project.admin_added" if adding else "project.admin_removed", user=mention(ref.id)))
    return Reply(text="\n".join(lines))


@command("project", "members", ("成员",))
def members(env: Env, cmd: Command) -> Reply:
    rows = env.session.exec(select(Member).where(Member.project_id == env.project_id).order_by(col(Member.joined_at)))
    lines = [f"{mention(m.user_id)}" + (f" · {env.t('word.admin')}" if m.role == "admin" else "") for m in rows]
    return Reply(
        cards=[Card(title=env.t("project.members_title", count=len(lines)), lines=lines)], visibility="ephemeral"
    )


@command("project", "status", ("状态", "报告", "report"))
def status(env: Env, cmd: Command) -> Reply:
    return Reply(cards=[status_card(env)])


def status_card(env: Env) -> Card:
    """The status report: progress, overdue, due this week, top risks, open blockers."""
    counts = status_counts(env)
    total = sum(counts.get(s, 0) for s in ("todo", "doing", "blocked", "done"))
    pct = round(100 * counts.get("done", 0) / total) if total else 0
    week_end = env.today + timedelta(days=6 - env.today.weekday())
    overdue_count, overdue = count_and_first(env, overdue=True, limit=SHOWN)
    due_week_count, due_week = count_and_first(env, overdue=False, limit=SHOWN, through=week_end)
    blocked = tasks_in_status(env, "blocked")
    risks = top_risks(env, limit=5)
    blockers = _standup_blockers(env)
    progress = env.t(
        "report.progress",
        done=counts.get("done", 0),
        total=total,
        pct=pct,
        todo=counts.get("todo", 0),
        doing=counts.get("doing", 0),
        blocked=counts.get("blocked", 0),
    )
    color: Color = (
        "red"
        if overdue_count or blocked
        else ("yellow" if risks and risks[0].level in ("high", "critical") else "green")
    )
    card = Card(
        title=env.t("report.title", name=env.bound_project.name, date=fmt_date(env, env.today)),
        color=color,
        text=progress,
    )
    card.fields = [
        Field(
            env.t("report.overdue", count=overdue_count),
            "\n".join(task_line(env, t) for t in overdue) or "—",
            short=False,
        ),
        Field(
            env.t("report.due_week", count=due_week_count),
            "\n".join(task_line(env, t) for t in due_week) or "—",
            short=False,
        ),
        Field(env.t("report.top_risks"), "\n".join(risk_line(env, r) for r in risks) or "—", short=False),
        Field(
            env.t("report.blockers", count=len(blocked) + len(blockers)),
            "\n".join([task_line(env, t) for t in blocked] + blockers) or "—",
            short=False,
        ),
    ]
    return card


def _standup_blockers(env: Env) -> list[str]:
    """Blockers reported in the most recent standup (today's, or the last one before)."""
    run = env.session.exec(
        select(StandupRun)
        .where(StandupRun.project_id == env.project_id, StandupRun.day <= env.today)
        .order_by(col(StandupRun.day).desc())
    ).first()
    if run is None:
        return []
    entries = env.session.exec(select(StandupEntry).where(StandupEntry.run_id == run.id))
    return [f"{mention(e.user_id)}: {e.blockers}" for e in entries if has_blocker(e.blockers)]
