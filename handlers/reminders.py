"""What the scheduler says: standup prompts, reminders and summaries, overdue digests and DMs,
escalations, due-soon reminders, risk reviews, the weekly report.

Each function queues its messages (handlers/notify.py) under an idempotency key derived from
what it is about and when (`overdue-dm:{project}:{user}:{day}`), so running it twice — a
second tick, a restart, another replica — never sends anything twice.

They speak for one project's `Visit`: what the tick loaded for a whole batch of projects in one
query per kind (members, overdue and due-soon tasks, risks due for review — handlers/jobs.py) and
the messages the visit queues. The tick writes every message of the batch in one batched insert
and then applies what follows from a message being queued (`Outgoing.then`: the "reminded" and
"escalated" stamps, the summary's "posted"), so a message already queued changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from handlers.calendar import Calendar
from handlers.destination import Destination
from handlers.env import Env
from handlers.notify import Message
from handlers.planning import plan_of, planning_projects, week_fields
from handlers.projects import status_card
from handlers.replies import Button, Card, Field, Reply, mention
from handlers.risks import project_risks, top_risks
from handlers.standups import (
    away_among,
    enrolled,
    entries,
    get_run,
    participants_among,
    questions,
    summary_card,
    summary_key,
)
from handlers.tasks import open_tasks_due, tasks_in_status
from handlers.views import TaskFacts, due_day, due_end, fmt_date, fmt_datetime, risk_line, task_line
from storage.models import AuditEvent, Member, Notification, Project, Risk, Task

HIGH_SCORE = 10
DAYS_OFF_LOOKAHEAD = timedelta(days=31)  # longer than any run of days off in a holiday calendar
QUIET_FROM = "21:00"  # individual reminders go out between the digest time and this, local
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EVERY_DAY = Calendar(None, ",".join(_DAYS))


# --- when ---------------------------------------------------------------------------------


def alert_calendar(project: Project) -> Calendar:
    """The days the scheduler alerts on: the project's working days, or every day with
    `holiday_alerts:on`. Digests, reports and reminders all ask this one calendar."""
    return _EVERY_DAY if project.alerts_on_holidays else Calendar.of(project)


def local_instant(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    """`hhmm` on the local `day`, in UTC (a time skipped by daylight saving moves forward)."""
    hh, mm = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hh, mm), tzinfo=tz).astimezone(UTC)


def report_day(project: Project, day: date) -> date:
    """The weekly report day that a report sent on `day` is for: the first report weekday on or
    after it (a report due on a day off goes out on the last working day before)."""
    return day + timedelta(days=(_DAYS.index(project.weekly_report_day) - day.weekday()) % 7)


def is_report_day(project: Project, day: date) -> bool:
    return alert_calendar(project).on_or_before(report_day(project, day)) == day


# --- one project's part of a tick -------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A message a visit queues, and what to do once it is queued (not if it was before)."""

    message: Message
    then: Callable[[], None] | None = None


@dataclass(frozen=True, slots=True)
class TaskRow:
    """The columns of a task the jobs read, loaded as a plain row: a tick reads tens of
    thousands of tasks, and an ORM object costs many times the row."""

    id: int
    project_id: int
    number: int
    title: str
    status: str
    priority: str
    responsible: str | None
    accountable: str | None
    due_date: date | None
    due_at: datetime | None
    overdue_reminded_at: datetime | None
    escalated_at: datetime | None


# The columns of a TaskRow, in its order: `TaskRow(*row)` for each row of `select(*TASK_ROW)`.
TASK_ROW = tuple(getattr(Task, f.name) for f in fields(TaskRow))


