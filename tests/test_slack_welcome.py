"""Inviting the bot into a channel posts a welcome card whose button opens the bind-a-project
modal; submitting it binds the channel."""

from __future__ import annotations

from sqlmodel import select

from storage.models import Project
from tests.support import slack_payloads as p
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake, texts  # noqa: F401 - fixtures


def _joined(user: str, channel: str = "C4", event_id: str = "EvJoin") -> dict:
    return p.event(
        {"type": "member_joined_channel", "user": user, "channel": channel, "channel_type": "C", "team": "T1"},
        event_id=event_id,
    )


def test_the_bot_joining_a_channel_offers_to_bind_it(slack_bot: SlackBot, db) -> None:
    bot = slack_bot
    bot.event(_joined("UBOT"))
    welcome = bot.last_post()
    assert welcome.body["channel"] == "C4" and "Hello, I am pmbot" in texts(welcome.blocks)
    bot.click(welcome, "Bind this group …", channel="C4")
    view = bot.last_view()
    name = next(b["element"] for b in view["blocks"] if b["block_id"] == "title")
    assert name["initial_value"] == "proj-c4"  # from conversations.info
    bot.submit(view, {"title": "Launch", "tz": "Europe/Berlin", "lang": "en"})
    assert 'bound this channel to the project "Launch"' in texts(bot.last_post().blocks)
    with db.session() as session:
        assert session.exec(select(Project.channel_id, Project.timezone)).one() == ("C4", "Europe/Berlin")


def test_someone_else_joining_is_not_welcomed_and_a_bound_channel_is_named(slack_bot: SlackBot) -> None:
    bot = slack_bot
    bot.event(_joined("U2"))
    assert not bot.posts()
    bot.ok('init "Already"', command="/project", channel="C4")
    bot.event(_joined("UBOT", event_id="EvJoin2"))
    assert 'bound to the project "Already"' in bot.last_post().body["text"]
