"""Outbox rows say where they go with a typed destination (JSON), not an encoded string.

`target_kind` (channel|dm|update) + `target` (`C1?ws=T1&ctx=C9`, `oc_x?reply=om_1&thread=1&p2p=1`,
`key:<key>`, `C1|<ts>`) and `message_ref` (`<target>|<id>`) become `action` (send|update),
`destination` (handlers.destination.Destination as JSON), `update_of` (the key of the message an
update replaces) and `message_id`. The data step converts every row, queued or sent, so pending
messages and updates of messages sent before the upgrade still reach the right place: the
workspace comes from the row's workspace when the target did not name it, the project channel of
a DM from the row's project, as the messengers did when sending.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlencode

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROWS = sa.text(
    "SELECT n.id, n.platform, n.target_kind, n.target, n.message_ref, w.external_id, p.channel_id "
    "FROM notification n LEFT JOIN workspace w ON w.id = n.workspace_id "
    "LEFT JOIN project p ON p.id = n.project_id"
)


def _destination(text: str, *, dm: bool, workspace: str, project_channel: str) -> dict[str, str]:
    """An old target string as a destination (keys with empty values left out)."""
    ident, _, query = text.partition("?")
    q = {k: v[0] for k, v in parse_qs(query).items()}
    if ident.startswith("@"):  # the console's DM refs
        ident, dm = ident[1:], True
    private = dm or q.get("p2p") == "1"
    kind = "dm" if private else "thread" if q.get("thread") == "1" else "channel"
    about = q.get("ctx", "") or (project_channel if dm else ident if private else "")
    found = {
        "workspace": q.get("ws", "") or workspace,
        "kind": kind,
        "id": ident,
        "reply_to": q.get("reply", ""),
        "project_channel": about,
    }
    return {k: v for k, v in found.items() if v}


def _converted(row: Any) -> dict[str, Any]:
    _id, _platform, kind, target, ref, workspace, channel = row
    where = {"workspace": workspace or "", "project_channel": channel or ""}
    if kind == "update" and target.startswith("key:"):
        return {
            "action": "update",
            "update_of": target[4:],
            "message_id": None,
            "destination": _destination(channel or "", dm=False, **where),
        }
    if kind == "update":
        place, _, message = target.partition("|")
        return {
            "action": "update",
            "update_of": None,
            "message_id": message,
            "destination": _destination(place, dm=False, **where),
        }
    if ref:  # sent: where it went
        place, _, message = ref.partition("|")
        return {
            "action": "send",
            "update_of": None,
            "message_id": message,
            "destination": _destination(place, dm=kind == "dm", **where),
        }
    return {
        "action": "send",
        "update_of": None,
        "message_id": None,
        "destination": _destination(target, dm=kind == "dm", **where),
    }


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("action", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("destination", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("update_of", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    table = sa.table(
        "notification",
        sa.column("id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("destination", sa.JSON()),
        sa.column("update_of", sa.String()),
        sa.column("message_id", sa.String()),
    )
    for row in bind.execute(_ROWS).all():
        bind.execute(table.update().where(table.c.id == row[0]).values(**_converted(row)))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("action", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("destination", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("target_kind")
        batch_op.drop_column("target")
        batch_op.drop_column("message_ref")


def _encode(destination: dict[str, str]) -> str:
    """A destination as the old target string (the inverse of `_destination`, for downgrades)."""
    params = {
        "ws": destination.get("workspace", ""),
        "reply": destination.get("reply_to", ""),
        "thread": "1" if destination.get("kind") == "thread" else "",
        "ctx": destination.get("project_channel", ""),
    }
    params = {k: v for k, v in params.items() if v}
    ident = destination.get("id", "")
    return f"{ident}?{urlencode(params)}" if params else ident


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("target", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("message_ref", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    table = sa.table(
        "notification",
        sa.column("id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("destination", sa.JSON()),
        sa.column("update_of", sa.String()),
        sa.column("message_id", sa.String()),
        sa.column("target_kind", sa.String()),
        sa.column("target", sa.String()),
        sa.column("message_ref", sa.String()),
    )
    rows = bind.execute(
        sa.select(table.c.id, table.c.action, table.c.destination, table.c.update_of, table.c.message_id)
    ).all()
    for ident, action, where, update_of, message_id in rows:
        where = where or {}
        place = _encode(where)
        kind = "update" if action == "update" else "dm" if where.get("kind") == "dm" else "channel"
        target = f"key:{update_of}" if update_of else f"{place}|{message_id}" if action == "update" else place
        ref = f"{place}|{message_id}" if action == "send" and message_id else None
        bind.execute(
            table.update().where(table.c.id == ident).values(target_kind=kind, target=target[:200], message_ref=ref)
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("target_kind", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("target", existing_type=sa.String(length=200), nullable=False)
        batch_op.drop_column("message_id")
        batch_op.drop_column("update_of")
        batch_op.drop_column("destination")
        batch_op.drop_column("action")
