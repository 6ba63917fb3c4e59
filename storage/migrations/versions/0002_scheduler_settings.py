"""Scheduler settings per project, per-member reminder mute, the platform of each notification.

New NOT NULL columns carry server defaults so existing rows migrate.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 20:37:37.399249

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("standup_muted", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform", sa.String(length=16), nullable=False, server_default=""))

    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("standup_mode", sa.String(length=8), nullable=False, server_default="channel"))
        batch_op.add_column(sa.Column("digest_time", sa.String(length=5), nullable=False, server_default="09:00"))
        batch_op.add_column(sa.Column("due_soon_hours", sa.Integer(), nullable=False, server_default="24"))
        batch_op.add_column(sa.Column("escalate_after_days", sa.Integer(), nullable=False, server_default="2"))
        batch_op.add_column(sa.Column("weekly_report_day", sa.String(length=3), nullable=False, server_default="fri"))
        batch_op.add_column(
            sa.Column("weekly_report_time", sa.String(length=5), nullable=False, server_default="16:00")
        )
        batch_op.add_column(sa.Column("alerts_on_holidays", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("alerts_on_holidays")
        batch_op.drop_column("weekly_report_time")
        batch_op.drop_column("weekly_report_day")
        batch_op.drop_column("escalate_after_days")
        batch_op.drop_column("due_soon_hours")
        batch_op.drop_column("digest_time")
        batch_op.drop_column("standup_mode")

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("platform")

    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("standup_muted")
