"""Slip alerts and milestones at risk (issue 11): who must know when the plan's forecast moves.

A task *slips* when its forecast finish (the engine's early finish) passes its due date, or
passes the planned start of a successor (its baseline start, else its `start:`) once the lag is
counted, or, for a milestone, its baseline date. Then the people of the affected work are told
by DM through the outbox what moved, by how many working days and why: the Responsible and the
Accountable of the task and of each successor it pushes, in one DM per person
("#7 Test forecast Tue Mar 3, 3 working day(s) after its due (Fri Feb 27), because #1 Design
slipped"). The cause is found along the driving chain: the predecessor whose finish sets the
task's start, and so on back while that predecessor slipped too (finished later than its
baseline, or than its due without one); the first one that slipped is named. A milestone at
risk goes, as its own DM, to its Accountable and the project admins as well.

Once per new forecast: `Task.alerted_finish` keeps the latest forecast finish alerted about, and
an alert goes only for a later one. So a forecast moving back and forth (a task's progress
edited up and down) alerts once; it alerts again only when it goes later than ever alerted. A
new due date (of that task) or a new baseline starts over: what was told was measured against
the old one. The outbox key names the tasks, forecasts and dates passed as a second guard.

Tasks already past their due are the overdue digest's (handlers/reminders.py), not slips: their
forecast moves with every day. Someone away is covered as everywhere else (`recipients`: the
Accountable, else the admins, "on behalf of" them).

When: after every command that changes the plan, in its transaction (`after_command`, which the
command layer calls; `track_plan_changes` notes which flushes touched a plan), and once a day at
the digest time (`daily`), since the forecast of work not yet done moves with today.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlmodel import Session as ModelSession
from sqlmodel import col, select

from handlers.env import Env
from handlers.notify import queue_many
from handlers.planning import Plan, load_plan, planning_projects, slip_days, workdays

# The scheduler's DM machinery, so slips reach people (and cover those away) as reminders do.
from handlers.reminders import Ask, Visit, _by_recipient, _lines, _send
from handlers.replies import Card, Color, Reply
from handlers.views import fmt_date
from storage.models import Member, Task, TaskDependency

__all__ = ["Slip", "after_command", "daily", "slips", "track_plan_changes"]

_OPEN = ("todo", "doing", "blocked")
# Task columns the forecast depends on; a flush changing one of them (or adding or deleting a
# task or a dependency) changes the plan. A new baseline does not: it is the forecast itself.
_PLAN_COLUMNS = ("status", "due_date", "start_date", "duration_days", "progress", "milestone", "parent_id")
KEY_ROOM = 120  # of the outbox key's 200 characters, what the list of slips may take
_CHANGED = "plan_changed"  # session.info: ids of the projects whose plan a flush changed


@dataclass(frozen=True)
class Slip:
    """Task `number` is forecast to finish on `forecast`, `days` working days past `what`
    ("due", "baseline", or "start" of task `successor`, planned on `target`); `pushed` are the
    successors whose planned start it passes; `cause` the first task that slipped on its
    driving chain (itself when its own work runs late)."""

    number: int
    forecast: date
    days: int
    what: str
    target: date
    successor: int | None
    pushed: tuple[int, ...]
    cause: int


# --- what slipped ------------------------------------------------------------------------------


def _successors(plan: Plan) -> dict[int, list[tuple[int, int]]]:
    """(successor, lag) by predecessor number."""
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for successor, deps in plan.after.items():
        for dep in deps:
            out[dep.predecessor].append((successor, dep.lag))
    return out


def _allowed(plan: Plan, predecessor: int, successor: int, lag: int) -> date:
    """The earliest date `successor` can happen on after `predecessor`'s forecast finish: its
    first day (a milestone: its day, at the end of a working day)."""
    finish = plan.schedule.tasks[predecessor].early_finish
    return plan.calendar.add_working_days(finish, lag + (0 if plan.tasks[successor].milestone else 1))


def _planned_start(plan: Plan, number: int) -> date | None:
    row = plan.planned.get(number)
    return row.planned_start if row is not None else plan.tasks[number].start_date


def _slipped(plan: Plan, number: int) -> bool:
    """Whether a task finishes (or is forecast to) later than its baseline, or its due without one."""
    row, sched = plan.planned.get(number), plan.schedule.tasks.get(number)
    target = row.planned_finish if row is not None else plan.tasks[number].due_date
    return sched is not None and target is not None and sched.early_finish > target


def _driver(plan: Plan, number: int) -> int | None:
    """The predecessor whose forecast finish sets this task's start (None when none does: a
    done or started task, or one held by today or its `start:`)."""
    task, sched = plan.tasks[number], plan.schedule.tasks[number]
    if task.status in ("doing", "done") or (task.progress > 0 and not task.milestone):
        return None
    first = sched.early_finish if task.milestone else sched.early_start
    for dep in plan.after.get(number, ()):
        if dep.predecessor in plan.schedule.tasks and _allowed(plan, dep.predecessor, number, dep.lag) == first:
            return dep.predecessor
    return None


def _cause(plan: Plan, number: int) -> int:
    """Back along the driving chain while the predecessor slipped: the first that slipped."""
    seen = {number}
    while (driver := _driver(plan, number)) is not None and _slipped(plan, driver) and driver not in seen:
        seen.add(driver)
        number = driver
    return number


def _lateness(plan: Plan, number: int, after: list[tuple[int, int]]) -> list[tuple[int, str, date, int | None]]:
    """Each way the task's forecast is late: (working days, what, its date, the successor)."""
    task, forecast, calendar = plan.tasks[number], plan.schedule.tasks[number].early_finish, plan.calendar
    found: list[tuple[int, str, date, int | None]] = []
    if task.due_date is not None and forecast > task.due_date:
        found.append((slip_days(calendar, task.due_date, forecast), "due", task.due_date, None))
    row = plan.planned.get(number)
    if task.milestone and row is not None and forecast > row.planned_finish:
        found.append((slip_days(calendar, row.planned_finish, forecast), "baseline", row.planned_finish, None))
    for successor, lag in after:
        planned = _planned_start(plan, successor) if successor in plan.schedule.tasks else None
        if planned is not None and plan.tasks[successor].status in _OPEN:
            allowed = _allowed(plan, number, successor, lag)
            if allowed > planned:
                found.append((slip_days(calendar, planned, allowed), "start", planned, successor))
    return found


