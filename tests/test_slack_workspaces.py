"""Several workspaces (OAuth installations): each request runs with its own workspace's token,
and data of two teams never mixes — not even when their channels have the same id."""

from __future__ import annotations

import time

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlmodel import select

from handlers.destination import Destination
from handlers.replies import Reply
from storage.models import Project, Workspace
from tests.support.fake_slack import FakeSlack
from tests.support.slack_bot import SlackBot, slack_fake, texts  # noqa: F401 - fixtures


@pytest.fixture
def bot(db, slack_fake: FakeSlack):
    bot = SlackBot(db, slack_fake, bot_token="", client_id="111.222", client_secret="oauth-secret")
    for team in ("T1", "T2"):
        bot.adapter.tokens.store.save(
            Installation(
                app_id="A1",
                enterprise_id=None,
                team_id=team,
                team_name=f"Team {team}",
                bot_token=f"xoxb-{team}",
                bot_id=f"B{team}",
                bot_user_id="UBOT",
                bot_scopes="commands,chat:write",
                user_id="U1",
                installed_at=time.time(),
            )
        )
    yield bot
    bot.close()


def test_two_workspaces_with_the_same_channel_id_stay_apart(bot: SlackBot, db) -> None:
    bot.ok('init "Team one project"', command="/project", team="T1", channel="C1")
    bot.ok('init "Team two project"', command="/project", team="T2", channel="C1")
    bot.ok('add "Only in team one"', team="T1", channel="C1")

    bot.command("list all", team="T2", channel="C1")
    assert "No tasks here." in texts(bot.responses()[-1].body["blocks"])
    bot.command("list all", team="T1", channel="C1")
    assert "#1 Only in team one" in texts(bot.responses()[-1].body["blocks"])

    assert [(c.token, c.body["channel"]) for c in bot.posts()] == [
        ("xoxb-T1", "C1"),
        ("xoxb-T2", "C1"),
        ("xoxb-T1", "C1"),
    ]
    with db.session() as session:
        rows = session.exec(
            select(Workspace.external_id, Project.name).join(Project).order_by(Workspace.external_id)
        ).all()
    assert rows == [("T1", "Team one project"), ("T2", "Team two project")]


def test_scheduled_messages_use_the_token_of_their_workspace(bot: SlackBot, db) -> None:
    bot.ok('init "Team two project"', command="/project", team="T2", channel="C5")
    bot.queue("digest:test", Destination.channel("T2", "C5"), Reply(text="digest"))
    bot.settle()
    assert (bot.last_post().token, bot.last_post().body["text"]) == ("xoxb-T2", "digest")


def test_a_workspace_without_an_installation_is_refused(bot: SlackBot, db) -> None:
    bot.command('init "Stranger"', command="/project", team="T9")
    assert not bot.posts()
    with db.session() as session:
        assert session.exec(select(Workspace)).all() == []
