"""When the scheduler speaks: every job is derived from the project's settings in the database.

`occurrences(project, start, end)` lists the scheduled instants in (start, end]: standup
prompt, reminder and summary on standup days; the overdue digest on the alert calendar's days
(working days, or every day with `holiday_alerts:on`); the weekly report on its day or, when that
is a day off, on the last working day before. `run_due(env)` runs what fell due since the
project's jobs last ran (`Project.jobs_run_until`, else its creation): for each kind the latest
occurrence, if it is within that kind's grace window — so after downtime a missed prompt is sent
once (marked late) and older ones are skipped, never replayed in a burst; and a prompt whose time
had passed before the project existed or before its settings changed is not sent at all: "late"
is only for real downtime. Local times come from `zoneinfo`: on a daylight-saving day a time
that does not exist moves forward with the clock, a repeated one fires at its first occurrence,
and each job's key is per local day, so it fires exactly once.

The scheduler visits only projects whose `Project.next_due_at` has come (`next_due`, stored
after each visit): the first job occurrence or due-soon reminder after now. A change to the
settings or to a task's timing (status, due, Responsible) empties it — one flush-time rule for
every command — so the project is visited at the next tick; its jobs are recorded as run up to
the change, since nothing was due before the stored instant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from handlers import reminders
from handlers.calendar import is_standup_day
from handlers.env import Env
from handlers.reminders import (
    QUIET_FROM,
    alert_calendar,
    due_soon_candidates,
    due_soon_from,
    is_report_day,
    local_instant,
)
from handlers.views import due_end
from storage.models import Project, Task, saved_id

__all__ = ["KINDS", "Occurrence", "next_due", "occurrences", "run_due", "track_changes"]

LATE_AFTER = timedelta(minutes=5)
# A project is visited at least this often even with nothing due (a long run of days off).
MAX_QUIET = timedelta(days=8)
# Project columns that are the scheduler's bookkeeping, not settings that decide when jobs run.
_BOOKKEEPING = frozenset({"jobs_run_until", "next_due_at", "next_task_number", "next_risk_number", "next_retro_number"})
# Task columns that decide whether and when a due-soon reminder goes.
_TASK_TIMING = ("status", "due_date", "due_at", "responsible", "project_id")


@dataclass(frozen=True)
class Kind:
    name: str
    run: Callable[[Env, date, bool], None]
    grace: timedelta


KINDS = {
    "standup_prompt": Kind("standup_prompt", reminders.standup_prompt, timedelta(hours=2)),
    "standup_reminder": Kind("standup_reminder", reminders.standup_reminder, timedelta(hours=1)),
    "standup_summary": Kind("standup_summary", reminders.standup_summary, timedelta(hours=3)),
    "digest": Kind("digest", reminders.overdue_digest, timedelta(hours=4)),
    "weekly": Kind("weekly", reminders.weekly, timedelta(hours=12)),
}


@dataclass(frozen=True)
class Occurrence:
    kind: str
    day: date  # the project's local calendar day
    at: datetime  # the instant, UTC


def _day_occurrences(p: Project, day: date, tz: ZoneInfo) -> list[Occurrence]:
    out: list[Occurrence] = []
    country = p.holidays_country
    if p.standup_enabled and is_standup_day(p.standup_days, country, day):
        prompt = local_instant(day, p.standup_time, tz)
        out.append(Occurrence("standup_prompt", day, prompt))
        if p.standup_remind_minutes > 0:
            remind = prompt + timedelta(minutes=p.standup_remind_minutes)
            summary = local_instant(day, p.standup_summary_time, tz)
            if remind < summary:
                out.append(Occurrence("standup_reminder", day, remind))
        out.append(Occurrence("standup_summary", day, local_instant(day, p.standup_summary_time, tz)))
    if alert_calendar(p).is_working_day(day):
        out.append(Occurrence("digest", day, local_instant(day, p.digest_time, tz)))
    if is_report_day(p, day):
        out.append(Occurrence("weekly", day, local_instant(day, p.weekly_report_time, tz)))
    return out


def occurrences(project: Project, start: datetime, end: datetime) -> list[Occurrence]:
    """Every scheduled instant in (start, end], in time order."""
    tz = ZoneInfo(project.timezone)
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    found: list[Occurrence] = []
    while day <= last:
        found.extend(o for o in _day_occurrences(project, day, tz) if start < o.at <= end)
        day += timedelta(days=1)
    return sorted(found, key=lambda o: o.at)


def run_due(env: Env) -> list[Occurrence]:
    """Queue everything that fell due for env.project since its jobs last ran, up to env.now.
    Returns the occurrences that ran."""
    p, now = env.bound_project, env.now
    # A project created at 09:30:00 still gets that 09:30 prompt: only a time strictly before it is past.
    since = max(p.jobs_run_until or p.created_at - timedelta.resolution, now - max(k.grace for k in KINDS.values()))
    latest: dict[str, Occurrence] = {}
    for occ in occurrences(p, since, now):
        latest[occ.kind] = occ
    ran = []
    for kind_name, occ in latest.items():
        kind = KINDS[kind_name]
        if now - occ.at > kind.grace:
            continue  # too old: skipped, never replayed
        kind.run(env, occ.day, now - occ.at > LATE_AFTER)
        ran.append(occ)
    if _active(env):
        reminders.due_soon(env)
    if p.jobs_run_until is None or p.jobs_run_until < now:
        p.jobs_run_until = now
    p.next_due_at = next_due(env)
    return ran


def next_due(env: Env) -> datetime:
    """When this project next has something to do after env.now: its next job occurrence or
    due-soon reminder (a reminder whose window is open outside the alert hours waits for the
    next digest time, itself an occurrence), at most MAX_QUIET away."""
    now = env.now
    upcoming = occurrences(env.bound_project, now, now + MAX_QUIET)
    instants = [now + MAX_QUIET, *(o.at for o in upcoming[:1])]
    for task in due_soon_candidates(env):
        end = due_end(env, task)
        opens = due_soon_from(env, task, end) if end is not None else now
        if opens > now:
            instants.append(opens)
    return min(instants)


def _timing_changed(row: Project | Task) -> bool:
    state = inspect(row)
    if isinstance(row, Project):
        return any(a.history.has_changes() for a in state.attrs if a.key not in _BOOKKEEPING)
    return any(state.attrs[key].history.has_changes() for key in _TASK_TIMING)


def _reschedule(project: Project, now: datetime | None) -> None:
    """Visit `project` at the next tick. Nothing was due before its stored next instant, so its
    jobs count as run up to the change (or that instant): a prompt time moved into the past is
    not sent late."""
    if now is not None and project.next_due_at is not None:
        ran = min(now, project.next_due_at - timedelta.resolution)
        if project.jobs_run_until is None or project.jobs_run_until < ran:
            project.jobs_run_until = ran
    project.next_due_at = None
    flag_modified(project, "next_due_at")  # written even if this copy already says None


def track_changes() -> None:
    """Keep every project's `next_due_at` true in every session of this process (idempotent)."""
    if not event.contains(Session, "before_flush", _reschedule_changed):
        event.listen(Session, "before_flush", _reschedule_changed)


def _reschedule_changed(session: Session, _context: Any, _instances: Any) -> None:
    """The one rule that keeps `next_due_at` true: any flush that changes a project's settings or
    a task's timing (added, deleted, status, due, Responsible) reschedules that project."""
    changed = {row.project_id for row in (*session.new, *session.deleted) if isinstance(row, Task)}
    for row in session.dirty:
        if isinstance(row, (Project, Task)) and _timing_changed(row):
            changed.add(saved_id(row) if isinstance(row, Project) else row.project_id)
    with session.no_autoflush:
        for project_id in changed:
            project = session.get(Project, project_id) if project_id is not None else None
            if project is not None and project not in session.deleted:
                _reschedule(project, session.info.get("now"))


def _active(env: Env) -> bool:
    """Individual reminders go out on alert days between the digest time and 21:00 local."""
    p = env.bound_project
    if not alert_calendar(p).is_working_day(env.today):
        return False
    return p.digest_time <= env.now.astimezone(env.tz).strftime("%H:%M") < QUIET_FROM
