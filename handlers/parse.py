"""The command language: text in, a typed `Command` or a `ParseError` out. Pure functions.

    /task add "Migrate orders DB" @alice due:fri A:@bob C:@carol,@dan parent:#3 prio:high
    /任务 新建 迁移订单库 负责:@张三 截止:下周五

A line is `/<area> [<action>] [words...] [key:value...] [@mentions...]`. Words may be quoted
("..", '..', “..”, 「..」); option values too (`due:"next monday 5pm"`). Keys, actions, areas
and enumerated values have English and Chinese aliases. Date values are kept as text (they
are resolved against the project's time zone by the handlers); an unquoted date value also
takes the date words that follow it, so `due:next monday` means what it says.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from handlers.replies import clean_user_text

__all__ = [
    "Command",
    "ParseError",
    "UserRef",
    "is_command",
    "parse",
    "parse_ref",
    "command_from_payload",
    "SPECS",
]


@dataclass(frozen=True)
class UserRef:
    """A platform-neutral user reference: `@alice` or Slack's `<@U123|alice>`."""

    id: str
    name: str = ""


@dataclass(frozen=True)
class Command:
    area: str
    action: str
    words: tuple[str, ...] = ()
    mentions: tuple[UserRef, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def opt(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


class ParseError(ValueError):
    """Not a valid command. `code` names the problem (a message catalogue key), `usage`
    the usage entry to show ("task.add", or "" for the general help), `detail` the values
    the message needs."""

    def __init__(self, code: str, usage: str = "", **detail: Any) -> None:
        super().__init__(code, usage, detail)
        self.code = code
        self.usage = usage
        self.detail = detail


# --- the grammar --------------------------------------------------------------------------

@dataclass(frozen=True)
class Opt:
    kind: str  # text | int5 | enum | user | users | date | daterange | duration | time | days | ref | tz | locale | country | bool
    aliases: tuple[str, ...] = ()
    choices: dict[str, tuple[str, ...]] | None = None  # canonical -> aliases


@dataclass(frozen=True)
class Action:
    aliases: tuple[str, ...]
    options: dict[str, Opt] = field(default_factory=dict)
    words: str = "none"  # none | text | ref | refs | filter | kind_text | optional_text
    mentions: bool = False
    filters: dict[str, tuple[str, ...]] | None = None  # for words="filter"


PRIORITIES = {"low": ("低", "l"), "medium": ("中", "med", "normal", "m"),
              "high": ("高", "h"), "urgent": ("紧急", "critical", "u")}
TASK_STATUSES = {"todo": ("待办", "open", "to-do"), "doing": ("进行中", "in-progress", "started", "wip"),
                 "blocked": ("阻塞", "受阻"), "done": ("完成", "已完成", "closed"),
                 "cancelled": ("取消", "已取消", "canceled")}
CATEGORIES = {"technical": ("技术", "tech"), "resource": ("资源", "res"),
              "schedule": ("进度", "时间", "sched"), "compliance": ("合规", "comp", "legal")}
STRATEGIES = {"avoid": ("规避", "回避"), "mitigate": ("减轻", "缓解"),
              "transfer": ("转移",), "accept": ("接受",)}
RISK_STATUSES = {"open": ("打开", "开放", "未关闭"), "mitigating": ("处理中", "缓解中", "应对中"),
                 "closed": ("关闭", "已关闭"), "occurred": ("已发生", "发生")}
STANDUP_MODES = {"channel": ("群", "频道", "群聊"), "dm": ("私信", "单聊"), "both": ("都", "两者", "全部")}
RETRO_KINDS = {"well": ("好", "做得好", "好的", "good"), "bad": ("不好", "不足", "问题", "差"),
               "improve": ("改进", "待改进", "改善", "action")}

_USER_OPTS = {
    "responsible": Opt("user", ("r", "owner", "resp", "负责", "负责人", "执行", "执行人")),
    "accountable": Opt("user", ("a", "acc", "批准", "审批", "批准人", "审批人")),
    "consulted": Opt("users", ("c", "cons", "咨询", "咨询人")),
    "informed": Opt("users", ("i", "inf", "知会", "知悉", "告知")),
}
_TASK_FIELDS = {
    "due": Opt("date", ("截止", "到期", "截止日期", "deadline")),
    "parent": Opt("ref", ("父", "父任务", "上级", "under")),
    "priority": Opt("enum", ("prio", "pri", "p", "优先级"), PRIORITIES),
    "description": Opt("text", ("desc", "描述", "说明", "note")),
    "link": Opt("text", ("url", "链接")),
    **_USER_OPTS,
}
_RISK_FIELDS = {
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
_PROJECT_FIELDS = {
    "tz": Opt("tz", ("timezone", "时区")),
    "lang": Opt("locale", ("locale", "language", "语言")),
    "goal": Opt("text", ("目标",)),
    "owner": Opt("user", ("负责人", "负责")),
    "start": Opt("date", ("开始", "开始日期")),
    "end": Opt("date", ("结束", "结束日期", "截止")),
    "holidays": Opt("country", ("country", "节假日", "假日")),
}
_ALERT_FIELDS = {
    "digest": Opt("time", ("逾期提醒", "提醒时间")),
    "due_soon": Opt("duration", ("duesoon", "到期提醒", "提前提醒")),
    "escalate": Opt("days_count", ("升级", "升级天数")),
    "report_day": Opt("weekday", ("周报日", "reportday")),
    "report_time": Opt("time", ("周报时间", "reporttime")),
    "holiday_alerts": Opt("bool", ("节假日提醒", "holidayalerts")),
}

SPECS: dict[str, dict[str, Action]] = {
    "project": {
        "init": Action(("初始化", "绑定", "创建", "create", "bind", "new"), _PROJECT_FIELDS, "text"),
        "status": Action(("状态", "报告", "report")),
        "show": Action(("查看", "章程", "charter", "info", "详情")),
        "set": Action(("设置", "修改", "update", "config"),
                      {**_PROJECT_FIELDS, **_ALERT_FIELDS, "name": Opt("text", ("名称", "名字"))}),
        "admin": Action(("管理员",), {}, "kind_text", True,
                        filters={"add": ("添加", "增加", "+"), "remove": ("移除", "删除", "-", "rm")}),
        "members": Action(("成员",)),
        "help": Action(("帮助", "?")),
    },
    "task": {
        "add": Action(("新建", "添加", "创建", "new", "create"), _TASK_FIELDS, "text", True),
        "list": Action(("列表", "列出", "ls"), {}, "filter", True,
                       filters={"open": ("未完成", "打开"), "mine": ("我的", "my", "me"),
                                "overdue": ("逾期", "过期", "late"), "all": ("全部", "所有"),
                                "done": ("已完成", "完成", "closed"), "blocked": ("阻塞", "受阻")}),
        "show": Action(("查看", "详情", "view", "info"), {}, "ref"),
        "done": Action(("完成", "close", "finish"), {}, "refs"),
        "start": Action(("开始", "doing"), {}, "refs"),
        "block": Action(("阻塞", "受阻", "blocked"), {}, "refs"),
        "reopen": Action(("重开", "重新打开"), {}, "refs"),
        "cancel": Action(("取消",), {}, "refs"),
        "delete": Action(("删除", "rm", "del"), {}, "refs"),
        "update": Action(("更新", "修改", "编辑", "edit", "set"),
                         {**_TASK_FIELDS, "title": Opt("text", ("标题", "名称")),
                          "status": Opt("enum", ("状态", "s"), TASK_STATUSES)}, "ref"),
        "form": Action(("表单",), {"title": Opt("text", ("标题",)), "link": Opt("text", ("url", "链接"))},
                       "optional_text"),
        "tree": Action(("树", "结构", "分解", "wbs")),
        "raci": Action(("矩阵", "责任矩阵", "责任")),
        "help": Action(("帮助", "?")),
    },
    "risk": {
        "add": Action(("新建", "添加", "创建", "new", "create"), _RISK_FIELDS, "text"),
        "list": Action(("列表", "列出", "ls"), {}, "filter",
                       filters={"open": ("打开", "未关闭", "开放"), "top": ("最高", "重点", "前列", "排名"),
                                "all": ("全部", "所有"), "closed": ("关闭", "已关闭")}),
        "show": Action(("查看", "详情", "view", "info"), {}, "ref"),
        "update": Action(("更新", "修改", "编辑", "edit", "set"),
                         {**_RISK_FIELDS, "title": Opt("text", ("标题", "名称")),
                          "status": Opt("enum", ("状态", "s"), RISK_STATUSES)}, "ref"),
        "close": Action(("关闭",), {"note": Opt("text", ("备注", "说明"))}, "ref"),
        "form": Action(("表单",), {"title": Opt("text", ("标题",))}, "optional_text"),
        "help": Action(("帮助", "?")),
    },
    "standup": {
        "checkin": Action(("签到", "打卡", "填写", "check-in", "submit"),
                          {"yesterday": Opt("text", ("y", "昨天", "昨日")),
                           "today": Opt("text", ("t", "今天", "今日")),
                           "blockers": Opt("text", ("b", "blocker", "阻碍", "障碍", "阻塞", "困难"))}),
        "config": Action(("配置", "设置", "set"),
                         {"time": Opt("time", ("时间",)), "days": Opt("days", ("日期", "工作日")),
                          "remind": Opt("duration", ("提醒",)), "summary": Opt("time", ("总结", "汇总")),
                          "questions": Opt("text", ("问题",)), "enabled": Opt("bool", ("启用", "on")),
                          "mode": Opt("enum", ("方式", "模式"), STANDUP_MODES),
                          "participants": Opt("participants", ("参与人", "成员", "who"))}),
        "away": Action(("请假", "离开", "休假", "外出"), {}, "optional_text"),
        "mute": Action(("静音", "免打扰"), {}),
        "unmute": Action(("取消静音", "恢复提醒"), {}),
        "report": Action(("报告", "汇总", "总结", "summary"), {}, "optional_text"),
        "help": Action(("帮助", "?")),
    },
    "retro": {
        "start": Action(("开始", "新建", "new", "open"), {}, "optional_text"),
        "add": Action(("添加", "新增", "+"), {}, "kind_text",
                      filters=RETRO_KINDS),
        "show": Action(("查看", "显示", "view"), {}, "optional_text"),
        "close": Action(("关闭", "结束", "end", "archive")),
        "list": Action(("列表", "历史", "ls", "archive")),
        "help": Action(("帮助", "?")),
    },
    "help": {"help": Action(("帮助",), {}, "optional_text")},
}

AREA_ALIASES: dict[str, tuple[str, ...]] = {
    "project": ("项目", "proj", "p"),
    "task": ("任务", "tasks", "t", "todo"),
    "risk": ("风险", "risks", "r"),
    "standup": ("站会", "每日站会", "晨会", "su"),
    "retro": ("复盘", "回顾", "retrospective"),
    "help": ("帮助", "?"),
}
# `/pm task add ...` and `/pm help` go through the general entry point.
GENERAL_ENTRY = ("pm", "bot", "pmbot")

# The action used when an area is given no action word.
DEFAULT_ACTIONS = {"project": "status", "task": "list", "risk": "list", "standup": "checkin",
                   "retro": "show", "help": "help"}

_DATE_WORD = re.compile(
    r"^(next|this|coming|in|within|at|on|by|before|after|from|the|of|end|and|start|beginning|early|"
    r"mid|middle|late|last|\d{1,4}(st|nd|rd|th)?|\d{1,2}(:\d{2})?(am|pm)?|am|pm|q[1-4]|"
    r"days?|weeks?|months?|quarter|year|weekend|working|business|workdays?|"
    r"mon(day)?|tue(s|sday)?|wed(nesday)?|thu(r|rs|rsday)?|fri(day)?|"
    r"sat(urday)?|sun(day)?|jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|"
    r"aug(ust)?|sep(t|tember)?|oct(ober)?|nov(ember)?|dec(ember)?|noon|midday|tomorrow|today|"
    r"tonight|morning|afternoon|evening|night|eod|cob|eow|eom|eoq|eoy|first|second|third|"
    r"\w+(st|nd|rd|th))$",
    re.IGNORECASE,
)


def _alias_table(canon_to_aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for canon, aliases in canon_to_aliases.items():
        for name in (canon, *aliases):
            table[_norm(name)] = canon
    return table


def _norm(word: str) -> str:
    return unicodedata.normalize("NFKC", word).strip().lower()


_AREA_TABLE = _alias_table(AREA_ALIASES)
_ACTION_TABLES = {area: _alias_table({a: spec.aliases for a, spec in actions.items()})
                  for area, actions in SPECS.items()}
_OPTION_TABLES = {
    (area, action): _alias_table({k: o.aliases for k, o in spec.options.items()})
    for area, actions in SPECS.items() for action, spec in actions.items()
}


# --- tokens -------------------------------------------------------------------------------

_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」", "『": "』", "«": "»"}
_SLACK_MENTION = re.compile(r"^<@([A-Za-z0-9_.-]+)(?:\|([^>]*))?>$")
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_OPTION_TOKEN = re.compile(r"^([^\s:：\"'“「『@<#\d][^\s:：]{0,23})[:：](.*)$", re.DOTALL)


@dataclass
class _Token:
    text: str
    quoted: bool = False  # the token began with a quote: a literal word, never an option
    quoted_value: bool = False  # a quote came later, as in key:"value"


def tokenize(text: str) -> list[_Token]:
    """Split on whitespace, honouring quotes (also inside `key:"value"`)."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        buf: list[str] = []
        start, quoted_at = i, -1
        while i < n and not text[i].isspace():
            ch = text[i]
            # An apostrophe after a letter or digit is part of the word (don't, Bob's, users').
            if ch in _QUOTES and not (ch == "'" and i > start and text[i - 1].isalnum()):
                close = _QUOTES[ch]
                end = text.find(close, i + 1)
                if end < 0:
                    raise ParseError("error.unclosed_quote", quote=ch)
                buf.append(text[i + 1 : end])
                quoted_at = i if quoted_at < 0 else quoted_at
                i = end + 1
            else:
                buf.append(ch)
                i += 1
        tokens.append(_Token("".join(buf), quoted_at == start, quoted_at > start))
    return tokens


def _mention(token: str) -> UserRef | None:
    match = _SLACK_MENTION.match(token)
    if match:
        return UserRef(match.group(1), match.group(2) or "")
    if token.startswith(("@", "＠")) and len(token) > 1 and "," not in token:
        return UserRef(token[1:], token[1:])
    return None


def _users(value: str, key: str, usage: str) -> tuple[UserRef, ...]:
    refs = []
    for part in re.split(r"[,，、]", value):
        part = part.strip()
        if not part:
            continue
        ref = _mention(part)
        if ref is None:
            raise ParseError("error.bad_user", usage, key=key, value=part)
        refs.append(ref)
    if not refs:
        raise ParseError("error.bad_user", usage, key=key, value=value)
    return tuple(refs)


# --- entry points -------------------------------------------------------------------------

def is_command(text: str) -> bool:
    stripped = unicodedata.normalize("NFKC", text).lstrip()
    return stripped.startswith("/") and len(stripped) > 1


def parse(text: str) -> Command:
    """Parse one command line. Raises ParseError with a catalogue code and usage key."""
    text = _SLACK_LINK.sub(lambda m: m.group(1), clean_user_text(text)).strip()
    if not is_command(text):
        raise ParseError("error.not_a_command")
    head, rest = _split_head(text)
    area_word = _norm(head)[1:]
    if area_word in GENERAL_ENTRY:
        head2, rest = _split_head(rest)
        if not head2:
            return Command("help", "help")
        area_word, head = _norm(head2).lstrip("/"), f"{head} {head2}"
    area = _AREA_TABLE.get(area_word)
    if area is None:
        raise ParseError("error.unknown_command", "", command=head)
    try:
        tokens = tokenize(rest)
    except ParseError as exc:  # an unclosed quote: show how the command being typed goes
        first = _split_head(rest)[0]
        action = _ACTION_TABLES[area].get(_norm(first))
        raise ParseError(exc.code, f"{area}.{action}" if action else area, **exc.detail) from None
    action = DEFAULT_ACTIONS[area]
    if tokens and not tokens[0].quoted:
        candidate = _ACTION_TABLES[area].get(_norm(tokens[0].text))
        if candidate:
            action = candidate
            tokens = tokens[1:]
        elif area in ("task", "risk") and len(tokens) == 1 and _REF.match(_norm(tokens[0].text)):
            action = "show"  # `/task #12`, `/risk R2`
        elif area == "task" and all(_mention(t.text) for t in tokens):
            action = "list"  # `/task @bob`
        elif area != "help" and not _looks_like_option(tokens[0]):
            raise ParseError("error.unknown_action", area, area=area, action=tokens[0].text)
    return _build(area, action, tokens)


def _split_head(text: str) -> tuple[str, str]:
    """The first word and the rest; any whitespace (tab, newline, full-width space) separates."""
    parts = text.strip().split(None, 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0] if parts else "", "")


# Chinese dates, times and parts of the day written after a space: `截止:明天 下午3点`.
_ZH_DATE_WORD = re.compile(
    r"^[0-9:：一二两三四五六七八九十零〇点點时半分刻整钟上下中午晚早凌晨傍今明后前之以内周星期礼拜"
    r"本这个月日号年天季度第工作旬初底末班]+$"
)


def _is_cjk(word: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in word)


def _is_date_word(token: _Token) -> bool:
    if token.quoted or not token.text:
        return False
    return bool(_DATE_WORD.match(token.text) or _ZH_DATE_WORD.match(unicodedata.normalize("NFKC", token.text)))


def _date_value(value: str, following: list[_Token]) -> int:
    """How many of the `following` tokens belong to an unquoted date value.

    It takes the date words that follow, but only as far as the date stays in the grammar
    (`due:3 dec 10 copies` leaves "10" to the title), and never ends on a joining word
    ("the" in `due:fri the report`). A value ending in a word that needs one more
    (`due:next blursday`) takes that word too, so an error names what was not understood.
    """
    from handlers.dates import is_date_expression

    end = 0
    while end < len(following) and _is_date_word(following[end]):
        end += 1
    while end > 0 and _norm(following[end - 1].text) in _DATE_GLUE:
        end -= 1
    words = [value, *(t.text for t in following[:end])]
    fits = [n for n in range(len(words), 0, -1) if is_date_expression(" ".join(words[:n]))]
    if fits:
        return fits[0] - 1
    if _norm(words[-1]) in _DATE_GLUE and end < len(following) and _is_free_text(following[end]) \
            and _mention(following[end].text) is None:
        end += 1
        while end < len(following) and _is_date_word(following[end]):  # "after National Day"
            end += 1
    return end


def _is_free_text(token: _Token) -> bool:
    return not _looks_like_option(token)


# Date words that only join others; an absorbed date value never ends with one.
_DATE_GLUE = frozenset({"next", "this", "coming", "in", "within", "at", "on", "by", "before",
                        "after", "from", "the", "of", "end", "and", "start", "mid", "early", "late"})


def _looks_like_option(token: _Token) -> bool:
    return (not token.quoted and bool(_OPTION_TOKEN.match(token.text))
            and not token.text.lower().startswith(("http:", "https:", "mailto:")))


def _build(area: str, action: str, tokens: list[_Token]) -> Command:
    spec = SPECS[area][action]
    usage = f"{area}.{action}"
    table = _OPTION_TABLES[(area, action)]
    words: list[str] = []
    mentions: list[UserRef] = []
    raw_opts: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        match = _OPTION_TOKEN.match(tok.text) if _looks_like_option(tok) else None
        if match:
            key_word, value = match.group(1), match.group(2)
            key = table.get(_norm(key_word))
            if key is None and _is_cjk(key_word):
                # `周会：准备材料` is a title with a colon, not a mistyped option.
                words.append(tok.text)
                continue
            if key is None:
                raise ParseError("error.unknown_option", usage, key=key_word)
            if key in raw_opts:
                raise ParseError("error.duplicate_option", usage, key=key_word)
            kind = spec.options[key].kind
            if kind in ("date", "daterange") and not tok.quoted_value:
                end = i + _date_value(value, tokens[i:])
                value = " ".join([value, *(t.text for t in tokens[i:end])])
                i = end
            elif kind == "text" and not tok.quoted_value:
                end = i
                while end < len(tokens) and _is_free_text(tokens[end]):
                    end += 1
                value = " ".join([value, *(t.text for t in tokens[i:end])])
                i = end
            if spec.options[key].kind == "users":
                # `C:@a, @b`: a list ending in a comma goes on with the next mention.
                while value.rstrip().endswith((",", "，", "、")) and i < len(tokens) and not tokens[i].quoted \
                        and _mention(tokens[i].text.rstrip(",，、")) is not None:
                    value = f"{value}{tokens[i].text}"
                    i += 1
            raw_opts[key] = value
            continue
        # `@alice, @bob`: punctuation after a mention is not part of the name.
        ref = None if tok.quoted else _mention(tok.text.rstrip(",，、"))
        if ref is not None:
            if not spec.mentions:
                raise ParseError("error.unexpected_mention", usage, value=tok.text)
            mentions.append(ref)
            continue
        words.append(tok.text)
    options = {key: _option(area, key, value, spec.options[key], usage) for key, value in raw_opts.items()}
    words = _check_words(spec, words, usage, area)
    return Command(area, action, tuple(words), tuple(mentions), options)


# The optional fields of tasks and risks; `none` / `无`, or an emptied form field, clears one
# (the option's value is then None).
CLEARABLE = {
    "task": frozenset({"due", "parent", "responsible", "accountable", "consulted", "informed", "description", "link"}),
    "risk": frozenset({"owner", "review", "trigger", "mitigation", "contingency"}),
}
_CLEAR_WORDS = frozenset({"none", "无"})


def _option(area: str, key: str, value: str, opt: Opt, usage: str) -> Any:
    if key in CLEARABLE.get(area, ()) and _norm(value) in _CLEAR_WORDS:
        return None
    return _coerce(key, value, opt, usage)


def _check_words(spec: Action, words: list[str], usage: str, area: str) -> list[str]:
    kind = spec.words
    if kind == "none":
        if words:
            raise ParseError("error.unexpected_text", usage, value=" ".join(words))
        return words
    if kind == "text":
        if not words or not " ".join(words).strip():
            raise ParseError("error.missing_title", usage)
        return words
    if kind == "optional_text":
        return words
    if kind in ("ref", "refs"):
        if not words:
            raise ParseError("error.missing_ref", usage)
        if kind == "ref" and len(words) > 1:
            raise ParseError("error.unexpected_text", usage, value=" ".join(words[1:]))
        return [str(parse_ref(w, area, usage)) for w in words]
    if kind == "filter":
        filters = _alias_table(spec.filters or {})
        if len(words) > 1:
            raise ParseError("error.unexpected_text", usage, value=" ".join(words[1:]))
        if words:
            canon = filters.get(_norm(words[0]))
            if canon is None:
                raise ParseError("error.unknown_filter", usage, value=words[0])
            return [canon]
        return words
    if kind == "kind_text":
        kinds = _alias_table(spec.filters or {})
        if not words or _norm(words[0]) not in kinds:
            raise ParseError("error.missing_kind", usage, value=words[0] if words else "")
        return [kinds[_norm(words[0])], *words[1:]]
    raise AssertionError(kind)


_REF = re.compile(r"^(?:#|r|R|任务|风险)?(\d{1,9})$")


def parse_ref(word: str, area: str = "task", usage: str = "") -> int:
    """`#12`, `12`, `R2`, `r2` -> 12 / 2."""
    match = _REF.match(unicodedata.normalize("NFKC", word).strip())
    if not match or int(match.group(1)) == 0:
        raise ParseError("error.bad_ref", usage or f"{area}.show", value=word, area=area)
    return int(match.group(1))


_TZ_OK = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$")
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ZH_DAYS = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat", "日": "sun", "天": "sun"}
_TRUE = {"on", "yes", "true", "1", "开", "开启", "启用", "是"}
_FALSE = {"off", "no", "false", "0", "关", "关闭", "停用", "否"}


def _coerce(key: str, value: str, opt: Opt, usage: str) -> Any:
    value = value.strip()
    if not value:
        raise ParseError("error.empty_option", usage, key=key)
    kind = opt.kind
    if kind in ("text", "date", "daterange"):
        return value
    if kind == "int5":
        norm = _norm(value)
        if not re.fullmatch(r"0*[1-5]", norm):
            raise ParseError("error.bad_scale", usage, key=key, value=value)
        return int(norm)
    if kind == "participants":
        if _norm(value) in ("all", "everyone", "全部", "所有人", "全员"):
            return None
        return _users(value, key, usage)
    if kind == "days_count":
        norm = _norm(value).removesuffix("天").removesuffix("days").removesuffix("d").strip()
        if not re.fullmatch(r"[0-9]{1,2}", norm) or not 1 <= int(norm) <= 30:
            raise ParseError("error.bad_days_count", usage, key=key, value=value)
        return int(norm)
    if kind == "weekday":
        try:
            days = parse_days(value, usage)
        except ParseError:
            days = ""
        if not days or "," in days:
            raise ParseError("error.bad_weekday", usage, key=key, value=value)
        return days
    if kind == "enum":
        canon = _alias_table(opt.choices or {}).get(_norm(value))
        if canon is None:
            raise ParseError("error.bad_choice", usage, key=key, value=value,
                             choices=", ".join(opt.choices or {}))
        return canon
    if kind == "user":
        refs = _users(value, key, usage)
        if len(refs) > 1:
            raise ParseError("error.one_user", usage, key=key, value=value)
        return refs[0]
    if kind == "users":
        return _users(value, key, usage)
    if kind == "ref":
        return parse_ref(value, "task", usage)
    if kind == "tz":
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            if not _TZ_OK.match(value):
                raise ValueError(value)
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ParseError("error.bad_timezone", usage, value=value) from None
        return value
    if kind == "locale":
        norm = _norm(value)
        table = {"en": "en", "english": "en", "英文": "en", "英语": "en",
                 "zh": "zh", "cn": "zh", "chinese": "zh", "中文": "zh", "zh-cn": "zh", "zh_cn": "zh"}
        if norm not in table:
            raise ParseError("error.bad_locale", usage, value=value)
        return table[norm]
    if kind == "country":
        norm = _norm(value).upper()
        if norm in ("NONE", "OFF", "无"):
            return ""
        if not re.fullmatch(r"[A-Z]{2}", norm):
            raise ParseError("error.bad_country", usage, value=value)
        return norm
    if kind == "time":
        from handlers.dates import DateParseError, parse_time_of_day

        try:
            return parse_time_of_day(value).strftime("%H:%M")
        except DateParseError:
            raise ParseError("error.bad_time", usage, key=key, value=value) from None
    if kind == "duration":
        from handlers.dates import DateParseError, parse_duration

        try:
            return parse_duration(value)
        except DateParseError:
            raise ParseError("error.bad_duration", usage, key=key, value=value) from None
    if kind == "days":
        return parse_days(value, usage)
    if kind == "bool":
        norm = _norm(value)
        if norm in _TRUE:
            return True
        if norm in _FALSE:
            return False
        raise ParseError("error.bad_bool", usage, key=key, value=value)
    raise AssertionError(kind)


def parse_days(value: str, usage: str = "standup.config") -> str:
    """`mon-fri`, `mon,wed,fri`, `周一至周五`, `weekdays` -> canonical `mon,tue,...`."""
    norm = _norm(value).replace("星期", "周").replace("礼拜", "周")
    if norm in ("weekdays", "workdays", "工作日"):
        return "mon,tue,wed,thu,fri"
    if norm in ("daily", "everyday", "每天", "all"):
        return ",".join(_DAY_NAMES)
    days: list[str] = []
    for part in re.split(r"[,，、]", norm):
        ends = re.split(r"-|~|至|到", part)
        if len(ends) > 2 or not all(ends):
            raise ParseError("error.bad_days", usage, value=value)
        idx = [_day_index(e, value, usage) for e in ends]
        lo, hi = idx[0], idx[-1]
        span = range(lo, hi + 1) if lo <= hi else [*range(lo, 7), *range(0, hi + 1)]
        days.extend(_DAY_NAMES[d] for d in span if _DAY_NAMES[d] not in days)
    return ",".join(sorted(days, key=_DAY_NAMES.index))


def _day_index(word: str, value: str, usage: str) -> int:
    word = word.strip()
    if word.startswith("周") and word[1:] in _ZH_DAYS:
        word = _ZH_DAYS[word[1:]]
    for i, name in enumerate(_DAY_NAMES):
        if word[:3] == name and len(word) >= 3:
            return i
    raise ParseError("error.bad_days", usage, value=value)


def command_from_payload(payload: dict[str, Any], form: dict[str, Any] | None = None) -> Command:
    """Rebuild a Command from a button/form payload (see replies.Button.payload).

    Form values arrive as strings (or lists of user ids for multi-user pickers) keyed by
    option name; they go through the same coercion as typed options, so a form can never
    submit something the text command would refuse.
    """
    try:
        area, action = str(payload["command"]), str(payload["action"])
        spec = SPECS[area][action]
    except (KeyError, TypeError):
        raise ParseError("error.bad_action") from None
    usage = f"{area}.{action}"
    args_in, options_in = payload.get("args") or [], payload.get("options") or {}
    if isinstance(args_in, str):
        args_in = [args_in]  # never iterate a string: "12" is one argument, not "1" and "2"
    if not isinstance(args_in, (list, tuple)) or not isinstance(options_in, dict):
        raise ParseError("error.bad_action")
    args = [str(a) for a in args_in]
    raw: dict[str, Any] = dict(options_in)
    cleared: set[str] = set()
    for key, value in (form or {}).items():
        if value not in (None, "", []):
            raw[key] = value
        elif action == "update" and key in CLEARABLE.get(area, ()) and key not in raw:
            cleared.add(key)  # emptied in an edit form: cleared (unless `options` keeps it)
    words = list(args)
    if "title" in raw and spec.words == "text":
        words = [str(raw.pop("title"))]
    if "text" in raw and spec.words in ("kind_text", "optional_text"):
        words = [*words, str(raw.pop("text"))]
    options: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in spec.options:
            raise ParseError("error.unknown_option", usage, key=key)
        opt = spec.options[key]
        if opt.kind in ("user", "users"):
            # Pickers give user ids: a list, or a comma-separated string.
            ids = value if isinstance(value, list) else re.split(r"[,，、]", str(value))
            value = ",".join(str(v) if str(v).startswith(("@", "<@")) else f"@{v}" for v in ids if str(v).strip())
        elif isinstance(value, list):
            value = ",".join(str(v) for v in value)
        options[key] = _option(area, key, clean_user_text(str(value)), opt, usage)
    options.update(dict.fromkeys(cleared))
    words = _check_words(spec, [clean_user_text(w) for w in words], usage, area)
    return Command(area, action, tuple(words), (), options)
