"""Milestones: tasks that take no time (as in MS Project), numbered with the tasks.

`/milestone add "Go-live" date:2027-01-15 after:#7 A:@alice` creates task #N with `milestone`
set. Its `date:` is both its start-no-earlier-than and its deadline (due), so the engine
forecasts it on that date unless its predecessors push it later, and a later forecast shows as
late against that date. Everything else about it (editing, done, delete) is a task's.
"""

from __future__ import annotations

from dataclasses import replace

from handlers import permissions
from handlers.command import Command
from handlers.env import Env
from handlers.grammar import MILESTONE_FIELDS, command
from handlers.planning import milestone_line, plan_of
from handlers.replies import Reply
from handlers.tasks import create
from handlers.views import list_card

__all__ = ["add", "list_milestones"]


@command(
    "milestone", "add", ("新建", "添加", "创建", "new", "create"), options=MILESTONE_FIELDS, args="text", mentions=True
)
def add(env: Env, cmd: Command) -> Reply:
    usage = "milestone.add"
    permissions.check(env, "milestone.add", usage=usage)
    options = {key: value for key, value in cmd.options.items() if key != "date"}
    if cmd.options.get("date"):
        options.update(due=cmd.options["date"], start=cmd.options["date"])
    return create(env, replace(cmd, options=options), usage, milestone=True)


@command("milestone", "list", ("列表", "列出", "ls"))
def list_milestones(env: Env, cmd: Command) -> Reply:
    plan = plan_of(env, "milestone.list")
    numbers = [n for n, t in plan.tasks.items() if t.milestone]
    card = list_card(
        env,
        env.t("milestone.list_title", count=len(numbers)),
        [milestone_line(env, plan, n) for n in numbers],
        env.t("milestone.list_empty"),
    )
    return Reply(cards=[card], visibility="ephemeral")
