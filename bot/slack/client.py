"""The Web API client pmbot uses for Slack: retries for rate limits and server errors.

slack-sdk retries only connection errors by default. pmbot adds the SDK's rate-limit and
server-error handlers, with two changes: their waits go through an injected `sleep` (tests
never sleep), and a rate limit is waited out inline only when `Retry-After` is short. A longer
one fails the call with `retry_after` set, so the outbox reschedules the message for then
instead of holding a thread for minutes. The outbox's own clients (`send_retry_handlers`) never
wait a rate limit out inline: a sender thread would hold every other channel's messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RetryHandler,
    RetryState,
)
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

__all__ = ["RateLimitRetry", "ServerErrorRetry", "retry_after", "send_retry_handlers", "web_client"]

INLINE_WAIT_MAX = 5.0  # seconds a send may wait for a rate limit before handing it to the outbox
DEFAULT_RETRY_AFTER = 1.0


def retry_after(headers: Mapping[str, Any] | None) -> float:
    """Seconds from a `Retry-After` header (values may be lists, names any case)."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, (list, tuple)) and value else value
            try:
                return max(float(value), 0.0)
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER


class RateLimitRetry(RateLimitErrorRetryHandler):
    """Retries a 429 after `Retry-After` seconds when that is at most `max_wait`."""

    def __init__(
        self,
        *,
        max_retry_count: int = 2,
        max_wait: float = INLINE_WAIT_MAX,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.sleep = sleep

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code == 429 and retry_after(response.headers) <= self.max_wait

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self.sleep(retry_after(response.headers if response is not None else None))
        state.increment_current_attempt()


class ServerErrorRetry(ServerErrorRetryHandler):
    """The SDK's retry of HTTP 500/503, waiting through the injected `sleep`."""

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(max_retry_count=1)
        self.sleep = sleep

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self.sleep(self.interval_calculator.calculate_sleep_duration(state.current_attempt))
        state.increment_current_attempt()


def retry_handlers(sleep: Callable[[float], None] = time.sleep) -> list[RetryHandler]:
    return [ConnectionErrorRetryHandler(), RateLimitRetry(sleep=sleep), ServerErrorRetry(sleep=sleep)]


def send_retry_handlers(handlers: list[RetryHandler]) -> list[RetryHandler]:
    """`handlers` without the inline rate-limit wait, for the outbox's sends: a 429 goes back to
    the outbox, which reschedules the message and backs the workspace off instead."""
    return [h for h in handlers if not isinstance(h, RateLimitRetry)]


def web_client(
    token: str | None, *, base_url: str = "", sleep: Callable[[float], None] = time.sleep, timeout: int = 10
) -> WebClient:
    """A WebClient for `token` (None: bolt sets the token per request) against `base_url`
    (empty: Slack itself; tests pass a local fake)."""
    base = (base_url or WebClient.BASE_URL).rstrip("/") + "/"
    return WebClient(token=token or None, base_url=base, timeout=timeout, retry_handlers=retry_handlers(sleep))
