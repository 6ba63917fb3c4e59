"""Where an outbound message goes, in platform-neutral, typed form.

Every messenger builds and reads the same `Destination` (errbot's `Identifier` is the model): the
workspace it belongs to (so a messenger never asks the database which workspace or which token a
message is for), the kind of place, the platform's id of it, the message it answers and the
project channel the content is about when it is shown somewhere else (a DM, a private chat). The
outbox stores it as JSON on the row; `MessageRef` names a message once sent, to replace it later.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, cast

__all__ = ["Destination", "Kind", "MessageRef"]

# channel: visible to everyone in it; dm: a private conversation with one user (`id` is the user);
# thread: a reply in a thread under `reply_to`; ephemeral: shown in channel `id` to `user` only.
Kind = Literal["channel", "dm", "thread", "ephemeral"]


@dataclass(frozen=True)
class Destination:
    workspace: str
    kind: Kind
    id: str
    reply_to: str = ""
    project_channel: str = ""
    user: str = ""
    # A URL the platform gave for answering one request (Slack's response_url, for an ephemeral
    # answer): a capability, so it is stored with the row but never shown in logs or reprs.
    reply_url: str = field(default="", repr=False)

    @classmethod
    def channel(cls, workspace: str, channel: str, *, reply_to: str = "", project_channel: str = "") -> Destination:
        return cls(
            workspace,
            "channel",
            channel,
            reply_to=reply_to,
            project_channel=project_channel if project_channel != channel else "",
        )

    @classmethod
    def dm(cls, workspace: str, user: str, *, project_channel: str = "", reply_to: str = "") -> Destination:
        return cls(workspace, "dm", user, reply_to=reply_to, project_channel=project_channel)

    @property
    def about(self) -> str:
        """The channel whose project the message is about ("" for a DM about no project)."""
        return self.project_channel or ("" if self.kind == "dm" else self.id)

    def at(self, ident: str) -> Destination:
        """The same destination under the id the platform reports for it (a DM's channel)."""
        return replace(self, id=ident)

    def to_dict(self) -> dict[str, str]:
        # Every field is a string: read directly, without asdict's deep copy (a tick stores thousands).
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name))}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Destination:
        fields = {
            k: str(data.get(k) or "")
            for k in ("workspace", "kind", "id", "reply_to", "project_channel", "user", "reply_url")
        }
        return cls(kind=cast(Kind, fields.pop("kind")), **fields)  # a kind is always written by to_dict


@dataclass(frozen=True)
class MessageRef:
    """A message the bot sent: where it is and the platform's id of it (to update it in place)."""

    destination: Destination
    id: str

    def to_dict(self) -> dict[str, Any]:
        return {"destination": self.destination.to_dict(), "id": self.id}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MessageRef:
        return cls(Destination.from_dict(data.get("destination") or {}), str(data.get("id") or ""))
