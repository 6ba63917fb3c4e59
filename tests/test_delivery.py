"""Delivery at the platform ceiling: batch claims shared by concurrent senders, lanes that keep
each destination's order, pacing that gives a busy channel's row back instead of sleeping, and
fault injection (timeouts, resets, 5xx, 429 + Retry-After) ending in exactly-once delivery or a
`dead` row an operator sees and retries with `pmbot outbox` — on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.cli import main
from bot.clock import ManualClock
from bot.messenger import Destination, MessageRef
from bot.outbox import Outbox
from bot.pacing import Deferred, Pacer
from handlers.core import Core
from handlers.replies import Reply
from storage.database import Database
from storage.models import Notification
from tests.support.recording import SendFailed
from tests.support.waiting import wait_until

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


class Platform:
    """A fake platform that records what it accepted, per key, and checks that one destination
    never has two sends in flight at once (the lane rule)."""

    platform = "console"

    def __init__(self, pacer: Pacer | None = None) -> None:
        self.pacer = pacer
        self.accepted: list[tuple[str, str]] = []  # (channel, key)
        self.overlaps: list[str] = []
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()

    def send(self, destination: Destination, reply: Reply, *, key: str) -> MessageRef:
        if self.pacer is not None:
            self.pacer.admit(destination.id)
        with self._lock:
            if destination.id in self._in_flight:
                self.overlaps.append(key)
            self._in_flight.add(destination.id)
        try:
            self.refuse(destination, key)
            with self._lock:
                self.accepted.append((destination.id, key))
                return MessageRef(destination, f"m-{key}")
        finally:
            with self._lock:
                self._in_flight.discard(destination.id)

    def update(self, ref: MessageRef, reply: Reply, *, key: str) -> None:
        raise NotImplementedError

    def refuse(self, destination: Destination, key: str) -> None:
        """Raise to refuse the call (nothing is accepted then)."""

    def keys(self) -> list[str]:
        return [key for _, key in self.accepted]

    def order_in(self, channel: str) -> list[str]:
        return [key for ch, key in self.accepted if ch == channel]


class RateLimited(Deferred):
    def __init__(self, retry_after: float) -> None:
        super().__init__("HTTP 429")
        self.retry_after = retry_after


class FaultyPlatform(Platform):
    """Refuses 20% of calls (seeded): timeouts, connection resets, HTTP 5xx, and 429 with a
    Retry-After. Channel `CDEAD` refuses every call. Counts the failures that are attempts."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.random = random.Random(seed)
        self.counted: Counter[str] = Counter()
        self.rate_limited = 0

    def refuse(self, destination: Destination, key: str) -> None:
        if destination.id == "CDEAD":
            self.counted[key] += 1
            raise SendFailed("HTTP 503")
        if self.random.random() >= 0.2:
            return
        fault = self.random.choice(("timeout", "reset", "5xx", "429"))
        if fault == "429":
            self.rate_limited += 1
            raise RateLimited(retry_after=self.random.choice((1, 5, 30)))
        self.counted[key] += 1
        raise {"timeout": TimeoutError("read timed out"), "reset": ConnectionResetError(104, "reset by peer")}.get(
            fault, SendFailed("HTTP 502")
        )


def _queue(db: Database, key: str, channel: str) -> None:
    assert Core(db).queue("console", key, Destination.channel("W1", channel), Reply(text=key), now=T0)


def _rows(db: Database) -> dict[str, Notification]:
    with db.session() as session:
        return {row.key: row for row in session.exec(select(Notification))}


def _fill(db: Database, lanes: int, per_lane: int) -> dict[str, list[str]]:
    """Queue `per_lane` messages to each of `lanes` channels, interleaved; the keys by channel."""
    queued: dict[str, list[str]] = defaultdict(list)
    for n in range(per_lane):
        for lane in range(lanes):
            key = f"C{lane}-{n}"
            _queue(db, key, f"C{lane}")
            queued[f"C{lane}"].append(key)
    return queued


