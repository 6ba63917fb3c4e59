"""The scheduler's cost follows due work: each project's next due instant (indexed), and open
tasks indexed by project and due day (partial: only open statuses).

`next_due_at` starts empty, which means "visit at the next tick": the first tick after the
upgrade visits every project once and stores when each is next due.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-02 15:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import TASK_IS_OPEN, UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_due_at", UTCDateTime(), nullable=True))
        batch_op.create_index("ix_project_next_due_at", ["next_due_at"], unique=False)
    op.create_index(
        "ix_task_open_due",
        "task",
        ["project_id", "due_date"],
        unique=False,
        sqlite_where=TASK_IS_OPEN,
        postgresql_where=TASK_IS_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_task_open_due", table_name="task")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index("ix_project_next_due_at")
        batch_op.drop_column("next_due_at")
