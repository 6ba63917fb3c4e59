"""Tests for handlers.parse: the command language (text and button/form payloads)."""

from __future__ import annotations

import inspect
import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import coerce, command, i18n, tokens
from handlers import parse as parse_module
from handlers.parse import (
    AREA_ALIASES,
    SPECS,
    Command,
    ParseError,
    UserRef,
    command_from_payload,
    is_command,
    parse,
    parse_days,
    parse_ref,
    tokenize,
)
from handlers.replies import MENTION_CLOSE, MENTION_OPEN, Button, clean_user_text
from handlers.schedule import Dependency


def C(
    area: str,
    action: str,
    *words: str,
    mentions: tuple[UserRef, ...] = (),
    refs: tuple[int, ...] = (),
    choice: str = "",
    **options: Any,
) -> Command:
    return Command(area, action, tuple(words), tuple(mentions), options, refs, choice)


def U(name: str) -> UserRef:
    """A typed `@name` mention."""
    return UserRef(name, name)


# --- 1. valid commands ------------------------------------------------------------------------

VALID: list[tuple[str, Command]] = [
    # task: the documented examples
    (
        '/task add "Migrate orders DB" @alice due:fri A:@bob C:@carol,@dan parent:#3 prio:high',
        C(
            "task",
            "add",
            "Migrate orders DB",
            mentions=(U("alice"),),
            due="fri",
            accountable=U("bob"),
            consulted=(U("carol"), U("dan")),
            parent=3,
            priority="high",
        ),
    ),
    (
        "/任务 新建 迁移订单库 负责:@张三 截止:下周五",
        C("task", "add", "迁移订单库", responsible=U("张三"), due="下周五"),
    ),
    # the plan of a task (issue 11): start, working days, predecessors with lag, progress
    (
        "/task add Build start:2026-12-01 dur:2w after:#3+2d,#4 progress:60%",
        C(
            "task",
            "add",
            "Build",
            start="2026-12-01",
            duration=10,
            after=(Dependency(3, 2), Dependency(4)),
            progress=60,
        ),
    ),
    (
        "/任务 新建 开发 开始:12月1日 工期:5天 前置:#3、#4+2天 进度:60％",
        C("task", "add", "开发", start="12月1日", duration=5, after=(Dependency(3), Dependency(4, 2)), progress=60),
    ),
    ("/task update #2 dur:3 after:none", C("task", "update", refs=(2,), duration=3, after=None)),
    ("/任务 更新 #2 工期:2周 前置:3", C("task", "update", refs=(2,), duration=10, after=(Dependency(3),))),
    (
        '/milestone add "Go-live" date:2027-01-15 after:#7 A:@alice',
        C("milestone", "add", "Go-live", date="2027-01-15", after=(Dependency(7),), accountable=U("alice")),
    ),
    (
        "/里程碑 新建 上线 日期:2027-01-15 前置:#7",
        C("milestone", "add", "上线", date="2027-01-15", after=(Dependency(7),)),
    ),
    ("/milestone", C("milestone", "list")),
    ("/里程碑 列表", C("milestone", "list")),
    ("/project baseline", C("project", "baseline")),
    ("/项目 基线 查看", C("project", "baseline", choice="show")),
    ("/项目 进度", C("project", "schedule")),
    # area aliases, action aliases, default actions
    ("/task", C("task", "list")),
    ("/t", C("task", "list")),
    ("/TASKS LS", C("task", "list")),
    ("/todo new Ship it", C("task", "add", "Ship", "it")),
    ("/任务 列表 我的", C("task", "list", choice="mine")),
    ("/task ls 逾期", C("task", "list", choice="overdue")),
    ("/task list @bob", C("task", "list", mentions=(U("bob"),))),
    ("/task show #12", C("task", "show", refs=(12,))),
    ("/task view 12", C("task", "show", refs=(12,))),
    ("/task show 任务12", C("task", "show", refs=(12,))),
    ("/task show ＃１２", C("task", "show", refs=(12,))),
    ("/task done #1 #2 3", C("task", "done", refs=(1, 2, 3))),
    ("/任务 完成 #7", C("task", "done", refs=(7,))),
    ("/task finish 7", C("task", "done", refs=(7,))),
    ("/task doing #4", C("task", "start", refs=(4,))),
    ("/task blocked #4", C("task", "block", refs=(4,))),
    ("/task 重开 #4", C("task", "reopen", refs=(4,))),
    ("/task 取消 #4", C("task", "cancel", refs=(4,))),
    ("/task rm #4 #5", C("task", "delete", refs=(4, 5))),
    ("/task tree", C("task", "tree")),
    ("/task wbs", C("task", "tree")),
    ("/任务 责任矩阵", C("task", "raci")),
    ("/task help", C("task", "help")),
    ("/task ?", C("task", "help")),
    # task options: key aliases and enum value aliases
    ("/task update #3 status:进行中 prio:高", C("task", "update", refs=(3,), status="doing", priority="high")),
    ("/task edit 3 s:wip p:u", C("task", "update", refs=(3,), status="doing", priority="urgent")),
    ("/task update #3 owner:@bob", C("task", "update", refs=(3,), responsible=U("bob"))),
    (
        "/任务 更新 #5 标题:新标题 状态:完成 父任务:#2",
        C("task", "update", refs=(5,), title="新标题", status="done", parent=2),
    ),
    (
        "/task add X R:@r A:@a C:@c I:@i",
        C("task", "add", "X", responsible=U("r"), accountable=U("a"), consulted=(U("c"),), informed=(U("i"),)),
    ),
    (
        "/任务 新建 X 负责:@甲 批准:@乙 咨询:@丙 知会:@丁",
        C("task", "add", "X", responsible=U("甲"), accountable=U("乙"), consulted=(U("丙"),), informed=(U("丁"),)),
    ),
    (
        '/task add X 优先级:紧急 描述:"很长的 描述" 知会:@a、@b',
        C("task", "add", "X", priority="urgent", description="很长的 描述", informed=(U("a"), U("b"))),
    ),
    ("/task add X p:h", C("task", "add", "X", priority="high")),
    # full-width colon, full-width @, comma lists (ASCII, full-width, ideographic)
    ("/task add X 负责：@张三", C("task", "add", "X", responsible=U("张三"))),
    ("/task add X 负责:＠张三", C("task", "add", "X", responsible=U("张三"))),
    ("/task add X ＠张三", C("task", "add", "X", mentions=(U("张三"),))),
    ("/task add X C:@a，@b", C("task", "add", "X", consulted=(U("a"), U("b")))),
    # `C:@a, @b`: a list ending in a comma goes on with the next mention.
    ("/task add X C:@a, @b", C("task", "add", "X", consulted=(U("a"), U("b")))),
    ("/task add X C:@a, @b @c", C("task", "add", "X", mentions=(U("c"),), consulted=(U("a"), U("b")))),
    # A Chinese title may contain a colon; an unknown Chinese "key" is just text.
    ("/任务 新建 周会：准备材料 截止:明天 下午3点", C("task", "add", "周会：准备材料", due="明天 下午3点")),
    ("/task add X @alice, @bob", C("task", "add", "X", mentions=(U("alice"), U("bob")))),
    # Slack mentions and links
    ("/task add X <@U123|alice>", C("task", "add", "X", mentions=(UserRef("U123", "alice"),))),
    ("/task add X <@U123>", C("task", "add", "X", mentions=(UserRef("U123", ""),))),
    ("/task add X C:<@U1|a>,<@U2>", C("task", "add", "X", consulted=(UserRef("U1", "a"), UserRef("U2", "")))),
    ("/task add X A:<@U9|boss>", C("task", "add", "X", accountable=UserRef("U9", "boss"))),
    ("/task add X link:<https://example.com|site>", C("task", "add", "X", link="https://example.com")),
    ('/task add X desc:"a b c" link:https://x.com', C("task", "add", "X", description="a b c", link="https://x.com")),
    # quotes of every kind
    ('/task add "Migrate orders"', C("task", "add", "Migrate orders")),
    ("/task add 'Migrate orders'", C("task", "add", "Migrate orders")),
    ("/任务 新建 “迁移 订单库”", C("task", "add", "迁移 订单库")),
    ("/任务 新建 「迁移 订单库」", C("task", "add", "迁移 订单库")),
    ("/任务 新建 『双引号』 «x»", C("task", "add", "双引号", "x")),
    ("/task add ‘a b’", C("task", "add", "a b")),
    ('/task add X desc:"value with spaces"', C("task", "add", "X", description="value with spaces")),
    ("/task add X desc:“中文 值” more", C("task", "add", "X", "more", description="中文 值")),
    ('/task add "note: this is fine"', C("task", "add", "note: this is fine")),
    ('/task add "@alice"', C("task", "add", "@alice")),
    # apostrophes inside words are not quotes
    ("/task add Don't break Bob's build", C("task", "add", "Don't", "break", "Bob's", "build")),
    ("/standup y:fixed Bob's bug", C("standup", "checkin", yesterday="fixed Bob's bug")),
    # date options absorb the date words that follow them, and nothing else
    ('/task add "Buy milk" due:next monday 5pm', C("task", "add", "Buy milk", due="next monday 5pm")),
    ("/task add X due:next monday at 5pm", C("task", "add", "X", due="next monday at 5pm")),
    ("/task add X due:fri Buy milk", C("task", "add", "X", "Buy", "milk", due="fri")),
    ("/task add Buy milk due:fri", C("task", "add", "Buy", "milk", due="fri")),
    ("/task add X due:fri the report", C("task", "add", "X", "the", "report", due="fri")),
    ("/task add X due:fri at", C("task", "add", "X", "at", due="fri")),
    ("/task add X due:in 2 weeks", C("task", "add", "X", due="in 2 weeks")),
    ("/task add X due:end of month", C("task", "add", "X", due="end of month")),
    ("/task add X due:dec 3 10:30 prio:low", C("task", "add", "X", due="dec 3 10:30", priority="low")),
    ('/task add X due:"next monday" 5pm', C("task", "add", "X", "5pm", due="next monday")),
    # the date stops where the grammar does: "10" is the title's, not the date's
    ("/task add X due:3 dec 10 copies", C("task", "add", "X", "10", "copies", due="3 dec")),
    ("/task add X due:fri 10 copies", C("task", "add", "X", "10", "copies", due="fri")),
    ("/task add Print due:tomorrow 5 copies", C("task", "add", "Print", "5", "copies", due="tomorrow")),
    ("/task add X due:fri at 3 prio:low", C("task", "add", "X", due="fri at 3", priority="low")),
    # a value ending in "next" takes the word it needs, so the error can name it
    ("/task add X due:next blursday", C("task", "add", "X", due="next blursday")),
    ("/task add X due:before Christmas", C("task", "add", "X", due="before Christmas")),
    ("/task add X due:after National Day", C("task", "add", "X", due="after National Day")),
    ("/task add X due:in 5 working days", C("task", "add", "X", due="in 5 working days")),
    ("/task add X due:end of Q1", C("task", "add", "X", due="end of Q1")),
    ("/task add X due:tomorrow morning @bob", C("task", "add", "X", mentions=(U("bob"),), due="tomorrow morning")),
    ("/task add X due:3 days from fri", C("task", "add", "X", due="3 days from fri")),
    ("/task add X due:mid march", C("task", "add", "X", due="mid march")),
    ("/任务 新建 写周报 截止:周五 下班前", C("task", "add", "写周报", due="周五 下班前")),
    ("/任务 新建 写周报 截止:国庆前 负责:@张三", C("task", "add", "写周报", responsible=U("张三"), due="国庆前")),
    # text options absorb words until the next option
    (
        "/standup y:fixed bug t:write tests b:none",
        C("standup", "checkin", yesterday="fixed bug", today="write tests", blockers="none"),
    ),
    ("/站会 昨天:修复了登录 问题 今天：写测试", C("standup", "checkin", yesterday="修复了登录 问题", today="写测试")),
    ("/standup y:paired with @bob", C("standup", "checkin", yesterday="paired with @bob")),
    ("/task add X desc:some long note prio:high", C("task", "add", "X", description="some long note", priority="high")),
    # risks
    ("/risk add Y p:3 i:4 cat:技术", C("risk", "add", "Y", probability=3, impact=4, category="technical")),
    (
        "/risk add X review:next fri p:3 mitigation:add a cache owner:@bob",
        C("risk", "add", "X", review="next fri", probability=3, mitigation="add a cache", owner=U("bob")),
    ),
    (
        "/风险 新建 供应商延迟 类别:资源 概率:４ 影响:5 负责人:@李四 策略:转移",
        C(
            "risk",
            "add",
            "供应商延迟",
            category="resource",
            probability=4,
            impact=5,
            owner=U("李四"),
            strategy="transfer",
        ),
    ),
    (
        "/risk update R2 status:处理中 strategy:缓解 p:2 i:5",
        C("risk", "update", refs=(2,), status="mitigating", strategy="mitigate", probability=2, impact=5),
    ),
    ("/risk show R2", C("risk", "show", refs=(2,))),
    ("/risk show r2", C("risk", "show", refs=(2,))),
    ("/risk show 风险3", C("risk", "show", refs=(3,))),
    ("/risk close r2 note:fixed upstream", C("risk", "close", refs=(2,), note="fixed upstream")),
    ("/风险 列表 最高", C("risk", "list", choice="top")),
    ("/r", C("risk", "list")),
    # standups
    ("/standup", C("standup", "checkin")),
    ("/su", C("standup", "checkin")),
    (
        "/standup config time:9am days:周一至周五 remind:30m",
        C("standup", "config", time="09:00", days="mon,tue,wed,thu,fri", remind=timedelta(minutes=30)),
    ),
    (
        "/standup config time:下午3点 summary:10:30 remind:1h30m enabled:off",
        C("standup", "config", time="15:00", summary="10:30", remind=timedelta(minutes=90), enabled=False),
    ),
    ("/站会 配置 时间:9点半 日期:工作日", C("standup", "config", time="09:30", days="mon,tue,wed,thu,fri")),
    ("/standup set days:fri-mon", C("standup", "config", days="mon,fri,sat,sun")),
    (
        "/standup config days:周一、周三 启用:开 提醒:半小时",
        C("standup", "config", days="mon,wed", enabled=True, remind=timedelta(minutes=30)),
    ),
    ("/standup away 2026-12-01..2026-12-05", C("standup", "away", "2026-12-01..2026-12-05")),
    ("/晨会 汇总", C("standup", "report")),
    # retros
    ("/retro", C("retro", "show")),
    ("/复盘 开始 第一次", C("retro", "start", "第一次")),
    ('/retro add well "great teamwork"', C("retro", "add", "great teamwork", choice="well")),
    ("/retro + 好 合作愉快", C("retro", "add", "合作愉快", choice="well")),
    ("/retro add 改进 加强 code review", C("retro", "add", "加强", "code", "review", choice="improve")),
    ("/retro end", C("retro", "close")),
    # projects
    (
        '/project init "Apollo" tz:Asia/Shanghai lang:中文',
        C("project", "init", "Apollo", tz="Asia/Shanghai", lang="zh"),
    ),
    (
        "/项目 初始化 阿波罗 时区:America/New_York 语言:英文 节假日:cn",
        C("project", "init", "阿波罗", tz="America/New_York", lang="en", holidays="CN"),
    ),
    ("/project init X holidays:none lang:ZH-CN", C("project", "init", "X", holidays="", lang="zh")),
    ('/project set name:"New name" goal:ship it', C("project", "set", name="New name", goal="ship it")),
    ("/project admin add @bob", C("project", "admin", choice="add", mentions=(U("bob"),))),
    ("/项目 管理员 移除 @bob", C("project", "admin", choice="remove", mentions=(U("bob"),))),
    ("/p", C("project", "status")),
    ("/proj charter", C("project", "show")),
    # help and the general entry point
    ("/help", C("help", "help")),
    ("/帮助", C("help", "help")),
    ("/?", C("help", "help")),
    ("/？", C("help", "help")),
    ("/help task", C("help", "help", "task")),
    ("/pm", C("help", "help")),
    ("/pm help", C("help", "help")),
    ("/pm task add X due:fri", C("task", "add", "X", due="fri")),
    ("/bot 任务 新建 X", C("task", "add", "X")),
    ("/pmbot /risk show R1", C("risk", "show", refs=(1,))),
    # whitespace of every kind separates the command word
    ("/任务\u3000新建 迁移", C("task", "add", "迁移")),
    ("/task\tadd X", C("task", "add", "X")),
    ("  /task   add   X  ", C("task", "add", "X")),
    ("／任务 新建 X", C("task", "add", "X")),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[t for t, _ in VALID])
