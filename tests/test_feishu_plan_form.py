"""The plan fields of the task form card (issue 11): start (date picker), duration, predecessors
and progress round-trip through real, signed Feishu callbacks (the SDK's dispatcher); a mistake
in one of them is answered by a toast led by that input's label; labels in Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import lark_oapi  # noqa: F401 - imported once for the session (about 3 s)
import pytest

from storage.database import Database
from tests.support import feishu_payloads as p
from tests.support.fake_feishu import FakeFeishu
from tests.support.feishu_bot import FeishuBot, buttons
from tests.support.plans import task_plan

BOT = p.mention("@_user_1", "ou_bot", "pmbot")


@pytest.fixture
def fake() -> Iterator[FakeFeishu]:
    with FakeFeishu() as server:
        yield server


@pytest.fixture
def bot(db: Database, fake: FakeFeishu) -> FeishuBot:
    return FeishuBot(db, fake)


def _say(bot: FeishuBot, text: str) -> None:
    bot.say(f"@_user_1 {text}", mentions=[BOT])
    assert bot.deliver() == 1


def _fields(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The form's components by name (inputs and pickers; the submit button excluded)."""
    [form] = [e for e in card["body"]["elements"] if e.get("tag") == "form"]
    return {e["name"]: e for e in form["elements"] if e.get("name") and e.get("tag") != "button"}


def _label(card: dict[str, Any], name: str) -> str:
    """An input's own label, or the markdown line shown above a picker."""
    [form] = [e for e in card["body"]["elements"] if e.get("tag") == "form"]
    elements = form["elements"]
    at = next(i for i, e in enumerate(elements) if e.get("name") == name)
    element = elements[at]
    return str(element["label"]["content"] if "label" in element else elements[at - 1]["content"])


def _unchanged(card: dict[str, Any]) -> dict[str, Any]:
    """What Feishu submits for a form nobody touched: inputs' defaults, pickers' initial dates."""
    out: dict[str, Any] = {}
    for name, e in _fields(card).items():
        if "default_value" in e:
            out[name] = e["default_value"]
        elif "initial_date" in e:
            out[name] = f"{e['initial_date']} +0800"
        elif "initial_option" in e:
            out[name] = e["initial_option"]
    return out


def test_every_plan_field_round_trips_through_the_form_card(bot: FeishuBot, fake: FakeFeishu, db: Database) -> None:
    _say(bot, '/项目 初始化 "计划"')
    _say(bot, "/任务 新建 设计")
    _say(bot, "/任务 新建 采购")
    _say(bot, "/任务 表单")
    create = fake.sent()[-1].card
    assert [_label(create, n) for n in ("start", "duration", "after", "progress")] == [
        "**开始**",
        "工期(工作日)",
        "前置任务",
        "进度 (%)",
    ]
    assert _fields(create)["start"]["tag"] == "date_picker"
    answer = bot.click(
        buttons(create)["创建"],
        form_value={
            "title": "开发",
            "start": "2026-12-07 +0800",
            "duration": "5天",
            "after": "#1、#2+2天",
            "progress": "40%",
        },
    )
    assert answer["card"]["data"]["header"]["title"]["content"] == "#3 开发"
    task, deps = task_plan(db, 3)
    assert (str(task.start_date), task.duration_days, task.progress, task.status) == ("2026-12-07", 5, 40, "doing")
    assert deps == [(1, 0), (2, 2)]

    _say(bot, "/任务 表单 #3")
    edit = fake.sent()[-1].card
    fields = _fields(edit)
    assert fields["start"]["initial_date"] == "2026-12-07"
    assert (fields["duration"]["default_value"], fields["after"]["default_value"]) == ("5", "#1, #2+2d")
    assert fields["progress"]["default_value"] == "40"

    save = buttons(edit)["保存"]
    bot.click(save, form_value=_unchanged(edit))
    assert task_plan(db, 3) == (task, deps)  # saved as it was: nothing changes

    changed = {**_unchanged(edit), "start": "2026-12-14 +0800", "duration": "2周", "after": "", "progress": "100"}
    assert "card" in bot.click(save, form_value=changed)
    task, deps = task_plan(db, 3)
    assert (str(task.start_date), task.duration_days, task.progress, task.status) == ("2026-12-14", 10, 100, "done")
    assert deps == []


def test_a_wrong_predecessor_is_named_with_its_field(bot: FeishuBot, fake: FakeFeishu, db: Database) -> None:
    _say(bot, '/项目 初始化 "计划"')
    _say(bot, "/任务 新建 设计")
    _say(bot, "/任务 新建 开发 前置:#1")
    _say(bot, "/任务 表单 #1")
    edit = fake.sent()[-1].card
    save = buttons(edit)["保存"]
    cycle = bot.click(save, form_value={**_unchanged(edit), "after": "#2"})
    assert cycle == {
        "toast": {"type": "error", "content": "前置任务:这些任务会互相等待,形成循环:#1 → #2 → #1。请去掉其中一个依赖。"}
    }
    unknown = bot.click(save, form_value={**_unchanged(edit), "after": "#7"})
    assert unknown["toast"]["content"] == "前置任务:本项目中没有任务 #7。"
    assert task_plan(db, 1)[1] == [] and task_plan(db, 2)[1] == [(1, 0)]


def test_the_plan_inputs_speak_english_in_an_english_project(bot: FeishuBot, fake: FakeFeishu) -> None:
    _say(bot, '/project init "Plan" lang:en')
    _say(bot, "/task form")
    card = fake.sent()[-1].card
    assert [_label(card, n) for n in ("start", "duration", "after", "progress")] == [
        "**Start**",
        "Duration (working days)",
        "Predecessors",
        "Progress (%)",
    ]
    answer = bot.click(buttons(card)["Create"], form_value={"title": "Build", "after": "#4"})
    assert answer["toast"]["content"] == "Predecessors: There is no task #4 in this project."
