"""The outbox: idempotent queueing, retries with backoff, leases, never losing a message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.outbox import Outbox
from handlers.core import Core
from handlers.destination import Destination, MessageRef
from handlers.notify import queue
from handlers.replies import Card, Reply
from storage.database import Database
from storage.models import Notification
from tests.support.recording import RecordingMessenger, SendFailed

C1 = Destination.channel("W1", "C1")
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def _outbox(db: Database, messenger: RecordingMessenger, **kw) -> tuple[Outbox, ManualClock]:
    clock = ManualClock(T0)
    return Outbox(db, clock, {messenger.platform: messenger}, **kw), clock


def _queue(
    db: Database,
    key: str = "k1",
    destination: Destination = C1,
    *,
    replaces: MessageRef | None = None,
) -> bool:
    return Core(db).queue(
        "console", key, destination, Reply(text="hi", cards=[Card(title="T")]), now=T0, replaces=replaces
    )


def _row(db: Database, key: str = "k1") -> Notification:
    with db.session() as s:
        return s.exec(select(Notification).where(Notification.key == key)).one()


def test_same_key_is_queued_and_sent_once(db: Database) -> None:
    messenger = RecordingMessenger()
    outbox, _ = _outbox(db, messenger)
    assert _queue(db) is True
    assert _queue(db) is False
    assert outbox.deliver() == 1
    assert outbox.deliver() == 0
    assert _queue(db) is False  # also after it was sent
    assert [(s.kind, s.target, s.reply.cards[0].title, s.key) for s in messenger.sent] == [("post", "C1", "T", "k1")]
    row = _row(db)
    assert (row.status, row.attempts, row.message_id) == ("sent", 1, "m1")
    assert outbox.sent_ref("k1") == MessageRef(Destination.channel("W1", "C1"), "m1")


def test_failed_send_is_retried_with_backoff_then_delivered_once(db: Database) -> None:
    messenger = RecordingMessenger()
    messenger.fail_next(SendFailed(), SendFailed())
    outbox, clock = _outbox(db, messenger)
    _queue(db)
    assert outbox.deliver() == 0
    assert _row(db).next_attempt_at == T0 + timedelta(seconds=10)
    assert outbox.deliver() == 0  # not due yet: nothing is attempted
    clock.advance(timedelta(seconds=10))
    assert outbox.deliver() == 0
    assert _row(db).next_attempt_at == clock.now() + timedelta(seconds=20)
    clock.advance(timedelta(seconds=20))
    assert outbox.deliver() == 1
    row = _row(db)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
    assert len(messenger.sent) == 1


def test_retry_after_from_the_platform_is_honoured(db: Database) -> None:
    messenger = RecordingMessenger()
    messenger.fail_next(SendFailed("rate limited", retry_after=120))
    outbox, _ = _outbox(db, messenger)
    _queue(db)
    outbox.deliver()
    assert _row(db).next_attempt_at == T0 + timedelta(seconds=120)
    assert "rate limited" in _row(db).last_error


def test_message_is_kept_as_dead_after_max_attempts_not_dropped(db: Database) -> None:
    messenger = RecordingMessenger()
    messenger.fail_next(*[SendFailed()] * 3)
    outbox, clock = _outbox(db, messenger, max_attempts=3)
    _queue(db)
    for _ in range(3):
        outbox.deliver()
        clock.advance(timedelta(hours=2))
    row = _row(db)
    assert (row.status, row.attempts) == ("dead", 3)
    assert row.payload["text"] == "hi"  # the message itself is still there


class ProcessDied(BaseException):
    """The sending process ends in the middle of a send (nothing after it runs, as on a kill)."""


def test_a_leased_message_is_not_sent_twice_but_an_expired_lease_is_retaken(db: Database) -> None:
    doomed = RecordingMessenger()
    doomed.fail_next(ProcessDied())
    crashed, clock = _outbox(db, doomed)
    _queue(db)
    with pytest.raises(ProcessDied):
        crashed.deliver()  # took the message, then died while sending it
    messenger = RecordingMessenger()
    replica = Outbox(db, clock, {messenger.platform: messenger})
    clock.advance(timedelta(minutes=5) - timedelta(seconds=1))
    assert replica.deliver() == 0 and messenger.sent == []  # still leased to the dead process
    clock.advance(timedelta(seconds=1))
    assert replica.deliver() == 1 and len(messenger.sent) == 1
    assert replica.deliver() == 0


def test_dm_and_update_targets(db: Database) -> None:
    messenger = RecordingMessenger()
    outbox, _ = _outbox(db, messenger)
    _queue(db, "a", Destination.dm("W1", "alice", project_channel="C1"))
    _queue(db, "b", replaces=MessageRef(Destination.channel("W1", "C1"), "m9"))
    outbox.deliver()
    assert [(s.kind, s.target, s.ref.id) for s in messenger.sent] == [("dm", "alice", "m1"), ("update", "C1", "m9")]
    assert messenger.sent[0].ref.destination.project_channel == "C1"


def test_an_update_by_key_waits_until_the_original_is_sent_then_replaces_it(db: Database) -> None:
    messenger = RecordingMessenger()
    messenger.fail_next(SendFailed())
    outbox, clock = _outbox(db, messenger)
    _queue(db, "summary")
    with db.session() as session:
        queue(
            session,
            key="summary-update",
            platform="console",
            destination=Destination.channel("W1", "C1"),
            reply=Reply(text="later"),
            now=T0,
            replaces="summary",
        )
    assert outbox.deliver() == 0  # the original failed; the update waits behind it in its lane
    waiting = _row(db, "summary-update")
    assert (waiting.status, waiting.attempts, waiting.last_error) == ("pending", 0, "")
    clock.advance(timedelta(seconds=10))
    assert outbox.deliver() == 2
    assert [(s.kind, s.ref.id, s.reply.text) for s in messenger.sent] == [
        ("post", "m1", "hi"),
        ("update", "m1", "later"),
    ]


def test_messages_for_a_platform_without_messenger_wait(db: Database) -> None:
    messenger = RecordingMessenger(platform="slack")
    outbox, _ = _outbox(db, messenger)
    _queue(db)  # for "console"
    assert outbox.deliver() == 0 and _row(db).status == "pending"
