"""The plan of a project: task rows and their dependencies through the CPM engine, and baselines.

`handlers.schedule` is the pure engine; this module is its one door to storage. It turns a
project's tasks and `TaskDependency` rows into `PlanTask`s, runs the engine over the project's
calendar, and turns an impossible plan (a cycle) into a `UserError` naming the cycle. Commands
that change the plan (`/task add|update`, `/milestone add`) call `check_plan` before they
commit, so a stored plan always schedules.

A task takes part in the plan with its `start:` (start-no-earlier-than), `dur:` (working days;
a task without one counts one day), `after:` (finish-to-start, with lag in working days),
`progress:` and its due date (a deadline). A done task finished on the local day it was closed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, col, delete, select

from handlers import permissions
from handlers.calendar import Calendar
from handlers.command import Command
from handlers.env import Env, UserError
from handlers.grammar import command
from handlers.replies import Button, Card, Color, Field, Reply, mention
from handlers.schedule import Dependency, PlanTask, Schedule, ScheduleError, TaskSchedule, compute_schedule
from handlers.views import STATUS_ICONS, fmt_date, fmt_datetime, list_card, task_line
from storage.models import TASK_IS_OPEN, Baseline, BaselineTask, Project, Task, TaskDependency, saved_id

__all__ = [
    "Plan",
    "baseline",
    "baseline_text",
    "behind_lines",
    "check_plan",
    "dependencies_text",
    "finish_text",
    "link",
    "load_plan",
    "milestone_line",
    "plan_fields",
    "plan_of",
    "planned_percent",
    "planning_projects",
    "predecessors_of",
    "schedule",
    "set_dependencies",
    "slip_days",
    "slip_text",
    "week_fields",
]


@dataclass(frozen=True)
class Plan:
    """A project's tasks by number, their predecessors, the computed schedule, and the current
    baseline (None when none was saved) with its planned dates by task number."""

    tasks: dict[int, Task]
    after: dict[int, tuple[Dependency, ...]]
    parents: frozenset[int]
    schedule: Schedule
    calendar: Calendar
    baseline: Baseline | None
    planned: dict[int, BaselineTask]

    @property
    def in_use(self) -> bool:
        """Whether the project plans at all (a start, a duration, a dependency or a milestone):
        only then do task cards show the computed dates."""
        return bool(self.after) or any(t.start_date or t.duration_days or t.milestone for t in self.tasks.values())

    def baseline_finish(self) -> date | None:
        return max((row.planned_finish for row in self.planned.values()), default=None)


def _local_day(moment: datetime | None, tz: ZoneInfo) -> date | None:
    return moment.astimezone(tz).date() if moment is not None else None


def _plan_task(task: Task, after: tuple[Dependency, ...], parent: int | None, tz: ZoneInfo) -> PlanTask:
    return PlanTask(
        number=task.number,
        duration=task.duration_days or 1,
        start=task.start_date,
        after=after,
        progress=task.progress,
        status=task.status,
        actual_finish=_local_day(task.closed_at, tz) if task.status == "done" else None,
        milestone=task.milestone,
        parent=parent,
        due=task.due_date,
    )


def _dependencies(session: Session, project_id: int, numbers: dict[int, int]) -> dict[int, tuple[Dependency, ...]]:
    """Predecessors by successor number, in the order they were given."""
    rows = session.exec(
        select(TaskDependency).where(TaskDependency.project_id == project_id).order_by(col(TaskDependency.id))
    )
    after: dict[int, list[Dependency]] = defaultdict(list)
    for row in rows:
        after[numbers[row.successor_id]].append(Dependency(numbers[row.predecessor_id], row.lag_days))
    return {number: tuple(deps) for number, deps in after.items()}


def load_plan(session: Session, project: Project, today: date) -> Plan:
    """The project's plan computed for `today` (raises ScheduleError when it does not schedule)."""
    project_id = saved_id(project)
    rows = list(session.exec(select(Task).where(Task.project_id == project_id).order_by(col(Task.number))))
    numbers = {saved_id(t): t.number for t in rows}
    after = _dependencies(session, project_id, numbers)
    tz, calendar = ZoneInfo(project.timezone), Calendar.of(project)
    plan_tasks = [
        _plan_task(t, after.get(t.number, ()), numbers.get(t.parent_id) if t.parent_id else None, tz) for t in rows
    ]
    baseline = session.exec(select(Baseline).where(Baseline.project_id == project_id)).first()
    planned = {}
    if baseline is not None:
        query = select(BaselineTask).where(BaselineTask.baseline_id == saved_id(baseline))
        planned = {row.task_number: row for row in session.exec(query)}
    return Plan(
        tasks={t.number: t for t in rows},
        after=after,
        parents=frozenset(p.parent for p in plan_tasks if p.parent is not None),
        schedule=compute_schedule(plan_tasks, today, calendar),
        calendar=calendar,
        baseline=baseline,
        planned=planned,
    )