@dataclass
class Visit:
    """One project's part of a scheduler tick: its Env, what the tick loaded for it (members;
    open tasks past due, and those a due-soon reminder may be for, by number; open risks whose
    review date has come), the messages it queues and the tasks to stamp once they are queued."""

    env: Env
    members: list[Member] = field(default_factory=list)
    overdue: list[TaskRow] = field(default_factory=list)
    soon: list[TaskRow] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    outgoing: list[Outgoing] = field(default_factory=list)
    stamps: dict[str, list[int]] = field(default_factory=dict)
    # Each task's line, built once: the digest, the DMs and the escalations all show it.
    lines: dict[int, str] = field(default_factory=dict)
    # Who does the work (handlers.standups.enrolled) by standup day, where the tick loaded it.
    doing: dict[date, set[str]] = field(default_factory=dict)

    def admins(self) -> list[str]:
        return sorted(m.user_id for m in self.members if m.role == "admin")

    def away(self, day: date) -> dict[str, date]:
        return away_among(self.members, day)

    def participants(self, day: date) -> list[Member]:
        """handlers.standups.participants, from what the tick loaded."""
        return participants_among(self.members, enrolled(self.env, day, self.doing.get(day)), day)

    def line(self, task: TaskRow) -> str:
        """The task's line (`task_line`), built once per visit."""
        line = self.lines.get(task.id)
        if line is None:
            line = self.lines[task.id] = task_line(self.env, task)
        return line

    def stamp(self, column: str, tasks: list[TaskRow]) -> None:
        """Record that it happened now (`column`) to `tasks`; the tick writes it in one statement."""
        self.stamps.setdefault(column, []).extend(task.id for task in tasks)


def _send(visit: Visit, key: str, kind: str, target: str, reply: Reply, then: Callable[[], None] | None = None) -> None:
    """Queue `reply` for the project's channel `target` (kind "channel") or the user `target`
    (kind "dm", its buttons acting in the project's channel); `then` runs if it is queued now."""
    env = visit.env
    reply.locale = env.locale
    workspace = env.workspace.external_id
    where = (
        Destination.dm(workspace, target, project_channel=env.bound_project.channel_id)
        if kind == "dm"
        else Destination.channel(workspace, target)
    )
    message = Message(key, env.workspace.platform, where, reply, env.now, None, env.workspace_id, env.project_id)
    visit.outgoing.append(Outgoing(message, then))


def _late(env: Env, late: bool) -> str:
    return env.t("sched.late_note") if late else ""


def _checkin_button(env: Env) -> Button:
    return Button(env.t("button.check_in"), "standup", "checkin", style="primary")


# --- who is asked -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """One thing `owner` is asked to act on; while they are away it goes to `accountable`."""

    owner: str
    line: str
    accountable: str | None = None
    task: TaskRow | None = None


def recipients(visit: Visit, away: dict[str, date], owner: str, accountable: str | None) -> list[str]:
    """Who gets what `owner` would be asked: the owner; while they are away, the Accountable;
    if that is someone away too (or nobody), the project admins who are not away."""
    if owner not in away:
        return [owner]
    if accountable and accountable not in away:
        return [accountable]
    return [admin for admin in visit.admins() if admin not in away]


def _on_behalf(env: Env, away: dict[str, date], owner: str) -> str:
    return env.t("sched.on_behalf", user=mention(owner), date=fmt_date(env, away[owner]))


def _by_recipient(visit: Visit, away: dict[str, date], asks: list[Ask]) -> dict[str, list[Ask]]:
    """Asks grouped into one DM per recipient: their own first, then each away person's."""
    grouped: dict[str, list[Ask]] = {}
    for ask in asks:
        for user in recipients(visit, away, ask.owner, ask.accountable):
            grouped.setdefault(user, []).append(ask)
    out = {}
    for user, mine in grouped.items():
        owners = list(dict.fromkeys(a.owner for a in mine))
        out[user] = sorted(mine, key=lambda a: (a.owner != user, owners.index(a.owner)))
    return out


def _lines(env: Env, away: dict[str, date], user: str, asks: list[Ask]) -> list[str]:
    """The lines of one DM: an "on behalf of" line before each away person's asks."""
    lines: list[str] = []
    for i, ask in enumerate(asks):
        if ask.owner != user and (i == 0 or asks[i - 1].owner != ask.owner):
            lines.append(_on_behalf(env, away, ask.owner))
        lines.append(ask.line)
    return lines


