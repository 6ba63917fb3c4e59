"""When the scheduler speaks: every job is derived from the project's settings in the database.

`occurrences(project, start, end)` lists the scheduled instants in (start, end]: standup
prompt, reminder and summary on standup days; the overdue digest on the alert calendar's days
(working days, or every day with `holiday_alerts:on`); the weekly report on its day or, when that
is a day off, on the last working day before. `due_now(env)` is what fell due since the
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

A tick runs its due projects in batches (`run_batch`): what the jobs read is loaded for the whole
batch in one query per kind — members, open tasks past due (the partial index ix_task_open_due),
open tasks a due-soon reminder may be for (tasks as plain rows, `TaskRow`), risks due for review,
who does the work where a standup prompt or reminder is due — the replies are built in
Python, and every message of the batch is queued in one batched insert (`queue_many`). So the
09:00 tick, when every project's digest falls due, costs a few statements per batch, not a few
dozen per project. When anything in a batch fails, its projects are run again one at a time,
each in a savepoint, so one broken project does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, event, inspect, update
from sqlalchemy import select as select_rows
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session as ModelSession
from sqlmodel import col, select

from handlers import reminders, slips
from handlers.calendar import is_standup_day
from handlers.env import Env
from handlers.notify import queue_many
from handlers.reminders import (
    QUIET_FROM,
    TASK_ROW,
    TaskRow,
    Visit,
    alert_calendar,
    due_soon_from,
    due_soon_horizon,
    due_soon_reach,
    is_due_soon_candidate,
    is_report_day,
    local_instant,
)
from handlers.risks import OPEN_RISK
from handlers.standups import doing_the_work
from handlers.views import due_end, is_overdue
from storage.models import TASK_IS_OPEN, Member, Project, Risk, Task, saved_id

__all__ = ["KINDS", "Occurrence", "due_now", "next_due", "occurrences", "run_batch", "run_due", "track_changes"]

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=5)
# A project is visited at least this often even with nothing due (a long run of days off).
MAX_QUIET = timedelta(days=8)
# Project columns that are the scheduler's bookkeeping, not settings that decide when jobs run.
_BOOKKEEPING = frozenset({"jobs_run_until", "next_due_at", "next_task_number", "next_risk_number", "next_retro_number"})
# Task columns that decide whether and when a due-soon reminder goes.
_TASK_TIMING = ("status", "due_date", "due_at", "responsible", "project_id")
# Overdue tasks are read by due day up to this far after today (as handlers.tasks does: a due
# time already past on a later local day only after a change of time zone).
OVERDUE_SLACK = timedelta(days=2)
IDS_PER_UPDATE = 5_000
# The jobs that ask who takes part in a standup.
_ASKS_PARTICIPANTS = ("standup_prompt", "standup_reminder")


@dataclass(frozen=True)
class Kind:
    name: str
    run: Callable[[Visit, date, bool], None]
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


def due_now(env: Env) -> list[Occurrence]:
    """What falls due for env.project since its jobs last ran, up to env.now: each kind's latest
    occurrence, if within its grace window (older ones are skipped, never replayed)."""
    p, now = env.bound_project, env.now
    # A project created at 09:30:00 still gets that 09:30 prompt: only a time strictly before it is past.
    since = max(p.jobs_run_until or p.created_at - timedelta.resolution, now - max(k.grace for k in KINDS.values()))
    latest: dict[str, Occurrence] = {}
    for occ in occurrences(p, since, now):
        latest[occ.kind] = occ
    return [occ for occ in latest.values() if now - occ.at <= KINDS[occ.kind].grace]


def run_due(visit: Visit, due: list[Occurrence], upcoming: datetime) -> None:
    """Run the jobs `due` for the visited project (queued in `visit`), its due-soon reminders,
    and store how far its jobs ran and when it is next due (`upcoming`: see `_upcoming`)."""
    env = visit.env
    p, now = env.bound_project, env.now
    for occ in due:
        KINDS[occ.kind].run(visit, occ.day, now - occ.at > LATE_AFTER)
    if _active(env):
        reminders.due_soon(visit)
    if p.jobs_run_until is None or p.jobs_run_until < now:
        p.jobs_run_until = now
    p.next_due_at = next_due(visit, upcoming)


def run_batch(session: ModelSession, envs: list[Env], *, isolate: bool = False) -> None:
    """Run what is due in the projects of `envs` (one tick, one session): loaded together, their
    messages queued together. With `isolate`, one project at a time, each in a savepoint, so a
    failing project is logged and rolled back and the others still run."""
    if isolate:
        for env in envs:
            try:
                with session.begin_nested():
                    run_batch(session, [env])
            except Exception:  # one broken project must not stop the others
                log.exception("scheduled jobs of project %s failed", env.project_id)
        return
    visits = [_Planned(Visit(env), due_now(env), _upcoming(env)) for env in envs]
    _load(session, visits)
    for planned in visits:
        run_due(planned.visit, planned.due, planned.upcoming)
    # At the digest, slips: forecasts of unfinished work move with today.
    slips.daily(session, [p.visit for p in visits if any(o.kind == "digest" for o in p.due)])
    _queue(session, [planned.visit for planned in visits])


def _upcoming(env: Env) -> datetime:
    """The project's next job occurrence after now, at most MAX_QUIET away."""
    now = env.now
    upcoming = occurrences(env.bound_project, now, now + MAX_QUIET)
    return min([now + MAX_QUIET, *(o.at for o in upcoming[:1])])


