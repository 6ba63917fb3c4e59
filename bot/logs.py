"""Logging set-up: one place decides the format and what never reaches a log.

Logs are read by more people than the bot's data is, so nothing secret, no capability URL and no
request body may be written at any level: `Redactor` sits on the root handler and rewrites each
record before it is formatted — Slack tokens (`xoxb-…`, `xapp-…`), Slack `response_url`s
(`https://hooks.slack.com/…`, whoever can post to one answers as the bot), Feishu access tokens
(`t-…`, `u-…`), every configured secret by value, and the bodies slack_bolt prints when it
refuses a request. A traceback is redacted too (it is rendered here, before the handler formats
it). SQL parameters — task titles, answers — are kept out of tracebacks by the engine itself
(`hide_parameters`, storage/database.py).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import Any, TextIO

__all__ = ["FORMAT", "Handler", "Redactor", "configure", "redact", "secrets_of"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY = ("alembic", "apscheduler")  # INFO lines about their own machinery, every tick

_PATTERNS = (
    # A response_url, also JSON-escaped (https:\/\/…) or form-encoded (https%3A%2F%2F…).
    (re.compile(r"hooks\.slack\.com(?:/|\\/|%2F)[^\s\"'&,)}\]]*", re.IGNORECASE), "hooks.slack.com/[redacted]"),
    (re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+"), r"\1-[redacted]"),
    (re.compile(r"\b([tu])-[A-Za-z0-9_]{16,}"), r"\1-[redacted]"),
    # slack_bolt's refusals print the whole request body.
    (re.compile(r"(\bbody: ).*", re.DOTALL), r"\1[redacted]"),
    (re.compile(r"(for the request )\(.*\)", re.DOTALL), r"\1([redacted])"),
)
_MIN_SECRET = 6  # shorter configured values would redact ordinary words


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without tokens, response_urls, request bodies and the given secret values."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text


class Redactor(logging.Filter):
    """A filter for the root handler rewriting each record's message and traceback (`redact`)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self._render = logging.Formatter()

    def add_secrets(self, values: Iterable[str]) -> None:
        """Redact these configured values (tokens, app secrets, signing secrets) wherever they appear."""
        self.secrets.update(v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._render.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


_SECRET_FIELD = re.compile(r"token|secret|encrypt_key")


def secrets_of(config: Any) -> list[str]:
    """The configured values that are credentials (`*token*`, `*secret*`, `encrypt_key` of any
    section) and the storage URL's password."""
    values = []
    for section_name in type(config).model_fields:
        section = getattr(config, section_name)
        for name in getattr(type(section), "model_fields", {}):
            if _SECRET_FIELD.search(name):
                values.append(getattr(section, name))
    password = re.search(r"://[^:/@]+:([^@]+)@", config.storage.url)
    return [*values, *([password.group(1)] if password else [])]


class Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The process's one log handler: the format and the `Redactor` (`self.redactor`)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._fixed: TextIO | None = None
        super().__init__(stream)
        self.setFormatter(logging.Formatter(FORMAT))
        self.redactor = Redactor()
        self.addFilter(self.redactor)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        """The given stream, else the current `sys.stderr` (which tests and daemons may replace)."""
        return self._fixed or sys.stderr

    @stream.setter
    def stream(self, value: TextIO | None) -> None:
        self._fixed = None if value is sys.stderr else value


def configure(level: int = logging.INFO, *, stream: TextIO | None = None) -> Handler:
    """Log at `level` to stderr (or `stream`) through the one `Handler`; calling it again reuses it."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, Handler)), None)
    if handler is None:
        handler = Handler(stream)
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