def _dm_or_cover(visit: Visit, away: dict[str, date], key: str, ask: Ask, card: Card) -> None:
    """DM `card` to the owner, or while they are away to each person covering (a key each)."""
    env = visit.env
    for user in recipients(visit, away, ask.owner, ask.accountable):
        if user == ask.owner:
            _send(visit, key, "dm", user, Reply(cards=[card]))
        else:
            covered = replace(card, lines=[_on_behalf(env, away, ask.owner), *card.lines])
            _send(visit, f"{key}:{user}", "dm", user, Reply(cards=[covered]))


def _away_line(env: Env, away: dict[str, date]) -> str:
    return env.t(
        "sched.away_line",
        users=", ".join(
            env.t("sched.away_item", user=mention(user), date=fmt_date(env, until)) for user, until in away.items()
        ),
    )


# --- standups -----------------------------------------------------------------------------


def standup_prompt(visit: Visit, day: date, late: bool = False) -> None:
    env = visit.env
    p = env.bound_project
    card = Card(
        title=env.t("sched.prompt_title", name=p.name, date=fmt_date(env, day)),
        color="blue",
        lines=[f"• {q}" for q in questions(env)],
        buttons=[_checkin_button(env)],
        footer=env.t("sched.prompt_footer", time=p.standup_summary_time),
    )
    text = _late(env, late)
    key = f"standup-prompt:{p.id}:{day.isoformat()}"
    if p.standup_mode in ("channel", "both"):
        _send(visit, key, "channel", p.channel_id, Reply(text=text, cards=[card]))
    if p.standup_mode in ("dm", "both"):
        for m in visit.participants(day):
            _send(visit, f"{key}:{m.user_id}", "dm", m.user_id, Reply(text=text, cards=[card]))


def standup_reminder(visit: Visit, day: date, late: bool = False) -> None:
    env = visit.env
    p = env.bound_project
    answered = {e.user_id for e in entries(env, get_run(env, day))}
    for m in visit.participants(day):
        if m.user_id in answered or m.standup_muted:
            continue
        card = Card(
            title=env.t("sched.reminder_title", name=p.name),
            color="yellow",
            text=env.t("sched.reminder_text", time=p.standup_summary_time),
            buttons=[_checkin_button(env)],
        )
        _send(visit, f"standup-remind:{p.id}:{day.isoformat()}:{m.user_id}", "dm", m.user_id, Reply(cards=[card]))


def standup_summary(visit: Visit, day: date, late: bool = False) -> None:
    env = visit.env
    run = get_run(env, day, create=True)
    reply = Reply(text=_late(env, late), cards=[summary_card(env, day)])

    def posted() -> None:
        run.summary_posted_at = env.now

    _send(visit, summary_key(env.project_id, day), "channel", env.bound_project.channel_id, reply, posted)


# --- tasks --------------------------------------------------------------------------------


def _since_due(stamp: datetime | None, end: datetime | None) -> bool:
    """Whether a task's reminder/escalation stamp belongs to its current due (a new due starts over)."""
    return stamp is not None and end is not None and stamp >= end


def overdue_digest(visit: Visit, day: date, late: bool = False) -> None:
    """The daily digest in the channel (saying who is away), one DM per person about the overdue
    tasks they must act on, escalations, and risk reviews."""
    env = visit.env
    p = env.bound_project
    away = visit.away(day)
    overdue = sorted(visit.overdue, key=lambda t: (due_day(t), t.number))
    if overdue:
        card = Card(
            title=env.t("sched.digest_title", name=p.name, count=len(overdue)),
            color="red",
            lines=[visit.line(t) for t in overdue[:50]],
        )
        if away:
            card.lines.append(_away_line(env, away))
        _send(
            visit,
            f"overdue-digest:{p.id}:{day.isoformat()}",
            "channel",
            p.channel_id,
            Reply(text=_late(env, late), cards=[card]),
        )
    _overdue_dms(visit, day, away, overdue)
    _escalations(visit, day, away, overdue)
    risk_reviews(visit, day, away)


