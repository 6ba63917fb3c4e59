"""Prometheus metrics: what the bot is doing, for `GET /metrics` (bot/http.py).

The process's instruments live here, and each is fed from one place:

    pmbot_send_seconds{platform}               outbox send latency   (`observe_send`, bot/outbox.py)
    pmbot_send_failures_total{platform}        failed sends          (`observe_send`)
    pmbot_tick_seconds                         scheduler tick time   (`observe_tick`, bot/scheduler.py)
    pmbot_tick_projects_visited                projects the last tick ran
    pmbot_scheduler_leader                     1 while this replica leads (`set_leader`)
    pmbot_http_requests_total{route,status}    inbound requests      (`RequestCounter`, ASGI)
    pmbot_outbox_messages{status}              outbox rows by status (`OutboxBacklog`, at scrape)

The outbox backlog is read at scrape time with one GROUP BY, so it is exact and costs nothing
between scrapes. prometheus_client is imported by this module only, which the runtime loads
after start-up decisions are made.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CONTENT_TYPE_LATEST",
    "OutboxBacklog",
    "RequestCounter",
    "observe_send",
    "observe_tick",
    "render",
    "set_leader",
]

PROCESS = CollectorRegistry(auto_describe=True)

_SEND = Histogram("pmbot_send_seconds", "Outbox send latency", ["platform"], registry=PROCESS)
_SEND_FAILURES = Counter("pmbot_send_failures", "Outbox sends that failed", ["platform"], registry=PROCESS)
_TICK = Histogram(
    "pmbot_tick_seconds", "Scheduler tick duration", registry=PROCESS, buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
)
_VISITED = Gauge("pmbot_tick_projects_visited", "Projects the last tick ran (something was due)", registry=PROCESS)
_LEADER = Gauge("pmbot_scheduler_leader", "1 while this replica runs the scheduler", registry=PROCESS)
_REQUESTS = Counter("pmbot_http_requests", "Inbound HTTP requests", ["route", "status"], registry=PROCESS)


def observe_send(platform: str, seconds: float, ok: bool) -> None:
    """The outbox's one hook: a send to `platform` took `seconds` and succeeded or failed."""
    _SEND.labels(platform).observe(seconds)
    if not ok:
        _SEND_FAILURES.labels(platform).inc()


def observe_tick(seconds: float, visited: int) -> None:
    _TICK.observe(seconds)
    _VISITED.set(visited)


def set_leader(leading: bool) -> None:
    _LEADER.set(1 if leading else 0)


class OutboxBacklog:
    """A collector counting outbox rows by status when scraped (one GROUP BY)."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        from sqlalchemy import func
        from sqlmodel import select

        from storage.models import Notification

        family = GaugeMetricFamily("pmbot_outbox_messages", "Outbox messages by status", labels=["status"])
        with self.db.session() as session:
            counts = dict(session.exec(select(Notification.status, func.count()).group_by(Notification.status)).all())
        for status in ("pending", "sending", "sent", "dead"):
            family.add_metric([status], counts.pop(status, 0))
        for status, count in counts.items():
            family.add_metric([status], count)
        yield family


class _Process:
    """The process's instruments as one collector of a per-app registry."""

    def collect(self) -> Iterator[Metric]:
        return iter(PROCESS.collect())


def render(db: Any | None) -> bytes:
    """The exposition text: the process's instruments and, given a database, the outbox backlog."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Process())  # type: ignore[arg-type]
    if db is not None:
        registry.register(OutboxBacklog(db))  # type: ignore[arg-type]
    return bytes(generate_latest(registry))


class RequestCounter:
    """ASGI middleware counting requests by route path and response status."""

    def __init__(self, app: ASGIApp, routes: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        route = path if path in self.routes else "other"  # unknown paths must not grow the label set
        status = {"code": 500}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            _REQUESTS.labels(route, str(status["code"])).inc()
