"""`/help` and `/<area> help`: the usage lines of the command language, in the user's locale."""
from __future__ import annotations

from handlers import i18n
from handlers.env import Env
from handlers.parse import AREA_ALIASES, SPECS, Command
from handlers.replies import Card, Reply

AREAS = ("project", "task", "risk", "standup", "retro")


def area_help(env: Env, area: str) -> Reply:
    lines = [i18n.usage(f"{area}.{action}", env.locale, prefix=False)
             for action in SPECS[area] if action != "help"]
    card = Card(title=env.t(f"help.title_{area}"), text=env.t(f"help.about_{area}"), lines=lines,
                footer=env.t("help.footer"))
    return Reply(cards=[card], visibility="ephemeral")


def help_(env: Env, cmd: Command) -> Reply:
    if cmd.text:
        wanted = cmd.text.strip().lstrip("/").lower()
        for area in AREAS:
            if wanted == area or wanted in AREA_ALIASES[area]:
                return area_help(env, area)
    lines = [f"/{area} — {env.t(f'help.about_{area}')}" for area in AREAS]
    card = Card(title=env.t("help.title"), text=env.t("help.intro"), lines=lines, footer=env.t("help.footer"))
    return Reply(cards=[card], visibility="ephemeral")


ROUTES = {"help": help_}