def slips(plan: Plan, today: date) -> list[Slip]:
    """The open tasks whose forecast is late now, not yet past their due (the digest's), with
    a forecast later than the last alerted about."""
    successors = _successors(plan)
    found = []
    for number, task in plan.tasks.items():
        if task.status not in _OPEN or number not in plan.schedule.tasks or number in plan.parents:
            continue
        if task.due_date is not None and task.due_date < today:
            continue
        forecast = plan.schedule.tasks[number].early_finish
        if task.alerted_finish is not None and forecast <= task.alerted_finish:
            continue
        late = _lateness(plan, number, successors.get(number, []))
        if late:
            # Its own date first (due, a milestone's baseline), else the successor pushed most.
            days, what, target, successor = late[0] if late[0][1] != "start" else max(late, key=lambda x: x[0])
            pushed = tuple(dict.fromkeys(s for _, w, _, s in late if w == "start" and s is not None))
            found.append(Slip(number, forecast, days, what, target, successor, pushed, _cause(plan, number)))
    return found


# --- who is told -------------------------------------------------------------------------------


def _line(env: Env, plan: Plan, slip: Slip) -> str:
    task = plan.tasks[slip.number]
    values: dict[str, Any] = {
        "ref": f"#{slip.number}",
        "title": task.title,
        "date": fmt_date(env, slip.forecast),
        "days": workdays(env, slip.days),
        "target": fmt_date(env, slip.target),
    }
    if slip.successor is not None:
        values["next"] = f"#{slip.successor} {plan.tasks[slip.successor].title}"
    line = env.t(f"slip.line_{slip.what}", **values)
    if slip.cause == slip.number:
        started = task.status == "doing" or task.progress > 0
        return line + env.t("slip.because_own" if started else "slip.because_not_started")
    return line + env.t("slip.because", ref=f"#{slip.cause}", title=plan.tasks[slip.cause].title)


def _asks(visit: Visit, plan: Plan, slip: Slip, line: str) -> list[Ask]:
    """The Responsible and Accountable of the task and of the successors it pushes; for a
    milestone, the admins too."""
    asks = []
    for number in (slip.number, *slip.pushed):
        task = plan.tasks[number]
        if task.responsible:
            asks.append(Ask(task.responsible, line, task.accountable))
        if task.accountable:
            asks.append(Ask(task.accountable, line))
    if plan.tasks[slip.number].milestone:
        asks += [Ask(admin, line) for admin in visit.admins()]
    return asks


