"""Configuration: a TOML file plus `PMBOT_<SECTION>__<KEY>` environment overrides.

pydantic-settings reads both (the environment wins over the file); validation happens at load
and `load()` raises `ConfigError` listing every problem at once (unknown keys, bad values, missing
credentials for an enabled adapter), so `pmbot check-config` can print them all.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

__all__ = ["Config", "ConfigError", "load"]

ENV_PREFIX = "PMBOT_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, validate_default=True)


class StorageConfig(_Section):
    url: str = "sqlite:///data/pmbot.db"


class HttpConfig(_Section):
    host: str = "127.0.0.1"
    port: int = 8080


class ConsoleConfig(_Section):
    enabled: bool = True
    workspace: str = "local"
    channel: str = "general"
    user: str = "me"


SLACK_COMMANDS = {
    "task": "/task",
    "risk": "/risk",
    "standup": "/standup",
    "retro": "/retro",
    "project": "/project",
    "pm": "/pm",
}


class SlackConfig(_Section):
    enabled: bool = False
    mode: Literal["socket", "http"] = "socket"
    bot_token: str = ""
    app_token: str = ""
    signing_secret: str = ""
    api_base_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    # pmbot command -> the slash command registered for it in the Slack app (rename when another
    # app already owns /task). Environment form: PMBOT_SLACK__COMMANDS="task=/pm-task,risk=/pm-risk".
    commands: Annotated[dict[str, str], NoDecode] = dict(SLACK_COMMANDS)

    @model_validator(mode="before")
    @classmethod
    def _default_mode(cls, data: Any) -> Any:
        """Without an explicit mode: HTTP when only a signing secret is given, else Socket Mode."""
        if isinstance(data, dict) and not data.get("mode"):
            http = bool(data.get("signing_secret")) and not str(data.get("app_token") or "").startswith("xapp-")
            data = {**data, "mode": "http" if http else "socket"}
        return data

    @field_validator("commands", mode="before")
    @classmethod
    def _commands(cls, value: Any) -> dict[str, str]:
        if isinstance(value, str):
            pairs = [p.partition("=") for p in value.split(",") if p.strip()]
            value = {k.strip(): v.strip() for k, _, v in pairs}
        if not isinstance(value, dict):
            raise ValueError('must map pmbot commands to slash commands, e.g. task = "/pm-task"')
        unknown = sorted(set(value) - set(SLACK_COMMANDS))
        if unknown:
            raise ValueError(f"unknown command(s) {', '.join(unknown)}; known: {', '.join(SLACK_COMMANDS)}")
        merged = {**SLACK_COMMANDS, **{k: str(v).strip() for k, v in value.items()}}
        for area, slash in merged.items():
            if not re.fullmatch(r"/[a-z0-9_\-]{1,31}", slash):
                raise ValueError(f"{area}: {slash!r} is not a slash command like /task (lower case, ≤32 characters)")
        if len(set(merged.values())) != len(merged):
            raise ValueError("two commands share one slash command")
        return merged

    @model_validator(mode="after")
    def _credentials(self) -> SlackConfig:
        if not self.enabled:
            return self
        problems = []
        if not self.bot_token and not (self.client_id and self.client_secret):
            problems.append("bot_token is required when slack is enabled (or client_id + client_secret)")
        if self.mode == "socket" and not self.app_token.startswith("xapp-"):
            problems.append("app_token: an xapp- token is required in socket mode")
        if self.mode == "http" and not self.signing_secret:
            problems.append("signing_secret is required in http mode")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class FeishuConfig(_Section):
    enabled: bool = False
    mode: Literal["ws", "http"] = "ws"
    app_id: str = ""
    app_secret: str = ""
    verification_token: str = ""
    encrypt_key: str = ""
    domain: str = "https://open.feishu.cn"

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        # The SDK's own rule (it refuses anything else): an https origin, or http on loopback.
        from urllib.parse import urlsplit

        value = value.rstrip("/")
        parts = urlsplit(value)
        loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
        if (
            not (parts.scheme == "https" or loopback)
            or not parts.hostname
            or parts.path
            or parts.query
            or "@" in parts.netloc
        ):
            raise ValueError(f"{value!r} must be an origin like https://open.feishu.cn or https://open.larksuite.com")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> FeishuConfig:
        if not self.enabled:
            return self
        problems = []
        if not (self.app_id and self.app_secret):
            problems.append("app_id and app_secret are required when feishu is enabled")
        if self.mode == "http" and not (self.verification_token or self.encrypt_key):
            problems.append("verification_token or encrypt_key is required in http mode")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class SchedulerConfig(_Section):
    enabled: bool = True
    tick_seconds: int = 30


class DefaultsConfig(_Section):
    timezone: str = "UTC"
    locale: Literal["en", "zh"] = "en"
    standup_time: str = "09:30"
    workdays: str = "mon-fri"
    holidays_country: str = ""

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use a name like Asia/Shanghai)") from None
        return value

    @field_validator("standup_time")
    @classmethod
    def _time(cls, value: str) -> str:
        hh, sep, mm = value.partition(":")
        if not (sep and hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60 and len(mm) == 2):
            raise ValueError(f"{value!r} is not a time like 09:30")
        return f"{int(hh):02d}:{mm}"

    @field_validator("workdays")
    @classmethod
    def _days(cls, value: str) -> str:
        from handlers.parse import ParseError, parse_days

        try:
            return parse_days(value)
        except ParseError:
            raise ValueError(f"{value!r} is not a list of weekdays like mon-fri") from None


# What `load()` reads: the TOML file and the environment (None: the process environment).
_SOURCES: ContextVar[tuple[Path | None, Mapping[str, str] | None]] = ContextVar(
    "pmbot_config_sources", default=(None, None)
)


class _Environment(EnvSettingsSource):
    """The environment source, reading a given mapping instead of `os.environ` when asked to."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str] | None) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environ = os.environ if self._environ is None else self._environ
        return {name.lower(): value for name, value in environ.items()}


class Config(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
        validate_assignment=True,
    )

    storage: StorageConfig = StorageConfig()
    http: HttpConfig = HttpConfig()
    console: ConsoleConfig = ConsoleConfig()
    slack: SlackConfig = SlackConfig()
    feishu: FeishuConfig = FeishuConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    defaults: DefaultsConfig = DefaultsConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit values, then the environment, then the TOML file being loaded."""
        path, environ = _SOURCES.get()
        return (
            init_settings,
            _Environment(settings_cls, environ),
            TomlConfigSettingsSource(settings_cls, toml_file=path, deep_merge=True),
        )


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _check_file(path: Path) -> None:
    """A missing or broken file is named as such (the TOML source would skip or crash)."""
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None


def load(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the file (if any) and the environment (`environ`, default the process's), validate.
    Raises ConfigError with every problem found."""
    file = Path(path) if path is not None else None
    if file is not None:
        _check_file(file)
    token = _SOURCES.set((file, environ))
    try:
        return Config()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "config"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            problems.append(f"{where}: {msg}")
        raise ConfigError(problems) from None
    except SettingsError as exc:  # e.g. PMBOT_STORAGE=x: a whole section given as one value
        raise ConfigError([f"environment: {exc} (set one key, e.g. PMBOT_STORAGE__URL)"]) from None
    finally:
        _SOURCES.reset(token)
