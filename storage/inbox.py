"""The durable inbox: an inbound request is stored before it is acknowledged.

A row holds what a worker needs to process the request later (platform, the delivery key, the
payload as JSON, the channel whose commands must run in arrival order, when it arrived) and its
status, `pending` until the command's effects, its answer and the `done` mark commit together
(`finish`, called inside the command's transaction). `receive` inserts with `ON CONFLICT DO
NOTHING` on the delivery key, so a retried delivery stores nothing twice. After a crash the
`pending` rows are processed again at start-up (`unfinished`); done rows are pruned after a
retention (`prune`). Migration 0010 creates the table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col, select

from storage.database import Database
from storage.models import UTCDateTime

__all__ = ["InboxItem", "finish", "prune", "receive", "unfinished"]


class InboxItem(SQLModel, table=True):
    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    key: str = Field(max_length=200, unique=True)  # the delivery key: a retry is the same key
    channel_key: str = Field(max_length=200)  # requests with one channel key run in arrival order
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending|done
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


def receive(
    db: Database, *, platform: str, key: str, channel_key: str, payload: dict[str, Any], now: datetime
) -> int | None:
    """Store a request in its own short transaction; its id, or None when this delivery key was
    stored before (a retried delivery). Raises when the database cannot store it: then the caller
    must not acknowledge the request."""
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    values = {
        "platform": platform,
        "key": key[:200],
        "channel_key": channel_key[:200],
        "payload": payload,
        "status": "pending",
        "received_at": now,
    }
    table = InboxItem.__table__  # type: ignore[attr-defined]
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)
    with db.session() as session:
        stored: int | None = session.execute(statement).scalar()
        return stored


def finish(session: Session, item_id: int, now: datetime) -> None:
    """Mark a request done, in the transaction that commits its effects and answer."""
    session.execute(update(InboxItem).where(col(InboxItem.id) == item_id).values(status="done", done_at=now))


def unfinished(db: Database, platform: str) -> list[InboxItem]:
    """The platform's requests not yet done, oldest first (crash recovery at start-up)."""
    with db.session() as session:
        return list(
            session.exec(
                select(InboxItem)
                .where(InboxItem.platform == platform, InboxItem.status == "pending")
                .order_by(col(InboxItem.id))
            )
        )


def prune(db: Database, before: datetime) -> int:
    """Delete the requests done before `before`; how many. Pending rows are never pruned."""
    with db.session() as session:
        result = session.connection().execute(
            delete(InboxItem).where(col(InboxItem.status) == "done", col(InboxItem.done_at) < before)
        )
        return result.rowcount