def test_valid_command_parses_to_expected_command(text: str, expected: Command) -> None:
    assert parse(text) == expected


def test_valid_table_covers_every_area_and_many_rows() -> None:
    areas = {expected.area for _, expected in VALID}
    assert areas == set(SPECS)
    assert len(VALID) >= 40


def test_task_and_risk_p_and_i_mean_different_options() -> None:
    assert parse("/task add X p:high i:@bob").options == {"priority": "high", "informed": (U("bob"),)}
    assert parse("/risk add X p:2 i:3").options == {"probability": 2, "impact": 3}


def test_command_text_joins_words_and_opt_has_default() -> None:
    cmd = parse("/task add Buy oat milk due:fri")
    assert cmd.text == "Buy oat milk"
    assert cmd.opt("due") == "fri"
    assert cmd.opt("priority", "medium") == "medium"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("#12", 12),
        ("12", 12),
        ("R2", 2),
        ("r2", 2),
        ("＃１２", 12),
        ("任务3", 3),
        ("风险4", 4),
        (" #5 ", 5),
    ],
)
def test_parse_ref_accepts_every_reference_form(word: str, expected: int) -> None:
    assert parse_ref(word) == expected


@pytest.mark.parametrize("word", ["#0", "0", "abc", "#", "R", "#-1", "1.5", "#1234567890", "", "#12a"])
def test_parse_ref_rejects_non_references(word: str) -> None:
    with pytest.raises(ParseError) as exc:
        parse_ref(word, "risk")
    assert exc.value.code == "error.bad_ref"
    assert exc.value.usage == "risk.show"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("周一至周五", "mon,tue,wed,thu,fri"),
        ("星期一到星期三", "mon,tue,wed"),
        ("weekdays", "mon,tue,wed,thu,fri"),
        ("工作日", "mon,tue,wed,thu,fri"),
        ("daily", "mon,tue,wed,thu,fri,sat,sun"),
        ("每天", "mon,tue,wed,thu,fri,sat,sun"),
        ("fri,mon,wed", "mon,wed,fri"),
        ("Monday,Tuesday", "mon,tue"),
        ("sat-mon", "mon,sat,sun"),
        ("周一，周日", "mon,sun"),
    ],
)
def test_parse_days_gives_canonical_ordered_list(value: str, expected: str) -> None:
    assert parse_days(value) == expected


