"""The vocabulary of the command language, and the `command` decorator that declares a command.

Each command is declared once, on its handler in its area module:

    @command("task", "done", ("完成", "close", "finish"), args="refs", rule="task.status")
    def done(env, cmd): ...

The decorator only attaches that definition to the function; `handlers.commands` collects the
definitions (importing has no side effects) and the parser and the core read them from there.
The usage line of `area.action` is `i18n.USAGE[area.action]`, which is also the command's line
in `/area help`; tests/test_commands.py checks that every command has a handler, a usage line in
both languages and a permission rule. Shared option sets and enumerated values live here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

from handlers.tokens import norm

if TYPE_CHECKING:
    from handlers.command import Command
    from handlers.env import Env
    from handlers.replies import Reply

    Handler = Callable[[Env, Command], Reply]

__all__ = [
    "AREA_ALIASES",
    "CLEARABLE",
    "DEFAULT_ACTIONS",
    "GENERAL_ENTRY",
    "Args",
    "Opt",
    "Spec",
    "alias_table",
    "command",
    "spec_of",
]

# What follows the action word:
#   none: nothing; text: required free text (a title); optional_text;
#   ref: one task/risk/retro number (-> Command.refs); refs: one or more; optional_ref: zero or one;
#   filter: zero or one of `filters` (-> Command.choice); kind_text: one of `filters`, then text.
Args = Literal["none", "text", "optional_text", "ref", "refs", "optional_ref", "filter", "kind_text"]


@dataclass(frozen=True)
class Opt:
    """A `key:value` option. `kind` names its coercer in `handlers.coerce.COERCERS`."""

    kind: str
    aliases: tuple[str, ...] = ()
    choices: dict[str, tuple[str, ...]] | None = None  # canonical -> aliases, for kind "enum"


@dataclass(frozen=True)
class Spec:
    """One command: its words, what it takes, who may run it, and the function that runs it."""

    area: str
    action: str
    aliases: tuple[str, ...]
    handler: Handler = field(compare=False)
    options: dict[str, Opt] = field(default_factory=dict)
    args: Args = "none"
    mentions: bool = False
    filters: dict[str, tuple[str, ...]] | None = None  # for args "filter" and "kind_text"
    rule: str | None = None  # the key of handlers.permissions.RULES; None: anyone, anywhere (help)

    @property
    def key(self) -> str:
        """`area.action`: the usage key, and the permission rule unless another is named."""
        return f"{self.area}.{self.action}"


_H = TypeVar("_H", bound="Handler")
_OWN_RULE = "<area.action>"


def command(
    area: str,
    action: str,
    aliases: tuple[str, ...],
    *,
    options: dict[str, Opt] | None = None,
    args: Args = "none",
    mentions: bool = False,
    filters: dict[str, tuple[str, ...]] | None = None,
    rule: str | None = _OWN_RULE,
) -> Callable[[_H], _H]:
    """Declare the decorated function as the handler of `/area action`. Attaches the definition
    and returns the function unchanged; nothing is registered until `handlers.commands` collects."""

    def attach(handler: _H) -> _H:
        spec = Spec(
            area,
            action,
            aliases,
            handler,
            dict(options or {}),
            args,
            mentions,
            filters,
            f"{area}.{action}" if rule == _OWN_RULE else rule,
        )
        handler.__command__ = spec  # type: ignore[attr-defined]
        return handler

    return attach


def spec_of(obj: object) -> Spec | None:
    """The command definition `command` attached to `obj`, if any."""
    spec = getattr(obj, "__command__", None)
    return spec if isinstance(spec, Spec) else None


def alias_table(canon_to_aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Every spelling (the canonical name too), normalised, -> the canonical name."""
    table: dict[str, str] = {}
    for canon, aliases in canon_to_aliases.items():
        for name in (canon, *aliases):
            table[norm(name)] = canon
    return table


# --- areas ----------------------------------------------------------------------------------

AREA_ALIASES: dict[str, tuple[str, ...]] = {
    "project": ("项目", "proj", "p"),
    "task": ("任务", "tasks", "t", "todo"),
    "risk": ("风险", "risks", "r"),
    "standup": ("站会", "每日站会", "晨会", "su"),
    "retro": ("复盘", "回顾", "retrospective"),
    "milestone": ("里程碑", "milestones", "ms"),
    "help": ("帮助", "?"),
}
# `/pm task add ...` and `/pm help` go through the general entry point.
GENERAL_ENTRY = ("pm", "bot", "pmbot")
# The action used when an area is given no action word.
DEFAULT_ACTIONS = {
    "project": "status",
    "task": "list",
    "risk": "list",
    "standup": "checkin",
    "retro": "show",
    "milestone": "list",
    "help": "help",
}
# Every area but `help` has `/area help`, listing its commands.
HELP_ALIASES = ("帮助", "?")

# --- enumerated values ------------------------------------------------------------------------