def planning_projects(session: Session, project_ids: list[int]) -> set[int]:
    """Which of the projects plan (an open task with a start, a duration or a milestone flag, or
    any dependency), in one query through indexes: only theirs are worth loading."""
    if not project_ids:
        return set()
    planned = (
        select(Task.project_id)
        .where(
            col(Task.project_id).in_(project_ids),
            TASK_IS_OPEN,
            or_(col(Task.start_date).is_not(None), col(Task.duration_days).is_not(None), col(Task.milestone)),
        )
        .union(select(TaskDependency.project_id).where(col(TaskDependency.project_id).in_(project_ids)))
    )
    return set(session.execute(planned).scalars())


def plan_of(env: Env, usage: str) -> Plan:
    """The bound project's plan for today; a cycle is a UserError naming it (`#3 → #5 → #3`)."""
    env.session.flush()
    try:
        return load_plan(env.session, env.bound_project, env.today)
    except ScheduleError as exc:
        if exc.code == "schedule.cycle":
            raise UserError("error.dependency_cycle", usage, cycle=exc.detail["cycle"]) from None
        raise


def check_plan(env: Env, usage: str) -> None:
    """Refuse a change after which the plan no longer schedules (a dependency or parent loop)."""
    plan_of(env, usage)


def set_dependencies(env: Env, task: Task, after: tuple[Dependency, ...] | None, usage: str) -> None:
    """Make `after` the predecessors of `task` (None: none). A predecessor must be another task of
    the same project; a loop is refused by `check_plan` once every change is applied."""
    env.session.flush()  # a new task gets its id
    task_id = saved_id(task)
    env.session.execute(delete(TaskDependency).where(col(TaskDependency.successor_id) == task_id))
    for dep in after or ():
        if dep.predecessor == task.number:
            raise UserError("error.self_dependency", usage, ref=f"#{task.number}")
        predecessor = env.session.exec(
            select(Task).where(Task.project_id == task.project_id, Task.number == dep.predecessor)
        ).first()
        if predecessor is None:
            raise UserError("error.no_task", usage, ref=f"#{dep.predecessor}")
        link(env, task, predecessor, dep.lag, usage)


def link(env: Env, successor: Task, predecessor: Task, lag: int, usage: str) -> None:
    """Store one dependency: only between two tasks of one project."""
    if predecessor.project_id != successor.project_id:
        raise UserError("error.dependency_other_project", usage, ref=f"#{predecessor.number}")
    env.session.add(
        TaskDependency(
            project_id=successor.project_id,
            successor_id=saved_id(successor),
            predecessor_id=saved_id(predecessor),
            lag_days=lag,
        )
    )


def predecessors_of(env: Env, task: Task) -> tuple[Dependency, ...]:
    """The stored predecessors of one task, in the order they were given."""
    if task.id is None:
        return ()
    rows = env.session.exec(
        select(Task.number, TaskDependency.lag_days)
        .join(TaskDependency, col(TaskDependency.predecessor_id) == col(Task.id))
        .where(TaskDependency.successor_id == task.id)
        .order_by(col(TaskDependency.id))
    )
    return tuple(Dependency(number, lag) for number, lag in rows)


def dependencies_text(after: tuple[Dependency, ...]) -> str:
    """`#3, #4+2d`: predecessors as `after:` takes them."""
    return ", ".join(f"#{d.predecessor}" + (f"+{d.lag}d" if d.lag else "") for d in after)


# --- comparing with the baseline ---------------------------------------------------------------


def slip_days(calendar: Calendar, planned: date, forecast: date) -> int:
    """Working days from `planned` to `forecast`: positive when later, negative when earlier."""
    if forecast >= planned:
        return calendar.working_days_between(planned, forecast)
    return -calendar.working_days_between(forecast, planned)


