"""Which bot token speaks in which workspace: one configured token, or OAuth installations.

With `client_id` + `client_secret` configured, pmbot is a distributable app: `/slack/install`
starts Slack's OAuth flow, `/slack/oauth_redirect` stores the installation, and every request
is authorised with the token of the workspace it came from. Installations and OAuth states live
in pmbot's own database (slack-sdk's SQLAlchemy stores on the bot's engine; the tables come from
migration 0004). Otherwise the single `bot_token` serves the one workspace it belongs to.

Workspaces are keyed as pmbot's `Workspace.external_id`: the team id, prefixed by the
enterprise id on Enterprise Grid (`E123/T456`), so data of different workspaces never mixes.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy.engine import Engine

__all__ = [
    "BOT_SCOPES",
    "INSTALL_PATH",
    "REDIRECT_PATH",
    "Tokens",
    "oauth_settings",
    "split_workspace",
    "workspace_key",
]

log = logging.getLogger(__name__)

# Keep in step with slack/manifest.json (tests/test_slack_manifest.py checks).
BOT_SCOPES = (
    "app_mentions:read",
    "channels:read",
    "chat:write",
    "chat:write.public",
    "commands",
    "groups:read",
    "im:write",
    "users:read",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_EXPIRATION = 600
ROTATE_BEFORE_MINUTES = 120


def workspace_key(enterprise_id: str | None, team_id: str | None) -> str:
    """pmbot's workspace id for a Slack team (Enterprise Grid: `enterprise/team`)."""
    return "/".join(part for part in (enterprise_id, team_id) if part)


def split_workspace(key: str) -> tuple[str | None, str | None]:
    """(enterprise_id, team_id) of a workspace key."""
    enterprise, _, team = key.rpartition("/")
    if not enterprise and team.startswith("E"):
        return team, None  # an org-wide installation acting at the enterprise level
    return enterprise or None, team or None


def installation_store(engine: Engine, client_id: str) -> SQLAlchemyInstallationStore:
    return SQLAlchemyInstallationStore(client_id=client_id, engine=engine)


def oauth_settings(*, client_id: str, client_secret: str, engine: Engine) -> Any:
    """bolt's OAuthSettings on pmbot's database (imported here so single-token setups skip it)."""
    from slack_bolt.oauth.oauth_settings import OAuthSettings

    return OAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installation_store(engine, client_id),
        installation_store_bot_only=True,
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRATION, engine=engine),
    )


class Tokens:
    """The bot token for a workspace key, for sends that do not come from a request (the outbox)."""

    def __init__(
        self,
        *,
        bot_token: str = "",
        store: SQLAlchemyInstallationStore | None = None,
        client_id: str = "",
        client_secret: str = "",
        client: WebClient | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.store = store
        self._rotator = (
            TokenRotator(client_id=client_id, client_secret=client_secret, client=client) if store is not None else None
        )
        self._lock = threading.Lock()  # one rotation at a time

    def token(self, workspace: str | None) -> str:
        if self.store is None:
            return self.bot_token
        if not workspace:
            raise LookupError("no workspace known for this message; cannot pick an installation")
        enterprise, team = split_workspace(workspace)
        bot = self.store.find_bot(enterprise_id=enterprise, team_id=team) if team else None
        if bot is None and enterprise:
            bot = self.store.find_bot(enterprise_id=enterprise, team_id=None, is_enterprise_install=True)
        if bot is None or not bot.bot_token:
            raise LookupError(f"pmbot is not installed in workspace {workspace}")
        return self._fresh(bot).bot_token

    def _fresh(self, bot: Bot) -> Bot:
        """Rotate an expiring token (apps with token rotation on) and store the new one."""
        if self._rotator is None or bot.bot_token_expires_at is None:
            return bot
        with self._lock:
            refreshed = self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_BEFORE_MINUTES
            )
            if refreshed is None:
                return bot
            self.store.save_bot(refreshed)
            log.info("rotated the bot token of %s", bot.team_id or bot.enterprise_id)
            return refreshed