def _overdue_dms(visit: Visit, day: date, away: dict[str, date], overdue: list[TaskRow]) -> None:
    env = visit.env
    p = env.bound_project
    asks = [Ask(t.responsible, visit.line(t), t.accountable, t) for t in overdue if t.responsible]
    for user, mine in _by_recipient(visit, away, asks).items():
        tasks = [a.task for a in mine if a.task is not None]
        card = Card(
            title=env.t("sched.overdue_dm_title", count=len(tasks), name=p.name),
            color="red",
            lines=_lines(env, away, user, mine),
        )
        if len(tasks) == 1:
            card.buttons = [
                Button(env.t("button.done"), "task", "done", (f"#{tasks[0].number}",), style="primary"),
                Button(env.t("button.snooze"), "task", "update", (f"#{tasks[0].number}",), (("due", "+1d"),)),
            ]
        first_told = [t for t in tasks if not _since_due(t.overdue_reminded_at, due_end(env, t))]
        key = f"overdue-dm:{p.id}:{user}:{day.isoformat()}"
        _send(
            visit,
            key,
            "dm",
            user,
            Reply(cards=[card]),
            partial(visit.stamp, "overdue_reminded_at", first_told),
        )


def _escalations(visit: Visit, day: date, away: dict[str, date], overdue: list[TaskRow]) -> None:
    """Tasks overdue for `escalate` working days, to their Accountable, one DM per person — never
    in the digest that first told the Responsible, and once per due."""
    env = visit.env
    p = env.bound_project
    calendar = Calendar.of(p)
    asks = []
    for t in overdue:
        end = due_end(env, t)
        if not t.accountable or _since_due(t.escalated_at, end):
            continue
        days = calendar.working_days_between(due_day(t), day)
        if days < p.escalate_after_days:
            continue
        reminded = t.overdue_reminded_at
        told = reminded is not None and _since_due(reminded, end) and reminded.astimezone(env.tz).date() < day
        if t.responsible and not told:
            continue
        asks.append(Ask(t.accountable, f"{visit.line(t)} — {env.t('sched.escalation_days', days=days)}", task=t))
    for user, mine in _by_recipient(visit, away, asks).items():
        tasks = [a.task for a in mine if a.task is not None]
        card = Card(
            title=env.t("sched.escalation_title", count=len(tasks), name=p.name),
            color="red",
            text=env.t("sched.escalation_text"),
            lines=_lines(env, away, user, mine),
        )
        key = f"escalate:{p.id}:{user}:{day.isoformat()}"
        _send(visit, key, "dm", user, Reply(cards=[card]), partial(visit.stamp, "escalated_at", tasks))


def due_soon_from(env: Env, task: TaskFacts, end: datetime) -> datetime:
    """When a task's due-soon reminder may go: at the first alert moment once `due_soon` hours
    before its due have begun; when there is none before the due (a due on a day off, a window
    opening after hours), at the digest time of the last alert day before the due."""
    p, tz, calendar = env.bound_project, env.tz, alert_calendar(env.bound_project)
    opens = end - timedelta(hours=p.due_soon_hours)
    local = opens.astimezone(tz)
    if calendar.is_working_day(local.date()) and local.strftime("%H:%M") < QUIET_FROM:
        first = max(opens, local_instant(local.date(), p.digest_time, tz))
    else:
        first = local_instant(calendar.next_working_day(local.date()), p.digest_time, tz)
    if first < end:
        return first
    day = calendar.on_or_before(due_day(task))
    if local_instant(day, p.digest_time, tz) >= end:
        day = calendar.previous_working_day(day)
    return local_instant(day, p.digest_time, tz)


def due_soon_horizon(env: Env) -> tuple[date, date]:
    """The local due days a due-soon reminder may be for: from yesterday (a due time later than
    now) through `due_soon` hours plus DAYS_OFF_LOOKAHEAD ahead (the reminder for a due after
    days off goes out on the last alert day before them)."""
    return env.today - timedelta(days=1), env.today + timedelta(
        hours=env.bound_project.due_soon_hours
    ) + DAYS_OFF_LOOKAHEAD


