"""SQLModel tables. Every row belongs to a workspace (platform + team/tenant id).

Users are referred to by their platform user id (a string), which is unique inside a
workspace; display names live on `Member`. Datetimes are stored as UTC (`UTCDateTime`);
dates that mean a local calendar day (due dates, standup days) are plain `date`s.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, String, Text, TypeDecorator, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

__all__ = [
    "NOTIFICATION_UNSENT",
    "OPEN_TASK_STATUSES",
    "TASK_IS_OPEN",
    "AuditEvent",
    "Baseline",
    "BaselineTask",
    "Member",
    "Notification",
    "ProcessedEvent",
    "Project",
    "Retro",
    "RetroItem",
    "Risk",
    "StandupEntry",
    "StandupRun",
    "Task",
    "TaskDependency",
    "UTCDateTime",
    "Workspace",
    "notification_lane",
    "saved_id",
]


# Named constraints, so later migrations (SQLite batch rebuilds included) can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A task still to be done. The SQL form is literal (no bound parameters) and shared by the partial
# index and the queries that use it: SQLite uses a partial index only for the very same term.
OPEN_TASK_STATUSES = ("todo", "doing", "blocked")
TASK_IS_OPEN = text(f"task.status IN ({', '.join(repr(s) for s in OPEN_TASK_STATUSES)})")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class _Row(Protocol):
    id: int | None


def saved_id(row: _Row) -> int:
    """The primary key of a row that is in the database. Tables declare `id: int | None` because a
    row has none until it is flushed; code that holds a stored row says so here, once."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id: it was never flushed")
    return row.id


