"""The `[feishu]` config section (found through `bot.registry`; importing it loads no SDK)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from bot.config import Section

__all__ = ["Settings"]


class Settings(Section):
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
    def _credentials(self) -> Settings:
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
