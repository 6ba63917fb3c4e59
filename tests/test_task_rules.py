"""Tasks, risks and forms behave as people expect (issue 8): past dues, clearing fields,
status changes, snooze, the risk card after "Occurred", limits, help without a project."""

from __future__ import annotations

from datetime import UTC, date, datetime

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


# --- item 3: a past date is never stored silently ---------------------------------------


def test_a_past_due_on_add_is_stored_said_in_words_and_offered_a_fix(chat: Chat) -> None:
    _init(chat)
    reply = chat.ok("pm", "/task add Late due:2026-11-24")
    assert _task(chat, 1).due_date == date(2026, 11, 24)  # stored as given, but not silently
    assert "⚠ #1: the due date Tue Nov 24 is yesterday — it is in the past." in show(reply)
    assert "3 days ago" in show(chat.ok("pm", "/task add Later due:2026-11-22"))
    assert "earlier today" in show(chat.ok("pm", '/task add Earlier due:"today 9am"'))  # 10:00 now
    assert "Move to today" in _labels(reply)
    after = chat.click("pm", reply, "Move to today")
    assert _task(chat, 1).due_date == date(2026, 11, 25) and "in the past" not in show(after)


def test_a_past_due_in_chinese_and_the_next_working_day_button(chat: Chat) -> None:
    _init(chat, "zh")
    chat.clock.set(datetime(2026, 11, 27, 2, tzinfo=UTC))  # Friday
    chat.ok("pm", "/任务 新建 甲")
    reply = chat.ok("pm", "/任务 更新 #1 截止:2026-11-26")
    assert "⚠ #1:截止日期 11月26日 周四 是昨天,已经过去了。" in show(reply)
    assert "3 天前" in show(chat.ok("pm", "/任务 更新 #1 截止:2026-11-24"))
    chat.click("pm", reply, "改到下一个工作日")
    assert _task(chat, 1).due_date == date(2026, 11, 30)  # Monday, not Saturday


def test_a_future_or_unchanged_due_gives_no_notice(chat: Chat) -> None:
    _init(chat)
    assert "in the past" not in show(chat.ok("pm", "/task add Soon due:today"))  # due at the end of today
    chat.ok("pm", "/task add Old due:2026-11-20")
    assert "in the past" not in show(chat.ok("pm", "/task update #2 prio:high"))  # the due was not set now


def test_a_past_review_date_on_risks_and_forms(chat: Chat) -> None:
    _init(chat)
    reply = chat.ok("pm", '/risk add "Vendor late" review:2026-11-24')
    assert "⚠ R1: the review date Tue Nov 24 is yesterday — it is in the past." in show(reply)
    chat.click("pm", reply, "Move to next working day")
    assert _risk(chat, 1).review_date == date(2026, 11, 26)
    submitted = chat.core.handle_action(
        chat.ctx("pm"), {"command": "task", "action": "add"}, {"title": "From a form", "due": "2026-11-23"}
    )
    assert "the due date Mon Nov 23 is 2 days ago" in show(submitted)


# --- item 17: snooze lands on a working day ----------------------------------------------


def test_snooze_moves_to_the_next_working_day_never_a_weekend(chat: Chat) -> None:
    _init(chat)
    card = chat.ok("pm", "/task add Ship due:fri")
    chat.click("pm", card, "Snooze 1 day")
    assert _task(chat, 1).due_date == date(2026, 11, 30)  # Friday -> Monday


def test_snooze_on_an_overdue_task_starts_from_today(chat: Chat) -> None:
    _init(chat)
    card = chat.ok("pm", "/task add Late due:2026-11-20")
    chat.click("pm", card, "Snooze 1 day")
    assert _task(chat, 1).due_date == date(2026, 11, 26)  # Thursday, the working day after today
    chat.clock.set(datetime(2026, 11, 27, 2, tzinfo=UTC))  # Friday
    chat.ok("pm", '/task add Timed due:"2026-11-26 9am"')
    chat.ok("pm", "/task update #2 due:+1d")
    assert _task(chat, 2).due_at == datetime(2026, 11, 30, 1, tzinfo=UTC)  # Monday 09:00, time kept


def test_snooze_skips_public_holidays(chat: Chat) -> None:
    chat.clock.set(datetime(2026, 9, 30, 2, tzinfo=UTC))  # Wed 30 Sep, before National Day
    chat.ok("pm", '/project init "ERP" tz:Asia/Shanghai holidays:CN')
    chat.ok("pm", "/task add Ship due:today")
    chat.ok("pm", "/task update #1 due:+1d")
    assert _task(chat, 1).due_date == date(2026, 10, 8)  # Thursday after the National Day holidays


