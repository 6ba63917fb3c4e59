"""What operators see (issue 10): `GET /healthz` degraded with a reason while the database is
unreachable or the outbox falls behind, and `GET /metrics` in Prometheus format with values
that follow the traffic."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from bot.clock import ManualClock
from bot.health import Health
from bot.http import create_app
from bot.messenger import Messenger
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from handlers.destination import Destination, MessageRef
from handlers.replies import Reply
from storage.database import Database
from tests.support.slack_bot import AsgiClient


class Steps:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _queue(chat, key: str, platform: str = "console") -> None:
    chat.core.queue(platform, key, Destination.channel("local", "general"), Reply(text="hi"), now=chat.clock.now())


def test_healthz_is_ok_with_a_reachable_database(db: Database) -> None:
    response = AsgiClient(create_app([], db=db, clock=ManualClock())).get("/healthz")
    assert (response.status_code, response.json()["status"], response.json()["reasons"]) == (200, "ok", [])


def test_healthz_is_degraded_when_the_database_is_unreachable() -> None:
    gone = Database("postgresql+psycopg2://pmbot@127.0.0.1:1/none")  # nothing listens on port 1
    response = AsgiClient(create_app([], db=gone)).get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["reasons"][0].startswith("database unreachable")


def test_healthz_reports_an_outbox_backlog_and_caches_its_answer(chat) -> None:
    steps = Steps()
    health = Health(chat.db, chat.clock, backlog_after=timedelta(minutes=10), monotonic=steps)
    _queue(chat, "k1")  # due now; nothing sends it
    assert health.reasons() == []
    chat.advance(minutes=11)
    assert health.reasons() == []  # the cached answer, for cache_seconds
    steps.now = 6
    assert health.reasons() == ["outbox backlog: 1 message(s) due for over 10 minutes"]


class Recording(Messenger):
    platform = "console"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def send(self, destination: Destination, reply: Reply, *, key: str = "") -> MessageRef:
        if self.fail:
            raise RuntimeError("platform down")
        return MessageRef(destination, "m1")

    def update(self, ref: MessageRef, reply: Reply, *, key: str = "") -> None:
        pass


def _scrape(client: AsgiClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_follow_the_traffic(chat) -> None:
    client = AsgiClient(create_app([], db=chat.db, clock=chat.clock, metrics=True))
    before = _scrape(client)
    sends = ("pmbot_send_seconds_count", (("platform", "console"),))
    failures = ("pmbot_send_failures_total", (("platform", "console"),))
    ok_probes = ("pmbot_http_requests_total", (("route", "/healthz"), ("status", "200")))

    outbox = Outbox(chat.db, chat.clock, {"console": Recording()})
    for n in range(3):
        _queue(chat, f"ok{n}")
    assert outbox.deliver() == 3
    _queue(chat, "bad")
    assert Outbox(chat.db, chat.clock, {"console": Recording(fail=True)}).deliver() == 0
    for _ in range(2):
        client.get("/healthz")
    client.get("/no-such-route")
    scheduler = Scheduler(chat.db, chat.core, outbox, chat.clock)
    scheduler.tick_if_leader()

    after = _scrape(client)
    assert after[sends] - before.get(sends, 0) == 4
    assert after[failures] - before.get(failures, 0) == 1
    assert after[ok_probes] - before.get(ok_probes, 0) == 2
    assert ("pmbot_http_requests_total", (("route", "other"), ("status", "404"))) in after
    assert after[("pmbot_outbox_messages", (("status", "sent"),))] == 3
    assert after[("pmbot_outbox_messages", (("status", "pending"),))] == 1
    assert after[("pmbot_scheduler_leader", ())] == 1
    assert after[("pmbot_tick_seconds_count", ())] > before.get(("pmbot_tick_seconds_count", ()), 0)


def test_metrics_can_be_turned_off() -> None:
    assert AsgiClient(create_app([])).get("/metrics").status_code == 404
