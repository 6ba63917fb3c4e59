"""The plan fields of the task modal (issue 11): start (datepicker), duration, predecessors and
progress round-trip through a real Slack modal submission; a mistake in one of them is shown
under that input (`response_action: errors`); labels in English and Chinese."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from storage.database import Database
from storage.models import AuditEvent
from tests.support.plans import task_plan
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake  # noqa: F401 - fixtures


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def _unchanged(view: dict[str, Any]) -> dict[str, Any]:
    """What Slack submits for a modal nobody touched: every input's initial value."""
    out: dict[str, Any] = {}
    for name, block in _inputs(view).items():
        e = block["element"]
        value = (
            e.get("initial_value")
            or e.get("initial_date")
            or e.get("initial_user")
            or e.get("initial_users")
            or e.get("initial_date_time")
            or (e.get("initial_option") or {}).get("value")
        )
        if value is not None:
            out[name] = value
    return out


def _audits(db: Database) -> int:
    with db.session() as s:
        return len(s.exec(select(AuditEvent)).all())


def test_every_plan_field_round_trips_through_the_modal(slack_bot: SlackBot, db: Database) -> None:
    bot = slack_bot
    bot.ok('init "Plan forms"', command="/project")
    bot.ok('add "Design"')
    bot.ok('add "Buy"')
    bot.command("form")
    create = bot.last_view()
    labels = {name: b["label"]["text"] for name, b in _inputs(create).items()}
    assert (labels["start"], labels["duration"], labels["after"], labels["progress"]) == (
        "Start",
        "Duration (working days)",
        "Predecessors",
        "Progress (%)",
    )
    assert _inputs(create)["start"]["element"]["type"] == "datepicker"
    answers = {"title": "Build", "start": "2026-12-07", "duration": "5d", "after": "#1, #2+2d", "progress": "40%"}
    assert bot.submit(create, answers) == {}
    task, deps = task_plan(db, 3)
    assert (str(task.start_date), task.duration_days, task.progress, task.status) == ("2026-12-07", 5, 40, "doing")
    assert deps == [(1, 0), (2, 2)]

    bot.command("form #3")
    edit = bot.last_view()
    elements = {name: b["element"] for name, b in _inputs(edit).items()}
    assert elements["start"]["initial_date"] == "2026-12-07"
    assert (elements["duration"]["initial_value"], elements["after"]["initial_value"]) == ("5", "#1, #2+2d")
    assert elements["progress"]["initial_value"] == "40"

    audits = _audits(db)
    ack = bot.submit(edit, _unchanged(edit))  # saved as it was: nothing changes, nothing recorded
    assert "Nothing changed on task #3." in str(ack["view"]["blocks"])
    assert _audits(db) == audits and task_plan(db, 3) == (task, deps)

    changed = {**_unchanged(edit), "start": "2026-12-14", "duration": "2w", "after": "", "progress": "100"}
    assert bot.submit(edit, changed) == {}
    task, deps = task_plan(db, 3)
    assert (str(task.start_date), task.duration_days, task.progress, task.status) == ("2026-12-14", 10, 100, "done")
    assert deps == []


def test_a_wrong_plan_field_is_shown_under_its_own_input(slack_bot: SlackBot, db: Database) -> None:
    bot = slack_bot
    bot.ok('init "Plan forms"', command="/project")
    bot.ok('add "Design"')
    bot.ok('add "Build" after:#1')
    bot.command("form #1")
    edit = bot.last_view()
    cases = {
        "after": [
            ("#2", "These tasks would wait for each other in a loop: #1 → #2 → #1. Remove one of these dependencies."),
            ("#9", "There is no task #9 in this project."),
            ("#1", "#1 cannot come after itself."),
            ("#x", '"#x" is not'),
        ],
        "duration": [("soon", '"soon" is not a number of working days')],
        "progress": [("150", '"150" is not a percentage')],
    }
    for field, tries in cases.items():
        for value, error in tries:
            ack = bot.submit(edit, {**_unchanged(edit), field: value})
            assert ack["response_action"] == "errors" and list(ack["errors"]) == [field], (field, value, ack)
            assert error in ack["errors"][field]
    task, deps = task_plan(db, 1)
    assert (task.start_date, task.duration_days, task.progress, deps) == (None, None, 0, [])
    assert task_plan(db, 2)[1] == [(1, 0)]


def test_the_plan_inputs_and_their_errors_speak_chinese(slack_bot: SlackBot, db: Database) -> None:
    bot = slack_bot
    bot.ok('init "Plan forms"', command="/project")
    bot.command("表单", user="U3", user_name="wang")  # U3's Slack is set to zh-CN
    view = bot.last_view()
    inputs = _inputs(view)
    labels = {name: b["label"]["text"] for name, b in inputs.items()}
    assert (labels["start"], labels["duration"], labels["after"], labels["progress"]) == (
        "开始",
        "工期(工作日)",
        "前置任务",
        "进度 (%)",
    )
    assert inputs["after"]["element"]["placeholder"]["text"].startswith("#3、#4+2天")
    ack = bot.submit(view, {"title": "开发", "after": "#5"}, user="U3")
    assert ack["errors"] == {"after": "本项目中没有任务 #5。"}
    assert bot.submit(view, {"title": "开发", "duration": "2周", "progress": "60%"}, user="U3") == {}
    task, _ = task_plan(db, 1)
    assert (task.duration_days, task.progress) == (10, 60)
