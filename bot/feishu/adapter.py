"""The Feishu adapter: wires the event handlers, the messenger, the delivery thread and either
the HTTP route or the long connection, as `[feishu]` in the config says.

Construction imports no lark_oapi (so `create_adapter` is cheap and testable); `start()`
imports it — in the main thread for HTTP mode, so the first request does not pay the ~3 s
import inside Feishu's 3-second deadline, and in the long-connection thread for ws mode.

Events are stored in the durable inbox before they are acknowledged and processed on the
inbox's workers, one chat at a time in arrival order (bot/inbox.py, bot/feishu/events.py).
Answers are queued in the outbox (`Core.queue`: durable, idempotent, retried) and sent by a
delivery thread that wakes when something is queued and every few seconds for retries. It
delivers Feishu's rows only; leases make it safe next to the scheduler's deliveries or other
replicas.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.routing import BaseRoute

from bot.adapters import AdapterDeps
from bot.clock import Clock, SystemClock
from bot.feishu.events import FeishuEvents, NameBook, build_dispatcher
from bot.feishu.http import FeishuWebhook
from bot.feishu.messenger import LIMITS, FeishuMessenger
from bot.feishu.ws import LongConnection
from bot.inbox import inbox_for
from bot.outbox import SETTLE_SECONDS
from bot.pacing import Pacer

__all__ = ["FeishuAdapter"]

log = logging.getLogger(__name__)


class FeishuAdapter:
    platform = "feishu"

    def __init__(
        self,
        deps: AdapterDeps,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        request_clock: Clock | None = None,
        ws_client_factory: Callable[..., Any] | None = None,
    ) -> None:
        """`sleep` and `monotonic` drive pacing (tests pass fakes)."""
        self.config = deps.config
        self._sleep, self._monotonic = sleep, monotonic
        self.names = NameBook()
        self.messenger = FeishuMessenger(
            app_id=self.config.app_id,
            app_secret=self.config.app_secret,
            domain=self.config.domain,
            names=self.names,
            pacer=Pacer(**LIMITS, clock=monotonic, sleep=sleep),
        )
        self.outbox = deps.outbox
        self.outbox.register(self.messenger)
        self.worker = self.outbox.worker(self.platform)
        self.events = FeishuEvents(
            core=deps.core,
            clock=deps.clock,
            defaults=deps.core.defaults,
            kick=self.worker.kick,
            bot_open_id=self.messenger.known_bot_open_id,
            names=self.names,
            inbox=inbox_for(deps, self.platform, self.worker.kick),
        )
        self.inbox = self.events.inbox
        self.executor = self.inbox.executor  # the workers that process what the handlers stored
        # Request timestamps are checked against real time, not the runtime's clock (which the
        # console's `:now` / `:advance` may have moved for a demo).
        self.webhook = FeishuWebhook(
            dispatcher=self.dispatcher,
            app_id=self.config.app_id,
            encrypt_key=self.config.encrypt_key,
            verification_token=self.config.verification_token,
            clock=request_clock or SystemClock(),
        )
        self.connection = (
            LongConnection(
                app_id=self.config.app_id,
                app_secret=self.config.app_secret,
                domain=self.config.domain,
                dispatcher=self.dispatcher,
                client_factory=ws_client_factory,
            )
            if self.config.mode == "ws"
            else None
        )
        self._dispatcher: Any = None
        self._lock = threading.Lock()

    def dispatcher(self) -> Any:
        """The SDK's event dispatcher, built on first use (this imports lark_oapi)."""
        with self._lock:
            if self._dispatcher is None:
                self._dispatcher = build_dispatcher(
                    self.events, encrypt_key=self.config.encrypt_key, verification_token=self.config.verification_token
                )
            return self._dispatcher

    def deliver(self, seconds: float = SETTLE_SECONDS) -> int:
        """Send Feishu's queued messages that are due, waiting (on the injected clock) for paced
        channels and retries that fall due within `seconds`; the sender threads do this by
        themselves, tests and scripts call it to settle the outbox."""
        return self.outbox.drain(seconds, platform=self.platform, sleep=self._sleep, monotonic=self._monotonic)

    def routes(self) -> list[BaseRoute]:
        return [self.webhook.route()] if self.config.mode == "http" else []

    def start(self) -> None:
        if self.connection is not None:
            self.connection.start()
            self.connection.ready.wait(30)
        else:
            self.dispatcher()
        self.worker.start()
        self.inbox.start()
        threading.Thread(target=self._learn_bot_id, name="pmbot-feishu-bot-info", daemon=True).start()
        log.info("Feishu adapter started (%s mode, %s)", self.config.mode, self.config.domain)

    def stop(self) -> None:
        if self.connection is not None:
            self.connection.stop()
        self.inbox.stop()
        self.worker.stop()

    def _learn_bot_id(self) -> None:
        """Fetch the bot's open_id so group messages can be checked for a mention of it."""
        try:
            self.messenger.bot_open_id()
        except Exception:
            log.warning(
                "could not fetch the bot's open_id; mentions before a command count as addressed to it", exc_info=True
            )
