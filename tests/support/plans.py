"""Reading a task's plan back from the database, for tests of the forms that set it."""

from __future__ import annotations

from sqlmodel import col, select

from storage.database import Database
from storage.models import Task, TaskDependency


def task_plan(db: Database, number: int) -> tuple[Task, list[tuple[int, int]]]:
    """Task #number and its predecessors as (number, lag in working days), in the order given."""
    with db.session() as s:
        task = s.exec(select(Task).where(Task.number == number)).one()
        numbers = {t.id: t.number for t in s.exec(select(Task))}
        deps = s.exec(
            select(TaskDependency).where(TaskDependency.successor_id == task.id).order_by(col(TaskDependency.id))
        ).all()
        return task, [(numbers[d.predecessor_id], d.lag_days) for d in deps]
