"""The Slack OAuth tables (installations, bots, OAuth states) on pmbot's metadata.

slack-sdk's `SQLAlchemyInstallationStore` and `SQLAlchemyOAuthStateStore` read and write these
tables on pmbot's engine (bot/slack/oauth.py); migration 0004 creates them. They are frozen here
as plain SQLAlchemy, so `storage/` never imports a messenger SDK (the console and Feishu never
load slack_sdk). tests/test_slack_oauth.py checks them against the SDK's own table builders: an
SDK upgrade that changes its schema fails there until a migration and this module follow.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table
from sqlmodel import SQLModel

__all__ = ["SLACK_TABLES"]


def _bot_columns() -> list[Column[Any]]:
    """The columns slack_installations and slack_bots share, in the SDK's order."""
    return [
        Column("bot_token", String(200)),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", String(200)),
        Column("bot_token_expires_at", DateTime),
    ]


def _app_columns(*, url: bool) -> list[Column[Any]]:
    """id, client, app, enterprise and team columns (installations also keep the enterprise url)."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
        *([Column("enterprise_url", String(200))] if url else []),
        Column("team_id", String(32)),
        Column("team_name", String(200)),
    ]


SLACK_TABLES = (
    Table(
        "slack_installations",
        SQLModel.metadata,
        *_app_columns(url=True),
        *_bot_columns(),
        Column("user_id", String(32), nullable=False),
        Column("user_token", String(200)),
        Column("user_scopes", String(1000)),
        Column("user_refresh_token", String(200)),
        Column("user_token_expires_at", DateTime),
        Column("incoming_webhook_url", String(200)),
        Column("incoming_webhook_channel", String(200)),
        Column("incoming_webhook_channel_id", String(200)),
        Column("incoming_webhook_configuration_url", String(200)),
        Column("is_enterprise_install", Boolean, nullable=False),
        Column("token_type", String(32)),
        Column("installed_at", DateTime, nullable=False),
        Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
    ),
    Table(
        "slack_bots",
        SQLModel.metadata,
        *_app_columns(url=False),
        *_bot_columns(),
        Column("is_enterprise_install", Boolean, nullable=False),
        Column("installed_at", DateTime, nullable=False),
        Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
    ),
    Table(
        "slack_oauth_states",
        SQLModel.metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("state", String(200), nullable=False),
        Column("expire_at", DateTime, nullable=False),
    ),
)
