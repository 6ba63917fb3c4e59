"""Scale benchmarks on PostgreSQL (issue 10): what a scheduler tick costs by number of projects
and by instant, and what `/project status` costs by number of tasks.

    python -m bench.scale                       # 100 and 1,000 projects; 1k and 10k tasks
    python -m bench.scale --projects 100,1000,10000 --tasks 1000,10000,100000

A throwaway PostgreSQL server is started (tests/support/postgres.py). The data is written
through the product's own core (`Core.handle_text`: `/project init`, `/task add`, `/risk add`,
`/task done`) for a few template projects, then cloned in bulk (executemany) for size, ids and
foreign keys remapped. Each figure is the median of the runs (one per day, Monday to Wednesday)
and a ratio against its reference measured in the same run (the outbox is drained before each
timed tick, as the delivery thread does between ticks; the timed part is `Scheduler.queue_due`,
the tick without its delivery): a tick against the same instant at the smallest number of
projects, `/project status` against the smallest number of tasks.
Nothing here is asserted in tests; figures are for comparison on one machine.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from bench.__main__ import NullMessenger
from bot.clock import ManualClock
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from handlers.context import Context
from handlers.core import Core
from storage.database import Database
from storage.models import Member, Project, Risk, Task
from tests.support.postgres import PostgresServer

TZ = ZoneInfo("Asia/Shanghai")
FIRST_DAY = date(2026, 11, 23)  # a Monday; runs on Monday, Tuesday and Wednesday
CREATED = datetime(2026, 11, 9, 8, 0, tzinfo=TZ)
TEMPLATES = 4  # projects written through the core; the rest are clones
TASKS_PER_PROJECT = 100
CHUNK = 5_000
# Measured instants (local time), each after the untimed ticks a running scheduler would make.
INSTANTS = (
    ("quiet (03:00, nothing due)", (3, 0, 0), [(2, 59, 30)]),
    ("09:00, digests fall due", (9, 0, 0), []),
    ("09:00:30, the repeat tick", (9, 0, 30), []),
    ("15:00, due-soon reminders", (15, 0, 0), [(9, 30, 0), (10, 0, 0), (10, 30, 0), (14, 59, 30)]),
)


# --- data -----------------------------------------------------------------------------------


def _ctx(channel: str, user: str = "pm") -> Context:
    return Context(platform="bench", workspace="W", channel=channel, user=user, user_name=user, now=CREATED)


def write_project(core: Core, channel: str, tasks: int) -> None:
    """One project through the core: 7 members, `tasks` tasks due from two weeks back to six
    weeks ahead (every 10th at 15:00, every 5th done), 4 risks."""
    core.handle_text(_ctx(channel), f'/project init "{channel}" tz:Asia/Shanghai')
    for j in range(tasks):
        due = (CREATED + timedelta(days=j % 56)).date().isoformat()
        due = f'"{due} 15:00"' if j % 10 == 0 else due
        core.handle_text(_ctx(channel), f"/task add Task {j} @u{j % 6} A:@lead due:{due}")
    for j in range(0, tasks, 5):
        core.handle_text(_ctx(channel), f"/task done #{j + 1}")
    for r in range(4):
        core.handle_text(_ctx(channel), f'/risk add "Risk {r}" p:{2 + r % 3} i:4 owner:@u{r}')


def _rows(conn: Connection, model: type[SQLModel], column: str, ids: list[int]) -> list[dict[str, Any]]:
    table = model.__table__
    return [dict(r._mapping) for r in conn.execute(select(table).where(table.c[column].in_(ids)))]


def _insert(conn: Connection, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(model.__table__), rows[start : start + CHUNK])


def _next_id(conn: Connection, model: type[SQLModel]) -> int:
    return (conn.execute(select(func.max(model.__table__.c.id))).scalar() or 0) + 1


def clone_projects(db: Database, template_ids: list[int], total: int) -> None:
    """Copies of the template projects (with their members, tasks and risks) up to `total`."""
    with db.engine.begin() as conn:
        projects = _rows(conn, Project, "id", template_ids)
        children = {m: _rows(conn, m, "project_id", template_ids) for m in (Member, Task, Risk)}
        base = {m: _next_id(conn, m) for m in (Project, Member, Task, Risk)}
        stride = {m: base[m] for m in (Member, Task, Risk)}
        new: dict[type[SQLModel], list[dict[str, Any]]] = {m: [] for m in (Project, Member, Task, Risk)}
        for n in range(total - len(template_ids)):
            src = projects[n % len(projects)]
            pid = base[Project] + n
            new[Project].append(src | {"id": pid, "channel_id": f"B{pid}", "name": f"Bench {pid}"})
            for model, rows in children.items():
                for row in rows:
                    if row["project_id"] != src["id"]:
                        continue
                    copy = row | {"id": row["id"] + stride[model] * (n + 1), "project_id": pid}
                    if model is Task and row.get("parent_id"):
                        copy["parent_id"] = row["parent_id"] + stride[Task] * (n + 1)
                    new[model].append(copy)
        for model in (Project, Member, Task, Risk):
            _insert(conn, model, new[model])
            name = model.__tablename__
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))
        conn.execute(text("ANALYZE"))


def vacuum(db: Database) -> None:
    """VACUUM ANALYZE after a bulk load, as autovacuum would soon do: statistics for the planner
    and a visibility map, so counts over an index can skip the table (index-only scans)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def clone_tasks(db: Database, project_id: int, total: int) -> None:
    """Copies of a project's tasks (renumbered) until it has `total`."""
    with db.engine.begin() as conn:
        tasks = _rows(conn, Task, "project_id", [project_id])
        first_id, first_number = _next_id(conn, Task), len(tasks) + 1
        rows = []
        for n in range(total - len(tasks)):
            row = tasks[n % len(tasks)]
            rows.append(row | {"id": first_id + n, "number": first_number + n, "parent_id": None})
        _insert(conn, Task, rows)
        conn.execute(text("SELECT setval(pg_get_serial_sequence('task', 'id'), (SELECT max(id) FROM task))"))
        conn.execute(text(f"UPDATE project SET next_task_number = {first_number + len(rows)} WHERE id = {project_id}"))
        conn.execute(text("ANALYZE"))