def test_is_command_needs_a_leading_slash_and_something_after_it() -> None:
    assert is_command("/task")
    assert is_command("   /task add")
    assert is_command("／任务")
    assert not is_command("/")
    assert not is_command("task add")
    assert not is_command("")


def test_tokenize_honours_quotes_and_key_value_quotes() -> None:
    tokens = tokenize('add "a b" due:"next monday" 「c d」 don\'t')
    assert [t.text for t in tokens] == ["add", "a b", "due:next monday", "c d", "don't"]
    assert [t.quoted for t in tokens] == [False, True, False, True, False]
    assert [t.quoted_value for t in tokens] == [False, False, True, False, False]


# --- 2. errors --------------------------------------------------------------------------------

ERRORS: list[tuple[str, str, str]] = [
    ("hello", "error.not_a_command", ""),
    ("/", "error.not_a_command", ""),
    ("/foo", "error.unknown_command", ""),
    ("/pm foo", "error.unknown_command", ""),
    ("/task blah", "error.unknown_action", "task"),
    ("/standup blah", "error.unknown_action", "standup"),
    ("/retro 改进", "error.unknown_action", "retro"),
    ("/task add X foo:bar", "error.unknown_option", "task.add"),
    ("/task list due:fri", "error.unknown_option", "task.list"),
    ("/task add X due:fri due:sat", "error.duplicate_option", "task.add"),
    ("/task add X due:fri 截止:sat", "error.duplicate_option", "task.add"),
    # an unclosed quote shows the usage of the command being typed
    ('/task add "X', "error.unclosed_quote", "task.add"),
    ("/task add 「X", "error.unclosed_quote", "task.add"),
    ("/task add X desc:“open", "error.unclosed_quote", "task.add"),
    ("/任务 新建 “迁移", "error.unclosed_quote", "task.add"),
    ('/risk update R2 mitigation:"open', "error.unclosed_quote", "risk.update"),
    ('/task "X', "error.unclosed_quote", "task"),
    # report_day takes one weekday; a word that is none is not called "a list"
    ("/project set report_day:funday", "error.bad_weekday", "project.set"),
    ("/project set report_day:mon,fri", "error.bad_weekday", "project.set"),
    ("/项目 设置 周报日:周八", "error.bad_weekday", "project.set"),
    ("/task add", "error.missing_title", "task.add"),
    ("/task add due:fri @bob", "error.missing_title", "task.add"),
    ('/risk add ""', "error.missing_title", "risk.add"),
    ("/project init", "error.missing_title", "project.init"),
    ("/task show", "error.missing_ref", "task.show"),
    ("/task done", "error.missing_ref", "task.done"),
    ("/risk update p:3", "error.missing_ref", "risk.update"),
    ("/task show abc", "error.bad_ref", "task.show"),
    ("/task show #0", "error.bad_ref", "task.show"),
    ("/risk show R", "error.bad_ref", "risk.show"),
    ("/task done #1 two", "error.bad_ref", "task.done"),
    ("/task add X parent:abc", "error.bad_ref", "task.add"),
    ("/risk add X p:6", "error.bad_scale", "risk.add"),
    ("/risk add X p:0", "error.bad_scale", "risk.add"),
    ("/risk add X p:abc", "error.bad_scale", "risk.add"),
    ("/risk add X i:2.5", "error.bad_scale", "risk.add"),
    ("/risk add X p:᧚", "error.bad_scale", "risk.add"),  # a digit to str.isdigit, not to int()
    ("/risk add X p:" + "1" * 5000, "error.bad_scale", "risk.add"),  # beyond int()'s digit limit
    ("/task add X prio:super", "error.bad_choice", "task.add"),
    ("/task update 3 status:foo", "error.bad_choice", "task.update"),
    ("/risk add X cat:magic", "error.bad_choice", "risk.add"),
    ("/project init X tz:Mars/Olympus", "error.bad_timezone", "project.init"),
    ("/project set tz:../../etc/passwd", "error.bad_timezone", "project.set"),
    ("/project init X lang:fr", "error.bad_locale", "project.init"),
    ("/project init X holidays:usa", "error.bad_country", "project.init"),
    ("/task add X A:@a,@b", "error.one_user", "task.add"),
    ("/task add X R:@a,@b", "error.one_user", "task.add"),
    ("/risk add X owner:@a,@b", "error.one_user", "risk.add"),
    ("/task add X C:bob", "error.bad_user", "task.add"),
    ("/task add X A:@", "error.bad_user", "task.add"),
    ("/task show @a", "error.unexpected_mention", "task.show"),
    ("/risk add X @bob", "error.unexpected_mention", "risk.add"),
    ("/task tree extra", "error.unexpected_text", "task.tree"),
    ("/task show #1 #2", "error.unexpected_text", "task.show"),
    ("/task list mine overdue", "error.unexpected_text", "task.list"),
    ("/task list funky", "error.unknown_filter", "task.list"),
    ("/retro add great", "error.missing_kind", "retro.add"),
    ("/project admin @bob", "error.missing_kind", "project.admin"),
    ("/standup config days:funday", "error.bad_days", "standup.config"),
    ("/standup config days:mon-tue-wed", "error.bad_days", "standup.config"),
    ("/standup config days:mon,,fri", "error.bad_days", "standup.config"),
    ("/standup config time:25pm", "error.bad_time", "standup.config"),
    ("/standup config summary:noonish", "error.bad_time", "standup.config"),
    ("/standup config remind:forever", "error.bad_duration", "standup.config"),
    ("/task add X dur:0d", "error.bad_workdays", "task.add"),
    ("/task add X dur:3h", "error.bad_workdays", "task.add"),
    ("/任务 新建 X 工期:很久", "error.bad_workdays", "task.add"),
    ("/task add X after:#0", "error.bad_predecessors", "task.add"),
    ("/task add X after:#3-2d", "error.bad_predecessors", "task.add"),
    ("/task update #1 progress:120%", "error.bad_percent", "task.update"),
    ("/任务 更新 #1 进度:一半", "error.bad_percent", "task.update"),
    ("/standup config remind:0m", "error.bad_duration", "standup.config"),
    ("/standup config enabled:maybe", "error.bad_bool", "standup.config"),
    ("/task add X due:", "error.empty_option", "task.add"),
    ('/task add X due:""', "error.empty_option", "task.add"),
    ("/standup y:", "error.empty_option", "standup.checkin"),
]


