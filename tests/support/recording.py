"""A recording Messenger: the fake platform the scheduler and outbox tests send to."""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.messenger import MessageRef
from handlers.replies import Reply


class SendFailed(Exception):
    def __init__(self, message: str = "platform unavailable", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Sent:
    kind: str  # post | dm | update
    target: str
    reply: Reply
    ref: MessageRef


@dataclass
class RecordingMessenger:
    platform: str = "console"
    sent: list[Sent] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def fail_next(self, *errors: Exception) -> None:
        self.failures.extend(errors)

    def _record(self, kind: str, target: str, reply: Reply, ref: MessageRef | None = None) -> MessageRef:
        if self.failures:
            raise self.failures.pop(0)
        ref = ref or MessageRef(target, f"m{len(self.sent) + 1}")
        self.sent.append(Sent(kind, target, reply, ref))
        return ref

    def post(self, channel: str, reply: Reply) -> MessageRef:
        return self._record("post", channel, reply)

    def dm(self, user: str, reply: Reply) -> MessageRef:
        return self._record("dm", user, reply)

    def update(self, ref: MessageRef, reply: Reply) -> None:
        self._record("update", ref.channel, reply, ref)

    def of_kind(self, kind: str) -> list[Sent]:
        return [s for s in self.sent if s.kind == kind]
