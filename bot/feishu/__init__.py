"""Feishu (Lark) messenger adapter: text commands, card JSON 2.0, card callbacks, lifecycle events.

`create_adapter(runtime)` is what `bot.runtime` calls when `[feishu] enabled = true`. Importing
this package does not import lark_oapi (about 3 s and an asyncio loop bound at import time);
the adapter imports it when it starts. See `bot/feishu/adapter.py` for the wiring and the
README section "Feishu / Lark" for setting up the app.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.feishu.adapter import FeishuAdapter
    from bot.runtime import Runtime

__all__ = ["create_adapter"]


def create_adapter(runtime: Runtime, **options: Any) -> FeishuAdapter:
    from bot.feishu.adapter import FeishuAdapter

    return FeishuAdapter(runtime, **options)