def test_concurrent_outboxes_never_claim_one_row_twice_and_keep_each_lane_in_order(db: Database) -> None:
    queued = _fill(db, lanes=12, per_lane=10)
    platform = Platform()
    clock = ManualClock(T0)
    replicas = [Outbox(db, clock, {"console": platform}, batch=7) for _ in range(3)]
    start = threading.Barrier(len(replicas))
    errors: list[BaseException] = []

    def run(outbox: Outbox) -> None:
        try:
            start.wait()
            while outbox.deliver():
                pass
        except BaseException as exc:  # reported below; a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(outbox,)) for outbox in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    while replicas[0].deliver():  # what a replica skipped while another held its lane
        pass
    assert sorted(platform.keys()) == sorted(k for keys in queued.values() for k in keys)
    assert len(platform.keys()) == len(set(platform.keys())) == 120  # each exactly once
    assert platform.overlaps == []  # never two messages of one channel in flight
    for channel, keys in queued.items():
        assert platform.order_in(channel) == keys
    assert {row.status for row in _rows(db).values()} == {"sent"}


def test_a_busy_channel_is_given_back_and_an_idle_one_goes_in_the_same_round(db: Database) -> None:
    monotonic = [0.0]
    pacer = Pacer(per_key=1, clock=lambda: monotonic[0], sleep=lambda s: pytest.fail("a sender slept"))
    platform = Platform(pacer)
    clock = ManualClock(T0)
    outbox = Outbox(db, clock, {"console": platform})
    for key, channel in (("busy-1", "C1"), ("busy-2", "C1"), ("busy-3", "C1"), ("idle", "C2")):
        _queue(db, key, channel)

    assert outbox.deliver() == 2
    assert platform.keys() == ["busy-1", "idle"]
    rows = _rows(db)
    assert (rows["busy-2"].status, rows["busy-2"].attempts, rows["busy-2"].last_error) == ("pending", 0, "")
    assert rows["busy-2"].next_attempt_at == T0 + timedelta(seconds=1)  # when C1 is free again
    assert rows["busy-3"].next_attempt_at == T0  # behind busy-2 in its lane, never tried
    assert outbox.due_in() == 1.0

    monotonic[0] += 1.0
    clock.advance(timedelta(seconds=1))
    assert outbox.deliver() == 1 and platform.keys()[-1] == "busy-2"
    monotonic[0] += 1.0
    clock.advance(timedelta(seconds=1))
    assert outbox.deliver() == 1 and platform.keys()[-1] == "busy-3"
    assert outbox.due_in() is None


def test_a_later_message_never_overtakes_an_earlier_one_waiting_for_a_retry(db: Database) -> None:
    platform = Platform()
    failed = []

    def refuse_once(destination: Destination, key: str) -> None:
        if key == "m2" and not failed:
            failed.append(key)
            raise SendFailed("HTTP 500")

    platform.refuse = refuse_once  # type: ignore[method-assign]
    clock = ManualClock(T0)
    outbox = Outbox(db, clock, {"console": platform})
    for n in range(1, 6):
        _queue(db, f"m{n}", "C1")
    _queue(db, "other", "C2")
    assert outbox.deliver() == 2
    assert platform.keys() == ["m1", "other"]  # m3..m5 wait behind m2
    assert outbox.due_in() == 10.0
    clock.advance(timedelta(seconds=10))
    assert outbox.deliver() == 4
    assert platform.order_in("C1") == ["m1", "m2", "m3", "m4", "m5"]


def test_drain_waits_for_paced_channels_and_stops_at_its_time_bound(db: Database) -> None:
    monotonic = [0.0]

    def sleep(seconds: float) -> None:
        monotonic[0] += seconds

    pacer = Pacer(per_key=1, clock=lambda: monotonic[0], sleep=sleep)
    platform = Platform(pacer)
    outbox = Outbox(db, ManualClock(T0), {"console": platform})
    for n in range(6):
        _queue(db, f"p{n}", "C1")
    assert outbox.drain(3.5, sleep=sleep, monotonic=lambda: monotonic[0]) == 4  # at 0, 1, 2 and 3 s
    assert monotonic[0] == 3.0
    assert outbox.drain(10, sleep=sleep, monotonic=lambda: monotonic[0], now=T0 + timedelta(seconds=3)) == 2
    assert platform.order_in("C1") == [f"p{n}" for n in range(6)]