def next_due(visit: Visit, upcoming: datetime) -> datetime:
    """When this project next has something to do after env.now: its next job occurrence
    (`upcoming`) or due-soon reminder (a reminder whose window is open outside the alert hours
    waits for the next digest time, itself an occurrence), at most MAX_QUIET away. The visit's
    due-soon candidates are those whose reminder may go by `upcoming` (`due_soon_reach`)."""
    env = visit.env
    now = env.now
    instants = [upcoming]
    for task in visit.soon:
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


# --- one batch: loaded in one query per kind, queued in one insert --------------------------


@dataclass(frozen=True)
class _Planned:
    visit: Visit
    due: list[Occurrence]
    upcoming: datetime


def _load(session: ModelSession, visits: list[_Planned]) -> None:
    """Fill each visit with what its jobs read, in one query per kind for the whole batch: the
    members; open tasks past due and risks due for review (where the digest is due); the open
    tasks whose due-soon reminder may go before the project's next job."""
    everyone = [planned.visit for planned in visits]
    digest = [planned.visit for planned in visits if any(o.kind == "digest" for o in planned.due)]
    members = _by_project(session.exec(select(Member).where(_in(Member.project_id, everyone)).order_by(col(Member.id))))
    for visit in everyone:
        visit.members = members.get(visit.env.project_id, [])
    if digest:
        last = max(v.env.today for v in digest) + OVERDUE_SLACK
        query = select_rows(*TASK_ROW).where(_in(Task.project_id, digest), TASK_IS_OPEN, col(Task.due_date) <= last)
        tasks = _task_rows(session, query)
        risks = select(Risk).where(
            _in(Risk.project_id, digest),
            col(Risk.status).in_(OPEN_RISK),
            col(Risk.review_date) <= max(v.env.today for v in digest),
        )
        reviews = _by_project(session.exec(risks.order_by(col(Risk.id))))
        for visit in digest:
            env = visit.env
            visit.overdue = [
                t
                for t in tasks.get(env.project_id, [])
                if _due_day(t) <= env.today + OVERDUE_SLACK and is_overdue(env, t)
            ]
            visit.risks = reviews.get(env.project_id, [])
    _load_doing(session, [p for p in visits if any(o.kind in _ASKS_PARTICIPANTS for o in p.due)])
    spans = {
        p.visit.env.project_id: (due_soon_horizon(p.visit.env)[0], due_soon_reach(p.visit.env, p.upcoming))
        for p in visits
    }
    soon = select_rows(*TASK_ROW).where(
        _in(Task.project_id, everyone),
        TASK_IS_OPEN,
        col(Task.responsible).is_not(None),
        col(Task.due_date) >= min(since for since, _ in spans.values()),
        col(Task.due_date) <= max(through for _, through in spans.values()),
    )
    candidates = _task_rows(session, soon)
    for visit in everyone:
        since, through = spans[visit.env.project_id]
        visit.soon = [
            t
            for t in candidates.get(visit.env.project_id, [])
            if since <= _due_day(t) <= through and is_due_soon_candidate(visit.env, t)
        ]


def _task_rows(session: ModelSession, query: Select[Any]) -> dict[int, list[TaskRow]]:
    """The tasks of `query` as plain rows, by project and number."""
    ordered = query.order_by(col(Task.project_id), col(Task.number))
    return _by_project(TaskRow(*row) for row in session.execute(ordered))


def _load_doing(session: ModelSession, visits: list[_Planned]) -> None:
    """Who does the work (`handlers.standups.doing_the_work`, the one rule) in each project whose
    standup prompt or reminder is due, for its standup day: two queries for the whole batch."""
    days = {p.visit.env.project_id: {o.day for o in p.due if o.kind in _ASKS_PARTICIPANTS} for p in visits}
    doing = doing_the_work(session, days)
    for planned in visits:
        for day in days[planned.visit.env.project_id]:
            planned.visit.doing[day] = doing[(planned.visit.env.project_id, day)]


def _in(column: Any, visits: list[Visit]) -> Any:
    return col(column).in_([visit.env.project_id for visit in visits])


def _due_day(task: TaskRow) -> date:
    return task.due_date or date.max


class _InProject(Protocol):
    @property
    def project_id(self) -> int: ...


_Row = TypeVar("_Row", bound=_InProject)


def _by_project(rows: Iterable[_Row]) -> dict[int, list[_Row]]:
    grouped: dict[int, list[_Row]] = {}
    for row in rows:
        grouped.setdefault(row.project_id, []).append(row)
    return grouped


def _queue(session: ModelSession, visits: list[Visit]) -> None:
    """Queue every message of the visits in one batched insert; then, for each one queued now
    (not before), what follows from it, and the tasks' stamps in one statement per column."""
    queued = queue_many(session, [out.message for visit in visits for out in visit.outgoing])
    for visit in visits:
        for out in visit.outgoing:
            key = out.message.stored_key
            if key in queued:
                queued.discard(key)  # a key repeated in the batch: only its first message was queued
                if out.then is not None:
                    out.then()
    stamps: dict[tuple[str, datetime], list[int]] = {}
    for visit in visits:
        for column, ids in visit.stamps.items():
            stamps.setdefault((column, visit.env.now), []).extend(ids)
    for (column, now), ids in stamps.items():
        for start in range(0, len(ids), IDS_PER_UPDATE):
            chunk = ids[start : start + IDS_PER_UPDATE]
            statement = update(Task).where(col(Task.id).in_(chunk)).values({column: now})
            session.execute(statement.execution_options(synchronize_session=False))