def _utc(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


def _json(**kw: Any) -> Any:
    return Field(sa_column=Column(JSON, **kw))


def _text(**kw: Any) -> Any:
    return Field(sa_column=Column(Text, **kw))


class Workspace(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)
    created_at: datetime = _utc(nullable=False)


class Project(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_id"),
        UniqueConstraint("workspace_id", "name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    channel_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    goal: str = _text(nullable=False, default="")
    owner: str | None = Field(default=None, max_length=64)
    start_date: date | None = None
    end_date: date | None = None
    timezone: str = Field(default="UTC", max_length=64)
    locale: str = Field(default="en", max_length=8)
    holidays_country: str | None = Field(default=None, max_length=8)
    standup_time: str = Field(default="09:30", max_length=5)
    standup_days: str = Field(default="mon-fri", max_length=40)
    standup_remind_minutes: int = 30
    standup_summary_time: str = Field(default="10:30", max_length=5)
    standup_questions: list[str] | None = _json(nullable=True)
    standup_enabled: bool = True
    standup_mode: str = Field(default="channel", max_length=8)  # channel | dm | both
    standup_participants: list[str] | None = _json(nullable=True)  # None: the people doing the work
    digest_time: str = Field(default="09:00", max_length=5)  # daily overdue digest, local time
    due_soon_hours: int = 24
    escalate_after_days: int = 2
    weekly_report_day: str = Field(default="fri", max_length=3)
    weekly_report_time: str = Field(default="16:00", max_length=5)
    alerts_on_holidays: bool = False
    # The instant up to which the scheduler has run this project's jobs: only occurrences after it
    # are due, so a setting changed after today's prompt time never replays that prompt as "late".
    jobs_run_until: datetime | None = _utc(nullable=True)
    # When the scheduler must next visit this project (None: at the next tick). A tick selects only
    # projects whose instant has come, so its cost follows due work (handlers.jobs).
    next_due_at: datetime | None = _utc(nullable=True, index=True)
    next_task_number: int = 1
    next_risk_number: int = 1
    next_retro_number: int = 1
    created_by: str = Field(max_length=64)
    created_at: datetime = _utc(nullable=False)


class Member(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    user_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(default="member", max_length=16)  # member | admin
    timezone: str | None = Field(default=None, max_length=64)
    away: list[list[str]] = _json(nullable=False, default=list)  # [[start_iso, end_iso], ...]
    standup_muted: bool = False  # no standup reminders for this member
    joined_at: datetime = _utc(nullable=False)


class Task(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        Index("ix_task_project_status", "project_id", "status"),
        # Open tasks by due: overdue, due-soon, status and the weekly report are range scans of it.
        Index("ix_task_open_due", "project_id", "due_date", sqlite_where=TASK_IS_OPEN, postgresql_where=TASK_IS_OPEN),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    project_id: int = Field(foreign_key="project.id")
    number: int
    title: str = Field(max_length=300)
    description: str = _text(nullable=False, default="")
    status: str = Field(default="todo", max_length=16)  # todo|doing|blocked|done|cancelled
    priority: str = Field(default="medium", max_length=8)  # low|medium|high|urgent
    due_date: date | None = None  # local calendar day of the due
    due_at: datetime | None = _utc(nullable=True)  # set only when a time was given
    parent_id: int | None = Field(default=None, foreign_key="task.id")
    responsible: str | None = Field(default=None, max_length=64)
    accountable: str | None = Field(default=None, max_length=64)
    consulted: list[str] = _json(nullable=False, default=list)
    informed: list[str] = _json(nullable=False, default=list)
    source_link: str | None = Field(default=None, max_length=500)
    creator: str = Field(max_length=64)
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)
    closed_at: datetime | None = _utc(nullable=True)
    # When the scheduler first told someone this task is overdue, and when it escalated it; either
    # counts only if it is after the current due (a new due starts over).
    overdue_reminded_at: datetime | None = _utc(nullable=True)
    escalated_at: datetime | None = _utc(nullable=True)
    # The plan (handlers.planning, issue 11): start-no-earlier-than, working days of work, percent
    # complete (100 exactly when done), and whether this is a milestone (no duration).
    start_date: date | None = None
    duration_days: int | None = None
    progress: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    milestone: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    # The latest forecast finish people were alerted about (handlers.slips): an alert goes only
    # for a later one, so a forecast moving back and forth does not alert twice.
    alerted_finish: date | None = None


class TaskDependency(SQLModel, table=True):
    """Finish-to-start: `successor_id` starts `lag_days` working days after `predecessor_id`
    finishes. Both tasks are of `project_id` (handlers.planning checks it); a deleted task takes
    its dependencies with it."""

    __table_args__ = (
        UniqueConstraint("successor_id", "predecessor_id"),
        Index("ix_taskdependency_predecessor", "predecessor_id", "successor_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    successor_id: int = Field(sa_column=Column(ForeignKey("task.id", ondelete="CASCADE"), nullable=False))
    predecessor_id: int = Field(sa_column=Column(ForeignKey("task.id", ondelete="CASCADE"), nullable=False))
    lag_days: int = 0


class Baseline(SQLModel, table=True):
    """A project's one current baseline: the plan as it was when saved (rows in BaselineTask)."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    project_id: int = Field(foreign_key="project.id", unique=True)
    saved_at: datetime = _utc(nullable=False)
    saved_by: str = Field(max_length=64)


class BaselineTask(SQLModel, table=True):
    """One task's planned dates in a baseline, by task number (numbers are never reused, and a
    task deleted since keeps its planned dates in the baseline it was part of). Budgets come later."""

    __table_args__ = (UniqueConstraint("baseline_id", "task_number"),)

    id: int | None = Field(default=None, primary_key=True)
    baseline_id: int = Field(sa_column=Column(ForeignKey("baseline.id", ondelete="CASCADE"), nullable=False))
    task_number: int
    planned_start: date
    planned_finish: date


class Risk(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    number: int
    title: str = Field(max_length=300)
    category: str = Field(default="technical", max_length=16)
    probability: int = 3
    impact: int = 3
    score: int = 9
    level: str = Field(default="medium", max_length=16)
    strategy: str = Field(default="mitigate", max_length=16)
    trigger: str = _text(nullable=False, default="")
    mitigation: str = _text(nullable=False, default="")
    contingency: str = _text(nullable=False, default="")
    owner: str | None = Field(default=None, max_length=64)
    status: str = Field(default="open", max_length=16)  # open|mitigating|closed|occurred
    review_date: date | None = None
    creator: str = Field(max_length=64)
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)
    closed_at: datetime | None = _utc(nullable=True)


class StandupRun(SQLModel, table=True):
    """One project's standup on one local calendar day."""

    __table_args__ = (UniqueConstraint("project_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    project_id: int = Field(foreign_key="project.id")
    day: date
    summary_posted_at: datetime | None = _utc(nullable=True)
    created_at: datetime = _utc(nullable=False)


class StandupEntry(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("run_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    run_id: int = Field(foreign_key="standuprun.id", index=True)
    user_id: str = Field(max_length=64)
    yesterday: str = _text(nullable=False, default="")
    today: str = _text(nullable=False, default="")
    blockers: str = _text(nullable=False, default="")
    late: bool = False
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)


class Retro(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    number: int
    title: str = Field(default="", max_length=200)
    status: str = Field(default="open", max_length=16)  # open|closed
    started_by: str = Field(max_length=64)
    started_at: datetime = _utc(nullable=False)
    closed_at: datetime | None = _utc(nullable=True)


class RetroItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    retro_id: int = Field(foreign_key="retro.id", index=True)
    kind: str = Field(max_length=16)  # well|bad|improve
    text: str = _text(nullable=False)
    author: str = Field(max_length=64)
    created_at: datetime = _utc(nullable=False)


class AuditEvent(SQLModel, table=True):
    """Who changed what, from what to what, when."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    actor: str = Field(max_length=64)
    entity: str = Field(max_length=16)  # project|task|risk|standup|retro|member
    entity_id: int | None = None
    action: str = Field(max_length=32)
    before: dict[str, Any] | None = _json(nullable=True)
    after: dict[str, Any] | None = _json(nullable=True)
    at: datetime = _utc(nullable=False, index=True)


class ProcessedEvent(SQLModel, table=True):
    """Inbound deliveries already handled: a retried delivery is recognised by its key."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    received_at: datetime = _utc(nullable=False)


# An outbox row not yet sent nor given up (literal, like TASK_IS_OPEN, for the partial index).
NOTIFICATION_UNSENT = text("notification.status IN ('pending', 'sending')")


def notification_lane(destination: dict[str, Any]) -> str:
    """The lane of a destination (`workspace:id`, a channel or a user): the outbox sends one
    lane's messages one at a time, in the order they were queued."""
    return f"{destination.get('workspace', '')}:{destination.get('id', '')}"[:200]


def _lane_of_row(context: Any) -> str:
    """Column default: every insert (ORM or bulk) derives the lane from the row's destination."""
    return notification_lane(context.get_current_parameters()["destination"])


class Notification(SQLModel, table=True):
    """Outbound message with an idempotency key, stored before it is sent (the outbox)."""

    __table_args__ = (
        Index(
            "ix_notification_lane",
            "platform",
            "lane",
            "id",
            sqlite_where=NOTIFICATION_UNSENT,
            postgresql_where=NOTIFICATION_UNSENT,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    platform: str = Field(default="", max_length=16)
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id", index=True)
    project_id: int | None = Field(default=None, foreign_key="project.id")
    action: str = Field(default="send", max_length=16)  # send|update
    # Where it goes (handlers.destination.Destination as JSON); once sent, where it went.
    destination: dict[str, Any] = _json(nullable=False)
    # The queued destination's lane (set from `destination` on insert; see notification_lane).
    lane: str | None = Field(default=None, sa_column=Column(String(200), nullable=False, default=_lane_of_row))
    update_of: str | None = Field(default=None, max_length=200)  # an update of the message with this key
    payload: dict[str, Any] = _json(nullable=False)
    status: str = Field(default="pending", max_length=16, index=True)  # pending|sending|sent|dead
    attempts: int = 0
    next_attempt_at: datetime = _utc(nullable=False)
    last_error: str = _text(nullable=False, default="")
    message_id: str | None = Field(default=None, max_length=200)  # the platform's id, once sent
    created_at: datetime = _utc(nullable=False)
    sent_at: datetime | None = _utc(nullable=True)
