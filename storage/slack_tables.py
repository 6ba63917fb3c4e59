"""The Slack OAuth tables (installations, bots, OAuth states) on pmbot's metadata.

slack-sdk's `SQLAlchemyInstallationStore` and `SQLAlchemyOAuthStateStore` read and write these
tables on pmbot's engine (bot/slack/oauth.py). They are declared here with the SDK's own table
builders, so migration 0004 is checked against exactly what the SDK expects: an SDK upgrade that
changes its schema makes tests/test_migrations.py fail until a migration follows.
"""
from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlmodel import SQLModel

__all__ = ["SLACK_TABLES"]

_Store, _States = SQLAlchemyInstallationStore, SQLAlchemyOAuthStateStore

SLACK_TABLES = (
    _Store.build_installations_table(SQLModel.metadata, _Store.default_installations_table_name),
    _Store.build_bots_table(SQLModel.metadata, _Store.default_bots_table_name),
    _States.build_oauth_states_table(SQLModel.metadata, _States.default_table_name),
)