@pytest.mark.parametrize(("text", "code", "usage"), ERRORS, ids=[t[:60] for t, _, _ in ERRORS])
def test_invalid_command_raises_parse_error_with_code_and_usage(text: str, code: str, usage: str) -> None:
    with pytest.raises(ParseError) as exc:
        parse(text)
    assert (exc.value.code, exc.value.usage) == (code, usage)


def test_error_details_name_what_the_user_typed() -> None:
    with pytest.raises(ParseError) as exc:
        parse("/pm foo")
    assert exc.value.detail == {"command": "/pm foo"}
    with pytest.raises(ParseError) as exc:
        parse("/task add X due:fri 截止:sat")
    assert exc.value.detail == {"key": "截止"}
    with pytest.raises(ParseError) as exc:
        parse("/task blah")
    assert exc.value.detail == {"area": "task", "action": "blah"}


def test_parse_error_is_a_value_error() -> None:
    assert issubclass(ParseError, ValueError)


# --- 3. every error code and usage key exists in the catalogue ----------------------------


def _raised(text: str) -> ParseError:
    try:
        parse(text)
    except ParseError as exc:
        return exc
    raise AssertionError(f"{text!r} parsed")


@pytest.mark.parametrize("text", [t for t, _, _ in ERRORS], ids=[t[:60] for t, _, _ in ERRORS])
def test_error_message_exists_in_both_languages_and_is_fully_filled(text: str) -> None:
    exc = _raised(text)
    entry = i18n.CATALOGUE[exc.code]
    assert entry.get("en") and entry.get("zh")
    for locale in ("en", "zh"):
        message = i18n.t(exc.code, locale, **exc.detail)
        assert not re.search(r"\{\w+\}", message), message


