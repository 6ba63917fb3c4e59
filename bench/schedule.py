"""Benchmark of the scheduling engine: a whole-project CPM recompute.

    python -m bench.schedule

A seeded random plan of 2,000 tasks (100 of them parents of 10 children each, some done, some in
progress, some milestones) with 3,000 finish-to-start dependencies, over the mainland China
calendar (holidays and make-up working days). Wall-clock median and worst of repeated runs.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta

from handlers.calendar import Calendar
from handlers.schedule import Dependency, PlanTask, compute_schedule

TODAY = date(2026, 3, 2)


def big_plan(tasks: int = 2000, dependencies: int = 3000, seed: int = 11) -> list[PlanTask]:
    """Parents 1..100 with children; every dependency points from a lower to a higher leaf, so
    the plan is a DAG."""
    rng = random.Random(seed)
    parents = tasks // 20
    leaves = range(parents + 1, tasks + 1)
    preds: dict[int, set[int]] = {n: set() for n in leaves}
    while sum(map(len, preds.values())) < dependencies:
        a, b = sorted(rng.sample(leaves, 2))
        preds[b].add(a)
    plan = [PlanTask(n, start=TODAY) for n in range(1, parents + 1)]
    for n in leaves:
        kind = rng.random()
        plan.append(
            PlanTask(
                n,
                duration=rng.randint(1, 10),
                after=tuple(Dependency(p, rng.choice((0, 0, 1, 2))) for p in sorted(preds[n])),
                parent=(n - parents - 1) // 10 + 1 if n <= parents * 11 else None,
                milestone=kind < 0.03,
                status="done" if kind > 0.95 else "todo",
                actual_finish=TODAY - timedelta(days=3) if kind > 0.95 else None,
                progress=rng.randint(10, 90) if 0.9 < kind <= 0.95 else 0,
            )
        )
    return plan


def bench_recompute(repeat: int = 5) -> tuple[str, str, str]:
    """One table row: a whole-project recompute of the big plan."""
    plan, calendar = big_plan(), Calendar("CN")
    compute_schedule(plan, TODAY, calendar)  # warm the holiday tables once
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        schedule = compute_schedule(plan, TODAY, calendar)
        samples.append(time.perf_counter() - start)
    name = f"CPM recompute, 2,000 tasks / 3,000 deps ({schedule.duration} working days)"
    return name, f"{statistics.median(samples) * 1e3:.1f} ms", f"{max(samples) * 1e3:.1f} ms"


def main() -> None:
    print("| benchmark | median | worst |\n|---|---|---|")
    print("| {} | {} | {} |".format(*bench_recompute()))


if __name__ == "__main__":
    main()
