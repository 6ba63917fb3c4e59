"""Named leases on PostgreSQL: who holds a role (the scheduler leader) and until when.

A lease is a row (`name`, `holder`, `expires_at`). `take` claims or renews it in one short
statement, in its own transaction: it succeeds when the row is absent, already ours, or expired.
Nothing stays open between calls, so a holder never sits "idle in transaction" and a frozen
holder (SIGSTOP, a stuck thread) loses the role once it stops renewing — unlike an advisory
lock, which lives as long as the connection. Expiry is judged by the database's clock, so
replicas with skewed clocks agree. Migration 0007 creates the table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, text
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime

__all__ = ["Lease", "holder_of", "release", "take"]


class Lease(SQLModel, table=True):
    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=200)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


_TAKE = text(
    "INSERT INTO lease (name, holder, expires_at) "
    "VALUES (:name, :holder, clock_timestamp() + make_interval(secs => :ttl)) "
    "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
    "WHERE lease.holder = excluded.holder OR lease.expires_at < clock_timestamp() "
    "RETURNING holder"
)


def take(engine: Engine, name: str, holder: str, ttl: float) -> bool:
    """Claim or renew lease `name` for `ttl` seconds; False while someone else holds it unexpired."""
    with engine.begin() as conn:
        return conn.execute(_TAKE, {"name": name, "holder": holder, "ttl": ttl}).first() is not None


def release(engine: Engine, name: str, holder: str) -> None:
    """Give the lease up at once (a clean stop), so another holder need not wait for expiry."""
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM lease WHERE name = :name AND holder = :holder"), {"name": name, "holder": holder}
        )


def holder_of(engine: Engine, name: str) -> str | None:
    """Who holds lease `name` now (None when nobody does, or it expired)."""
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT holder FROM lease WHERE name = :name AND expires_at > clock_timestamp()"), {"name": name}
        ).scalar()
