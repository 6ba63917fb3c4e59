"""Tasks, risks and forms behave as people expect (issue 8): past dues, clearing fields,
status changes, snooze, the risk card after "Occurred", limits, help without a project."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlmodel import select

from storage.models import AuditEvent, Member, Risk, Task
from tests.chat import Chat, show


def _init(chat: Chat, lang: str = "en") -> None:
    chat.ok("pm", f'/project init "ERP upgrade" tz:Asia/Shanghai lang:{lang}')


def _task(chat: Chat, number: int) -> Task:
    with chat.db.session() as s:
        return s.exec(select(Task).where(Task.number == number)).one()


def _risk(chat: Chat, number: int) -> Risk:
    with chat.db.session() as s:
        return s.exec(select(Risk).where(Risk.number == number)).one()


def _audits(chat: Chat) -> int:
    with chat.db.session() as s:
        return len(s.exec(select(AuditEvent)).all())


def _labels(reply) -> list[str]:
    return [b.label for c in reply.cards for b in c.buttons]


# --- item 16: status changes do what they say -------------------------------------------

def test_done_on_a_done_task_says_so_and_records_nothing(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add Ship")
    chat.ok("pm", "/task done #1")
    before = _audits(chat)
    closed_at = _task(chat, 1).closed_at
    chat.advance(hours=1)
    reply = chat.ok("pm", "/task done #1")
    assert "#1 Ship is already done; nothing changed." in reply.text
    assert "completed" not in reply.text and reply.visibility == "ephemeral"
    assert _audits(chat) == before and _task(chat, 1).closed_at == closed_at


def test_done_on_several_tasks_does_each_and_names_those_already_done(chat: Chat) -> None:
    _init(chat, "zh")
    chat.ok("pm", "/任务 新建 甲")
    chat.ok("pm", "/任务 新建 乙")
    chat.ok("pm", "/任务 完成 #1")
    reply = chat.ok("pm", "/任务 完成 #1 #2")
    assert "#1 甲 已经是“已完成”状态,未做改动。" in reply.text
    assert "完成了 #2 乙" in reply.text and reply.visibility == "channel"
    assert _task(chat, 2).status == "done"


def test_done_on_a_parent_acts_and_offers_the_open_children(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add Phase")
    chat.ok("pm", "/task add Design parent:#1")
    chat.ok("pm", "/task add Build parent:#1")
    chat.ok("pm", "/task done #2")
    reply = chat.ok("pm", "/task done #1")
    assert _task(chat, 1).status == "done"
    assert "Note" not in show(reply)
    assert "1 sub-task(s) stay open: #3." in show(reply)
    chat.click("pm", reply, "Complete them too")
    assert _task(chat, 3).status == "done"


# --- item 18: an occurred risk can still be closed from its card ------------------------

def test_occurred_risk_card_keeps_a_close_button(chat: Chat) -> None:
    _init(chat)
    card = chat.ok("pm", '/risk add "Vendor late" p:4 i:4')
    occurred = chat.click("pm", card, "Occurred")
    assert _risk(chat, 1).status == "occurred"
    assert "Close" in _labels(occurred) and "Occurred" not in _labels(occurred)
    chat.click("pm", occurred, "Close")
    assert _risk(chat, 1).status == "closed"


# --- item 20: help in a channel with no project -----------------------------------------

def test_help_works_without_a_project_in_the_language_typed(chat: Chat) -> None:
    zh = chat.ok("pm", "/任务 帮助")
    assert zh.cards[0].title == "/任务 — 任务" and "/任务 新建" in show(zh)
    en = chat.ok("pm", "/task help")
    assert en.cards[0].title == "/task — tasks" and "/task add" in show(en)
    assert "/风险 新建" in show(chat.ok("pm", "/风险 帮助"))
    assert "/项目 初始化" in chat.fail("pm", "/任务 新建 甲")  # the refusal too, in Chinese
