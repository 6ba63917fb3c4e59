"""The CPM engine (handlers/schedule.py): textbook networks with known answers over the mainland
China calendar around Spring Festival 2026 (15-23 Feb off, Sat 14 Feb and Sat 28 Feb are make-up
working days), and properties on random networks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.calendar import Calendar
from handlers.schedule import Dependency, PlanTask, Schedule, ScheduleError, compute_schedule

CN = Calendar("CN")
MON = date(2026, 2, 9)  # the week before Spring Festival
WEEKDAYS = Calendar()


def after(*numbers: int, lag: int = 0) -> tuple[Dependency, ...]:
    return tuple(Dependency(n, lag) for n in numbers)


def plan(*tasks: PlanTask, today: date = MON, calendar: Calendar = CN) -> Schedule:
    return compute_schedule(list(tasks), today, calendar)


def dates(s: Schedule, number: int) -> tuple[date, date]:
    return s.tasks[number].early_start, s.tasks[number].early_finish


def test_the_calendar_the_textbook_cases_assume() -> None:
    assert CN.is_working_day(date(2026, 2, 14)) and CN.is_working_day(date(2026, 2, 28))
    assert not any(CN.is_working_day(date(2026, 2, d)) for d in range(15, 24))


def test_a_chain_skips_spring_festival_and_works_the_make_up_saturdays() -> None:
    s = plan(PlanTask(1, 5), PlanTask(2, 3, after=after(1)), PlanTask(3, 5, after=after(2)))
    assert dates(s, 1) == (date(2026, 2, 9), date(2026, 2, 13))
    assert dates(s, 2) == (date(2026, 2, 14), date(2026, 2, 25))  # Sat 14, then Tue 24, Wed 25
    assert dates(s, 3) == (date(2026, 2, 26), date(2026, 3, 3))  # Thu, Fri, Sat 28, Mon, Tue
    assert s.finish == date(2026, 3, 3) and s.duration == 13
    assert s.critical_paths == ((1, 2, 3),)
    assert all(t.total_float == 0 and t.critical for t in s.tasks.values())


def test_textbook_network_floats_and_one_critical_path() -> None:
    # 1(3) -> 2(2) -> 4(1); 1 -> 3(4) -> 4: 3 is the long branch, 2 has 2 days of float.
    s = plan(
        PlanTask(1, 3),
        PlanTask(2, 2, after=after(1)),
        PlanTask(3, 4, after=after(1)),
        PlanTask(4, 1, after=after(2, 3)),
    )
    assert dates(s, 3) == (date(2026, 2, 12), date(2026, 2, 24))
    assert s.tasks[2].total_float == 2 and not s.tasks[2].critical
    assert (s.tasks[2].late_start, s.tasks[2].late_finish) == (date(2026, 2, 14), date(2026, 2, 24))
    assert s.critical_paths == ((1, 3, 4),)
    assert dates(s, 4) == (date(2026, 2, 25), date(2026, 2, 25))


def test_parallel_critical_paths_are_all_listed() -> None:
    s = plan(
        PlanTask(1, 2),
        PlanTask(2, 3, after=after(1)),
        PlanTask(3, 3, after=after(1)),
        PlanTask(4, 1, after=after(2, 3)),
        PlanTask(5, 2),  # a short side task
    )
    assert set(s.critical_paths) == {(1, 2, 4), (1, 3, 4)}
    assert s.tasks[5].total_float == 4 and not s.tasks[5].critical


def test_lag_counts_working_days_across_the_holiday() -> None:
    s = plan(PlanTask(1, 4), PlanTask(2, 1, after=after(1, lag=2)))
    # 1 ends Thu 12; two working days of lag are Fri 13 and Sat 14; 2 starts Tue 24.
    assert dates(s, 2) == (date(2026, 2, 24), date(2026, 2, 24))
    assert s.critical_paths == ((1, 2),)


def test_a_milestone_is_on_its_last_predecessors_finish_day() -> None:
    s = plan(
        PlanTask(1, 5),
        PlanTask(2, 9, milestone=True, after=after(1)),  # duration is ignored for milestones
        PlanTask(3, 1, after=after(2)),
    )
    assert dates(s, 2) == (date(2026, 2, 13), date(2026, 2, 13))
    assert s.tasks[2].duration == 0 and s.tasks[2].milestone
    assert dates(s, 3) == (date(2026, 2, 14), date(2026, 2, 14))
    assert s.critical_paths == ((1, 2, 3),)


def test_a_milestone_with_a_date_on_a_holiday_moves_to_the_next_working_day() -> None:
    s = plan(PlanTask(1, milestone=True, start=date(2026, 2, 17)))
    assert dates(s, 1) == (date(2026, 2, 24), date(2026, 2, 24))


def test_start_no_earlier_than_delays_a_task_and_a_holiday_start_moves_forward() -> None:
    s = plan(PlanTask(1, 2), PlanTask(2, 2, start=date(2026, 2, 16), after=after(1)))
    assert dates(s, 2) == (date(2026, 2, 24), date(2026, 2, 25))
    assert s.critical_paths == ((2,),)  # driven by its start date, not by #1
    assert s.tasks[1].total_float == 4  # Wed 11, Thu 12, Fri 13, Sat 14: #2 cannot start before Tue 24
    assert s.tasks[1].late_finish == date(2026, 2, 14)


def test_start_before_a_predecessors_finish_does_not_override_the_dependency() -> None:
    s = plan(PlanTask(1, 3), PlanTask(2, 1, start=date(2026, 2, 10), after=after(1)))
    assert dates(s, 2) == (date(2026, 2, 12), date(2026, 2, 12))


def test_nothing_unstarted_is_forecast_before_today() -> None:
    s = plan(PlanTask(1, 2, start=date(2026, 2, 2)), today=date(2026, 2, 12))
    assert dates(s, 1) == (date(2026, 2, 12), date(2026, 2, 13))


def test_done_tasks_keep_their_actual_dates_and_drive_successors() -> None:
    s = plan(
        PlanTask(1, 3, status="done", actual_start=date(2026, 2, 2), actual_finish=date(2026, 2, 10)),
        PlanTask(2, 2, after=after(1)),
        today=date(2026, 2, 9),
    )
    assert dates(s, 1) == (date(2026, 2, 2), date(2026, 2, 10))
    assert dates(s, 2) == (date(2026, 2, 11), date(2026, 2, 12))
    assert not s.tasks[1].critical  # finished work is never critical
    assert s.critical_paths == ((2,),)


def test_in_progress_forecasts_remaining_work_from_today() -> None:
    # 5 days at 30%: ceil(3.5) = 4 days remain from Thu 12: Thu, Fri, Sat 14, Tue 24.
    s = plan(
        PlanTask(1, 5, progress=30, status="doing", actual_start=date(2026, 2, 5), due=date(2026, 2, 13)),
        PlanTask(2, 1, after=after(1)),
        today=date(2026, 2, 12),
    )
    assert dates(s, 1) == (date(2026, 2, 5), date(2026, 2, 24))
    assert s.tasks[1].progress == 30
    assert s.tasks[1].total_float == -2  # due Fri 13, forecast two working days later
    assert dates(s, 2) == (date(2026, 2, 25), date(2026, 2, 25))


def test_a_started_task_is_no_longer_held_by_its_predecessor() -> None:
    s = plan(PlanTask(1, 5), PlanTask(2, 2, progress=50, after=after(1)))
    assert dates(s, 2) == (date(2026, 2, 9), date(2026, 2, 9))


def test_due_dates_make_float_negative_only_where_missed() -> None:
    s = plan(PlanTask(1, 3, due=date(2026, 2, 10)), PlanTask(2, 1, due=date(2026, 3, 2)))
    assert s.tasks[1].total_float == -1 and s.tasks[1].critical
    assert s.tasks[2].total_float == 2  # finish is bounded by the project's finish first


def test_parent_rolls_up_dates_and_duration_weighted_progress() -> None:
    s = plan(
        PlanTask(10, start=date(2026, 2, 10)),
        PlanTask(11, 2, parent=10, progress=100, status="done", actual_start=MON, actual_finish=date(2026, 2, 10)),
        PlanTask(12, 6, parent=10, progress=50),
        PlanTask(13, 2, parent=10, after=after(12)),
        PlanTask(20, 1, after=after(10)),
    )
    # 12 started on today (Mon 9) with 3 of 6 days left: Mon..Wed 11; 13 follows: Thu 12, Fri 13.
    assert dates(s, 10) == (date(2026, 2, 9), date(2026, 2, 13))
    assert s.tasks[10].duration == 5
    assert s.tasks[10].progress == round((2 * 100 + 6 * 50 + 2 * 0) / 10)
    assert dates(s, 20) == (date(2026, 2, 14), date(2026, 2, 14))  # after the whole parent
    assert s.critical_paths == ((12, 13, 20),)


def test_a_parents_start_and_predecessors_apply_to_its_children() -> None:
    s = plan(
        PlanTask(1, 2),
        PlanTask(5, after=after(1)),
        PlanTask(6, 1, parent=5),
        PlanTask(7, 1, parent=5, start=date(2026, 2, 13)),
    )
    assert dates(s, 6) == (date(2026, 2, 11), date(2026, 2, 11))
    assert dates(s, 7) == (date(2026, 2, 13), date(2026, 2, 13))
    assert dates(s, 5) == (date(2026, 2, 11), date(2026, 2, 13))


def test_cancelled_tasks_take_no_part() -> None:
    s = plan(
        PlanTask(1, 5, status="cancelled"),
        PlanTask(2, 1, after=after(1)),
        PlanTask(3, status="cancelled"),
        PlanTask(4, 2, parent=3),
    )
    assert 1 not in s.tasks and 3 not in s.tasks
    assert dates(s, 2) == (MON, MON)
    assert dates(s, 4) == (MON, date(2026, 2, 10))


@pytest.mark.parametrize(
    ("tasks", "cycle"),
    [
        ([PlanTask(3, after=after(5)), PlanTask(5, after=after(3))], "#3 → #5 → #3"),
        ([PlanTask(3, after=after(3))], "#3 → #3"),
        (
            [PlanTask(3, after=after(7)), PlanTask(5, after=after(3)), PlanTask(7, after=after(5)), PlanTask(9)],
            "#3 → #5 → #7 → #3",
        ),
        ([PlanTask(1), PlanTask(2, parent=1, after=after(1))], "#1 → #2 → #1"),
    ],
)
def test_a_cycle_is_refused_and_named_in_dependency_order(tasks: list[PlanTask], cycle: str) -> None:
    with pytest.raises(ScheduleError) as refused:
        plan(*tasks)
    assert refused.value.code == "schedule.cycle"
    assert _rotations(cycle) & {refused.value.detail["cycle"]}


def _rotations(cycle: str) -> set[str]:
    nodes = cycle.split(" → ")[:-1]
    return {" → ".join([*nodes[i:], *nodes[:i], nodes[i]]) for i in range(len(nodes))}


def test_unknown_predecessor_parent_and_duplicates_are_named() -> None:
    with pytest.raises(ScheduleError) as refused:
        plan(PlanTask(1), PlanTask(2, after=after(9)))
    assert (refused.value.code, refused.value.detail) == ("schedule.unknown_task", {"task": "#2", "predecessor": "#9"})
    with pytest.raises(ScheduleError) as refused:
        plan(PlanTask(2, parent=8))
    assert (refused.value.code, refused.value.detail) == ("schedule.unknown_parent", {"task": "#2", "parent": "#8"})
    with pytest.raises(ScheduleError) as refused:
        plan(PlanTask(2), PlanTask(2))
    assert refused.value.code == "schedule.duplicate_task"


def test_an_empty_plan_finishes_today() -> None:
    s = plan()
    assert (s.tasks, s.critical_paths, s.duration) == ({}, (), 0)


# --- properties on random networks -------------------------------------------------------------


@st.composite
def networks(draw: st.DrawFn, max_tasks: int = 12) -> list[PlanTask]:
    """A random DAG: each task may depend (with a lag) on earlier-numbered tasks; task 1 is never
    a milestone so the project has a first working day."""
    n = draw(st.integers(1, max_tasks))
    tasks = []
    for number in range(1, n + 1):
        preds = draw(st.lists(st.integers(1, number - 1), unique=True, max_size=3)) if number > 1 else []
        lags = [draw(st.integers(0, 3)) for _ in preds]
        milestone = number > 1 and draw(st.integers(0, 4)) == 0
        tasks.append(
            PlanTask(
                number,
                duration=draw(st.integers(1, 6)),
                milestone=milestone,
                after=tuple(Dependency(p, lag) for p, lag in zip(preds, lags, strict=True)),
            )
        )
    return tasks


def _path_length(tasks: dict[int, PlanTask], path: tuple[int, ...]) -> int:
    """Working days from the project start to the end of the path: durations and lags along it;
    a milestone that starts a path happens at the end of the first day."""
    length = 1 if tasks[path[0]].milestone else 0
    for i, number in enumerate(path):
        task = tasks[number]
        length += 0 if task.milestone else task.duration
        if i:
            length += next(d.lag for d in task.after if d.predecessor == path[i - 1])
    return length


@settings(max_examples=150, deadline=None)
@given(networks(), st.sampled_from([CN, WEEKDAYS]), st.dates(date(2025, 12, 1), date(2027, 1, 31)))
def test_every_critical_path_is_as_long_as_the_project(tasks: list[PlanTask], calendar: Calendar, today: date) -> None:
    s = compute_schedule(tasks, today, calendar)
    by_number = {t.number: t for t in tasks}
    assert s.critical_paths
    for path in s.critical_paths:
        assert _path_length(by_number, path) == s.duration
        assert all(s.tasks[n].critical for n in path)
    assert all(t.total_float >= 0 for t in s.tasks.values())
    assert s.finish == max(t.early_finish for t in s.tasks.values())


@settings(max_examples=150, deadline=None)
@given(networks(), st.data())
def test_float_is_negative_only_where_a_due_date_is_missed(tasks: list[PlanTask], data: st.DataObject) -> None:
    dues = {t.number: data.draw(st.none() | st.dates(MON, MON + timedelta(days=60))) for t in tasks}
    s = compute_schedule([replace(t, due=dues[t.number]) for t in tasks], MON, CN)
    missed = [n for n, due in dues.items() if due is not None and s.tasks[n].early_finish > due]
    if any(t.total_float < 0 for t in s.tasks.values()):
        assert missed
    for n in missed:
        assert s.tasks[n].total_float < 0  # a task that misses its own due has no float left


@settings(max_examples=150, deadline=None)
@given(networks(), st.data())
def test_adding_a_dependency_never_makes_the_project_shorter(tasks: list[PlanTask], data: st.DataObject) -> None:
    before = compute_schedule(tasks, MON, CN)
    if len(tasks) < 2:
        return
    succ = data.draw(st.integers(2, len(tasks)))
    pred = data.draw(st.integers(1, succ - 1))
    lag = data.draw(st.integers(0, 3))
    changed = [t if t.number != succ else replace(t, after=(*t.after, Dependency(pred, lag))) for t in tasks]
    after_ = compute_schedule(changed, MON, CN)
    assert after_.finish >= before.finish
    assert after_.tasks[succ].early_start >= before.tasks[succ].early_start


@settings(max_examples=150, deadline=None)
@given(networks(max_tasks=8))
def test_a_back_edge_always_makes_a_named_cycle(tasks: list[PlanTask]) -> None:
    """Closing any path with a dependency from its last task back to its first is refused, and
    the named cycle follows real dependencies."""
    chain = [tasks[0].number]
    for task in tasks[1:]:
        if any(d.predecessor == chain[-1] for d in task.after):
            chain.append(task.number)
    first, last = chain[0], chain[-1]
    looped = [t if t.number != first else replace(t, after=(Dependency(last),)) for t in tasks]
    with pytest.raises(ScheduleError) as refused:
        compute_schedule(looped, MON, CN)
    named = refused.value.detail["tasks"]
    assert named[0] == named[-1] and len(named) >= 2
    by_number = {t.number: t for t in looped}
    for pred, succ in pairwise(named):
        assert any(d.predecessor == pred for d in by_number[succ].after)
