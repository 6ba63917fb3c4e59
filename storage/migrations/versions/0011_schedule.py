"""Schedule control (issue 11): a task's start, duration, progress and milestone flag; finish-to-start
dependencies between tasks of one project (unique pair, indexed from either side); one current
baseline per project with each task's planned start and finish.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 16:10:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("start_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("duration_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("progress", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("milestone", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "taskdependency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("successor_id", sa.Integer(), nullable=False),
        sa.Column("predecessor_id", sa.Integer(), nullable=False),
        sa.Column("lag_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_taskdependency_project_id_project")),
        sa.ForeignKeyConstraint(
            ["successor_id"], ["task.id"], name=op.f("fk_taskdependency_successor_id_task"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["predecessor_id"], ["task.id"], name=op.f("fk_taskdependency_predecessor_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taskdependency")),
        sa.UniqueConstraint(
            "successor_id", "predecessor_id", name=op.f("uq_taskdependency_successor_id_predecessor_id")
        ),
    )
    op.create_index("ix_taskdependency_predecessor", "taskdependency", ["predecessor_id", "successor_id"])
    op.create_index(op.f("ix_taskdependency_project_id"), "taskdependency", ["project_id"])
    op.create_table(
        "baseline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("saved_at", UTCDateTime(), nullable=False),
        sa.Column("saved_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_baseline_project_id_project")),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], name=op.f("fk_baseline_workspace_id_workspace")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_baseline")),
        sa.UniqueConstraint("project_id", name=op.f("uq_baseline_project_id")),
    )
    op.create_index(op.f("ix_baseline_workspace_id"), "baseline", ["workspace_id"])
    op.create_table(
        "baselinetask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("baseline_id", sa.Integer(), nullable=False),
        sa.Column("task_number", sa.Integer(), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_finish", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["baseline_id"], ["baseline.id"], name=op.f("fk_baselinetask_baseline_id_baseline"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_baselinetask")),
        sa.UniqueConstraint("baseline_id", "task_number", name=op.f("uq_baselinetask_baseline_id_task_number")),
    )


def downgrade() -> None:
    op.drop_table("baselinetask")
    op.drop_index(op.f("ix_baseline_workspace_id"), table_name="baseline")
    op.drop_table("baseline")
    op.drop_index(op.f("ix_taskdependency_project_id"), table_name="taskdependency")
    op.drop_index("ix_taskdependency_predecessor", table_name="taskdependency")
    op.drop_table("taskdependency")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("milestone")
        batch_op.drop_column("progress")
        batch_op.drop_column("duration_days")
        batch_op.drop_column("start_date")