def test_sender_threads_send_everything_once_in_order(db: Database) -> None:
    queued = _fill(db, lanes=8, per_lane=6)
    platform = Platform()
    outbox = Outbox(db, ManualClock(T0), {"console": platform}, batch=4, senders=3)
    worker = outbox.worker("console")
    worker.start()
    try:
        worker.kick()
        assert wait_until(lambda: len(platform.accepted) >= 48, timeout=30)
    finally:
        worker.stop()
    assert len(worker.threads) == 3 and not any(t.is_alive() for t in worker.threads)
    assert sorted(platform.keys()) == sorted(k for keys in queued.values() for k in keys)
    assert platform.overlaps == []
    for channel, keys in queued.items():
        assert platform.order_in(channel) == keys


def _cli(capsys: pytest.CaptureFixture[str], db: Database, *args: str) -> tuple[int, str]:
    url = db.engine.url.render_as_string(hide_password=False)
    code = main(["outbox", "--db", url, *args])
    return code, capsys.readouterr().out


def test_fault_injection_delivers_every_message_exactly_once_and_dead_only_after_max_attempts(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    queued = _fill(db, lanes=20, per_lane=10)
    _queue(db, "poison", "CDEAD")
    platform = FaultyPlatform(seed=20261201)
    clock = ManualClock(T0)
    outbox = Outbox(db, clock, {"console": platform}, max_attempts=5)
    for _ in range(200):
        outbox.deliver()
        if outbox.due_in() is None:
            break
        clock.advance(timedelta(minutes=2))
    assert outbox.due_in() is None  # nothing left waiting
    assert platform.rate_limited > 0 and sum(platform.counted.values()) > 0  # faults of every kind happened

    keys = platform.keys()
    assert sorted(keys) == sorted(k for ks in queued.values() for k in ks)
    assert len(keys) == len(set(keys))  # exactly once
    for channel, ks in queued.items():
        assert platform.order_in(channel) == ks
    rows = _rows(db)
    for key in keys:  # a 429 is not an attempt; every other failure is
        assert (rows[key].status, rows[key].attempts) == ("sent", platform.counted[key] + 1), key
    poison = rows["poison"]
    assert (poison.status, poison.attempts, platform.counted["poison"]) == ("dead", 5, 5)

    code, out = _cli(capsys, db, "counts")
    assert code == 0 and out.split() == ["pending", "0", "sending", "0", "sent", "200", "dead", "1"]
    code, out = _cli(capsys, db, "list", "--status", "dead")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and lines[1].split("\t")[:3] == [str(poison.id), "dead", "5"]
    assert "poison" in lines[1] and "HTTP 503" in lines[1]


def test_retry_makes_a_dead_message_due_now_with_attempts_reset(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    platform = Platform()
    platform.refuse = lambda destination, key: (_ for _ in ()).throw(SendFailed("HTTP 500"))  # type: ignore[method-assign]
    clock = ManualClock(T0)
    outbox = Outbox(db, clock, {"console": platform}, max_attempts=1)
    for key in ("a", "b", "c"):
        _queue(db, key, f"C-{key}")
    outbox.deliver()
    rows = _rows(db)
    assert {row.status for row in rows.values()} == {"dead"}

    code, out = _cli(capsys, db, "retry", str(rows["a"].id), "999999")
    assert code == 1 and out.startswith("1 message(s) due again now")
    code, out = _cli(capsys, db, "list", "--status", "pending")
    assert [line.split("\t")[6] for line in out.splitlines()[1:]] == ["a"]
    assert _rows(db)["a"].attempts == 0

    platform.refuse = Platform.refuse.__get__(platform)  # type: ignore[method-assign]
    clock.set(datetime.now(UTC) + timedelta(seconds=5))  # the CLI made it due at the real now
    assert outbox.deliver() == 1 and platform.keys() == ["a"]
    code, out = _cli(capsys, db, "retry", "--dead")
    assert code == 0 and out.startswith("2 message(s) due again now")
    clock.set(datetime.now(UTC) + timedelta(seconds=5))
    assert outbox.deliver() == 2 and sorted(platform.keys()) == ["a", "b", "c"]
    code, out = _cli(capsys, db, "retry", str(rows["a"].id))  # sent: not retried
    assert code == 1 and out.startswith("0 message(s)")