@pytest.mark.parametrize("text", [t for t, _, _ in ERRORS], ids=[t[:60] for t, _, _ in ERRORS])
def test_error_usage_key_resolves_to_a_usage_line(text: str) -> None:
    exc = _raised(text)
    key = exc.usage
    if not key:
        return  # "" means the general help
    assert key in i18n.USAGE or key in SPECS, key
    for locale in ("en", "zh"):
        assert i18n.usage(key, locale, prefix=False).strip()


def test_every_error_code_in_the_parser_source_is_in_the_catalogue() -> None:
    source = "".join(inspect.getsource(m) for m in (parse_module, tokens, coerce, command))
    codes = set(re.findall(r"ParseError\(\s*\"(error\.[a-z_]+)\"", source))
    assert len(codes) >= 20
    for code in codes:
        assert set(i18n.CATALOGUE.get(code, {})) >= {"en", "zh"}, code


@pytest.mark.parametrize("area", list(SPECS))
def test_bare_area_usage_lists_that_areas_actions(area: str) -> None:
    text = i18n.usage(area, "en", prefix=False)
    for action in SPECS[area]:
        assert i18n.USAGE[f"{area}.{action}"]["en"] in text


def test_every_area_has_aliases_and_a_default_action() -> None:
    assert set(AREA_ALIASES) == set(SPECS)
    for area, action in parse_module.DEFAULT_ACTIONS.items():
        assert action in SPECS[area]