def planned_percent(calendar: Calendar, row: BaselineTask, today: date) -> int:
    """How much of a task the baseline expects done by the start of `today`: the share of its
    planned working days before today (the linear plan)."""
    before_start = row.planned_start - timedelta(days=1)
    total = calendar.working_days_between(before_start, row.planned_finish)
    elapsed = calendar.working_days_between(before_start, min(today - timedelta(days=1), row.planned_finish))
    return 100 if total == 0 else max(0, min(100, elapsed * 100 // total))


def behind_plan(plan: Plan, number: int, today: date) -> int | None:
    """The planned percent of an open task whose progress is below it, else None."""
    task, row = plan.tasks[number], plan.planned.get(number)
    if row is None or task.status not in ("todo", "doing", "blocked"):
        return None
    expected = planned_percent(plan.calendar, row, today)
    return expected if plan.schedule.tasks[number].progress < expected else None


# --- how the plan looks ------------------------------------------------------------------------


def workdays(env: Env, n: int) -> str:
    return env.t("plan.workdays", n=n)


def slip_text(env: Env, n: int) -> str:
    """`+3 working days` late, `2 working days early`, or `on plan`."""
    if n > 0:
        return env.t("plan.late_by", days=workdays(env, n))
    if n < 0:
        return env.t("plan.early_by", days=workdays(env, -n))
    return env.t("plan.on_plan")


def span_text(env: Env, start: date, finish: date) -> str:
    return fmt_date(env, start) if start == finish else f"{fmt_date(env, start)} → {fmt_date(env, finish)}"


def forecast_text(env: Env, sched: TaskSchedule) -> str:
    """Early and late dates, float and the critical mark of one task."""
    text = env.t(
        "plan.forecast",
        early=span_text(env, sched.early_start, sched.early_finish),
        late=span_text(env, sched.late_start, sched.late_finish),
        float=workdays(env, sched.total_float),
    )
    return text + (" · " + env.t("plan.critical") if sched.critical else "")


def baseline_text(env: Env, plan: Plan, number: int) -> str | None:
    """A task's baseline dates and how far its forecast finish is from them."""
    row, sched = plan.planned.get(number), plan.schedule.tasks.get(number)
    if row is None:
        return None
    text = span_text(env, row.planned_start, row.planned_finish)
    if sched is None:
        return text
    return f"{text} ({slip_text(env, slip_days(plan.calendar, row.planned_finish, sched.early_finish))})"


def plan_fields(env: Env, task: Task) -> list[Field]:
    """The plan part of a task card: start, duration, predecessors, progress, and the computed
    dates, float and critical flag (rolled up from the sub-tasks for a parent). Nothing for a
    project that does not plan."""
    plan = plan_of(env, "task.show")
    if not plan.in_use:
        return []
    sched = plan.schedule.tasks.get(task.number)
    if task.milestone:
        length = env.t("plan.milestone")
    elif task.number in plan.parents and sched is not None:
        length = env.t("plan.rolled_up", days=workdays(env, sched.duration))
    else:
        length = workdays(env, task.duration_days or 1)
    progress = sched.progress if sched is not None else task.progress
    fields = [
        Field(env.t("field.start"), fmt_date(env, task.start_date) if task.start_date else "—"),
        Field(env.t("field.duration"), length),
        Field(env.t("field.after"), dependencies_text(plan.after.get(task.number, ())) or "—"),
        Field(env.t("field.progress"), f"{progress}%"),
    ]
    if sched is not None:
        fields.append(Field(env.t("field.forecast"), forecast_text(env, sched), short=False))
    planned = baseline_text(env, plan, task.number)
    if planned is not None:
        fields.append(Field(env.t("field.baseline"), planned, short=False))
    return fields


def milestone_line(env: Env, plan: Plan, number: int) -> str:
    """`◆ #8 Go-live · forecast Fri Jan 15 (2 working days late) · baseline Thu Jan 14 · @alice`."""
    task, sched = plan.tasks[number], plan.schedule.tasks.get(number)
    icon = STATUS_ICONS[task.status] if task.status in ("done", "cancelled") else "◆"
    parts = [f"{icon} #{number} {task.title}"]
    if sched is not None:
        when = fmt_date(env, sched.early_finish)
        slip = slip_days(plan.calendar, task.due_date, sched.early_finish) if task.due_date else 0
        if slip and task.status != "done":
            when += f" ({env.t('milestone.vs_date', slip=slip_text(env, slip))})"
        parts.append(env.t("milestone.forecast", date=when))
    planned = baseline_text(env, plan, number)
    if planned is not None:
        parts.append(env.t("milestone.baseline", date=planned))
    if task.accountable:
        parts.append(mention(task.accountable))
    return " · ".join(parts)


# --- commands ----------------------------------------------------------------------------------

CRITICAL_PATHS_SHOWN = 5
WEEKLY_LINES = 20  # lines per list in the weekly report, as its other lists


def _save_baseline(env: Env, plan: Plan) -> None:
    """The plan's early dates of every scheduled task become the project's one baseline."""
    baseline = plan.baseline
    if baseline is None:
        baseline = Baseline(
            workspace_id=env.workspace_id, project_id=env.project_id, saved_at=env.now, saved_by=env.user
        )
        env.session.add(baseline)
        env.session.flush()
    else:
        env.session.execute(delete(BaselineTask).where(col(BaselineTask.baseline_id) == saved_id(baseline)))
        baseline.saved_at, baseline.saved_by = env.now, env.user
    for task in plan.tasks.values():
        task.alerted_finish = None  # slips are measured against the new baseline (handlers.slips)
    for number, sched in plan.schedule.tasks.items():
        env.session.add(
            BaselineTask(
                baseline_id=saved_id(baseline),
                task_number=number,
                planned_start=sched.early_start,
                planned_finish=sched.early_finish,
            )
        )


def _baseline_card(env: Env, plan: Plan) -> Card:
    if plan.baseline is None:
        return Card(title=env.t("baseline.none_title"), text=env.t("baseline.none"), color="grey")
    finish = plan.baseline_finish()
    card = list_card(
        env,
        env.t(
            "baseline.title",
            saved=fmt_datetime(env, plan.baseline.saved_at),
            user=mention(plan.baseline.saved_by),
        ),
        [
            f"#{n} {plan.tasks[n].title} · {span_text(env, row.planned_start, row.planned_finish)}"
            for n, row in sorted(plan.planned.items())
            if n in plan.tasks
        ],
        env.t("task.list_empty"),
    )
    card.text = env.t("baseline.finish", date=fmt_date(env, finish)) if finish else ""
    return card


@command(
    "project",
    "baseline",
    ("基线",),
    args="filter",
    filters={"show": ("查看", "view"), "replace": ("替换", "覆盖", "overwrite")},
)
def baseline(env: Env, cmd: Command) -> Reply:
    """Save the plan as the baseline; `show` shows it; a second baseline replaces the first only
    when confirmed (the button runs `/project baseline replace`)."""
    usage = "project.baseline"
    plan = plan_of(env, usage)
    if cmd.choice == "show":
        return Reply(cards=[_baseline_card(env, plan)], visibility="ephemeral")
    permissions.check(env, "project.baseline", usage=usage)
    if plan.baseline is not None and cmd.choice != "replace":
        confirm = Card(
            title=env.t(
                "baseline.replace_title",
                saved=fmt_datetime(env, plan.baseline.saved_at),
                user=mention(plan.baseline.saved_by),
            ),
            text=env.t("baseline.replace_text"),
            color="yellow",
            buttons=[
                Button(env.t("button.replace_baseline"), "project", "baseline", ("replace",), style="danger"),
                Button(env.t("button.show_baseline"), "project", "baseline", ("show",)),
            ],
        )
        return Reply.ephemeral(cards=[confirm])
    replaced = plan.baseline is not None
    _save_baseline(env, plan)
    after = {"tasks": len(plan.schedule.tasks), "finish": plan.schedule.finish.isoformat()}
    env.audit("project", env.project_id, "baseline", None, after)
    plan = plan_of(env, usage)
    key = "baseline.replaced" if replaced else "baseline.saved"
    text = env.t(key, user=mention(env.user), count=len(plan.planned), date=fmt_date(env, plan.schedule.finish))
    return Reply(text=text, cards=[_baseline_card(env, plan)])


def finish_text(env: Env, plan: Plan) -> str:
    """The forecast finish, against the baseline and against the project's end date."""
    finish = plan.schedule.finish
    parts = [env.t("schedule.forecast", date=fmt_date(env, finish))]
    for key, target in (
        ("schedule.vs_baseline", plan.baseline_finish()),
        ("schedule.vs_end", env.bound_project.end_date),
    ):
        if target is not None:
            slip = slip_text(env, slip_days(plan.calendar, target, finish))
            parts.append(env.t(key, date=fmt_date(env, target), slip=slip))
    return "\n".join(parts)


def _open(plan: Plan) -> list[int]:
    return [n for n, t in plan.tasks.items() if t.status in ("todo", "doing", "blocked") and n in plan.schedule.tasks]


def _milestone_lines(env: Env, plan: Plan) -> list[str]:
    return [milestone_line(env, plan, n) for n, t in plan.tasks.items() if t.milestone]


def behind_lines(env: Env, plan: Plan) -> list[str]:
    """`#1 Design · 30% done, plan 100%`: each open task whose progress is below the linear plan."""
    lines = []
    for n in _open(plan):
        expected = behind_plan(plan, n, env.today)
        if expected is not None:
            done = plan.schedule.tasks[n].progress
            lines.append(
                env.t("schedule.behind_line", ref=f"#{n}", title=plan.tasks[n].title, done=done, plan=expected)
            )
    return lines


def week_fields(env: Env, plan: Plan, week: tuple[date, date]) -> list[Field]:
    """The weekly report's plan section: the forecast finish against the baseline and the end
    date, the milestones, the critical tasks due (or forecast to finish) in `week` (first and
    last day), and the tasks behind plan. Nothing for a project that does not plan."""
    if not plan.in_use:
        return []
    critical = [
        n
        for n in _open(plan)
        if plan.schedule.tasks[n].critical
        and week[0] <= (plan.tasks[n].due_date or plan.schedule.tasks[n].early_finish) <= week[1]
    ]
    behind, shown = behind_lines(env, plan), WEEKLY_LINES
    return [
        Field(env.t("sched.plan"), finish_text(env, plan), short=False),
        Field(env.t("schedule.milestones"), "\n".join(_milestone_lines(env, plan)[:shown]) or "—", short=False),
        Field(
            env.t("sched.critical_next_week", count=len(critical)),
            "\n".join(task_line(env, plan.tasks[n]) for n in critical[:shown]) or "—",
            short=False,
        ),
        Field(env.t("schedule.behind", count=len(behind)), "\n".join(behind[:shown]) or "—", short=False),
    ]


@command("project", "schedule", ("进度", "计划", "排期", "gantt", "plan"))
def schedule(env: Env, cmd: Command) -> Reply:
    """The forecast against the baseline and the end date, the critical paths, milestones, tasks
    behind the linear plan, and the float of every open task (a long list is cut like others)."""
    plan = plan_of(env, "project.schedule")
    paths = plan.schedule.critical_paths
    path_lines = [" → ".join(f"#{n}" for n in path) for path in paths[:CRITICAL_PATHS_SHOWN]]
    if len(paths) > CRITICAL_PATHS_SHOWN:
        path_lines.append(env.t("list.more", count=len(paths) - CRITICAL_PATHS_SHOWN))
    milestones = _milestone_lines(env, plan)
    behind = behind_lines(env, plan)
    summary = Card(
        title=env.t("schedule.title", name=env.bound_project.name, date=fmt_date(env, env.today)),
        text=finish_text(env, plan),
        color=_schedule_color(env, plan, behind),
        fields=[
            Field(env.t("schedule.critical"), "\n".join(path_lines) or "—", short=False),
            Field(env.t("schedule.milestones"), "\n".join(milestones) or "—", short=False),
            Field(
                env.t("schedule.behind", count=len(behind)),
                "\n".join(behind) or ("—" if plan.baseline else env.t("schedule.no_baseline")),
                short=False,
            ),
        ],
    )
    floats = sorted(_open(plan), key=lambda n: (plan.schedule.tasks[n].total_float, n))
    float_card = list_card(
        env,
        env.t("schedule.float_title", count=len(floats)),
        [_float_line(env, plan, n) for n in floats],
        env.t("task.list_empty"),
    )
    return Reply(cards=[summary, float_card])


def _float_line(env: Env, plan: Plan, number: int) -> str:
    sched = plan.schedule.tasks[number]
    line = f"#{number} {plan.tasks[number].title} · {env.t('schedule.float', float=workdays(env, sched.total_float))}"
    return line + (" · " + env.t("plan.critical") if sched.critical else "")


def _schedule_color(env: Env, plan: Plan, behind: list[str]) -> Color:
    """Red when the forecast misses the project's end or a milestone's date, yellow when it is
    behind the baseline or tasks are behind plan, green otherwise."""
    finish, end = plan.schedule.finish, env.bound_project.end_date
    missed = [
        n
        for n, t in plan.tasks.items()
        if t.milestone and t.due_date and n in plan.schedule.tasks and plan.schedule.tasks[n].early_finish > t.due_date
    ]
    if (end is not None and finish > end) or missed:
        return "red"
    planned = plan.baseline_finish()
    return "yellow" if behind or (planned is not None and finish > planned) else "green"
