"""`/help` and `/<area> help`: the usage lines of the command language, in the user's locale."""

from __future__ import annotations

from handlers import i18n
from handlers.command import Command
from handlers.env import Env
from handlers.grammar import AREA_ALIASES, command
from handlers.replies import Card, Reply

AREAS = ("project", "task", "milestone", "risk", "standup", "retro")


def area_help(env: Env, area: str) -> Reply:
    """Every command of `area` by its usage line, in the catalogue's order (tests/test_commands.py
    checks that the usage lines are exactly the area's commands)."""
    lines = [
        i18n.usage(key, env.locale, prefix=False)
        for key in i18n.USAGE
        if key.startswith(f"{area}.") and key != f"{area}.help"
    ]
    card = Card(
        title=env.t(f"help.title_{area}"), text=env.t(f"help.about_{area}"), lines=lines, footer=env.t("help.footer")
    )
    return Reply(cards=[card], visibility="ephemeral")


def area_help_command(env: Env, cmd: Command) -> Reply:
    """`/task help`: the handler `handlers.commands` gives every area's help command."""
    return area_help(env, cmd.area)


@command("help", "help", ("帮助",), args="optional_text", rule=None)
def help_(env: Env, cmd: Command) -> Reply:
    if cmd.text:
        wanted = cmd.text.strip().lstrip("/").lower()
        for area in AREAS:
            if wanted == area or wanted in AREA_ALIASES[area]:
                return area_help(env, area)
    lines = [f"/{area} — {env.t(f'help.about_{area}')}" for area in AREAS]
    card = Card(title=env.t("help.title"), text=env.t("help.intro"), lines=lines, footer=env.t("help.footer"))
    return Reply(cards=[card], visibility="ephemeral")
