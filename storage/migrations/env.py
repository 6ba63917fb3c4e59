"""Alembic environment for pmbot.

Run programmatically by `storage.migrate`: the caller passes an open SQLAlchemy
`Connection` in `config.attributes["connection"]` (no alembic.ini is needed).
Without one, an engine is built from the `sqlalchemy.url` config option.
Context options (render_as_batch on SQLite, custom type rendering) live in
`storage.migrate.context_options` so `check()` compares exactly like autogenerate.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection, engine_from_config

from storage.migrate import context_options

config = context.config


def run_with(connection: Connection) -> None:
    context.configure(**context_options(connection))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        run_with(conn)
        conn.commit()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
