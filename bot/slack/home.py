"""The neutral `Home` (handlers/home.py) as Slack's App Home tab (`views.publish`).

Each section's buttons carry its project channel, since a click on App Home happens in no
channel. The tab holds at most 100 blocks; sections past that are dropped with a note.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import DividerBlock
from slack_sdk.models.views import View

from bot.slack.render import SURFACE_BLOCKS, NameOf, render_blocks
from handlers.home import Home
from handlers.i18n import t
from handlers.replies import Reply

__all__ = ["render_home"]


def render_home(home: Home, names: NameOf) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    for i, section in enumerate(home.sections):
        rendered = render_blocks(
            Reply(cards=[section.card], locale=home.locale),
            channel=section.channel,
            names=names,
            start=i,
            limit=SURFACE_BLOCKS,
        )
        room = SURFACE_BLOCKS - len(blocks) - (1 if blocks else 0)
        if len(rendered) > room:
            more = render_blocks(Reply(text=t("list.more", home.locale, count=len(home.sections) - i)), start=i)
            blocks.extend(more[: max(0, SURFACE_BLOCKS - len(blocks))])
            break
        if blocks:
            blocks.append(DividerBlock(block_id=f"c{i}.sep").to_dict())
        blocks.extend(rendered)
    return View(type="home", blocks=blocks).to_dict()