# --- 4. button and form payloads --------------------------------------------------------------


def test_button_payload_round_trips_to_the_command() -> None:
    payload = Button("Done", "task", "done", ("#12",)).payload()
    assert command_from_payload(payload) == Command(area="task", action="done", refs=(12,))


def test_button_options_are_coerced_like_typed_options() -> None:
    payload = Button("Mitigating", "risk", "update", ("R2",), (("status", "处理中"),)).payload()
    assert command_from_payload(payload) == C("risk", "update", refs=(2,), status="mitigating")


def test_button_payload_for_every_ref_action_round_trips() -> None:
    for area, actions in SPECS.items():
        for action, spec in actions.items():
            if spec.args in ("ref", "refs", "optional_ref"):
                cmd = command_from_payload(Button("x", area, action, ("#7",)).payload())
                assert (cmd.area, cmd.action, cmd.words, cmd.refs) == (area, action, (), (7,))


def test_form_value_out_of_scale_is_refused_like_typed_text() -> None:
    payload = {"command": "risk", "action": "add", "args": [], "options": {}}
    with pytest.raises(ParseError) as exc:
        command_from_payload(payload, {"title": "Vendor late", "probability": "7"})
    assert (exc.value.code, exc.value.usage) == ("error.bad_scale", "risk.add")


def test_form_values_are_coerced_exactly_like_typed_options() -> None:
    payload = {"command": "task", "action": "add"}
    form = {
        "title": "Migrate",
        "priority": "高",
        "due": "next fri",
        "parent": "#3",
        "responsible": "U1",
        "consulted": ["U2", "U3"],
        "informed": [],
        "description": "",
    }
    typed = parse("/task add Migrate prio:高 due:next fri parent:#3 R:@U1 C:@U2,@U3")
    assert command_from_payload(payload, form) == typed


def test_user_picker_lists_become_user_refs() -> None:
    cmd = command_from_payload(
        {"command": "task", "action": "update", "args": ["#4"]}, {"consulted": ["U1", "U2"], "accountable": "<@U3>"}
    )
    assert [u.id for u in cmd.options["consulted"]] == ["U1", "U2"]
    assert cmd.options["accountable"] == UserRef("U3", "")


def test_single_user_picker_refuses_two_people() -> None:
    with pytest.raises(ParseError) as exc:
        command_from_payload({"command": "task", "action": "update", "args": ["4"]}, {"accountable": ["U1", "U2"]})
    assert exc.value.code == "error.one_user"


def test_standup_config_form_is_coerced() -> None:
    cmd = command_from_payload(
        {"command": "standup", "action": "config"},
        {"time": "9am", "days": "周一至周五", "remind": "30m", "enabled": "off"},
    )
    assert cmd.options == {
        "time": "09:00",
        "days": "mon,tue,wed,thu,fri",
        "remind": timedelta(minutes=30),
        "enabled": False,
    }


def test_form_text_goes_after_the_kind_word() -> None:
    cmd = command_from_payload({"command": "retro", "action": "add", "args": ["well"]}, {"text": "great teamwork"})
    assert cmd == C("retro", "add", "great teamwork", choice="well")


def test_form_without_title_for_a_text_action_is_missing_title() -> None:
    with pytest.raises(ParseError) as exc:
        command_from_payload({"command": "task", "action": "add"}, {"title": ""})
    assert (exc.value.code, exc.value.usage) == ("error.missing_title", "task.add")


def test_payload_option_the_action_does_not_take_is_refused() -> None:
    with pytest.raises(ParseError) as exc:
        command_from_payload({"command": "task", "action": "done", "args": ["1"], "options": {"due": "fri"}})
    assert (exc.value.code, exc.value.usage) == ("error.unknown_option", "task.done")


