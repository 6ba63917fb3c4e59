"""Risks, standups, retros and the project status report through the core."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from handlers.risks import level_for
from storage.models import Member, Retro, RetroItem, Risk, StandupEntry
from tests.chat import Chat, show


@pytest.fixture
def project(chat: Chat) -> Chat:
    chat.ok("pm", '/project init "ERP" tz:Asia/Shanghai')
    return chat


def _risk(chat: Chat, number: int = 1) -> Risk:
    with chat.db.session() as s:
        return s.exec(select(Risk).where(Risk.number == number)).one()


# --- risks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (1, "low"),
        (4, "low"),
        (5, "medium"),
        (9, "medium"),
        (10, "high"),
        (15, "high"),
        (16, "critical"),
        (25, "critical"),
    ],
)
def test_risk_level_boundaries(score: int, level: str) -> None:
    assert level_for(score) == level


def test_risk_add_scores_and_sets_review_date(project: Chat) -> None:
    project.ok(
        "pm",
        '/risk add "Training data quality unstable" cat:technical p:4 i:3 owner:@alice review:2w '
        'mitigation:"automated cleaning script" contingency:"manual check buffer" trigger:"error rate > 5%"',
    )
    risk = _risk(project)
    assert (risk.probability, risk.impact, risk.score, risk.level) == (4, 3, 12, "high")
    assert (risk.owner, risk.category, risk.strategy) == ("alice", "technical", "mitigate")
    assert risk.review_date == date(2026, 12, 9)
    assert (risk.mitigation, risk.contingency, risk.trigger) == (
        "automated cleaning script",
        "manual check buffer",
        "error rate > 5%",
    )


def test_risk_update_rescores(project: Chat) -> None:
    project.ok("pm", '/risk add "Vendor" p:4 i:4')
    assert _risk(project).level == "critical"
    project.ok("pm", "/risk update R1 p:2 status:mitigating strategy:transfer")
    risk = _risk(project)
    assert (risk.score, risk.level, risk.status, risk.strategy) == (8, "medium", "mitigating", "transfer")


def test_risk_list_top_is_sorted_by_score_and_skips_closed(project: Chat) -> None:
    project.ok("pm", '/risk add "Small" p:1 i:2')
    project.ok("pm", '/risk add "Big" p:5 i:4')
    project.ok("pm", '/risk add "Mid" p:3 i:3')
    project.ok("pm", '/risk add "Gone" p:5 i:5')
    project.ok("pm", "/risk close R4")
    lines = project.ok("pm", "/risk list top").cards[0].lines
    assert [line.split(" · ")[0] for line in lines] == ["R2 Big", "R3 Mid", "R1 Small"]
    assert [line.split(" · ")[0] for line in project.ok("pm", "/风险 列表 全部").cards[0].lines] == [
        "R1 Small",
        "R2 Big",
        "R3 Mid",
        "R4 Gone",
    ]


def test_risk_chinese_options(project: Chat) -> None:
    project.ok("pm", "/风险 新建 供应商延期 类别:进度 概率:3 影响:5 负责人:@张三 策略:规避 缓解:“提前备货”")
    risk = _risk(project)
    assert (risk.category, risk.score, risk.owner, risk.strategy, risk.mitigation) == (
        "schedule",
        15,
        "张三",
        "avoid",
        "提前备货",
    )


def test_risk_bad_scale_says_what_was_wrong(project: Chat) -> None:
    text = project.fail("pm", '/risk add "X" p:7')
    assert text.startswith('probability: must be a whole number from 1 to 5, got "7".')
    assert "Usage: /risk add" in text


def test_risk_buttons_update_status(project: Chat) -> None:
    reply = project.ok("pm", '/risk add "Vendor" p:3 i:3')
    project.click("pm", reply, "Mitigating")
    assert _risk(project).status == "mitigating"
    project.click("pm", reply, "Close")
    assert _risk(project).status == "closed" and _risk(project).closed_at == project.clock.now()
    assert "already closed" in project.click("pm", reply, "Close").text


# --- standups -------------------------------------------------------------------------


def _entries(chat: Chat) -> list[StandupEntry]:
    with chat.db.session() as s:
        return list(s.exec(select(StandupEntry).order_by(StandupEntry.id)))


def test_standup_inline_checkin_and_same_day_edit(project: Chat) -> None:
    project.ok("alice", "/standup y:wrote the spec t:review it b:none")
    project.advance(hours=1)
    reply = project.ok("alice", '/standup t:"review and merge"')
    assert "updated today's check-in" in reply.text
    (entry,) = _entries(project)
    assert (entry.yesterday, entry.today, entry.blockers) == ("wrote the spec", "review and merge", "none")


def test_standup_next_day_is_a_new_entry(project: Chat) -> None:
    project.ok("alice", "/standup y:a t:b")
    project.advance(days=1)
    project.ok("alice", "/standup y:c t:d")
    assert [e.today for e in _entries(project)] == ["b", "d"]


def test_standup_form_submission(project: Chat) -> None:
    form_reply = project.ok("bob", "/standup")
    form = form_reply.cards[0].form
    assert [i.name for i in form.inputs] == ["yesterday", "today", "blockers"]
    reply = project.core.handle_action(
        project.ctx("bob"),
        {"command": form.command, "action": form.action},
        {"yesterday": "x", "today": "y", "blockers": "waiting on ops"},
    )
    assert not reply.error and reply.cards[0].color == "red"
    assert _entries(project)[0].blockers == "waiting on ops"


def test_standup_empty_checkin_is_refused(project: Chat) -> None:
    assert "at least yesterday" in project.fail("bob", "/standup b:stuck")


def test_standup_report_groups_answers_blockers_and_missing(project: Chat) -> None:
    project.ok("pm", "/task add T @alice A:@bob")
    project.ok("pm", "/task add U @bob")  # alice and bob do the work: they are expected
    project.ok("alice", "/standup y:a t:b b:waiting for VPN")
    project.ok("pm", "/standup y:c t:d b:无")
    text = show(project.ok("pm", "/standup report"))
    assert "2 checked in, 1 not yet." in text
    assert "⛔ 1 blocker(s): @alice" in text
    assert "Not checked in: @bob" in text


def test_away_members_are_not_expected(project: Chat) -> None:
    project.ok("pm", "/task add T @alice A:@bob")
    project.ok("pm", "/task add U @bob")
    project.ok("pm", "/task add V @carol")
    project.ok("bob", "/standup away 2026-11-24..2026-11-27")
    project.ok("alice", "/standup y:a t:b")
    text = show(project.ok("pm", "/standup report"))
    assert "@bob" not in text and "Not checked in: @carol" in text
    with project.db.session() as s:
        bob = s.exec(select(Member).where(Member.user_id == "bob")).one()
    assert bob.away == [["2026-11-24", "2026-11-27"]]
    assert "from Tue Dec 1 to Sat Dec 5" in show(project.ok("bob", "/站会 请假 12月1日到12月5日"))
    project.ok("bob", "/standup away clear")
    assert "Not checked in: @bob, @carol" in show(project.ok("pm", "/standup report"))


def test_away_with_bad_range_is_explained(project: Chat) -> None:
    text = project.fail("bob", "/standup away someday..never")
    assert "someday..never" in text and "Usage: /standup away" in text


def test_standup_config_validates_and_saves(project: Chat) -> None:
    project.ok("pm", '/standup config time:9am days:周一至周五 remind:45m summary:11:00 questions:"Done?|Next?|Stuck?"')
    with project.db.session() as s:
        from storage.models import Project

        p = s.exec(select(Project)).one()
    assert (p.standup_time, p.standup_days, p.standup_remind_minutes, p.standup_summary_time) == (
        "09:00",
        "mon,tue,wed,thu,fri",
        45,
        "11:00",
    )
    assert p.standup_questions == ["Done?", "Next?", "Stuck?"]
    assert "after the standup time" in project.fail("pm", "/standup config summary:08:00")
    assert "three questions" in project.fail("pm", '/standup config questions:"one|two"')


def test_standup_report_for_a_given_date(project: Chat) -> None:
    project.ok("alice", "/standup y:a t:b")
    project.advance(days=1)
    assert "0 checked in" in show(project.ok("pm", "/standup report"))
    assert "1 checked in" in show(project.ok("pm", "/standup report yesterday"))
    assert "1 checked in" in show(project.ok("pm", "/standup report 2026-11-25"))


# --- retros ---------------------------------------------------------------------------


def test_retro_lifecycle_is_archived(project: Chat) -> None:
    project.ok("pm", "/retro start Sprint 1")
    assert "already open" in project.fail("pm", "/retro start again")
    project.ok("alice", '/retro add well "pairing worked"')
    project.ok("bob", "/复盘 添加 不好 需求变更太频繁")
    project.ok("bob", '/retro add improve "freeze scope on day 3"')
    text = show(project.ok("pm", "/retro show"))
    assert "pairing worked — @alice" in text and "需求变更太频繁 — @bob" in text
    assert "cannot close this retro" in project.fail("bob", "/retro close")
    project.ok("pm", "/retro close")
    assert "No retro is open" in project.fail("alice", '/retro add well "late"')
    with project.db.session() as s:
        retro = s.exec(select(Retro)).one()
        kinds = [i.kind for i in s.exec(select(RetroItem).order_by(RetroItem.id))]
    assert retro.status == "closed" and retro.closed_at == project.clock.now()
    assert kinds == ["well", "bad", "improve"]
    assert "#1 Sprint 1" in show(project.ok("pm", "/retro list"))
    assert "pairing worked" in show(project.ok("pm", "/retro show #1"))


def test_retro_add_needs_a_kind(project: Chat) -> None:
    project.ok("pm", "/retro start")
    text = project.fail("pm", '/retro add "no kind"')
    assert "Usage: /retro add well|bad|improve" in text


# --- project --------------------------------------------------------------------------


def test_commands_in_an_unbound_channel_explain_how_to_start(chat: Chat) -> None:
    text = chat.fail("pm", "/task add X")
    assert "not bound to a project" in text and "/project init" in text


def test_init_twice_is_refused(project: Chat) -> None:
    assert 'already bound to the project "ERP"' in project.fail("pm", '/project init "Again"')


def test_status_report_contents(project: Chat) -> None:
    project.ok("pm", "/task add Late @alice due:2026-11-20")
    project.ok("pm", "/task add Soon @bob due:fri")
    project.ok("pm", "/task add Later @bob due:2026-12-20")
    project.ok("pm", "/task add Done @bob")
    project.ok("pm", "/task done #4")
    project.ok("pm", "/task add Stuck @carol")
    project.ok("pm", "/task block #5")
    project.ok("pm", '/risk add "Vendor" p:5 i:4')
    project.ok("alice", '/standup y:a t:b b:"need DB access"')
    card = project.ok("pm", "/project status").cards[0]
    assert card.text.startswith("Progress: 1/5 done (20%)")
    fields = {f.label: show_value(f.value) for f in card.fields}
    assert fields["Overdue (1)"].startswith("○ #1 Late")
    assert fields["Due this week (1)"].startswith("○ #2 Soon")
    assert fields["Top risks"].startswith("R1 Vendor · Score 20 · Critical")
    assert "#5 Stuck" in fields["Open blockers (2)"] and "@alice: need DB access" in fields["Open blockers (2)"]
    assert card.color == "red"


def test_project_init_with_charter_options(chat: Chat) -> None:
    chat.ok(
        "pm",
        "/项目 初始化 “ERP 升级” 时区:Asia/Shanghai 语言:中文 目标:“年底上线” 开始:2026-12-01 结束:2027-03-31 节假日:CN",
    )
    with chat.db.session() as s:
        from storage.models import Project

        p = s.exec(select(Project)).one()
    assert (p.name, p.timezone, p.locale, p.goal, p.holidays_country) == (
        "ERP 升级",
        "Asia/Shanghai",
        "zh",
        "年底上线",
        "CN",
    )
    assert (p.start_date, p.end_date) == (date(2026, 12, 1), date(2027, 3, 31))
    text = show(chat.ok("pm", "/项目 查看"))
    assert "项目章程 — ERP 升级" in text and "目标: 年底上线" in text
    assert "结束日期早于开始日期" in chat.fail("pm", "/项目 设置 结束:2026-11-30")


def test_now_is_injected_everywhere(project: Chat) -> None:
    project.clock.set(datetime(2027, 1, 4, 1, 0, tzinfo=UTC))
    project.ok("pm", "/task add X due:tomorrow")
    with project.db.session() as s:
        from storage.models import Task

        assert s.exec(select(Task)).one().due_date == date(2027, 1, 5)


def show_value(value: str) -> str:
    from handlers.replies import Reply

    return show(Reply(text=value))
