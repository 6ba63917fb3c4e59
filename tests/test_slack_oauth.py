"""The OAuth install flow on the bot's HTTP server: /slack/install -> Slack's consent page ->
/slack/oauth_redirect stores the installation in pmbot's database; the new workspace then works."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import MetaData, Table, text

from storage.slack_tables import SLACK_TABLES
from tests.support.fake_slack import FakeSlack
from tests.support.slack_bot import SlackBot, slack_fake  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[1]
INSTALL = {
    "ok": True,
    "app_id": "A1",
    "authed_user": {"id": "U1"},
    "scope": "commands,chat:write,users:read",
    "token_type": "bot",
    "access_token": "xoxb-T3",
    "bot_user_id": "UBOT",
    "team": {"id": "T3", "name": "Three"},
    "enterprise": None,
    "is_enterprise_install": False,
}


@pytest.fixture
def bot(db, slack_fake: FakeSlack):
    bot = SlackBot(
        db,
        slack_fake,
        bot_token="",
        client_id="111.222",
        client_secret="oauth-secret",
        mode="socket",
        app_token="xapp-1",
    )
    yield bot
    bot.close()


def test_installing_into_a_workspace_stores_it_and_the_workspace_works(bot: SlackBot, db) -> None:
    page = bot.http.get("/slack/install")
    assert page.status_code == 200
    authorize = re.search(r'href="(https://slack.com/oauth/v2/authorize\?[^"]+)"', page.text).group(1)
    query = parse_qs(urlsplit(authorize.replace("&amp;", "&")).query)
    assert query["client_id"] == ["111.222"] and "commands" in query["scope"][0]
    state = query["state"][0]
    cookie = page.headers["set-cookie"].split(";")[0]

    bot.fake.installs["code-1"] = INSTALL
    done = bot.http.get(f"/slack/oauth_redirect?code=code-1&state={state}", headers={"Cookie": cookie})
    assert done.status_code == 200, done.text
    assert bot.fake.of("oauth.v2.access")[-1].body["code"] == "code-1"
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT team_id, bot_token FROM slack_bots")).all() == [("T3", "xoxb-T3")]

    bot.ok('init "Installed"', command="/project", team="T3", via="socket")
    assert bot.last_post().token == "xoxb-T3"


def test_a_redirect_with_an_unknown_state_is_refused(bot: SlackBot, db) -> None:
    bot.fake.installs["code-2"] = INSTALL
    refused = bot.http.get(
        "/slack/oauth_redirect?code=code-2&state=forged", headers={"Cookie": "slack-app-oauth-state=forged"}
    )
    assert refused.status_code == 401
    assert not bot.fake.of("oauth.v2.access")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM slack_bots")).scalar() == 0


def test_socket_mode_serves_only_the_install_routes_over_http(bot: SlackBot) -> None:
    assert bot.http.post("/slack/events", content=b"{}").status_code == 404
    assert sorted(r.path for r in bot.adapter.routes()) == ["/slack/install", "/slack/oauth_redirect"]


def _shape(table: Table) -> tuple:
    columns = [(c.name, repr(c.type), c.nullable, c.primary_key) for c in table.columns]
    return table.name, columns, sorted((i.name, tuple(c.name for c in i.columns)) for i in table.indexes)


def test_the_frozen_installation_tables_are_the_ones_slack_sdk_builds() -> None:
    """storage/ declares the tables without slack_sdk; the SDK's stores must find exactly them."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore as Store
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore as States

    sdk = MetaData()
    built = (
        Store.build_installations_table(sdk, Store.default_installations_table_name),
        Store.build_bots_table(sdk, Store.default_bots_table_name),
        States.build_oauth_states_table(sdk, States.default_table_name),
    )
    assert sorted(map(_shape, SLACK_TABLES)) == sorted(map(_shape, built))


def test_storage_loads_no_messenger_sdk() -> None:
    code = (
        "import sys, storage.migrate, storage.database; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('slack_sdk', 'slack_bolt', 'lark_oapi')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