def test_payload_args_string_is_one_argument_not_its_characters() -> None:
    cmd = command_from_payload({"command": "task", "action": "done", "args": "12"})
    assert cmd.refs == (12,)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"command": "task"},
        {"action": "done"},
        {"command": "nope", "action": "done"},
        {"command": "task", "action": "nope"},
        {"command": "task", "action": "approve"},
        {"command": "任务", "action": "完成"},  # payloads use canonical names only
        {"command": ["task"], "action": "done"},
        {"command": "task", "action": "done", "args": 12},
        {"command": "task", "action": "done", "args": ["1"], "options": ["due", "fri"]},
        {"command": "task", "action": "done", "args": ["1"], "options": "due:fri"},
    ],
)
def test_unknown_or_malformed_payload_is_bad_action(payload: dict[str, Any]) -> None:
    with pytest.raises(ParseError) as exc:
        command_from_payload(payload)
    assert exc.value.code == "error.bad_action"
    assert "en" in i18n.CATALOGUE["error.bad_action"] and "zh" in i18n.CATALOGUE["error.bad_action"]


# --- 5. security: mention markers and control characters never reach a Command ----------------

_FORBIDDEN = re.compile(f"[{MENTION_OPEN}{MENTION_CLOSE}\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, UserRef):
        return [value.id, value.name]
    if isinstance(value, (tuple, list)):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, Command):
        return [
            value.area,
            value.action,
            value.choice,
            *_strings(value.words),
            *_strings(value.mentions),
            *_strings(value.options),
        ]
    return []


def _assert_clean(cmd: Command) -> None:
    for s in _strings(cmd):
        assert not _FORBIDDEN.search(s), repr(s)


def test_clean_user_text_strips_markers_and_controls_but_keeps_newlines() -> None:
    assert clean_user_text(f"a{MENTION_OPEN}U1{MENTION_CLOSE}b\x00c\x1b[31m\x7f\td\ne") == "aU1bc[31m\td\ne"


def test_forged_mention_in_a_title_is_stripped() -> None:
    cmd = parse(f"/task add {MENTION_OPEN}U999{MENTION_CLOSE} is the boss")
    assert cmd.words == ("U999", "is", "the", "boss")
    _assert_clean(cmd)


def test_forged_mention_in_options_and_user_refs_is_stripped() -> None:
    cmd = parse(f'/task add X desc:"{MENTION_OPEN}U1{MENTION_CLOSE}" C:@{MENTION_OPEN}bob{MENTION_CLOSE} @al\x00ice')
    assert cmd.options == {"description": "U1", "consulted": (U("bob"),)}
    assert cmd.mentions == (U("alice"),)
    _assert_clean(cmd)


def test_control_characters_are_stripped_from_words() -> None:
    cmd = parse("/task add Fix\x00 bug\x1b[31m \x7fnow")
    assert cmd.words == ("Fix", "bug[31m", "now")


def test_control_characters_cannot_hide_a_command_word() -> None:
    assert parse("/ta\x00sk a\x08dd X") == C("task", "add", "X")


def test_forged_mention_in_a_payload_is_stripped() -> None:
    forged = f"{MENTION_OPEN}U1{MENTION_CLOSE}\x00"
    cmd = command_from_payload(
        {"command": "task", "action": "add", "args": [forged + "title"]}, {"description": forged, "consulted": [forged]}
    )
    assert cmd.words == ("U1title",)
    assert cmd.options["description"] == "U1"
    assert cmd.options["consulted"] == (U("U1"),)
    _assert_clean(cmd)


_MARKERS = st.sampled_from([MENTION_OPEN, MENTION_CLOSE, "\x00", "\x07", "\x1b", "\x7f", "\x0b"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            _MARKERS,
            st.sampled_from(["@bob", "C:@a,@b", "desc:", '"x y"', " ", "U1", "#3", "y:", "t:", "<@U1|a>", "x"]),
        ),
        max_size=12,
    ),
    st.sampled_from(["/task add T ", "/task list ", "/standup ", "/risk add R ", "/task update #1 "]),
)
def test_no_command_built_from_text_contains_markers_or_controls(parts: list[str], head: str) -> None:
    try:
        cmd = parse(head + "".join(parts))
    except ParseError:
        return
    _assert_clean(cmd)


# --- 6. fuzzing -------------------------------------------------------------------------------


def _check_command(cmd: Command) -> None:
    assert cmd.area in SPECS
    assert cmd.action in SPECS[cmd.area]
    spec = SPECS[cmd.area][cmd.action]
    assert set(cmd.options) <= set(spec.options)
    assert spec.mentions or not cmd.mentions
    if spec.args in ("none", "ref", "refs", "optional_ref", "filter"):
        assert cmd.words == ()
    if spec.args in ("ref", "refs"):
        assert cmd.refs and all(n > 0 for n in cmd.refs)
    if spec.args not in ("ref", "refs", "optional_ref"):
        assert cmd.refs == ()
    assert (
        (cmd.choice in (spec.filters or {}))
        if spec.args == "kind_text"
        else (cmd.choice in ("", *(spec.filters or {})))
    )


def _parse_or_error(text: str) -> None:
    try:
        cmd = parse(text)
    except ParseError as exc:
        assert exc.code in i18n.CATALOGUE, exc.code
        assert not exc.usage or exc.usage in i18n.USAGE or exc.usage in SPECS
        return
    _check_command(cmd)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_arbitrary_text_parses_or_raises_parse_error(text: str) -> None:
    _parse_or_error(text)
    _parse_or_error("/" + text)
    _parse_or_error("/task add " + text)


