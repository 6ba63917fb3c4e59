"""Feishu (Lark) messenger adapter: text commands, card JSON 2.0, card callbacks, lifecycle events.

`create_adapter(deps)` is what the runtime calls (through `bot.registry.MESSENGERS`) when
`[feishu] enabled = true`. Importing this package does not import lark_oapi (about 3 s and an
asyncio loop bound at import time); the adapter imports it when it starts. See `bot/feishu/adapter.py` for the wiring and the
README section "Feishu / Lark" for setting up the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.adapters import AdapterDeps
    from bot.feishu.adapter import FeishuAdapter

__all__ = ["create_adapter"]


def create_adapter(deps: AdapterDeps, **options: Any) -> FeishuAdapter:
    from bot.feishu.adapter import FeishuAdapter

    return FeishuAdapter(deps, **options)
