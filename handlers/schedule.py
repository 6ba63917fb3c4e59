"""The scheduling engine: critical path method (CPM) over a project's working calendar.

Pure domain code: plain dataclasses in, plain dataclasses out, no database. The command layer
turns task rows into `PlanTask`s and a `ScheduleError` into a `UserError`.

How time is counted. Working days of the `Calendar` are numbered 0, 1, 2, ... from the earliest
date the plan mentions; a task occupies the working days [start, finish) of that numbering, so
`early_finish - early_start` is its duration and a finish-to-start dependency with lag L means
"the successor starts no earlier than L working days after the predecessor's last day". Dates
are shown as the first and the last working day a task occupies. A milestone takes no time and
happens at the end of a working day: after a task finishing on a Friday, it is on that Friday,
and its successors start on Monday.

What drives a date:
- a task not started yet starts no earlier than today, its `start:` (start-no-earlier-than) and
  the finish (plus lag) of each predecessor;
- a started task (progress above 0, status doing, or an actual start) is no longer driven by its
  predecessors: it started on its actual start (or today, or its `start:` if earlier) and its
  remaining work, ceil(duration x (1 - progress)), runs from today;
- a done task keeps its actual dates;
- a parent task is a summary: its `start:` and predecessors apply to all its children, its
  successors wait for all of them, and its dates, duration and duration-weighted progress are
  rolled up from them;
- a cancelled task takes no part: dependencies on it are dropped, its children belong to its
  nearest scheduled ancestor.

The backward pass runs from the forecast finish and from each task's due date (a deadline), so
total float goes negative only where a due date is missed. A task is critical when it is not done
and its total float is zero or less; the critical paths are the chains of critical tasks where
each one's start is driven by the previous one's finish.

The graph work (topological order, cycle detection) is the standard library's `graphlib`; the
forward and backward passes are written over its order.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from graphlib import CycleError, TopologicalSorter
from typing import Any, Literal

from handlers.calendar import Calendar

__all__ = [
    "MAX_CRITICAL_PATHS",
    "Dependency",
    "PlanTask",
    "Schedule",
    "ScheduleError",
    "TaskSchedule",
    "compute_schedule",
]

# Parallel critical paths can multiply (a lattice of n equal chains has 2^n paths); list this many.
MAX_CRITICAL_PATHS = 100
_STARTED_STATUSES = ("doing",)


class ScheduleError(ValueError):
    """A plan that cannot be scheduled: `code` names the problem for the message catalogue,
    `detail` carries the values to show (the cycle, the unknown task)."""

    def __init__(self, code: str, **detail: Any) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Dependency:
    """Finish-to-start: this task starts `lag` working days after `predecessor` finishes."""

    predecessor: int
    lag: int = 0


@dataclass(frozen=True)
class PlanTask:
    """One task as the engine needs it. `duration` is in working days and is ignored for
    milestones (0) and for parents (rolled up); `start` is start-no-earlier-than; `due` is a
    deadline for the backward pass; `progress` is 0-100."""

    number: int
    duration: int = 1
    start: date | None = None
    after: tuple[Dependency, ...] = ()
    progress: int = 0
    status: str = "todo"
    actual_start: date | None = None
    actual_finish: date | None = None
    milestone: bool = False
    parent: int | None = None
    due: date | None = None

    @property
    def done(self) -> bool:
        return self.status == "done"

    @property
    def started(self) -> bool:
        """In progress: work has begun and is not finished, so predecessors no longer drive it."""
        if self.done or self.milestone:
            return False
        return self.progress > 0 or self.status in _STARTED_STATUSES or self.actual_start is not None


@dataclass(frozen=True)
class TaskSchedule:
    """The computed schedule of one task. `early_finish` is the forecast finish; `duration` is
    the working days from early start to early finish; float is in working days."""

    number: int
    early_start: date
    early_finish: date
    late_start: date
    late_finish: date
    total_float: int
    critical: bool
    duration: int
    progress: int
    milestone: bool


@dataclass(frozen=True)
class Schedule:
    """The whole project's schedule: per task, the critical paths (task numbers in order, at
    most `MAX_CRITICAL_PATHS` of them), and the project's start, forecast finish and length."""

    tasks: dict[int, TaskSchedule]
    critical_paths: tuple[tuple[int, ...], ...]
    start: date
    finish: date
    duration: int