def _vocabulary() -> tuple[list[str], list[str]]:
    areas = [name for area, aliases in AREA_ALIASES.items() for name in (area, *aliases)]
    areas += ["pm", "pm task", "bot 风险", "PM", "Task", "ＴＡＳＫ"]
    words: list[str] = []
    for actions in SPECS.values():
        for action, spec in actions.items():
            words += [action, *spec.aliases]
            for canon, aliases in (spec.filters or {}).items():
                words += [canon, *aliases]
            for key, opt in spec.options.items():
                for name in (key, *opt.aliases):
                    words += [name + ":", name + "："]
                for canon, aliases in (opt.choices or {}).items():
                    words += [canon, *aliases]
    return areas, sorted(set(words))


_AREAS, _WORDS = _vocabulary()
_VALUES = [
    "fri",
    "next",
    "monday",
    "5pm",
    "下周五",
    "9am",
    "09:30",
    "25:99",
    "mon-fri",
    "周一至周五",
    "30m",
    "半小时",
    "Asia/Shanghai",
    "Mars/X",
    "中文",
    "fr",
    "CN",
    "none",
    "on",
    "maybe",
    "3",
    "6",
    "0",
    "#3",
    "R2",
    "任务9",
    "#0",
    "abc",
    "@alice",
    "@张三",
    "＠李四",
    "<@U1|a>",
    "<@U2>",
    "@a,@b",
    "@a，@b",
    "@a、",
    "<https://x.io|x>",
    "https://x.io",
    "the",
    "and",
    "2026-12-01..2026-12-05",
    "don't",
    "'",
    '"',
]
_QUOTES = [('"', '"'), ("'", "'"), ("“", "”"), ("「", "」"), ("『", "』"), ("‘", "’"), ("«", "»")]


@st.composite
def _command_lines(draw: st.DrawFn) -> str:
    parts = ["/" + draw(st.sampled_from(_AREAS))]
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 6))
        if kind == 0:
            parts.append(draw(st.sampled_from(_WORDS)))
        elif kind == 1:
            key = draw(st.sampled_from([w for w in _WORDS if w.endswith((":", "："))]))
            parts.append(key + draw(st.sampled_from(_VALUES) | st.text(max_size=5)))
        elif kind == 2:
            open_, close = draw(st.sampled_from(_QUOTES))
            inner = draw(st.text(alphabet=st.sampled_from("ab :@#，中文"), max_size=6))
            parts.append(open_ + inner + draw(st.sampled_from([close, "", close + "x"])))
        elif kind == 3:
            parts.append(draw(st.sampled_from(_VALUES)))
        elif kind == 4:
            parts.append(draw(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40), max_size=4)))
        elif kind == 5:
            parts.append(draw(st.text(max_size=4)))
        else:
            parts.append(draw(st.sampled_from(_WORDS)) + draw(st.sampled_from(_VALUES)))
    separators = st.sampled_from([" ", " ", "  ", "\u3000", "\t"])
    return "".join(p + draw(separators) for p in parts)


@settings(max_examples=500, deadline=None)
@given(_command_lines())
def test_grammar_shaped_text_parses_or_raises_parse_error(text: str) -> None:
    _parse_or_error(text)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([(a, x) for a, actions in SPECS.items() for x, s in actions.items() if s.args == "refs"]),
    st.lists(st.integers(1, 10**9 - 1), min_size=1, max_size=4),
    st.sampled_from(["#{}", "{}", "R{}", "r{}", "任务{}"]),
)
def test_button_refs_round_trip(area_action: tuple[str, str], numbers: list[int], form: str) -> None:
    area, action = area_action
    button = Button("x", area, action, tuple(form.format(n) for n in numbers))
    cmd = command_from_payload(button.payload())
    assert cmd == Command(area, action, refs=tuple(numbers))


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["task", "risk", "add", "done", "#12", "U1", "@U1", "fri", "7", "3"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
_OPTION_NAMES = sorted(
    {k for actions in SPECS.values() for spec in actions.values() for k in spec.options} | {"title", "text"}
)


@settings(max_examples=500, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "command": st.sampled_from(list(SPECS)) | _JSON,
            "action": st.sampled_from(sorted({a for actions in SPECS.values() for a in actions})) | _JSON,
            "args": _JSON,
            "options": st.dictionaries(st.sampled_from(_OPTION_NAMES) | st.text(max_size=4), _JSON, max_size=3) | _JSON,
        },
    )
    | st.dictionaries(st.text(max_size=8), _JSON, max_size=4),
    st.none() | st.dictionaries(st.sampled_from(_OPTION_NAMES) | st.text(max_size=4), _JSON, max_size=4),
)
def test_arbitrary_payloads_build_a_command_or_raise_parse_error(
    payload: dict[str, Any], form: dict[str, Any] | None
) -> None:
    try:
        cmd = command_from_payload(payload, form)
    except ParseError as exc:
        assert exc.code in i18n.CATALOGUE, exc.code
        return
    _check_command(cmd)
    _assert_clean(cmd)


@pytest.mark.parametrize(
    ("text", "area", "action", "refs", "mentions"),
    [
        ("/task #12", "task", "show", (12,), ()),
        ("/任务 #3", "task", "show", (3,), ()),
        ("/risk R2", "risk", "show", (2,), ()),
        ("/task @bob", "task", "list", (), ("bob",)),
    ],
)
def test_bare_ref_shows_and_bare_mention_lists(text: str, area: str, action: str, refs: tuple, mentions: tuple) -> None:
    cmd = parse(text)
    assert (cmd.area, cmd.action, cmd.refs, tuple(m.id for m in cmd.mentions)) == (area, action, refs, mentions)
