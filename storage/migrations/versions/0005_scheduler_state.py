"""Scheduler state: how far each project's jobs have run, and per task when it was first
reminded as overdue and when it was escalated.

Escalations used to be keyed per task (`escalate:{task}:{due}`); a task escalated that way gets
its `escalated_at` from that message, so the upgrade does not escalate it a second time.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("jobs_run_until", UTCDateTime(), nullable=True))
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overdue_reminded_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE task SET escalated_at = (SELECT MAX(n.created_at) FROM notification n "
        "WHERE n.key LIKE 'escalate:' || CAST(task.id AS VARCHAR) || ':%')"
    )


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("overdue_reminded_at")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("jobs_run_until")
