"""What the scheduler says: standup prompts, reminders and summaries, overdue digests and DMs,
escalations, due-soon reminders, risk reviews, the weekly report.

Each function queues its messages (handlers/notify.py) under an idempotency key derived from
what it is about and when (`overdue-dm:{project}:{user}:{day}`), so running it twice — a
second tick, a restart, another replica — never sends anything twice.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import select

from handlers.env import Env
from handlers.notify import queue
from handlers.projects import status_card
from handlers.replies import Button, Card, Field, Reply, mention
from handlers.risks import project_risks, top_risks
from handlers.standups import (
    entries,
    get_run,
    has_blocker,
    participants,
    questions,
    report_card,
    summary_key,
)
from handlers.tasks import project_tasks
from handlers.views import OPEN_STATUSES, due_end, fmt_date, fmt_datetime, is_overdue, risk_line, task_line
from storage.models import AuditEvent, Risk, Task

HIGH_SCORE = 10


def _send(env: Env, key: str, kind: str, target: str, reply: Reply) -> bool:
    reply.locale = env.locale
    return queue(env.session, key=key, platform=env.workspace.platform, target_kind=kind, target=target,
                 reply=reply, now=env.now, workspace_id=env.workspace.id, project_id=env.project.id)


def _late(env: Env, late: bool) -> str:
    return env.t("sched.late_note") if late else ""


def _checkin_button(env: Env) -> Button:
    return Button(env.t("button.check_in"), "standup", "checkin", style="primary")


# --- standups -----------------------------------------------------------------------------

def standup_prompt(env: Env, day: date, late: bool = False) -> None:
    p = env.project
    card = Card(title=env.t("sched.prompt_title", name=p.name, date=fmt_date(env, day)), color="blue",
                lines=[f"• {q}" for q in questions(env)], buttons=[_checkin_button(env)],
                footer=env.t("sched.prompt_footer", time=p.standup_summary_time))
    text = _late(env, late)
    key = f"standup-prompt:{p.id}:{day.isoformat()}"
    if p.standup_mode in ("channel", "both"):
        _send(env, key, "channel", p.channel_id, Reply(text=text, cards=[card]))
    if p.standup_mode in ("dm", "both"):
        for m in participants(env, day):
            _send(env, f"{key}:{m.user_id}", "dm", m.user_id, Reply(text=text, cards=[card]))


def standup_reminder(env: Env, day: date, late: bool = False) -> None:
    p = env.project
    answered = {e.user_id for e in entries(env, get_run(env, day))}
    for m in participants(env, day):
        if m.user_id in answered or m.standup_muted:
            continue
        card = Card(title=env.t("sched.reminder_title", name=p.name), color="yellow",
                    text=env.t("sched.reminder_text", time=p.standup_summary_time),
                    buttons=[_checkin_button(env)])
        _send(env, f"standup-remind:{p.id}:{day.isoformat()}:{m.user_id}", "dm", m.user_id, Reply(cards=[card]))


def standup_summary(env: Env, day: date, late: bool = False) -> None:
    p = env.project
    run = get_run(env, day, create=True)
    card = report_card(env, day)
    blockers = [e for e in entries(env, run) if has_blocker(e.blockers)]
    if blockers and p.owner:
        card.lines.append(env.t("sched.summary_lead", lead=mention(p.owner)))
    if _send(env, summary_key(p.id, day), "channel", p.channel_id, Reply(text=_late(env, late), cards=[card])):
        run.summary_posted_at = env.now


# --- tasks --------------------------------------------------------------------------------

def overdue_digest(env: Env, day: date, late: bool = False) -> None:
    """The daily digest in the channel, a DM to each Responsible, and escalations."""
    p = env.project
    overdue = sorted((t for t in project_tasks(env) if is_overdue(env, t)), key=lambda t: (t.due_date, t.number))
    if overdue:
        card = Card(title=env.t("sched.digest_title", name=p.name, count=len(overdue)), color="red",
                    lines=[task_line(env, t) for t in overdue[:50]])
        _send(env, f"overdue-digest:{p.id}:{day.isoformat()}", "channel", p.channel_id,
              Reply(text=_late(env, late), cards=[card]))
    by_user: dict[str, list[Task]] = {}
    for t in overdue:
        if t.responsible:
            by_user.setdefault(t.responsible, []).append(t)
    for user, tasks in by_user.items():
        card = Card(title=env.t("sched.overdue_dm_title", count=len(tasks), name=p.name), color="red",
                    lines=[task_line(env, t) for t in tasks])
        if len(tasks) == 1:
            card.buttons = [Button(env.t("button.done"), "task", "done", (f"#{tasks[0].number}",), style="primary"),
                            Button(env.t("button.snooze"), "task", "update", (f"#{tasks[0].number}",),
                                   (("due", "+1d"),))]
        _send(env, f"overdue-dm:{p.id}:{user}:{day.isoformat()}", "dm", user, Reply(cards=[card]))
    for t in overdue:
        _escalate(env, t)
    risk_reviews(env, day)


def _escalate(env: Env, task: Task) -> None:
    end = due_end(env, task)
    days = (env.now - end).days if end else 0
    if not task.accountable or days < env.project.escalate_after_days:
        return
    card = Card(title=env.t("sched.escalation_title", ref=f"#{task.number}", days=days), color="red",
                text=env.t("sched.escalation_text", responsible=mention(task.responsible) if task.responsible else "—"),
                lines=[task_line(env, task)])
    due = task.due_at.isoformat() if task.due_at else task.due_date.isoformat()
    _send(env, f"escalate:{task.id}:{due}", "dm", task.accountable, Reply(cards=[card]))


def due_soon(env: Env) -> None:
    """Remind the Responsible once, `due_soon_hours` before a task is due."""
    window = timedelta(hours=env.project.due_soon_hours)
    for t in project_tasks(env):
        end = due_end(env, t)
        if t.status not in OPEN_STATUSES or not t.responsible or end is None or not env.now < end <= env.now + window:
            continue
        when = fmt_datetime(env, t.due_at) if t.due_at else fmt_date(env, t.due_date)
        card = Card(title=env.t("sched.due_soon_title", ref=f"#{t.number}", title=t.title, when=when),
                    color="yellow", lines=[task_line(env, t)],
                    buttons=[Button(env.t("button.done"), "task", "done", (f"#{t.number}",), style="primary")])
        _send(env, f"due-soon:{t.id}:{end.isoformat()}", "dm", t.responsible, Reply(cards=[card]))


# --- risks --------------------------------------------------------------------------------

def risk_reviews(env: Env, day: date) -> None:
    """Remind each open risk's owner when its review date has come (once per review date)."""
    for r in project_risks(env):
        if r.status not in ("open", "mitigating") or r.review_date is None or r.review_date > day:
            continue
        card = Card(title=env.t("sched.review_title", ref=f"R{r.number}", title=r.title), color="orange",
                    lines=[risk_line(env, r)],
                    buttons=[Button(env.t("button.edit"), "risk", "form", (f"R{r.number}",)),
                             Button(env.t("button.close"), "risk", "close", (f"R{r.number}",))])
        _send(env, f"risk-review:{r.id}:{r.review_date.isoformat()}", "dm", r.owner or r.creator, Reply(cards=[card]))


