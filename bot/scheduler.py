"""The scheduler: runs the jobs that `handlers.jobs` derives from the database, and delivers.

One APScheduler job (`pmbot-tick`, an interval job with an explicit id, `replace_existing`,
`coalesce`, `max_instances=1`, a misfire grace) calls the module-level `_tick_job` with the
scheduler's registry id; nothing is pickled and no job store is shared. Each tick selects the
projects whose next due instant has come (`Project.next_due_at`, indexed; empty means "at the
next tick") in one query, loads them in batches with their workspace, runs what is due
(`handlers.jobs.run_due`, which stores the next instant), queues it under idempotency keys and
lets the outbox send it — so a restart, a repeated tick or a second replica never duplicates a
message. A quiet tick is one indexed query. Each due project runs in a savepoint with its row
locked (`FOR UPDATE`), so a command's reschedule waits for the visit or is seen by it, never
overwritten by it. With PostgreSQL, only the replica holding the leader lease (`LeaderLock`)
ticks. A second interval job (`pmbot-lease`) renews it three times per tick interval, and
followers try to take it as often; the lease lasts one tick interval, so when the leader dies or
freezes (SIGSTOP keeps its connections open, which is why this is not an advisory lock) another
replica leads within about one interval. A replica starting while another leads is a follower at once.

`tick(now)` is also `pmbot tick [--now]`; `run_between(start, end)` replays every instant at
which something fell due (the console's `:advance`), so a week can be demoed in seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import col, select

from bot import metrics
from bot.clock import Clock
from bot.outbox import Outbox
from handlers.core import Core
from handlers.jobs import occurrences, run_batch
from storage import leases
from storage.database import Database
from storage.models import Project, Workspace

__all__ = ["LeaderLock", "Scheduler"]

log = logging.getLogger(__name__)

LEADER_LEASE = "scheduler"
HEARTBEATS_PER_TICK = 3
BATCH = 200  # due projects loaded, run and committed together
_REGISTRY: dict[str, Scheduler] = {}


def _tick_job(registry_id: str) -> None:
    """The APScheduler job: module-level, takes only an id (nothing live is scheduled)."""
    scheduler = _REGISTRY.get(registry_id)
    if scheduler is not None:
        scheduler.tick_if_leader()


class LeaderLock:
    """Leader election by an expiring lease (storage/leases.py); on SQLite the one process leads.

    `is_leader()` takes or renews the lease for `ttl` seconds in one short transaction, so no
    connection stays open in a transaction between calls and a frozen leader loses the role
    once `ttl` passes without a renewal."""

    def __init__(self, db: Database, *, ttl: float = 30) -> None:
        self.db = db
        self.ttl = ttl
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._leading = False

    def is_leader(self) -> bool:
        """Asked before each tick: True if this process holds the lease (renewed now)."""
        return self.renew()

    def renew(self) -> bool:
        """Take or renew the lease; True while this process holds it, False on any failure."""
        if self.db.dialect != "postgresql":
            return True
        try:
            leading = leases.take(self.db.engine, LEADER_LEASE, self.holder, self.ttl)
        except Exception:  # the database is unreachable: nobody can lead through it
            log.warning("could not renew the scheduler lease", exc_info=True)
            leading = False
        if leading != self._leading:
            log.info("this replica %s the scheduler leader", "is now" if leading else "is no longer")
        self._leading = leading
        return leading

    def release(self) -> None:
        """Hand leadership over at once on a clean stop."""
        if self.db.dialect == "postgresql" and self._leading:
            try:
                leases.release(self.db.engine, LEADER_LEASE, self.holder)
            except Exception:  # it expires by itself
                log.warning("could not release the scheduler lease", exc_info=True)
            self._leading = False


def _heartbeat_job(registry_id: str) -> None:
    """The lease job: renew leadership, or take it over from a leader that stopped renewing."""
    scheduler = _REGISTRY.get(registry_id)
    if scheduler is not None:
        scheduler.leader.renew()


class Scheduler:
    def __init__(self, db: Database, core: Core, outbox: Outbox, clock: Clock, *, tick_seconds: int = 30) -> None:
        self.db = db
        self.core = core
        self.outbox = outbox
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.leader = LeaderLock(db, ttl=tick_seconds)
        self._aps = None
        self._id = f"scheduler-{id(self)}"
        self.visited = 0  # projects the last tick ran (had something due)

    # --- one instant ------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> int:
        """Queue everything due at `now` in every project that has something due, then deliver.
        Returns messages sent."""
        now = now or self.clock.now()
        started = time.perf_counter()
        self.queue_due(now)
        sent = self.outbox.deliver(now=now)
        metrics.observe_tick(time.perf_counter() - started, self.visited)
        return sent

    def queue_due(self, now: datetime) -> int:
        """Queue everything due at `now` (the tick without its delivery); returns projects visited."""
        due = self._due_project_ids(now)
        self.visited = len(due)
        for start in range(0, len(due), BATCH):
            self._run_batch(due[start : start + BATCH], now)
        return self.visited

    def _run_batch(self, project_ids: list[int], now: datetime) -> None:
        """Run the due projects of one batch together; if that fails, one at a time (each in a
        savepoint), so one broken project does not stop the others."""
        try:
            self._run_projects(project_ids, now, isolate=False)
        except Exception:
            log.warning("a batch of scheduled jobs failed; running its projects one at a time", exc_info=True)
            self._run_projects(project_ids, now, isolate=True)

    def _run_projects(self, project_ids: list[int], now: datetime, *, isolate: bool) -> None:
        """The projects loaded (and locked) in one query, run in one session (`run_batch`)."""
        with self.db.session() as session:
            rows = session.exec(
                select(Project, Workspace)
                .join(Workspace, col(Workspace.id) == Project.workspace_id)
                .where(col(Project.id).in_(project_ids))
                .order_by(Project.id)
                .with_for_update(of=Project)
            ).all()
            envs = [self.core.project_env(session, project.id, now) for project, _workspace in rows]
            run_batch(session, envs, isolate=isolate)

    def tick_if_leader(self) -> int:
        leading = self.leader.is_leader()
        metrics.set_leader(leading)
        if not leading:
            return 0
        return self.tick()

    def run_between(self, start: datetime, end: datetime) -> int:
        """Run every instant in (start, end] at which a job fell due, then `end` itself."""
        instants = {end}
        with self.db.session() as session:
            for project in session.exec(select(Project)):
                instants.update(o.at for o in occurrences(project, start, end))
        hour = start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        while hour < end:  # hourly too, for due-soon reminders between the fixed times
            instants.add(hour)
            hour += timedelta(hours=1)
        return sum(self.tick(moment) for moment in sorted(instants))

    def _due_project_ids(self, now: datetime) -> list[int]:
        """Projects whose next due instant has come (or was never computed): one indexed query."""
        with self.db.session() as session:
            due = or_(col(Project.next_due_at).is_(None), col(Project.next_due_at) <= now)
            return list(session.exec(select(Project.id).where(due).order_by(Project.id)))

    # --- in the background ------------------------------------------------------------
    def start(self) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        _REGISTRY[self._id] = self
        self._aps = BackgroundScheduler(timezone="UTC")
        self._aps.add_job(
            _tick_job,
            "interval",
            seconds=self.tick_seconds,
            args=[self._id],
            id="pmbot-tick",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=self.tick_seconds,
            next_run_time=datetime.now().astimezone(),
        )
        if self.db.dialect == "postgresql":
            heartbeat = self.tick_seconds / HEARTBEATS_PER_TICK
            self._aps.add_job(
                _heartbeat_job,
                "interval",
                seconds=heartbeat,
                args=[self._id],
                id="pmbot-lease",
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=max(1, int(heartbeat)),
            )
        self._aps.start()

    def stop(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=True)
            self._aps = None
        _REGISTRY.pop(self._id, None)
        self.leader.release()