# --- the working-day numbering -----------------------------------------------------------------


class _Days:
    """Working days of a calendar numbered from `origin` (index 0), extended on demand both ways,
    so every date <-> index conversion is a list lookup or a bisection, not a calendar walk."""

    def __init__(self, calendar: Calendar, origin: date) -> None:
        self._calendar = calendar
        self._after = [calendar.on_or_after(origin)]  # index 0, 1, 2, ...
        self._before: list[date] = []  # index -1, -2, ...

    def _grow(self) -> None:
        self._after.append(self._calendar.next_working_day(self._after[-1]))

    def _reach(self, day: date) -> None:
        while self._after[-1] < day:
            self._grow()

    def starting(self, day: date) -> int:
        """Index of the first working day on or after `day` (a start date)."""
        self._reach(day)
        return bisect_left(self._after, day)

    def ending(self, day: date) -> int:
        """Index just past the last working day on or before `day` (a finish date)."""
        self._reach(day)
        return bisect_right(self._after, day)

    def day(self, index: int) -> date:
        while index >= len(self._after):
            self._grow()
        if index >= 0:
            return self._after[index]
        while -index > len(self._before):
            last = self._before[-1] if self._before else self._after[0]
            self._before.append(self._calendar.previous_working_day(last))
        return self._before[-index - 1]


# --- the network -------------------------------------------------------------------------------

_Kind = Literal["task", "begin", "end"]
_Node = tuple[_Kind, int]  # a task, or the begin/end event of a parent task


@dataclass
class _Slot:
    """One node of the network and its passes, in working-day indices."""

    duration: int = 0
    floor: int = 0  # no earlier than (today, start:)
    fixed: tuple[int, int] | None = None  # (start, finish) not driven by predecessors
    deadline: int | None = None
    done: bool = False
    es: int = 0
    ef: int = 0
    ls: int = 0
    lf: int = 0
    preds: list[tuple[_Node, int]] = field(default_factory=list)
    succs: list[tuple[_Node, int]] = field(default_factory=list)

    @property
    def total_float(self) -> int:
        return self.lf - self.ef


def _scheduled_parent(every: dict[int, PlanTask], number: int) -> int | None:
    """A task's nearest ancestor that is not cancelled (None: a top-level task)."""
    parent, seen = every[number].parent, {number}
    while parent is not None and every[parent].status == "cancelled" and parent not in seen:
        seen.add(parent)
        parent = every[parent].parent
    return parent


def _check_references(tasks: Sequence[PlanTask]) -> dict[int, PlanTask]:
    by_number: dict[int, PlanTask] = {}
    for task in tasks:
        if task.number in by_number:
            raise ScheduleError("schedule.duplicate_task", task=f"#{task.number}")
        by_number[task.number] = task
    for task in tasks:
        if task.parent is not None and task.parent not in by_number:
            raise ScheduleError("schedule.unknown_parent", task=f"#{task.number}", parent=f"#{task.parent}")
        for dep in task.after:
            if dep.predecessor not in by_number:
                raise ScheduleError("schedule.unknown_task", task=f"#{task.number}", predecessor=f"#{dep.predecessor}")
    return by_number


