"""SlackMessenger: the Messenger port over Slack's Web API, used through the outbox.

Targets are strings the outbox can store (see `Target`): a channel or user id, plus the
workspace it belongs to (which token sends it — channel ids alone do not say) and the project
channel whose buttons the message carries when it is not posted there (a DM). Messages the
scheduler queues name only a channel or a user; the workspace and project come from the outbox
row being sent (`SENDING_KEY`).

Sends are paced per channel (`bot.pacing.Pacer`, about one per second); a rate limit the client could not wait out
inline raises `SlackSendError` with `retry_after`, which the outbox honours.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

from bot.messenger import MessageRef
from bot.outbox import SENDING_KEY
from bot.slack.client import retry_after
from bot.pacing import Pacer
from bot.slack.render import NameOf, render_message
from handlers.replies import Reply
from storage.database import Database
from storage.models import Notification, Project, Workspace

__all__ = ["Origin", "SlackMessenger", "SlackSendError", "Target", "notification_origin"]

PER_CHANNEL = 1  # chat.postMessage: about one message per second per channel


@dataclass(frozen=True)
class Target:
    """Where a message goes, stored as `<id>[?ws=T1&ctx=C9]`: a channel, user or DM id, the
    workspace key, and the project channel the message's buttons act in."""

    id: str
    workspace: str = ""
    ctx: str = ""

    def encode(self) -> str:
        params = {k: v for k, v in (("ws", self.workspace), ("ctx", self.ctx)) if v}
        return f"{self.id}?{urlencode(params)}" if params else self.id

    @classmethod
    def parse(cls, text: str) -> Target:
        ident, _, query = text.partition("?")
        q = {k: v[0] for k, v in parse_qs(query).items()}
        return cls(ident, workspace=q.get("ws", ""), ctx=q.get("ctx", ""))


@dataclass(frozen=True)
class Origin:
    """What the outbox row being sent says about a message: its workspace and project channel."""

    workspace: str = ""
    channel: str = ""


class SlackSendError(Exception):
    """A failed Web API call; `retry_after` (seconds) tells the outbox when to try again."""

    def __init__(self, error: str, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.retry_after = retry_after

    @classmethod
    def from_api(cls, exc: SlackApiError) -> SlackSendError:
        response = exc.response
        error = str(response.get("error") if response is not None and response.data else exc)
        if response is not None and response.status_code == 429:
            return cls(error or "ratelimited", retry_after(response.headers))
        return cls(error)


def notification_origin(db: Database, key: str | None) -> Origin:
    """The workspace key and project channel of the outbox row `key` (empty when unknown)."""
    if not key:
        return Origin()
    with db.session() as session:
        row = session.exec(
            select(Workspace.external_id, Project.channel_id).select_from(Notification)
            .outerjoin(Workspace, Workspace.id == Notification.workspace_id)
            .outerjoin(Project, Project.id == Notification.project_id)
            .where(Notification.key == key)
        ).first()
    return Origin(row[0] or "", row[1] or "") if row else Origin()


class SlackMessenger:
    platform = "slack"

    def __init__(self, *, client_for: Callable[[str], WebClient], pacer: Pacer | None = None,
                 names: Callable[[str], NameOf] | None = None,
                 origin: Callable[[str | None], Origin] = lambda _key: Origin()) -> None:
        self.client_for = client_for
        self.pacer = pacer or Pacer(per_key=PER_CHANNEL)
        self.names = names or (lambda _ws: lambda _user: None)
        self.origin = origin

    # --- the Messenger port --------------------------------------------------------------
    def post(self, channel: str, reply: Reply) -> MessageRef:
        target = self._complete(Target.parse(channel), dm=False)
        return self._post(target, reply)

    def dm(self, user: str, reply: Reply) -> MessageRef:
        # chat.postMessage to a user id lands in the user's DM with the bot (the App's Messages tab).
        target = self._complete(Target.parse(user), dm=True)
        return self._post(target, reply)

    def update(self, ref: MessageRef, reply: Reply) -> None:
        target = self._complete(Target.parse(ref.channel), dm=False)
        self.pacer.wait(f"{target.workspace}:{target.id}")
        self._call(target.workspace, "chat_update", channel=target.id, ts=ref.id,
                   **render_message(reply, channel=target.ctx, names=self.names(target.workspace)))

    # --- internals -----------------------------------------------------------------------
    def _post(self, target: Target, reply: Reply) -> MessageRef:
        self.pacer.wait(f"{target.workspace}:{target.id}")
        data = self._call(target.workspace, "chat_postMessage", channel=target.id, unfurl_links=False,
                          unfurl_media=False, **render_message(reply, channel=target.ctx,
                                                               names=self.names(target.workspace)))
        return MessageRef(replace(target, id=str(data.get("channel") or target.id)).encode(), str(data["ts"]))

    def _complete(self, target: Target, *, dm: bool) -> Target:
        """Fill in the workspace (and, for DMs, the project channel) from the outbox row."""
        if target.workspace and (target.ctx or not dm):
            return target
        origin = self.origin(SENDING_KEY.get())
        return replace(target, workspace=target.workspace or origin.workspace,
                       ctx=target.ctx or (origin.channel if dm else ""))

    def _call(self, workspace: str, method: str, **kwargs: Any) -> Any:
        try:
            client = self.client_for(workspace)
        except LookupError as exc:
            raise SlackSendError(str(exc)) from exc
        try:
            return getattr(client, method)(**kwargs)
        except SlackApiError as exc:
            raise SlackSendError.from_api(exc) from exc
