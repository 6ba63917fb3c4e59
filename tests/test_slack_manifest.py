"""The Slack app manifest in the repository matches what the adapter serves: the slash commands,
the message shortcut, the scopes it asks for at install and the events it has listeners for."""

from __future__ import annotations

import json
from pathlib import Path

from bot.slack.app import SHORTCUT_CALLBACK
from bot.slack.config import SLACK_COMMANDS
from bot.slack.oauth import BOT_SCOPES, REDIRECT_PATH
from tests.support import slack_payloads as p
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake  # noqa: F401 - fixtures

MANIFEST = json.loads((Path(__file__).resolve().parents[1] / "slack" / "manifest.json").read_text(encoding="utf-8"))


def test_the_manifest_registers_every_default_slash_command() -> None:
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert sorted(commands) == sorted(SLACK_COMMANDS.values())
    assert all(c["should_escape"] for c in MANIFEST["features"]["slash_commands"])  # mentions arrive as <@U…>


def test_the_manifest_declares_the_shortcut_scopes_and_events_the_adapter_uses() -> None:
    assert [s["callback_id"] for s in MANIFEST["features"]["shortcuts"]] == [SHORTCUT_CALLBACK]
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert MANIFEST["oauth_config"]["redirect_urls"][0].endswith(REDIRECT_PATH)
    settings = MANIFEST["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "member_joined_channel",
    }
    assert settings["socket_mode_enabled"] and settings["interactivity"]["is_enabled"]
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"]


def test_every_subscribed_event_has_a_listener(slack_bot: SlackBot) -> None:
    """bolt answers 404 to an event nobody listens for (and Slack would then retry it)."""
    for n, event in enumerate(MANIFEST["settings"]["event_subscriptions"]["bot_events"]):
        status, _ = slack_bot.event(
            p.event(
                {"type": event, "user": "U1", "channel": "C1", "tab": "home", "text": "<@UBOT> hi"}, event_id=f"Ev{n}"
            ),
            via="socket",
        )
        assert status == 200, event
    status, _ = slack_bot.event(p.event({"type": "reaction_added", "user": "U1"}, event_id="EvX"), via="socket")
    assert status == 404