class _Network:
    """The plan as a graph of nodes with durations, floors and fixed dates, built once."""

    def __init__(self, tasks: Sequence[PlanTask], today: date, calendar: Calendar) -> None:
        every = _check_references(tasks)
        self.tasks = {n: t for n, t in every.items() if t.status != "cancelled"}
        self.children: dict[int, list[int]] = defaultdict(list)
        for number in self.tasks:
            parent = _scheduled_parent(every, number)
            if parent in self.tasks:
                self.children[parent].append(number)
        dates = [today, *(d for t in self.tasks.values() for d in _dates_of(t))]
        self.days = _Days(calendar, min(dates))
        self.today_date = today
        self.today = self.days.starting(today)
        self.slots: dict[_Node, _Slot] = {}
        for number, task in self.tasks.items():
            self._add_task(number, task)
        for number, task in self.tasks.items():
            for dep in task.after:
                if dep.predecessor in self.tasks:
                    self._link(self.finish_node(dep.predecessor), self.start_node(number), dep.lag)
            if number in self.children:
                for child in self.children[number]:
                    self._link(("begin", number), self.start_node(child), 0)
                    self._link(self.finish_node(child), ("end", number), 0)

    def start_node(self, number: int) -> _Node:
        return ("begin", number) if number in self.children else ("task", number)

    def finish_node(self, number: int) -> _Node:
        return ("end", number) if number in self.children else ("task", number)

    def _add_task(self, number: int, task: PlanTask) -> None:
        floor = max(self.today, self.days.starting(task.start)) if task.start else self.today
        deadline = self.days.ending(task.due) if task.due else None
        if number in self.children:
            self.slots[("begin", number)] = _Slot(floor=floor)
            self.slots[("end", number)] = _Slot(deadline=deadline)
            return
        duration = 0 if task.milestone else max(task.duration, 0)
        # A milestone happens at the end of a working day: at the earliest, the end of its floor day.
        self.slots[("task", number)] = _Slot(
            duration=duration,
            floor=floor + (1 if duration == 0 else 0),
            fixed=self._fixed(task, duration),
            deadline=deadline,
            done=task.done,
        )

    def _fixed(self, task: PlanTask, duration: int) -> tuple[int, int] | None:
        """(start, finish) of a done or started task, which its predecessors no longer drive."""
        if task.done:
            finish = self.days.ending(task.actual_finish or self.today_date)
            if task.actual_start is None or duration == 0:
                return (finish - duration, finish)
            return (min(self.days.starting(task.actual_start), finish), finish)
        if task.started:
            remaining = max(1, -(-duration * (100 - min(max(task.progress, 0), 100)) // 100))
            if task.actual_start:
                start = self.days.starting(task.actual_start)
            elif task.start:
                start = self.days.starting(task.start)
            else:
                start = self.today
            return (min(start, self.today), self.today + remaining)
        return None

    def _link(self, pred: _Node, succ: _Node, lag: int) -> None:
        self.slots[pred].succs.append((succ, lag))
        self.slots[succ].preds.append((pred, lag))

    def order(self) -> list[_Node]:
        """Nodes with every predecessor before its successors; a cycle is refused, named."""
        sorter: TopologicalSorter[_Node] = TopologicalSorter()
        for node, slot in self.slots.items():
            sorter.add(node, *(pred for pred, _ in slot.preds))
        try:
            return list(sorter.static_order())
        except CycleError as error:
            raise ScheduleError("schedule.cycle", **self._cycle(error.args[1])) from None

    def _cycle(self, nodes: list[_Node]) -> dict[str, Any]:
        """The cycle as task numbers in dependency order, e.g. "#3 → #5 → #3"."""
        if len(nodes) > 2 and not any(succ == nodes[1] for succ, _ in self.slots[nodes[0]].succs):
            nodes = nodes[::-1]
        numbers: list[int] = []
        for _, number in nodes[:-1]:  # the last node closes the cycle: it is the first again
            if not numbers or numbers[-1] != number:
                numbers.append(number)
        while len(numbers) > 1 and numbers[-1] == numbers[0]:  # a parent's end, then its begin
            numbers.pop()
        numbers.append(numbers[0])
        return {"cycle": " → ".join(f"#{n}" for n in numbers), "tasks": tuple(numbers)}


def _dates_of(task: PlanTask) -> Iterable[date]:
    return (d for d in (task.start, task.actual_start, task.actual_finish, task.due) if d is not None)


# --- the passes --------------------------------------------------------------------------------


def _forward(net: _Network, order: list[_Node]) -> None:
    for node in order:
        slot = net.slots[node]
        if slot.fixed is not None:
            slot.es, slot.ef = slot.fixed
            continue
        slot.es = max([slot.floor, *(net.slots[p].ef + lag for p, lag in slot.preds)])
        slot.ef = slot.es + slot.duration


def _backward(net: _Network, order: list[_Node], finish: int) -> None:
    for node in reversed(order):
        slot = net.slots[node]
        bounds = [finish, *(net.slots[s].ls - lag for s, lag in slot.succs if net.slots[s].fixed is None)]
        if slot.deadline is not None:
            bounds.append(slot.deadline)
        slot.lf = min(bounds)
        slot.ls = slot.lf - (slot.ef - slot.es)


def _critical(slot: _Slot) -> bool:
    return not slot.done and slot.total_float <= 0


def _critical_paths(net: _Network, order: list[_Node]) -> tuple[tuple[int, ...], ...]:
    """Chains of critical nodes linked by driving dependencies, as task numbers (parents'
    begin/end events are walked through, not listed), at most MAX_CRITICAL_PATHS."""
    slots = net.slots

    def driving(node: _Node) -> list[_Node]:
        slot = slots[node]
        return [
            s
            for s, lag in slot.succs
            if slots[s].fixed is None and _critical(slots[s]) and slots[s].es == slot.ef + lag
        ]

    driven = {s for node in order if _critical(slots[node]) for s in driving(node)}
    paths: dict[tuple[int, ...], None] = {}
    stack: list[tuple[_Node, tuple[_Node, ...]]] = [
        (node, (node,)) for node in reversed(order) if _critical(slots[node]) and node not in driven
    ]
    while stack and len(paths) < MAX_CRITICAL_PATHS:
        node, path = stack.pop()
        nexts = driving(node)
        if not nexts:
            numbers = tuple(n for kind, n in path if kind == "task")
            if numbers:
                paths[numbers] = None
        stack.extend((s, (*path, s)) for s in reversed(nexts))
    return tuple(paths)


# --- results -----------------------------------------------------------------------------------


def _leaves(net: _Network, number: int) -> list[int]:
    if number not in net.children:
        return [number]
    return [leaf for child in net.children[number] for leaf in _leaves(net, child)]


def _progress(net: _Network, number: int) -> int:
    """Duration-weighted progress of a task's leaves (done counts as 100); when every leaf is a
    milestone, each counts the same."""
    leaves = [net.tasks[n] for n in _leaves(net, number)]
    done = [100 if t.done else min(max(t.progress, 0), 100) for t in leaves]
    weights = [0 if t.milestone else max(t.duration, 0) for t in leaves]
    if sum(weights) == 0:
        return round(sum(done) / len(done))
    return round(sum(w * p for w, p in zip(weights, done, strict=True)) / sum(weights))


def _span(days: _Days, start: int, finish: int) -> tuple[date, date]:
    """First and last working day of [start, finish); a point in time (a milestone) is shown
    on the working day it ends."""
    last = days.day(finish - 1)
    return (last if finish == start else days.day(start)), last


def _result(net: _Network, number: int) -> TaskSchedule:
    if number in net.children:
        end = net.slots[("end", number)]
        leaves = [net.slots[("task", n)] for n in _leaves(net, number)]
        es, ls = min(s.es for s in leaves), min(s.ls for s in leaves)
        ef, lf, critical = end.ef, end.lf, any(_critical(s) for s in leaves)
    else:
        slot = net.slots[("task", number)]
        es, ef, ls, lf, critical = slot.es, slot.ef, slot.ls, slot.lf, _critical(slot)
    early_start, early_finish = _span(net.days, es, ef)
    late_start, late_finish = _span(net.days, ls, lf)
    return TaskSchedule(
        number=number,
        early_start=early_start,
        early_finish=early_finish,
        late_start=late_start,
        late_finish=late_finish,
        total_float=lf - ef,
        critical=critical,
        duration=ef - es,
        progress=_progress(net, number),
        milestone=net.tasks[number].milestone,
    )


def compute_schedule(tasks: Sequence[PlanTask], today: date, calendar: Calendar) -> Schedule:
    """Forward and backward pass over the whole plan; raises ScheduleError for a cycle, an
    unknown predecessor or parent, or a task number given twice."""
    net = _Network(tasks, today, calendar)
    order = net.order()
    _forward(net, order)
    starts = [s.es for s in net.slots.values()] or [net.today]
    finish = max([s.ef for s in net.slots.values()] or [net.today])
    _backward(net, order, finish)
    start = min(starts)
    first, last = _span(net.days, start, finish)
    return Schedule(
        tasks={n: _result(net, n) for n in net.tasks},
        critical_paths=_critical_paths(net, order),
        start=first,
        finish=last,
        duration=finish - start,
    )
