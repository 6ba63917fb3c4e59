"""Configuration: TOML + environment overrides, every problem listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_example_runs_without_credentials() -> None:
    config = load(ROOT / "config.example.toml", environ={})
    assert config.console.enabled and not config.slack.enabled and not config.feishu.enabled
    assert config.storage.url.startswith("sqlite:///")


def test_example_documents_every_key() -> None:
    import tomllib

    from bot.config import Config

    shipped = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    for name, field in Config.model_fields.items():
        section_model = field.annotation
        assert set(shipped[name]) == set(section_model.model_fields), name


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[storage]\nurl = "sqlite:///a.db"\n[http]\nport = 1\n', encoding="utf-8")
    config = load(
        path,
        environ={
            "PMBOT_STORAGE__URL": "sqlite:///b.db",
            "PMBOT_HTTP__PORT": "9000",
            "PMBOT_SLACK__ENABLED": "true",
            "PMBOT_SLACK__BOT_TOKEN": "xoxb-1",
            "PMBOT_SLACK__APP_TOKEN": "xapp-1",
            "OTHER": "x",
        },
    )
    assert config.storage.url == "sqlite:///b.db" and config.http.port == 9000
    assert config.slack.enabled and config.slack.bot_token == "xoxb-1"


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[defaults]\ntimezone = "Mars/Base"\nworkdays = "funday"\ncolour = "red"\n'
        '[feishu]\nenabled = true\nmode = "http"\n[bogus]\nx = 1\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load(path, environ={"PMBOT_SLACK__ENABLED": "yes", "PMBOT_HTTP__PORT": "eighty"})
    problems = "\n".join(info.value.problems)
    for expected in (
        "defaults.timezone: unknown time zone 'Mars/Base'",
        "defaults.workdays:",
        "defaults.colour: unknown key",
        "bogus: unknown key",
        "http.port:",
        "slack: bot_token is required",
        "xapp- token is required in socket mode",
        "feishu: app_id and app_secret are required",
        "verification_token or encrypt_key",
    ):
        assert expected in problems
    assert len(info.value.problems) == 7


def test_missing_and_broken_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load(tmp_path / "nope.toml", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[storage\nurl=", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(broken, environ={})


def test_slack_http_mode_needs_a_signing_secret() -> None:
    with pytest.raises(ConfigError, match="signing_secret is required in http mode"):
        load(
            None, environ={"PMBOT_SLACK__ENABLED": "1", "PMBOT_SLACK__MODE": "http", "PMBOT_SLACK__BOT_TOKEN": "xoxb-1"}
        )


def test_defaults_are_normalised_like_given_values() -> None:
    config = load(None, environ={})
    assert config.defaults.workdays == "mon,tue,wed,thu,fri"
    assert load(None, environ={"PMBOT_DEFAULTS__WORKDAYS": "周一至周六"}).defaults.workdays == "mon,tue,wed,thu,fri,sat"


def test_a_whole_section_in_one_variable_is_a_problem_not_a_crash() -> None:
    with pytest.raises(ConfigError, match="PMBOT_STORAGE__URL"):
        load(None, environ={"PMBOT_STORAGE": "x"})


def test_slack_commands_from_the_environment_keep_their_short_form() -> None:
    config = load(None, environ={"PMBOT_SLACK__COMMANDS": "task=/pm-task"})
    assert config.slack.commands["task"] == "/pm-task" and config.slack.commands["risk"] == "/risk"