def test_hours_on_a_date_only_due_are_an_error_not_a_day(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add Ship due:fri")
    text = chat.fail("pm", "/task update #1 due:+3h")
    assert "+3h" in text and "has no time" in text and "Usage: /task update" in text
    assert _task(chat, 1).due_date == date(2026, 11, 27)
    chat.ok("pm", '/project init "Other" lang:zh', channel="C2")
    chat.ok("pm", "/任务 新建 甲 截止:周五", channel="C2")
    assert "没有具体时间" in chat.fail("pm", "/任务 更新 #1 截止:+3h", channel="C2")
    chat.ok("pm", '/task add Demo due:"tomorrow 5pm"')
    chat.ok("pm", "/task update #2 due:+3h")
    assert _task(chat, 2).due_at == datetime(2026, 11, 26, 12, tzinfo=UTC)  # 20:00 local


# --- item 14: every optional field can be cleared ---------------------------------------


def test_none_clears_every_optional_task_field(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add Phase")
    chat.ok("pm", '/task add Build @alice A:@bob C:@carol I:@dan due:fri parent:#1 desc:"why" link:https://x.example')
    chat.ok("pm", "/task update #2 A:none C:none I:none due:none parent:none owner:none desc:none link:none")
    task = _task(chat, 2)
    assert (
        task.accountable,
        task.consulted,
        task.informed,
        task.due_date,
        task.due_at,
        task.parent_id,
        task.responsible,
        task.description,
        task.source_link,
    ) == (None, [], [], None, None, None, None, "", None)


def test_wu_clears_in_chinese(chat: Chat) -> None:
    _init(chat, "zh")
    chat.ok("pm", "/任务 新建 甲")
    chat.ok("pm", "/任务 新建 乙 负责:@张三 批准:@李四 咨询:@王五 知会:@赵六 截止:周五 父任务:#1")
    chat.ok("pm", "/任务 更新 #2 批准:无 咨询:无 知会:无 截止:无 父任务:无 负责:无")
    task = _task(chat, 2)
    assert (task.accountable, task.consulted, task.informed, task.due_date, task.parent_id, task.responsible) == (
        None,
        [],
        [],
        None,
        None,
        None,
    )


def test_none_clears_optional_risk_fields(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", '/risk add "Vendor late" owner:@alice review:fri mitigation:"buffer" trigger:"slip" contingency:"b"')
    chat.ok("pm", "/risk update R1 owner:none review:none mitigation:none trigger:无 contingency:none")
    risk = _risk(chat, 1)
    assert (risk.owner, risk.review_date, risk.mitigation, risk.trigger, risk.contingency) == (None, None, "", "", "")


def test_an_emptied_edit_form_field_is_cleared(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", '/task add Build @alice A:@bob C:@carol due:fri desc:"why"')
    edit = {"command": "task", "action": "update", "args": ["#1"]}
    chat.core.handle_action(
        chat.ctx("pm"), edit, {"title": "Build", "accountable": "", "consulted": [], "due": "", "description": ""}
    )
    task = _task(chat, 1)
    assert (task.accountable, task.consulted, task.due_date, task.description) == (None, [], None, "")
    assert task.responsible == "alice"  # not in the submission: unchanged
    kept = {**edit, "options": {"responsible": "alice"}}  # Feishu: an empty people pick keeps the people
    chat.core.handle_action(chat.ctx("pm"), kept, {"responsible": ""})
    assert _task(chat, 1).responsible == "alice"


# --- item 19: limits checked before the database, invisible characters stripped ----------


def test_a_mention_longer_than_a_user_id_is_a_clear_error(chat: Chat) -> None:
    _init(chat)
    long = "u" * 100
    for text in (
        f"/task add Ship @{long}",
        f"/task add Ship A:@{long}",
        f"/risk add Slip owner:@{long}",
        f"/task add Ship C:@a,@{long}",
    ):
        error = chat.fail("pm", text)
        assert "a user id has at most 64 characters" in error and "Usage:" in error
    chat.ok("pm", "/project set lang:zh")
    assert "用户 ID 最多 64 个字符" in chat.fail("pm", f"/任务 新建 甲 @{long}")


def test_every_text_has_a_maximum_checked_before_the_database(chat: Chat) -> None:
    _init(chat)
    cases = {
        "/task add " + "t" * 301: 300,
        "/risk add " + "r" * 301: 300,
        '/task add Ship desc:"' + "d" * 5001 + '"': 5000,
        '/standup y:"' + "y" * 2001 + '" t:ok': 2000,
        '/project set goal:"' + "g" * 2001 + '"': 2000,
        '/project set name:"' + "n" * 201 + '"': 200,
        "/retro start": None,
        '/retro add well "' + "w" * 1001 + '"': 1000,
    }
    for text, limit in cases.items():
        if limit is None:
            chat.ok("pm", text)
            continue
        assert f"at most {limit} characters" in chat.fail("pm", text), text
    submitted = chat.core.handle_action(
        chat.ctx("pm"), {"command": "risk", "action": "add"}, {"title": "Slip", "mitigation": "m" * 2001}
    )
    assert submitted.error and "at most 2000 characters" in submitted.text


def test_bidi_and_zero_width_characters_are_stripped_from_titles_and_names(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", '/task add "Pay\u202e\u200bevil\u2066 bill\ufeff"')
    assert _task(chat, 1).title == "Payevil bill"
    chat.ok("pm", "/task add Family 👨\u200d👩\u200d👧")
    assert _task(chat, 2).title == "Family 👨\u200d👩\u200d👧"  # an emoji sequence keeps its joiners
    ctx = chat.ctx("eve").as_user("eve", "E\u202eve " + "x" * 300)
    chat.core.handle_text(ctx, "/task list")
    with chat.db.session() as s:
        name = s.exec(select(Member.display_name).where(Member.user_id == "eve")).one()
    assert name.startswith("Eve xxx") and len(name) == 200


# --- item 15: the edit form keeps what it does not change ---------------------------------


def _edit_form(chat: Chat, text: str):
    return chat.ok("pm", text).cards[0].form


def _unchanged(form) -> dict:
    """What a platform submits for a form nobody touched: every input's initial value."""
    return {i.name: (i.initial.split(",") if i.kind == "users" else i.initial) for i in form.inputs if i.initial}


def test_every_edit_form_submitted_unchanged_changes_nothing(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add Phase")
    chat.ok(
        "pm",
        '/task add Timed @alice A:@bob C:@carol,@dan I:@erin due:"tomorrow 5pm" parent:#1 '
        'prio:high desc:"why" link:https://x.example',
    )
    chat.ok("pm", "/task add Dated due:fri")
    chat.ok("pm", "/task add Bare")
    chat.ok("pm", '/risk add "Vendor late" p:4 i:2 owner:@alice review:fri mitigation:"m" trigger:"t" contingency:"c"')
    chat.ok("pm", '/risk add "Bare risk"')
    forms = ["/task form #1", "/task form #2", "/task form #3", "/task form #4", "/risk form R1", "/risk form R2"]
    with chat.db.session() as s:
        before = [t.model_dump() for t in s.exec(select(Task))] + [r.model_dump() for r in s.exec(select(Risk))]
    audits = _audits(chat)
    chat.advance(hours=1)
    for text in forms:
        form = _edit_form(chat, text)
        reply = chat.core.handle_action(
            chat.ctx("pm"), {"command": form.command, "action": form.action, "args": list(form.args)}, _unchanged(form)
        )
        assert not reply.error and "Nothing changed" in reply.text, (text, reply.text)
    with chat.db.session() as s:
        after = [t.model_dump() for t in s.exec(select(Task))] + [r.model_dump() for r in s.exec(select(Risk))]
    assert after == before and _audits(chat) == audits


def test_a_timed_due_is_shown_and_submitted_with_its_time_on_slack_and_feishu(chat: Chat) -> None:
    from bot.feishu.render import render as feishu_render
    from bot.slack.modals import Meta, form_modal, form_values
    from tests.support.slack_payloads import state_values

    _init(chat)
    chat.ok("pm", '/task add Demo due:"tomorrow 5pm"')
    form = _edit_form(chat, "/task form #1")
    due = next(i for i in form.inputs if i.name == "due")
    assert (due.kind, due.initial) == ("datetime", "2026-11-26T17:00+08:00")
    view = form_modal(form, title="Edit", meta=Meta("task", "update", ["#1"]), locale="en", names=lambda _u: None)
    element = next(b["element"] for b in view["blocks"] if b.get("block_id") == "due")
    assert element == {"type": "datetimepicker", "action_id": "due", "initial_date_time": 1795683600}
    state = state_values(view, {"title": "Demo", "priority": "medium", "due": 1795683600 + 3600})
    chat.core.handle_action(chat.ctx("pm"), Meta("task", "update", ["#1"]).payload(), form_values(state))
    assert _task(chat, 1).due_at == datetime(2026, 11, 26, 10, tzinfo=UTC)  # 18:00 local, time kept
    card = feishu_render(chat.ok("pm", "/task form #1"), channel="oc_g")
    picker = next(e for e in card["body"]["elements"][-1]["elements"] if e.get("name") == "due")
    assert picker == {
        "tag": "picker_datetime",
        "name": "due",
        "required": False,
        "initial_datetime": "2026-11-26 18:00",
    }
    edit = {"command": "task", "action": "update", "args": ["#1"]}
    chat.core.handle_action(chat.ctx("pm"), edit, {"due": "2026-11-27 09:30 +0800"})  # as Feishu submits it
    assert _task(chat, 1).due_at == datetime(2026, 11, 27, 1, 30, tzinfo=UTC)
