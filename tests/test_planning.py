"""Schedule control in chat (issue 11): task plans, milestones, baselines and `/project schedule`,
in English and Chinese, over the mainland China calendar around Spring Festival 2026 (15-23 Feb
off; Sat 14 Feb and Sat 28 Feb are make-up working days). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from bot.export import PLAN_FIELDS, export
from handlers import i18n
from handlers.env import UserError
from handlers.planning import link, load_plan
from storage.models import BaselineTask, Project, Task, TaskDependency, saved_id
from tests.chat import Chat, show

MON = datetime(2026, 2, 9, 2, tzinfo=UTC)  # Mon 9 Feb 2026, 10:00 in Asia/Shanghai


@pytest.fixture
def plan(db) -> Chat:
    """Design (3d) → Build (4d, 1 day of lag) → Test (2d) → milestone Go-live; Docs (2d) aside."""
    chat = Chat(db, start=MON)
    chat.ok("pm", '/project init "ERP" tz:Asia/Shanghai holidays:CN end:2026-03-06')
    chat.ok("pm", '/task add "Design" @alice dur:3d')
    chat.ok("pm", '/task add "Build" @bob dur:4d after:#1+1d')
    chat.ok("pm", '/task add "Test" @carol dur:2 after:#2')
    chat.ok("pm", '/task add "Docs" dur:2d start:2026-02-10')
    chat.ok("pm", '/milestone add "Go-live" date:2026-02-27 after:#3 A:@alice')
    return chat


def _schedule(chat: Chat, number: int):
    with chat.db.session() as session:
        project = session.exec(select(Project)).one()
        return load_plan(session, project, chat.clock.now().date()).schedule.tasks[number]


def test_the_plan_skips_spring_festival_and_works_the_make_up_saturday(plan: Chat) -> None:
    build = _schedule(plan, 2)
    # Design Mon 9-Wed 11; a day of lag (Thu 12); Build Fri 13, Sat 14 (make-up), Tue 24, Wed 25.
    assert (build.early_start, build.early_finish) == (date(2026, 2, 13), date(2026, 2, 25))
    test = _schedule(plan, 3)
    assert test.early_finish == date(2026, 2, 27) and test.critical
    card = show(plan.ok("pm", "/task show #2"))
    for text in ("Start: —", "Duration: 4 working day(s)", "After: #1+1d", "Progress: 0%", "critical"):
        assert text in card
    assert "earliest Fri Feb 13 → Wed Feb 25" in card


def test_chinese_fields_and_card(db) -> None:
    chat = Chat(db, start=MON)
    chat.ok("pm", "/项目 初始化 ERP 时区:Asia/Shanghai 语言:中文 节假日:CN")
    chat.ok("pm", "/任务 新建 设计 工期:3天")
    card = show(chat.ok("pm", "/任务 新建 开发 工期:1周 前置:#1 进度:20%"))
    assert "工期: 5 个工作日" in card and "前置任务: #1" in card and "进度: 20%" in card
    assert "进行中" in card  # work begun: in progress
    text = chat.fail("pm", "/任务 更新 #1 前置:#2")
    assert "形成循环:#1 → #2 → #1" in text and text.split("\n")[1].startswith("用法:/任务 更新")


def test_progress_and_done_are_one_rule(plan: Chat) -> None:
    plan.ok("alice", "/task update #1 progress:100%")
    with plan.db.session() as s:
        design = s.exec(select(Task).where(Task.number == 1)).one()
        assert design.status == "done" and design.closed_at is not None
    plan.ok("alice", "/task reopen #1")
    assert "Progress: 0%" in show(plan.ok("pm", "/task show #1"))
    plan.ok("alice", "/task done #1")
    assert "Progress: 100%" in show(plan.ok("pm", "/task show #1"))
    assert "does not fit the status" in plan.fail("bob", "/task update #2 progress:100% status:doing")
    assert "does not fit" in plan.fail("pm", "/任务 更新 #2 进度:0% 状态:完成")


def test_dependency_errors_name_the_problem(plan: Chat) -> None:
    text = plan.fail("pm", "/task update #1 after:#3")
    assert "#1 → #2 → #3 → #1" in text and "Usage: /task update" in text
    assert "cannot come after itself" in plan.fail("pm", "/task update #2 after:#2")
    assert "no task #99" in plan.fail("pm", "/task update #2 after:#99")
    text = plan.fail("pm", '/task add "Loop" parent:#2 after:#3')  # a child waiting for its parent's successor
    assert "#2" in text and "→" in text
    with plan.db.session() as s:  # nothing of the refused changes was stored
        assert len(s.exec(select(TaskDependency)).all()) == 3
        assert s.exec(select(Task).where(Task.title == "Loop")).first() is None


def test_deleting_a_task_drops_its_dependencies(plan: Chat) -> None:
    plan.ok("pm", "/task delete #2")
    with plan.db.session() as s:
        pairs = {(d.successor_id, d.predecessor_id) for d in s.exec(select(TaskDependency))}
        ids = {t.number: t.id for t in s.exec(select(Task))}
    assert pairs == {(ids[5], ids[3])}


def test_dependencies_are_audited_and_need_the_right_to_edit(plan: Chat) -> None:
    text = plan.fail("carol", "/task update #2 after:none")
    assert "cannot change task #2" in text
    plan.ok("bob", "/task update #2 after:none")
    assert "After: —" in show(plan.ok("pm", "/task show #2"))
    assert plan.ok("bob", "/task update #2 after:none").visibility == "ephemeral"  # unchanged


def test_milestone_is_forecast_by_the_engine_and_listed(plan: Chat) -> None:
    listed = show(plan.ok("pm", "/milestone list"))
    assert "◆ #5 Go-live · forecast Fri Feb 27" in listed and "@alice" in listed
    plan.ok("pm", "/task update #3 dur:4d")  # Test now ends Mon 2 Mar (Sat 28 works): two days late
    listed = show(plan.ok("pm", "/milestone list"))
    assert "forecast Mon Mar 2 (2 working day(s) late for its date)" in listed
    assert "cannot add a milestone" in plan.fail("bob", '/milestone add "Beta" date:2026-03-01')


def test_baseline_then_confirmation_before_replacing(plan: Chat) -> None:
    saved = plan.ok("pm", "/project baseline")
    assert "saved the baseline: 5 task(s), planned finish Fri Feb 27" in saved.text
    plan.ok("pm", "/task update #3 dur:4d")
    ask = plan.ok("pm", "/project baseline")
    assert ask.visibility == "ephemeral" and "exists" in show(ask)
    with plan.db.session() as s:  # not replaced yet
        row = s.exec(select(BaselineTask).where(BaselineTask.task_number == 3)).one()
        assert row.planned_finish == date(2026, 2, 27)
    assert "cannot save the project's baseline" in plan.fail("bob", "/project baseline")
    shown = show(plan.ok("bob", "/project baseline show"))
    assert "#3 Test · Thu Feb 26 → Fri Feb 27" in shown
    replaced = plan.click("pm", ask, "Replace baseline")
    assert "replaced the baseline" in replaced.text
    with plan.db.session() as s:
        row = s.exec(select(BaselineTask).where(BaselineTask.task_number == 3)).one()
        assert row.planned_finish == date(2026, 3, 2)


def test_schedule_after_a_slip(plan: Chat) -> None:
    plan.ok("pm", "/project baseline")
    plan.advance(days=3)  # Thu 12 Feb
    # Design is late: 70% of 3 days still to do from today (Thu, Fri, Sat 14), so Build starts
    # after the holiday on Wed 25, Test ends Tue 3 Mar and Go-live misses its date.
    plan.ok("alice", "/task update #1 progress:30%")
    reply = plan.ok("pm", "/project schedule")
    assert reply.cards[0].color == "red"
    report = show(reply)
    assert "Forecast finish: Tue Mar 3" in report
    assert "Baseline finish Fri Feb 27: 3 working day(s) late" in report
    assert "Project end Fri Mar 6: 3 working day(s) early" in report
    assert "Critical path: #1 → #2 → #3 → #5" in report
    assert "#1 Design · 30% done, plan 100%" in report
    assert "#4 Docs · float" in report
    zh = show(plan.ok("pm", "/项目 进度"))
    assert "#5 Go-live · float -3 working day(s) · critical" in report
    plan.ok("pm", "/project set lang:zh")
    zh = show(plan.ok("pm", "/项目 进度"))
    assert "关键路径: #1 → #2 → #3 → #5" in zh and "基线完成 2月27日 周五:晚 3 个工作日" in zh
    assert "里程碑: ◆ #5 Go-live · 预测 3月3日 周二 (比目标日期晚 3 个工作日)" in zh


def test_a_project_that_does_not_plan_shows_no_plan_fields(chat: Chat) -> None:
    chat.ok("pm", '/project init "Plain"')
    card = show(chat.ok("pm", '/task add "Just a task" due:2026-12-01'))
    assert "Duration" not in card and "Schedule" not in card


def test_export_carries_the_plan_and_the_milestones(plan: Chat) -> None:
    plan.ok("pm", "/project baseline")
    plan.advance(days=3)
    plan.ok("alice", "/task update #1 progress:30%")
    today = date(2026, 2, 12)
    tasks = {t["number"]: t for t in json.loads(export(plan.db, "tasks", "json", today=today))}
    build = tasks[2]
    assert {k: build[k] for k in PLAN_FIELDS} == {
        "start": None,
        "duration_days": 4,
        "depends_on": [1],
        "progress": 0,
        "milestone": False,
        "baseline_start": "2026-02-13",
        "baseline_finish": "2026-02-25",
        "early_start": "2026-02-25",
        "early_finish": "2026-02-28",
        "late_start": "2026-02-13",  # Test (2 days) must end by Go-live's date, Fri 27
        "late_finish": "2026-02-25",
        "total_float": -3,
        "critical": True,
        "forecast_finish": "2026-02-28",
    }
    assert tasks[4]["start"] == "2026-02-10" and tasks[5]["milestone"] is True
    milestones = json.loads(export(plan.db, "milestones", "json", today=today))
    assert [(m["number"], m["date"], m["forecast"], m["baseline"]) for m in milestones] == [
        (5, "2026-02-27", "2026-03-03", "2026-02-27")
    ]
    assert "| #5 | Go-live | todo | 2026-02-27 | 2026-03-03 | 2026-02-27 | alice |" in export(
        plan.db, "milestones", "md", today=today
    )
    header = export(plan.db, "tasks", "csv", today=today).splitlines()[0]
    assert header.endswith(
        "baseline_finish,early_start,early_finish,late_start,late_finish,total_float,critical,forecast_finish"
    )


def test_a_dependency_on_another_projects_task_is_refused(plan: Chat) -> None:
    """Typed numbers always name this project's tasks; the one place that stores a dependency
    refuses a pair from two projects whatever calls it."""
    plan.ok("pm", '/project init "CRM"', channel="C2")
    plan.ok("pm", '/task add "Import contacts"', channel="C2")
    with plan.db.session() as session:
        erp, crm = (session.exec(select(Project).where(Project.name == n)).one() for n in ("ERP", "CRM"))
        env = plan.core.project_env(session, saved_id(erp), plan.clock.now())
        ours = session.exec(select(Task).where(Task.project_id == erp.id, Task.number == 1)).one()
        theirs = session.exec(select(Task).where(Task.project_id == crm.id)).one()
        with pytest.raises(UserError) as refused:
            link(env, ours, theirs, 0, "task.update")
        assert (refused.value.code, refused.value.detail) == ("error.dependency_other_project", {"ref": "#1"})
    assert "another project" in i18n.t("error.dependency_other_project", "en", ref="#1")