def due_soon_reach(env: Env, until: datetime) -> date:
    """The last due day (within `due_soon_horizon`) whose reminder may go by `until`: a
    reminder goes no earlier than `due_soon` hours before the start of its due day (a day of
    slack for a changed time zone) or the digest time of the alert day before the last alert
    day on or before it. Both only grow with the due day, so the first day where both are after
    `until` bounds the tasks worth reading."""
    p, tz, calendar = env.bound_project, env.tz, alert_calendar(env.bound_project)
    last = until.astimezone(tz).date()
    through = due_soon_horizon(env)[1]
    day = last
    while day <= through:
        opens = datetime.combine(day - timedelta(days=1), time.min, tzinfo=tz) - timedelta(hours=p.due_soon_hours)
        if opens > until and calendar.previous_working_day(calendar.on_or_before(day)) > last:
            return day - timedelta(days=1)
        day += timedelta(days=1)
    return through


def is_due_soon_candidate(env: Env, task: TaskFacts) -> bool:
    """An open task due within `due_soon_horizon` may get a reminder if it has a Responsible and
    its due has not passed."""
    return bool(task.responsible) and (end := due_end(env, task)) is not None and end > env.now


def due_soon(visit: Visit) -> None:
    """Remind the Responsible (or whoever covers while they are away) once before a task is due."""
    env = visit.env
    away = visit.away(env.today)
    for t in visit.soon:
        end = due_end(env, t)
        if end is None or not t.responsible or not due_soon_from(env, t, end) <= env.now < end:
            continue
        when = fmt_datetime(env, t.due_at) if t.due_at else fmt_date(env, due_day(t))
        card = Card(
            title=env.t("sched.due_soon_title", ref=f"#{t.number}", title=t.title, when=when),
            color="yellow",
            lines=[visit.line(t)],
            buttons=[Button(env.t("button.done"), "task", "done", (f"#{t.number}",), style="primary")],
        )
        _dm_or_cover(visit, away, f"due-soon:{t.id}:{end.isoformat()}", Ask(t.responsible, "", t.accountable), card)


# --- risks --------------------------------------------------------------------------------


def risk_reviews(visit: Visit, day: date, away: dict[str, date]) -> None:
    """Remind each open risk's owner (or the admins while they are away) when its review date has
    come, once per review date."""
    env = visit.env
    for r in visit.risks:
        if r.review_date is None or r.review_date > day:
            continue
        card = Card(
            title=env.t("sched.review_title", ref=f"R{r.number}", title=r.title),
            color="orange",
            lines=[risk_line(env, r)],
            buttons=[
                Button(env.t("button.edit"), "risk", "form", (f"R{r.number}",)),
                Button(env.t("button.close"), "risk", "close", (f"R{r.number}",)),
            ],
        )
        _dm_or_cover(
            visit, away, f"risk-review:{r.id}:{r.review_date.isoformat()}", Ask(r.owner or r.creator, ""), card
        )


def _unmitigated(env: Env) -> list[Risk]:
    return [r for r in top_risks(env, limit=100) if r.score >= HIGH_SCORE and not r.mitigation.strip()]


# --- weekly -------------------------------------------------------------------------------


def weekly(visit: Visit, day: date, late: bool = False) -> None:
    """The weekly report of the week whose report day `day` stands for (its key), covering
    everything since the last report actually sent."""
    env = visit.env
    p = env.bound_project
    week = report_day(p, day).isocalendar()
    week_key = f"{week.year}-W{week.week:02d}"
    prefix = f"weekly-report:{p.id}:"
    since = _last_sent(env, prefix) or datetime.combine(day - timedelta(days=day.weekday()), time.min, tzinfo=env.tz)
    _send(
        visit,
        prefix + week_key,
        "channel",
        p.channel_id,
        Reply(text=_late(env, late), cards=[weekly_card(env, day, since)]),
    )
    risks = _unmitigated(env)
    if risks:
        card = Card(
            title=env.t("sched.unmitigated_title", count=len(risks)),
            color="orange",
            lines=[risk_line(env, r) for r in risks[:20]],
        )
        _send(visit, f"risk-weekly:{p.id}:{week_key}", "channel", p.channel_id, Reply(cards=[card]))