# --- measuring ------------------------------------------------------------------------------


def _at(day: date, hms: tuple[int, int, int]) -> datetime:
    return datetime(day.year, day.month, day.day, *hms, tzinfo=TZ).astimezone(UTC)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def tick_costs(db: Database, days: int) -> dict[str, list[float]]:
    """Seconds per measured instant, one sample per day."""
    core = Core(db)
    clock = ManualClock(_at(FIRST_DAY, (0, 0, 0)))
    outbox = Outbox(db, clock, {"bench": NullMessenger()})
    scheduler = Scheduler(db, core, outbox, clock)
    samples: dict[str, list[float]] = {name: [] for name, _, _ in INSTANTS}
    for d in range(days):
        day = FIRST_DAY + timedelta(days=d)
        for name, hms, before in INSTANTS:
            for untimed in before:
                scheduler.tick(_at(day, untimed))
            outbox.deliver(limit=1_000_000, now=_at(day, hms))  # the delivery thread drains meanwhile
            # Timed: queuing what is due (delivery is the outbox's, measured in bench/delivery.py).
            samples[name].append(timed(lambda d=day, t=hms: scheduler.queue_due(_at(d, t))))
    return samples


def status_cost(db: Database, runs: int) -> list[float]:
    core = Core(db)
    ctx = Context(
        platform="bench", workspace="W", channel="S", user="pm", user_name="pm", now=_at(FIRST_DAY, (11, 0, 0))
    )
    core.handle_text(ctx, "/project status")  # warm
    return [timed(lambda: core.handle_text(ctx, "/project status")) for _ in range(runs)]


def databases(server: PostgresServer) -> Iterator[Database]:
    n = 0
    while True:
        n += 1
        db = Database(server.create_database(f"bench_{n}"))
        db.upgrade()
        yield db


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", default="100,1000", help="project counts (comma-separated)")
    parser.add_argument("--tasks", default="1000,10000", help="task counts of the status project")
    parser.add_argument("--runs", type=int, default=3, help="days measured (median of these)")
    args = parser.parse_args()
    counts = [int(x) for x in args.projects.split(",")]
    task_counts = [int(x) for x in args.tasks.split(",")]
    print(f"machine: {platform.machine()}, {platform.python_version()}, {platform.platform()}")
    with PostgresServer() as server:
        fresh = databases(server)
        status: dict[int, float] = {}
        db = next(fresh)
        write_project(Core(db), "S", 1000)
        for count in task_counts:
            clone_tasks(db, 1, count)
            vacuum(db)
            status[count] = statistics.median(status_cost(db, max(args.runs, 5)))
            print(f"  /project status, {count} tasks: {status[count] * 1e3:.1f} ms", flush=True)
        db.dispose()
        ticks: dict[int, dict[str, float]] = {}
        for count in counts:
            db = next(fresh)
            core = Core(db)
            for i in range(TEMPLATES):
                write_project(core, f"T{i}", TASKS_PER_PROJECT)
            clone_projects(db, list(range(1, TEMPLATES + 1)), count)
            vacuum(db)
            samples = tick_costs(db, args.runs)
            ticks[count] = {name: statistics.median(s) for name, s in samples.items()}
            db.dispose()
            print(f"  tick, {count} projects: {ticks[count]}", flush=True)
    report(counts, ticks, task_counts, status)


def report(counts: list[int], ticks: dict[int, dict[str, float]], tasks: list[int], status: dict[int, float]) -> None:
    ref = counts[0]
    print(f"\n| instant (project zone) | {' | '.join(f'{c:,} projects' for c in counts)} |")
    print(f"|---|{'---|' * len(counts)}")
    for name, _, _ in INSTANTS:
        cells = [f"{ticks[c][name] * 1e3:.0f} ms ({ticks[c][name] / ticks[ref][name]:.1f}×)" for c in counts]
        print(f"| {name} | {' | '.join(cells)} |")
    print(f"\n| `/project status` | {' | '.join(f'{t:,} tasks' for t in tasks)} |")
    print(f"|---|{'---|' * len(tasks)}")
    cells = [f"{status[t] * 1e3:.1f} ms ({status[t] / status[tasks[0]]:.1f}×)" for t in tasks]
    print(f"| median | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
