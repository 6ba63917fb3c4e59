"""Configuration: a TOML file plus `PMBOT_<SECTION>__<KEY>` environment overrides.

pydantic-settings reads both (the environment wins over the file); validation happens at load
and `load()` raises `ConfigError` listing every problem at once (unknown keys, bad values, missing
credentials for an enabled adapter), so `pmbot check-config` can print them all.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from bot.registry import MESSENGERS

__all__ = ["Config", "ConfigError", "Section", "config_model", "load"]

ENV_PREFIX = "PMBOT_"


class Section(BaseModel):
    """A config section: unknown keys are errors, values are validated when set too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, validate_default=True)


class StorageConfig(Section):
    url: str = "sqlite:///data/pmbot.db"


class HttpConfig(Section):
    host: str = "127.0.0.1"
    port: int = 8080
    metrics: bool = True  # GET /metrics (Prometheus) on the same server


class ConsoleConfig(Section):
    enabled: bool = True
    workspace: str = "local"
    channel: str = "general"
    user: str = "me"


class SchedulerConfig(Section):
    enabled: bool = True
    tick_seconds: int = 30


class OutboxConfig(Section):
    """Delivery: sender threads per messenger, and how often a message is tried before `dead`."""

    senders: int = Field(default=4, ge=1, le=64)
    max_attempts: int = Field(default=12, ge=1)


class DefaultsConfig(Section):
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
        from handlers.coerce import ParseError, parse_days  # not handlers.parse: it pulls in SQLModel

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


class _Config(BaseSettings):
    """The settings every deployment has; each messenger adds its own section (see `Config`)."""

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
    scheduler: SchedulerConfig = SchedulerConfig()
    outbox: OutboxConfig = OutboxConfig()
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


@lru_cache(maxsize=8)
def config_model(messengers: tuple[tuple[str, str], ...]) -> type[_Config]:
    """The whole configuration: the common sections plus one per messenger, each from its
    package's `config.Settings` (so adding a messenger touches only its package and the registry)."""
    sections: dict[str, Any] = {}
    for name, package in messengers:
        settings = importlib.import_module(f"{package}.config").Settings
        sections[name] = (settings, settings())
    model: type[_Config] = create_model("Config", __base__=_Config, **sections)
    return model


Config = config_model(tuple(MESSENGERS.items()))


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


def load(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Any:
    """Read the file (if any) and the environment (`environ`, default the process's), validate.
    Raises ConfigError with every problem found."""
    file = Path(path) if path is not None else None
    if file is not None:
        _check_file(file)
    token = _SOURCES.set((file, environ))
    try:
        return config_model(tuple(MESSENGERS.items()))()
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
