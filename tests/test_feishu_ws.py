"""Long-connection mode: lark_oapi stays out of the import path, the SDK's ws client runs in its
own thread with the configured domain and credentials and the same dispatcher as HTTP mode,
and (in a fresh process, against a fake WebSocket endpoint) events pushed over it are answered."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import ClassVar

from storage.database import Database
from tests.support.fake_feishu import FakeFeishu
from tests.support.feishu_bot import FeishuBot
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]


def test_importing_and_creating_the_adapter_does_not_import_lark() -> None:
    code = (
        "import sys, bot.feishu, bot.feishu.adapter, bot.feishu.events, bot.feishu.http, bot.feishu.render, "
        "bot.feishu.messenger, bot.feishu.ws, bot.runtime, bot.http, handlers.core; "
        "print(sorted(m for m in sys.modules if m.startswith('lark_oapi')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


class RecordingClient:
    """Stands in for lark.ws.Client: records how it was built and where it runs."""

    built: ClassVar[list[dict]] = []

    def __init__(self, app_id: str, app_secret: str, **kw: object) -> None:
        self.release = threading.Event()
        RecordingClient.built.append(
            {
                "app_id": app_id,
                "app_secret": app_secret,
                **kw,
                "thread": threading.current_thread().name,
                "client": self,
            }
        )

    def start(self) -> None:
        RecordingClient.built[-1]["started_in"] = threading.current_thread().name
        self.release.wait(5)


def test_the_ws_client_gets_the_config_and_the_dispatcher_and_runs_in_its_own_thread(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pmbot.db'}")
    db.upgrade()
    with FakeFeishu() as fake:
        bot = FeishuBot(db, fake, mode="ws", ws_client_factory=RecordingClient)
        assert bot.adapter.routes() == []  # no HTTP route in ws mode
        bot.adapter.start()
        try:
            built = RecordingClient.built[-1]
            assert (built["app_id"], built["app_secret"], built["domain"]) == (bot.app_id, "secret", fake.url)
            assert built["event_handler"] is bot.adapter.dispatcher()
            assert built["thread"] == "pmbot-feishu-ws" != threading.current_thread().name
            assert built["auto_reconnect"] is True
            assert wait_until(lambda: built.get("started_in")) == "pmbot-feishu-ws"  # blocks that thread, not ours
        finally:
            built["client"].release.set()
            bot.adapter.stop()
    db.dispose()


def test_events_pushed_over_the_long_connection_are_answered(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tests.support.feishu_ws_run", str(tmp_path / "ws.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("{")))
    assert seen["lark_before_start"] is False and seen["lark_after_create"] is False
    assert seen["routes"] == 0
    assert seen["thread"] == "pmbot-feishu-ws" and seen["loop_is_this_threads"] is True
    assert seen["app"][0].startswith("cli_ws_") and seen["domain"].startswith("http://127.0.0.1:")
    assert seen["connected"] and seen["same_handler"]
    assert seen["answers"] == [200, 200]
    assert seen["delivered"] and seen["title"] == "#1 长连接任务"


def test_events_of_unsubscribed_types_are_acknowledged_over_the_long_connection(tmp_path: Path, caplog) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pmbot.db'}")
    db.upgrade()
    with FakeFeishu() as fake:
        bot = FeishuBot(db, fake, mode="ws", ws_client_factory=RecordingClient)
        bot.adapter.start()
        try:
            built = RecordingClient.built[-1]
            wait_until(lambda: built.get("started_in"))
            unknown = {
                "schema": "2.0",
                "header": {"event_id": "e1", "event_type": "im.chat.updated_v1", "app_id": bot.app_id},
                "event": {"chat_id": "oc_1"},
            }
            with caplog.at_level(logging.INFO):
                result = built["event_handler"]._do_without_validation(json.dumps(unknown).encode())
            assert result is None
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
            assert "im.chat.updated_v1" in caplog.text
        finally:
            built["client"].release.set()
            bot.adapter.stop()
    db.dispose()
