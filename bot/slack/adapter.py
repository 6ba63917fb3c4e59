"""The Slack adapter: wires the bolt App, the listeners, the messenger, the delivery thread and
either the HTTP routes or the Socket Mode connection, as `[slack]` in the config says.

Construction makes no network call (bolt checks the token on the first request instead), so
`pmbot tick` and tests can build it freely. `start()` opens the Socket Mode connection (socket
mode) and starts the delivery thread; in HTTP mode bolt answers `POST /slack/events` on the
bot's one ASGI server. Bolt's Starlette adapter dispatches synchronously, which would block the
event loop while a listener waits for its ack, so the route runs the dispatch in a worker thread.

The route checks Slack's signature itself, on the raw bytes, before anything parses the body
(bolt parses first and verifies later, so garbage became a 500 with a traceback, and its
verification failure logs the whole body at INFO): a request without a numeric timestamp, with a
wrong signature or older than five minutes gets 401 and is logged without its body; a signed
body that is not UTF-8, not JSON or nested too deeply gets 400.

With one configured `bot_token` the app serves the token's own team only (auth.test's team_id):
a signed request for another team is refused with 403 instead of creating a workspace for it.

Answers are queued in the outbox (`Core.queue`) and sent by the adapter's own delivery thread,
which delivers only Slack's rows; leases keep it safe next to the scheduler's deliveries and
other replicas.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.adapters import AdapterDeps
from bot.inbox import inbox_for
from bot.outbox import SETTLE_SECONDS
from bot.pacing import Pacer
from bot.slack.app import SlackListeners
from bot.slack.client import send_retry_handlers, web_client
from bot.slack.messenger import PER_CHANNEL, SlackMessenger
from bot.slack.oauth import INSTALL_PATH, REDIRECT_PATH, Tokens, oauth_settings
from bot.slack.users import UserDirectory

__all__ = ["EVENTS_PATH", "SlackAdapter"]

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
RECONNECT_DELAY = 5.0
SIGNATURE_WINDOW = 5 * 60  # seconds a signed request stays valid (Slack's recommendation)


class SlackAdapter:
    platform = "slack"

    def __init__(
        self,
        deps: AdapterDeps,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`sleep` and `monotonic` drive pacing, rate-limit waits and the users.info cache (tests
        pass fakes)."""
        self.config = cfg = deps.config
        self._sleep, self._monotonic = sleep, monotonic
        self.client = web_client(cfg.bot_token or None, base_url=cfg.api_base_url, sleep=sleep)
        oauth = cfg.client_id and cfg.client_secret
        settings = (
            oauth_settings(client_id=cfg.client_id, client_secret=cfg.client_secret, engine=deps.db.engine)
            if oauth
            else None
        )
        self.tokens = Tokens(
            bot_token=cfg.bot_token,
            store=settings.installation_store if settings else None,
            client_id=cfg.client_id,
            client_secret=cfg.client_secret,
            client=self.client,
        )
        self.app = App(
            client=self.client,
            signing_secret=cfg.signing_secret or None,
            oauth_settings=settings,
            token_verification_enabled=False,
            request_verification_enabled=False,  # `_events` verifies before the body is parsed
            process_before_response=True,  # listeners only store and ack (see bot/slack/app.py)
            name="pmbot",
        )
        self.users = UserDirectory(clock=monotonic)
        self._clients: dict[str, WebClient] = {}
        self._clients_lock = threading.Lock()
        self.messenger = SlackMessenger(
            client_for=self.client_for,
            names=self.users.names,
            pacer=Pacer(per_key=PER_CHANNEL, per_app=cfg.workspace_rate or None, clock=monotonic, sleep=sleep),
        )
        self.outbox = deps.outbox
        self.outbox.register(self.messenger)
        self.worker = self.outbox.worker(self.platform)
        self.listeners = SlackListeners(
            core=deps.core,
            kick=self.worker.kick,
            users=self.users,
            clock=deps.clock,
            commands=cfg.commands,
            client_for=self.client_for,
            inbox=inbox_for(deps, self.platform, self.worker.kick),
        )
        self.listeners.register(self.app)
        self.inbox = self.listeners.inbox
        self.executor = self.inbox.executor  # the workers that process what the listeners stored
        if settings is None:
            self.app.middleware(_token_team_only)
        self._socket: Any = None
        self._stopping = threading.Event()

    # --- the Adapter protocol ------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = []
        if self.config.mode == "http":
            routes.append(Route(EVENTS_PATH, self._events, methods=["POST"]))
        if self.app.oauth_flow is not None:  # the install flow needs HTTP in Socket Mode too
            routes += [
                Route(INSTALL_PATH, self._oauth, methods=["GET"]),
                Route(REDIRECT_PATH, self._oauth, methods=["GET"]),
            ]
        return routes

    def start(self) -> None:
        self.worker.start()
        self.inbox.start()
        if self.config.mode == "socket":
            threading.Thread(target=self._connect, name="pmbot-slack-socket", daemon=True).start()
        log.info(
            "Slack adapter started (%s mode%s)",
            self.config.mode,
            ", OAuth installs" if self.app.oauth_flow is not None else "",
        )

    def stop(self) -> None:
        self._stopping.set()
        if self._socket is not None:
            try:
                self._socket.close()
            except Exception:
                log.warning("closing the Socket Mode connection failed", exc_info=True)
        self.inbox.stop()
        self.worker.stop()

    def deliver(self, seconds: float = SETTLE_SECONDS) -> int:
        """Send Slack's queued messages that are due, waiting (on the injected clock) for paced
        channels and retries that fall due within `seconds`; the sender threads do this by
        themselves, tests and scripts call it to settle the outbox."""
        return self.outbox.drain(seconds, platform=self.platform, sleep=self._sleep, monotonic=self._monotonic)

    # --- clients -------------------------------------------------------------------------
    def client_for(self, workspace: str) -> WebClient:
        """A Web API client with the bot token of `workspace` (see `Tokens`)."""
        token = self.tokens.token(workspace)
        with self._clients_lock:
            client = self._clients.get(token)
            if client is None:
                client = self._clients[token] = WebClient(
                    token=token,
                    base_url=self.client.base_url,
                    timeout=self.client.timeout,
                    retry_handlers=send_retry_handlers(self.client.retry_handlers),
                )
            return client

    # --- HTTP ----------------------------------------------------------------------------
    async def _events(self, request: Request) -> Response:
        body = await request.body()
        refusal = self._unsigned(body, request.headers)
        if refusal is None:
            try:
                bolt_request = to_bolt_request(request, body)
            except (ValueError, RecursionError):  # not UTF-8 (UnicodeDecodeError), not JSON, too deep
                refusal = "body is not UTF-8 JSON or form data that can be read", 400
        if refusal is not None:
            log.warning("refused a Slack request: %s", refusal[0])
            return JSONResponse({"error": refusal[0]}, status_code=refusal[1])
        response = await run_in_threadpool(self.app.dispatch, bolt_request)
        return to_starlette_response(response)

    def _unsigned(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, int] | None:
        """Why the request is not Slack's (reason, 401), or None: Slack's v0 signature over the raw
        bytes, within `SIGNATURE_WINDOW`."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        if not timestamp.isdigit():
            return "missing or non-numeric X-Slack-Request-Timestamp", 401
        if abs(time.time() - int(timestamp)) > SIGNATURE_WINDOW:
            return "X-Slack-Request-Timestamp outside the five-minute window", 401
        secret = (self.config.signing_secret or "").encode()
        expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-slack-signature", "")):
            return "wrong signature", 401
        return None

    async def _oauth(self, request: Request) -> Response:
        flow = self.app.oauth_flow
        bolt_request = to_bolt_request(request, await request.body())
        handle = flow.handle_installation if request.url.path == INSTALL_PATH else flow.handle_callback
        return to_starlette_response(await run_in_threadpool(handle, bolt_request))

    # --- Socket Mode ---------------------------------------------------------------------
    def _connect(self) -> None:
        """Open the Socket Mode connection, retrying until it works or the adapter stops
        (the SDK's client reconnects by itself once connected)."""
        while not self._stopping.is_set():
            try:
                self._socket = _socket_handler(self.app, self.config.app_token)
                self._socket.connect()
                log.info("Slack Socket Mode connected")
                return
            except Exception:
                log.warning("Slack Socket Mode connection failed; retrying in %ss", RECONNECT_DELAY, exc_info=True)
                if self._socket is not None:
                    try:
                        self._socket.close()
                    except Exception:
                        log.debug("closing a failed connection failed", exc_info=True)
                    self._socket = None
                self._stopping.wait(RECONNECT_DELAY)


def _token_team_only(context: Any, next: Callable[[], Any]) -> Any:
    """Single-token mode: refuse requests for a team other than the token's (auth.test)."""
    authorized = context.authorize_result
    if authorized is not None:
        for field in ("enterprise_id", "team_id"):
            ours, theirs = getattr(authorized, field, None), getattr(context, field, None)
            if ours and theirs and ours != theirs:
                log.warning("refused a Slack request for %s %s: the bot token belongs to %s", field, theirs, ours)
                return BoltResponse(status=403, body="this app serves another Slack workspace")
    return next()


def _socket_handler(app: App, app_token: str) -> Any:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token)
