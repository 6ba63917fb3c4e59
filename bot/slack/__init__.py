"""Slack messenger adapter: slash commands, Block Kit cards, modals, App Home, in Socket Mode or
over HTTP, for one workspace (a bot token) or many (OAuth installs).

`create_adapter(deps)` is what the runtime calls (through `bot.registry.MESSENGERS`) when
`[slack] enabled = true`; importing this package imports no Slack SDK. See `bot/slack/adapter.py`
for the wiring, `bot/slack/app.py` for the listeners, and the README section "Slack" for setting
up the app (`slack/manifest.json` creates it in one step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.adapters import AdapterDeps
    from bot.slack.adapter import SlackAdapter

__all__ = ["create_adapter"]


def create_adapter(deps: AdapterDeps, **options: Any) -> SlackAdapter:
    from bot.slack.adapter import SlackAdapter

    return SlackAdapter(deps, **options)