def _last_sent(env: Env, prefix: str) -> datetime | None:
    """When the content of the last message sent under a key prefix was made (it was queued)."""
    return env.session.exec(
        select(Notification.created_at)
        .where(
            Notification.project_id == env.project_id,
            col(Notification.key).startswith(prefix),
            Notification.status == "sent",
        )
        .order_by(col(Notification.created_at).desc())
    ).first()


def weekly_card(env: Env, day: date, since: datetime) -> Card:
    """The status meeting in a message: the status card, the work done and the notable changes
    since `since`, next week's work, and for a project that plans, the plan's section
    (`planning.week_fields`)."""
    card = status_card(env)
    card.title = env.t("sched.weekly_title", name=env.bound_project.name, date=fmt_date(env, day))
    week_start = day - timedelta(days=day.weekday())
    done = tasks_in_status(env, "done", closed_since=since)
    next_week = (week_start + timedelta(days=7), week_start + timedelta(days=13))
    due_next = open_tasks_due(env, next_week[1], since=next_week[0])
    extra = [
        Field(env.t("sched.done_week", count=len(done)), "\n".join(task_line(env, t) for t in done[:20]) or "—", False),
        Field(
            env.t("sched.due_next_week", count=len(due_next)),
            "\n".join(task_line(env, t) for t in due_next[:20]) or "—",
            False,
        ),
        Field(env.t("sched.changes"), "\n".join(_changes(env, since)) or "—", False),
    ]
    card.fields = card.fields[:1] + extra[:1] + card.fields[1:2] + extra[1:2] + card.fields[2:] + extra[2:]
    if planning_projects(env.session, [env.project_id]):  # a plan loads every task: only where one is
        card.fields += week_fields(env, plan_of(env, "project.schedule"), next_week)
    return card


_NOTABLE = {
    ("task", "create"),
    ("task", "done"),
    ("task", "cancel"),
    ("task", "delete"),
    ("risk", "create"),
    ("risk", "close"),
    ("retro", "close"),
}


def _changes(env: Env, since: datetime) -> list[str]:
    """Notable changes since `since` from the audit log: new/closed work, due dates moved, risks."""
    events = list(
        env.session.exec(
            select(AuditEvent)
            .where(AuditEvent.project_id == env.project_id, AuditEvent.at >= since)
            .order_by(col(AuditEvent.at))
        )
    )
    task_ids = {e.entity_id for e in events if e.entity == "task"}
    tasks = env.session.exec(select(Task).where(Task.project_id == env.project_id, col(Task.id).in_(task_ids)))
    names = {("task", t.id): (f"#{t.number}", t.title) for t in tasks}
    names |= {("risk", r.id): (f"R{r.number}", r.title) for r in project_risks(env)}
    lines = []
    for e in events:
        row = e.after or e.before or {}
        prefix = "#" if e.entity == "task" else "R"
        ref, title = names.get((e.entity, e.entity_id), (f"{prefix}{row.get('number', '?')}", row.get("title", "")))
        if (e.entity, e.action) in _NOTABLE:
            lines.append(env.t(f"change.{e.entity}_{e.action}", ref=ref, title=title, user=mention(e.actor)))
        elif e.entity == "task" and e.action == "update" and e.after and "due_date" in e.after:
            lines.append(
                env.t(
                    "change.task_due",
                    ref=ref,
                    title=title,
                    user=mention(e.actor),
                    before=(e.before or {}).get("due_date") or "—",
                    after=e.after["due_date"] or "—",
                )
            )
    return lines[-15:]


__all__ = [
    "TASK_ROW",
    "Ask",
    "Outgoing",
    "TaskRow",
    "Visit",
    "alert_calendar",
    "due_soon",
    "due_soon_from",
    "due_soon_horizon",
    "due_soon_reach",
    "is_due_soon_candidate",
    "is_report_day",
    "local_instant",
    "overdue_digest",
    "recipients",
    "report_day",
    "risk_reviews",
    "standup_prompt",
    "standup_reminder",
    "standup_summary",
    "weekly",
    "weekly_card",
]
