"""Slip alerts, milestones at risk and the weekly report's plan section (issue 11), through the
core, the scheduler and the outbox on one manual clock, in English and Chinese, over the
mainland China calendar around Spring Festival 2026 (15-23 Feb off; Sat 14 and Sat 28 Feb are
make-up working days). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from storage.database import Database
from storage.models import Notification, Task
from tests.chat import show
from tests.support.scheduled import SH, Bot, make_bot

MON = datetime(2026, 2, 9, 8, 0, tzinfo=SH)  # Mon 9 Feb 2026
THU = datetime(2026, 2, 12, 10, 0, tzinfo=SH)
SLIPPED = "The plan slipped — ERP"


def _planned(db: Database, zh: bool = False) -> Bot:
    """Design (3d, @alice) → Build (4d, 1 day of lag, @bob, A @dave) → Test (2d, @carol) →
    milestone Go-live (Fri 27 Feb, A @alice); Docs (2d) aside; a baseline saved on Monday."""
    if zh:
        bot = make_bot(db, when=MON, init="节假日:CN 语言:中文 结束:2026-03-06")
        lines = (
            "/任务 新建 设计 @alice 工期:3天",
            "/任务 新建 开发 @bob A:@dave 工期:4天 前置:#1+1d",
            "/任务 新建 测试 @carol 工期:2天 前置:#2",
            "/任务 新建 文档 工期:2天 开始:2026-02-10",
            "/里程碑 新建 上线 日期:2026-02-27 前置:#3 A:@alice",
            "/项目 基线",
        )
    else:
        bot = make_bot(db, when=MON, init="holidays:CN end:2026-03-06")
        lines = (
            '/task add "Design" @alice dur:3d',
            '/task add "Build" @bob A:@dave dur:4d after:#1+1d',
            '/task add "Test" @carol dur:2 after:#2',
            '/task add "Docs" dur:2d start:2026-02-10',
            '/milestone add "Go-live" date:2026-02-27 after:#3 A:@alice',
            "/project baseline",
        )
    for line in lines:
        bot.chat.ok("pm", line)
    return bot


def _dms(bot: Bot, prefix: str) -> dict[str, str]:
    """The text of each DM whose title starts with `prefix`, by recipient (one each)."""
    found: dict[str, str] = {}
    for sent in bot.titled(prefix):
        assert sent.kind == "dm" and sent.target not in found, f"two alerts to {sent.target}"
        found[sent.target] = show(sent.reply)
    return found


def _alert_rows(db: Database) -> int:
    with db.session() as session:
        keys = session.exec(select(Notification.key)).all()
    return len([k for k in keys if k.startswith(("slip:", "milestone-risk:"))])


def test_a_slip_tells_the_downstream_people_once_with_its_cause(db: Database) -> None:
    bot = _planned(db)
    bot.at(datetime(2026, 2, 9, 9, 1, tzinfo=SH))  # Monday's digest: all on plan
    assert bot.titled(SLIPPED) == [] and _alert_rows(db) == 0
    bot.chat.clock.set(THU)
    # Design is late: 70% of 3 days still to do from Thursday (Thu, Fri, Sat 14), so Build
    # starts after the holiday on Wed 25, Test ends Tue 3 Mar and Go-live misses its date.
    bot.chat.ok("alice", "/task update #1 progress:30%")
    bot.at(THU)  # the outbox delivers what the command queued
    dms = _dms(bot, SLIPPED)
    assert set(dms) == {"alice", "bob", "carol", "dave"}
    design = "#1 Design forecast Sat Feb 14, 3 working day(s) past the planned start of #2 Build (Fri Feb 13)"
    build = "#2 Build forecast Sat Feb 28, 3 working day(s) past the planned start of #3 Test (Thu Feb 26)"
    test = "#3 Test forecast Tue Mar 3, 3 working day(s) past the planned start of #5 Go-live (Fri Feb 27)"
    because = ", because #1 Design slipped"
    assert design + ", because its own work runs late" in dms["bob"] and build + because in dms["bob"]
    assert test not in dms["bob"]
    assert design in dms["alice"] and test + because in dms["alice"]  # Responsible of #1, Accountable of #5
    assert build + because in dms["carol"] and test + because in dms["carol"]
    assert build in dms["dave"] and design in dms["dave"]  # Accountable of #2
    risk = _dms(bot, "Milestone at risk: #5 Go-live")
    assert set(risk) == {"alice", "pm"}  # its Accountable and the admins
    assert "#5 Go-live forecast Tue Mar 3, 3 working day(s) after its due (Fri Feb 27)" + because in risk["pm"]

    # Once per forecast: the same change, another plan change, a tick later that day.
    rows = _alert_rows(db)
    bot.clear()
    bot.chat.ok("alice", "/task update #1 progress:30%")
    bot.chat.ok("pm", "/task update #4 dur:3d")
    bot.at(datetime(2026, 2, 12, 15, 0, tzinfo=SH))
    assert _alert_rows(db) == rows and bot.titled(SLIPPED) == []

    # Back and forth: earlier, then the same forecast again, alerts nobody.
    bot.chat.ok("alice", "/task update #1 progress:70%")
    bot.chat.ok("alice", "/task update #1 progress:30%")
    bot.at(datetime(2026, 2, 12, 15, 1, tzinfo=SH))
    assert _alert_rows(db) == rows and bot.titled(SLIPPED) == []
    with db.session() as session:
        design_row = session.exec(select(Task).where(Task.number == 1)).one()
        assert str(design_row.alerted_finish) == "2026-02-14"

    # Friday's digest: with 70% still to do, Design now ends Tue 24 — a later forecast, told once.
    bot.at(datetime(2026, 2, 13, 9, 0, tzinfo=SH))
    bot.at(datetime(2026, 2, 13, 9, 30, tzinfo=SH))
    dms = _dms(bot, SLIPPED)
    assert "#1 Design forecast Tue Feb 24, 4 working day(s) past the planned start of #2 Build" in dms["bob"]
    risk = _dms(bot, "Milestone at risk: #5 Go-live")  # a new forecast for the milestone too, once
    assert "#5 Go-live forecast Wed Mar 4, 4 working day(s) after its due (Fri Feb 27)" in risk["alice"]


def test_a_new_due_starts_over(db: Database) -> None:
    bot = _planned(db)
    bot.chat.clock.set(THU)
    bot.chat.ok("alice", "/task update #1 progress:30%")
    bot.at(THU)
    assert len(bot.titled("Milestone at risk")) == 2
    bot.clear()
    # Go-live moved to Mon 2 Mar: its forecast (Tue 3) is no later than told, but the date is new.
    bot.chat.ok("pm", "/task update #5 due:2026-03-02")
    bot.at(datetime(2026, 2, 12, 11, 0, tzinfo=SH))
    risk = _dms(bot, "Milestone at risk: #5 Go-live")
    assert "#5 Go-live forecast Tue Mar 3, 1 working day(s) after its due (Mon Mar 2)" in risk["pm"]
    bot.clear()
    bot.chat.ok("pm", "/task update #5 due:2026-03-04")  # no longer late: nothing to tell
    bot.at(datetime(2026, 2, 12, 11, 1, tzinfo=SH))
    assert bot.titled("Milestone at risk") == []
    # A new baseline is the forecast itself: nothing is late against it, and nothing told stays.
    bot.chat.click("pm", bot.chat.ok("pm", "/project baseline"), "Replace baseline")
    with db.session() as session:
        assert {t.alerted_finish for t in session.exec(select(Task))} == {None}
    bot.at(datetime(2026, 2, 12, 11, 2, tzinfo=SH))
    assert bot.titled("Milestone at risk") == [] and bot.titled(SLIPPED) == []


def test_someone_away_is_covered_and_each_line_goes_once(db: Database) -> None:
    bot = _planned(db)
    bot.chat.ok("carol", "/standup away 2026-02-10..2026-02-27")
    bot.chat.clock.set(THU)
    bot.chat.ok("alice", "/task update #1 progress:30%")
    bot.at(THU)
    dms = _dms(bot, SLIPPED)
    assert "carol" not in dms
    # Test (#3) has no Accountable: the admins act for its Responsible while she is away.
    lines = dms["pm"].splitlines()
    assert "On behalf of @carol, away until Fri Feb 27:" in lines[1]
    assert "#2 Build forecast" in lines[2] and "#3 Test forecast" in lines[3]
    # Dave is told about #1 and #2 as #2's Accountable and as Bob's cover: each line once.
    assert [line.count("forecast") for line in dms["dave"].splitlines()[1:3]] == [1, 1]
    assert dms["dave"].count("#2 Build forecast") == 1


def test_weekly_report_shows_the_plan(db: Database) -> None:
    bot = _planned(db)
    bot.chat.clock.set(THU)
    bot.chat.ok("alice", "/task update #1 progress:30%")
    bot.at(datetime(2026, 2, 13, 16, 0, tzinfo=SH))  # Friday: the weekly report
    (report,) = bot.titled("Weekly status")
    text = show(report.reply)
    # From Friday, 70% of Design is Fri, Sat 14 and Tue 24: everything after it moves a day more.
    assert "Plan:\n│   Forecast finish: Wed Mar 4\n│   Baseline finish Fri Feb 27: 4 working day(s) late" in text
    assert "◆ #5 Go-live · forecast Wed Mar 4 (4 working day(s) late for its date)" in text
    assert "Behind plan (2):\n│   #1 Design · 30% done, plan 100%\n│   #4 Docs · 0% done, plan 100%" in text
    assert "Critical tasks due next week (0): —" in text  # the Spring Festival week
    bot.chat.ok("alice", "/task done #1")
    bot.at(datetime(2026, 2, 27, 16, 0, tzinfo=SH))
    text = show(bot.titled("Weekly status")[-1].reply)
    assert "Critical tasks due next week (2):\n│   ○ #2 Build · @bob\n│   ○ #3 Test · @carol" in text
    assert "Forecast finish: Thu Mar 5" in text


def test_a_project_without_a_plan_has_no_plan_section(db: Database) -> None:
    bot = make_bot(db, when=MON)
    bot.chat.ok("pm", "/task add Plain @alice due:2026-02-20")
    bot.at(datetime(2026, 2, 13, 16, 0, tzinfo=SH))
    (report,) = bot.titled("Weekly status")
    assert "Forecast finish" not in show(report.reply)


def test_chinese_alerts_and_report(db: Database) -> None:
    bot = _planned(db, zh=True)
    bot.chat.clock.set(THU)
    bot.chat.ok("alice", "/任务 更新 #1 进度:30%")
    bot.at(THU)
    dms = _dms(bot, "计划延误 — ERP")
    assert (
        "#2 开发 预测 2月28日 周六 完成,比 #3 测试 的计划开始(2月26日 周四)晚 3 个工作日,因为 #1 设计 延误了"
        in dms["carol"]
    )
    risk = _dms(bot, "里程碑有风险:#5 上线")
    assert set(risk) == {"alice", "pm"}
    assert "比截止日期(2月27日 周五)晚 3 个工作日" in risk["alice"]
    bot.at(datetime(2026, 2, 13, 16, 0, tzinfo=SH))
    (report,) = [s for s in bot.messenger.sent if s.kind == "post" and "周报" in s.reply.cards[0].title]
    text = show(report.reply)
    assert "计划:\n│   预测完成:3月4日 周三\n│   基线完成 2月27日 周五:晚 4 个工作日" in text
    assert "下周到期的关键任务(0): —" in text and "落后于计划(2 项):\n│   #1 设计 · 完成 30%,计划 100%" in text


def test_a_slip_only_moved_by_today_is_found_at_the_digest(db: Database) -> None:
    """No command changes the plan; the in-progress task's forecast moves with the days."""
    bot = _planned(db)
    bot.chat.clock.set(datetime(2026, 2, 9, 10, 0, tzinfo=SH))
    bot.chat.ok("alice", "/task update #1 progress:10%")  # Mon: 3 days left, on plan
    bot.clear()
    assert _alert_rows(db) == 0
    bot.at(datetime(2026, 2, 11, 9, 0, tzinfo=SH))  # Wed: still 3 days left → ends Fri 13
    dms = _dms(bot, SLIPPED)
    assert "#1 Design forecast Fri Feb 13" in dms["alice"]
    with db.session() as session:
        rows = session.exec(select(Notification).where(col(Notification.key).startswith("slip:"))).all()
    assert len(rows) == len(dms)
