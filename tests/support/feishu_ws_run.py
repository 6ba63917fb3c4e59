"""Run the Feishu adapter in long-connection mode against the fake Feishu (HTTP + WebSocket), in
a fresh process so that lark_oapi is imported for the first time by the adapter's own thread.

    python -m tests.support.feishu_ws_run SQLITE_PATH

Prints one JSON object with what it observed; `tests/test_feishu_ws.py` asserts on it.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from typing import Any

from tests.support.waiting import wait_until


def main(db_path: str) -> dict[str, Any]:
    from bot.adapters import AdapterDeps
    from bot.clock import SystemClock
    from bot.feishu import create_adapter
    from bot.outbox import Outbox
    from bot.runtime import defaults_from
    from handlers.core import Core
    from storage.database import Database
    from tests.support import feishu_payloads as p
    from tests.support.fake_feishu import FakeFeishu
    from tests.support.feishu_bot import feishu_config

    seen: dict[str, Any] = {"lark_before_start": any(m.startswith("lark_oapi") for m in sys.modules)}

    def factory(*args: Any, **kw: Any) -> Any:
        import asyncio

        import lark_oapi

        seen.update(
            thread=threading.current_thread().name,
            app=list(args),
            domain=kw["domain"],
            loop_is_this_threads=asyncio.get_event_loop() is lark_oapi.ws.client.loop,
        )
        seen["handler"] = kw["event_handler"]
        return lark_oapi.ws.Client(*args, **kw)

    fake = FakeFeishu().start()
    fake.serve_websocket()
    db = Database(f"sqlite:///{db_path}")
    db.upgrade()
    app_id = f"cli_ws_{uuid.uuid4().hex[:8]}"
    config = feishu_config(fake.url, app_id, mode="ws")
    clock = SystemClock()
    deps = AdapterDeps(
        config=config.feishu, core=Core(db, defaults_from(config)), db=db, clock=clock, outbox=Outbox(db, clock)
    )
    adapter = create_adapter(deps, ws_client_factory=factory)
    seen["lark_after_create"] = any(m.startswith("lark_oapi") for m in sys.modules)
    seen["routes"] = len(adapter.routes())
    adapter.start()
    try:
        seen["connected"] = bool(wait_until(lambda: fake.ws_connected, 20, 0.05))
        seen["same_handler"] = seen.pop("handler") is adapter.dispatcher()
        bot = p.mention("@_user_1", "ou_bot", "pmbot")
        for n, text in enumerate(('@_user_1 /项目 初始化 "长连接"', "@_user_1 /任务 新建 长连接任务")):
            fake.push_event(p.message(text, token="", app_id=app_id, mentions=[bot]), message_id=f"ws-{n}")
            wait_until(lambda n=n: len(fake.ws_answers) > n, 20, 0.05)
        seen["answers"] = [a.get("code") for a in fake.ws_answers]
        seen["delivered"] = bool(wait_until(lambda: len(fake.sent("reply")) == 2, 20, 0.05))
        seen["title"] = fake.sent("reply")[-1].card["header"]["title"]["content"] if fake.sent("reply") else None
    finally:
        adapter.stop()
        fake.stop()
        db.dispose()
    return seen


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1]), ensure_ascii=False))
