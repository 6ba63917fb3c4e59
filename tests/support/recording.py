"""A recording Messenger: the fake platform the scheduler and outbox tests send to."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.messenger import Destination, MessageRef
from handlers.replies import Reply


class SendFailed(Exception):
    def __init__(self, message: str = "platform unavailable", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Sent:
    kind: str  # post | dm | update
    target: str  # the channel or user id
    reply: Reply
    ref: MessageRef
    key: str = ""


@dataclass
class RecordingMessenger:
    platform: str = "console"
    sent: list[Sent] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def fail_next(self, *errors: Exception) -> None:
        self.failures.extend(errors)

    def _record(self, kind: str, reply: Reply, ref: MessageRef, key: str) -> MessageRef:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(Sent(kind, ref.destination.id, reply, ref, key))
        return ref

    def send(self, destination: Destination, reply: Reply, *, key: str) -> MessageRef:
        kind = "dm" if destination.kind == "dm" else "post"
        return self._record(kind, reply, MessageRef(destination, f"m{len(self.sent) + 1}"), key)

    def update(self, ref: MessageRef, reply: Reply, *, key: str) -> None:
        self._record("update", reply, ref, key)

    def of_kind(self, kind: str) -> list[Sent]:
        return [s for s in self.sent if s.kind == kind]
