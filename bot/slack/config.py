"""The `[slack]` config section (found through `bot.registry`; importing it loads no SDK)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from bot.config import Section

__all__ = ["SLACK_COMMANDS", "Settings"]

SLACK_COMMANDS = {
    "task": "/task",
    "risk": "/risk",
    "standup": "/standup",
    "retro": "/retro",
    "project": "/project",
    "pm": "/pm",
}


class Settings(Section):
    enabled: bool = False
    mode: Literal["socket", "http"] = "socket"
    bot_token: str = ""
    app_token: str = ""
    signing_secret: str = ""
    api_base_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    # Messages per second per workspace the outbox keeps to (0: not paced; 429s back it off).
    workspace_rate: int = Field(default=0, ge=0)
    # pmbot command -> the slash command registered for it in the Slack app (rename when another
    # app already owns /task). Environment form: PMBOT_SLACK__COMMANDS="task=/pm-task,risk=/pm-risk".
    commands: Annotated[dict[str, str], NoDecode] = Field(default_factory=lambda: dict(SLACK_COMMANDS))

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
    def _credentials(self) -> Settings:
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