def _tell(visit: Visit, key: str, title: str, color: Color, asks: list[Ask]) -> None:
    """One DM per recipient with their lines (each once), "on behalf of" those away."""
    env = visit.env
    away = visit.away(env.today)
    for user, mine in _by_recipient(visit, away, asks).items():
        unique: dict[str, Ask] = {}
        for ask in mine:  # a line about two of a person's tasks, once
            unique.setdefault(ask.line, ask)
        card = Card(title=title, color=color, lines=_lines(env, away, user, list(unique.values())))
        _send(visit, f"{key}:{user}", "dm", user, Reply(cards=[card]))


def _key(prefix: str, plan: Plan, found: list[Slip]) -> str:
    """`slip:{project}:{task id}@{forecast}>{date it passes},…` (a digest of that list when it is
    long): the outbox's guard against the same alert twice; a new due or baseline is a new key."""
    moved = ",".join(f"{plan.tasks[s.number].id}@{s.forecast.isoformat()}>{s.target.isoformat()}" for s in found)
    if len(moved) > KEY_ROOM:
        moved = hashlib.sha256(moved.encode()).hexdigest()
    return f"{prefix}:{moved}"


def alert(visit: Visit, plan: Plan) -> None:
    """Queue (in `visit`) the alerts for every new slip of the plan, and note their forecasts."""
    env = visit.env
    found = slips(plan, env.today)
    if not found:
        return
    tasks: list[Slip] = []
    for slip in found:
        task = plan.tasks[slip.number]
        task.alerted_finish = slip.forecast
        if not task.milestone:
            tasks.append(slip)
            continue
        title = env.t("slip.milestone_title", ref=f"#{slip.number}", title=task.title)
        key = _key(f"milestone-risk:{env.project_id}", plan, [slip])
        _tell(visit, key, title, "red", _asks(visit, plan, slip, _line(env, plan, slip)))
    if tasks:
        asks = [ask for slip in tasks for ask in _asks(visit, plan, slip, _line(env, plan, slip))]
        title = env.t("slip.title", name=env.bound_project.name)
        _tell(visit, _key(f"slip:{env.project_id}", plan, tasks), title, "orange", asks)


def _check(visit: Visit) -> None:
    plan = load_plan(visit.env.session, visit.env.bound_project, visit.env.today)
    if plan.in_use:
        alert(visit, plan)


def daily(session: ModelSession, visits: list[Visit]) -> None:
    """The digest-time check of a batch of projects: forecasts of work not done yet move with
    today. Only the plans of the projects that plan (`planning_projects`, one query) are loaded."""
    planning = planning_projects(session, [visit.env.project_id for visit in visits])
    for visit in visits:
        if visit.env.project_id in planning:
            _check(visit)


# --- after a command ---------------------------------------------------------------------------


def after_command(env: Env) -> None:
    """Alert about the slips a command's changes made, in its transaction (nothing to do when it
    changed no plan)."""
    if env.project is None:
        return
    env.session.flush()
    changed: set[int] = env.session.info.get(_CHANGED, set())
    if env.project_id not in changed:
        return
    changed.discard(env.project_id)
    members = env.session.exec(select(Member).where(Member.project_id == env.project_id).order_by(col(Member.id)))
    visit = Visit(env, members=list(members))
    _check(visit)
    queue_many(env.session, [out.message for out in visit.outgoing])


def track_plan_changes() -> None:
    """Note, in every session of this process, which projects' plans a flush changed (idempotent)."""
    if not event.contains(Session, "before_flush", _note_plan_changes):
        event.listen(Session, "before_flush", _note_plan_changes)


def _note_plan_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Note the projects whose plan this flush changes; a task given a new due starts over (what
    was alerted was measured against the old one; a new baseline starts over in
    `planning.baseline`)."""
    changed: set[int] = session.info.setdefault(_CHANGED, set())
    for row in (*session.new, *session.deleted):
        if isinstance(row, (Task, TaskDependency)):
            changed.add(row.project_id)
    for row in session.dirty:
        if isinstance(row, Task) and any(inspect(row).attrs[key].history.has_changes() for key in _PLAN_COLUMNS):
            changed.add(row.project_id)
            if inspect(row).attrs["due_date"].history.has_changes():
                row.alerted_finish = None