PRIORITIES = {
    "low": ("低", "l"),
    "medium": ("中", "med", "normal", "m"),
    "high": ("高", "h"),
    "urgent": ("紧急", "critical", "u"),
}
TASK_STATUSES = {
    "todo": ("待办", "open", "to-do"),
    "doing": ("进行中", "in-progress", "started", "wip"),
    "blocked": ("阻塞", "受阻"),
    "done": ("完成", "已完成", "closed"),
    "cancelled": ("取消", "已取消", "canceled"),
}
CATEGORIES = {
    "technical": ("技术", "tech"),
    "resource": ("资源", "res"),
    "schedule": ("进度", "时间", "sched"),
    "compliance": ("合规", "comp", "legal"),
}
STRATEGIES = {"avoid": ("规避", "回避"), "mitigate": ("减轻", "缓解"), "transfer": ("转移",), "accept": ("接受",)}
RISK_STATUSES = {
    "open": ("打开", "开放", "未关闭"),
    "mitigating": ("处理中", "缓解中", "应对中"),
    "closed": ("关闭", "已关闭"),
    "occurred": ("已发生", "发生"),
}
STANDUP_MODES = {"channel": ("群", "频道", "群聊"), "dm": ("私信", "单聊"), "both": ("都", "两者", "全部")}
RETRO_KINDS: dict[str, tuple[str, ...]] = {
    "well": ("好", "做得好", "好的", "good"),
    "bad": ("不好", "不足", "问题", "差"),
    "improve": ("改进", "待改进", "改善", "action"),
}

# --- option sets shared by several commands ---------------------------------------------------

_USER_OPTS = {
    "responsible": Opt("user", ("r", "owner", "resp", "负责", "负责人", "执行", "执行人")),
    "accountable": Opt("user", ("a", "acc", "批准", "审批", "批准人", "审批人")),
    "consulted": Opt("users", ("c", "cons", "咨询", "咨询人")),
    "informed": Opt("users", ("i", "inf", "知会", "知悉", "告知")),
}
# The plan of a task (handlers.planning): start-no-earlier-than, working days, predecessors, % done.
PLAN_FIELDS = {
    "start": Opt("date", ("开始", "开始日期", "begin", "starts")),
    "duration": Opt("workdays", ("dur", "工期", "持续", "时长")),
    "after": Opt("predecessors", ("前置", "前置任务", "依赖", "depends", "pred")),
}
TASK_FIELDS = {
    "due": Opt("date", ("截止", "到期", "截止日期", "deadline")),
    **PLAN_FIELDS,
    "progress": Opt("percent", ("进度", "完成度", "prog", "pct")),
    "parent": Opt("ref", ("父", "父任务", "上级", "under")),
    "priority": Opt("enum", ("prio", "pri", "p", "优先级"), PRIORITIES),
    "description": Opt("text", ("desc", "描述", "说明", "note")),
    "link": Opt("text", ("url", "链接")),
    **_USER_OPTS,
}
RISK_FIELDS = {
    "category": Opt("enum", ("cat", "类别", "分类", "类型"), CATEGORIES),
    "probability": Opt("int5", ("p", "prob", "概率", "可能性")),
    "impact": Opt("int5", ("i", "imp", "影响")),
    "owner": Opt("user", ("负责人", "负责", "责任人")),
    "strategy": Opt("enum", ("strat", "策略", "应对策略"), STRATEGIES),
    "trigger": Opt("text", ("触发", "触发条件")),
    "mitigation": Opt("text", ("mit", "缓解", "应对", "缓解措施")),
    "contingency": Opt("text", ("cont", "应急", "预案", "应急预案")),
    "review": Opt("date", ("复查", "评审", "复核", "review_date")),
}
PROJECT_FIELDS = {
    "tz": Opt("tz", ("timezone", "时区")),
    "lang": Opt("locale", ("locale", "language", "语言")),
    "goal": Opt("text", ("目标",)),
    "owner": Opt("user", ("负责人", "负责")),
    "start": Opt("date", ("开始", "开始日期")),
    "end": Opt("date", ("结束", "结束日期", "截止")),
    "holidays": Opt("country", ("country", "节假日", "假日")),
}
ALERT_FIELDS = {
    "digest": Opt("time", ("逾期提醒", "提醒时间")),
    "due_soon": Opt("duration", ("duesoon", "到期提醒", "提前提醒")),
    "escalate": Opt("days_count", ("升级", "升级天数")),
    "report_day": Opt("weekday", ("周报日", "reportday")),
    "report_time": Opt("time", ("周报时间", "reporttime")),
    "holiday_alerts": Opt("bool", ("节假日提醒", "holidayalerts")),
}
MILESTONE_FIELDS = {
    "date": Opt("date", ("日期", "目标", "目标日期", "on")),
    "after": PLAN_FIELDS["after"],
    "parent": TASK_FIELDS["parent"],
    "description": TASK_FIELDS["description"],
    **_USER_OPTS,
}
TITLE = Opt("text", ("标题", "名称"))
LINK = TASK_FIELDS["link"]

# The optional fields of tasks and risks; `none` / `无`, or an emptied form field, clears one
# (the option's value is then None).
CLEARABLE = {
    "task": frozenset(
        {
            "due",
            "parent",
            "responsible",
            "accountable",
            "consulted",
            "informed",
            "description",
            "link",
            "start",
            "duration",
            "after",
        }
    ),
    "risk": frozenset({"owner", "review", "trigger", "mitigation", "contingency"}),
}