def _unmitigated(env: Env) -> list[Risk]:
    return [r for r in top_risks(env, limit=100) if r.score >= HIGH_SCORE and not r.mitigation.strip()]


# --- weekly -------------------------------------------------------------------------------

def weekly(env: Env, day: date, late: bool = False) -> None:
    p = env.project
    week = day.isocalendar()
    week_key = f"{week.year}-W{week.week:02d}"
    _send(env, f"weekly-report:{p.id}:{week_key}", "channel", p.channel_id,
          Reply(text=_late(env, late), cards=[weekly_card(env, day)]))
    risks = _unmitigated(env)
    if risks:
        card = Card(title=env.t("sched.unmitigated_title", count=len(risks)), color="orange",
                    lines=[risk_line(env, r) for r in risks[:20]])
        _send(env, f"risk-weekly:{p.id}:{week_key}", "channel", p.channel_id, Reply(cards=[card]))


def weekly_card(env: Env, day: date) -> Card:
    """The status meeting in a message: the status card plus this week's and next week's work."""
    card = status_card(env)
    card.title = env.t("sched.weekly_title", name=env.project.name, date=fmt_date(env, day))
    week_start = day - timedelta(days=day.weekday())
    start = datetime.combine(week_start, datetime.min.time(), tzinfo=env.tz)
    tasks = project_tasks(env)
    done = [t for t in tasks if t.status == "done" and t.closed_at and t.closed_at >= start]
    next_start, next_end = week_start + timedelta(days=7), week_start + timedelta(days=13)
    due_next = [t for t in tasks if t.status in OPEN_STATUSES and t.due_date and next_start <= t.due_date <= next_end]
    extra = [
        Field(env.t("sched.done_week", count=len(done)), "\n".join(task_line(env, t) for t in done[:20]) or "—", False),
        Field(env.t("sched.due_next_week", count=len(due_next)),
              "\n".join(task_line(env, t) for t in due_next[:20]) or "—", False),
        Field(env.t("sched.changes"), "\n".join(_changes(env, start)) or "—", False),
    ]
    card.fields = card.fields[:1] + extra[:1] + card.fields[1:2] + extra[1:2] + card.fields[2:] + extra[2:]
    return card


_NOTABLE = {("task", "create"), ("task", "done"), ("task", "cancel"), ("task", "delete"), ("risk", "create"),
            ("risk", "close"), ("retro", "close")}


def _changes(env: Env, since: datetime) -> list[str]:
    """Notable changes this week from the audit log: new/closed work, due dates moved, risks."""
    events = env.session.exec(
        select(AuditEvent).where(AuditEvent.project_id == env.project.id, AuditEvent.at >= since)
        .order_by(AuditEvent.at)
    )
    names = {("task", t.id): (f"#{t.number}", t.title) for t in project_tasks(env)}
    names |= {("risk", r.id): (f"R{r.number}", r.title) for r in project_risks(env)}
    lines = []
    for e in events:
        row = e.after or e.before or {}
        prefix = "#" if e.entity == "task" else "R"
        ref, title = names.get((e.entity, e.entity_id), (f"{prefix}{row.get('number', '?')}", row.get("title", "")))
        if (e.entity, e.action) in _NOTABLE:
            lines.append(env.t(f"change.{e.entity}_{e.action}", ref=ref, title=title, user=mention(e.actor)))
        elif e.entity == "task" and e.action == "update" and "due_date" in (e.after or {}):
            lines.append(env.t("change.task_due", ref=ref, title=title, user=mention(e.actor),
                               before=(e.before or {}).get("due_date") or "—", after=e.after["due_date"] or "—"))
    return lines[-15:]


__all__ = ["due_soon", "overdue_digest", "risk_reviews", "standup_prompt", "standup_reminder",
           "standup_summary", "weekly", "weekly_card"]
