"""SlackMessenger: the Messenger port over Slack's Web API, used through the outbox.

A `Destination` names the workspace (which token sends it — channel ids alone do not say), the
channel or user (`chat.postMessage` to a user id lands in their DM with the bot), and the
project channel whose buttons the message carries when it is not posted there (a DM).

Sends are paced per channel (`bot.pacing.Pacer`, about one per second, in the group of the
workspace): a busy channel raises `Paced` before any call, and the outbox sends other channels'
messages meanwhile. A rate limit Slack answers (HTTP 429) backs the whole workspace off for its
`Retry-After` and raises `SlackRateLimited`; the outbox retries the message then, without
counting a failed attempt. Any other refusal raises `SlackSendError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.messenger import Destination, MessageRef
from bot.pacing import Deferred, Pacer
from bot.slack.client import retry_after
from bot.slack.render import NameOf, render_message
from handlers.replies import Reply

__all__ = ["PER_CHANNEL", "SlackMessenger", "SlackRateLimited", "SlackSendError"]

PER_CHANNEL = 1  # chat.postMessage: about one message per second per channel


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
            return SlackRateLimited(error or "ratelimited", retry_after(response.headers))
        return cls(error)


class SlackRateLimited(SlackSendError, Deferred):
    """HTTP 429: Slack refused the call; try again after `retry_after` seconds."""

    retry_after: float


class SlackMessenger:
    platform = "slack"

    def __init__(
        self,
        *,
        client_for: Callable[[str], WebClient],
        pacer: Pacer | None = None,
        names: Callable[[str], NameOf] | None = None,
    ) -> None:
        self.client_for = client_for
        self.pacer = pacer or Pacer(per_key=PER_CHANNEL)
        self.names = names or (lambda _ws: lambda _user: None)

    # --- the Messenger port --------------------------------------------------------------
    def send(self, destination: Destination, reply: Reply, *, key: str) -> MessageRef:
        if destination.kind == "ephemeral":
            return self._ephemeral(destination, reply)
        thread = {"thread_ts": destination.reply_to} if destination.reply_to else {}
        data = self._call(
            destination,
            "chat_postMessage",
            channel=destination.id,
            unfurl_links=False,
            unfurl_media=False,
            **thread,
            **self._render(destination, reply),
        )
        return MessageRef(destination.at(str(data.get("channel") or destination.id)), str(data["ts"]))

    def update(self, ref: MessageRef, reply: Reply, *, key: str) -> None:
        self._call(
            ref.destination,
            "chat_update",
            channel=ref.destination.id,
            ts=ref.id,
            **self._render(ref.destination, reply),
        )

    # --- internals -----------------------------------------------------------------------
    def _ephemeral(self, destination: Destination, reply: Reply) -> MessageRef:
        """An answer for one user: by the request's response_url (valid 30 minutes, 5 uses; it
        also reaches conversations the bot is not in), else by chat.postEphemeral. Ephemeral
        messages have no id to update later. The URL is a capability: never in an error text."""
        body = self._render(destination, reply)
        if destination.reply_url:
            try:
                response = WebhookClient(destination.reply_url).send_dict(
                    {"response_type": "ephemeral", "replace_original": False, **body}
                )
            except Exception as exc:  # unreachable: retried later (the URL may still be valid)
                raise SlackSendError(f"response_url unreachable ({type(exc).__name__})") from None
            if response.status_code == 200:
                return MessageRef(destination, "")
        self._call(destination, "chat_postEphemeral", channel=destination.id, user=destination.user, **body)
        return MessageRef(destination, "")

    def _render(self, destination: Destination, reply: Reply) -> dict[str, Any]:
        return render_message(reply, channel=destination.project_channel, names=self.names(destination.workspace))

    def _call(self, destination: Destination, method: str, **kwargs: Any) -> Any:
        """One paced Web API call with the token of the destination's workspace (raises `Paced`
        without calling when the channel or the workspace is busy)."""
        try:
            client = self.client_for(destination.workspace)
        except LookupError as exc:
            raise SlackSendError(str(exc)) from exc
        workspace = destination.workspace
        self.pacer.admit(f"{workspace}:{destination.id}", workspace)
        try:
            return getattr(client, method)(**kwargs)
        except SlackApiError as exc:
            error = SlackSendError.from_api(exc)
            if isinstance(error, SlackRateLimited):
                self.pacer.back_off(workspace, error.retry_after)
            raise error from exc
