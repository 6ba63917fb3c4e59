"""The outbox's lanes: each row's destination as `workspace:id`, indexed with the row id among
rows not yet sent, so the batch claim finds the first unsent row of every lane by index.

Existing rows get their lane from their destination.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import NOTIFICATION_UNSENT, notification_lane

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane", sa.String(length=200), nullable=True))
    notification = sa.table(
        "notification", sa.column("id", sa.Integer), sa.column("destination", sa.JSON), sa.column("lane", sa.String)
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(notification.c.id, notification.c.destination)).all()
    if rows:
        bind.execute(
            notification.update().where(notification.c.id == sa.bindparam("row_id")),
            [{"row_id": row.id, "lane": notification_lane(row.destination or {})} for row in rows],
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("lane", existing_type=sa.String(length=200), nullable=False)
    op.create_index(
        "ix_notification_lane",
        "notification",
        ["platform", "lane", "id"],
        unique=False,
        sqlite_where=NOTIFICATION_UNSENT,
        postgresql_where=NOTIFICATION_UNSENT,
    )


def downgrade() -> None:
    op.drop_index("ix_notification_lane", table_name="notification")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("lane")
