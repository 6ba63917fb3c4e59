"""The [slack] settings: the connection mode's default, renamed slash commands, clear errors."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load
from bot.slack.config import SLACK_COMMANDS

BASE = {"PMBOT_SLACK__ENABLED": "true", "PMBOT_SLACK__BOT_TOKEN": "xoxb-1"}


def test_socket_mode_is_the_default_with_an_app_token_and_http_with_only_a_signing_secret() -> None:
    assert load(None, {**BASE, "PMBOT_SLACK__APP_TOKEN": "xapp-1"}).slack.mode == "socket"
    assert load(None, {**BASE, "PMBOT_SLACK__SIGNING_SECRET": "s"}).slack.mode == "http"
    explicit = load(
        None,
        {**BASE, "PMBOT_SLACK__SIGNING_SECRET": "s", "PMBOT_SLACK__APP_TOKEN": "xapp-1", "PMBOT_SLACK__MODE": "http"},
    )
    assert explicit.slack.mode == "http"


def test_slash_commands_can_be_renamed_from_the_environment() -> None:
    config = load(
        None, {**BASE, "PMBOT_SLACK__APP_TOKEN": "xapp-1", "PMBOT_SLACK__COMMANDS": "task=/pm-task, pm=/pmbot"}
    )
    assert config.slack.commands == {**SLACK_COMMANDS, "task": "/pm-task", "pm": "/pmbot"}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("tasks=/t", "unknown command(s) tasks"),
        ("task=task", "is not a slash command"),
        ("task=/risk", "two commands share one slash command"),
    ],
)
def test_bad_command_names_are_reported(value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(None, {**BASE, "PMBOT_SLACK__APP_TOKEN": "xapp-1", "PMBOT_SLACK__COMMANDS": value})
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_missing_credentials_are_listed() -> None:
    with pytest.raises(ConfigError) as caught:
        load(None, {"PMBOT_SLACK__ENABLED": "true", "PMBOT_SLACK__MODE": "http"})
    text = "\n".join(caught.value.problems)
    assert "bot_token is required" in text and "signing_secret is required" in text
