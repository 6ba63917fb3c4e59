"""Tasks through the core: numbering, WBS, RACI, dues, filters, transitions, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from storage.models import AuditEvent, Task
from tests.chat import Chat, show


def _init(chat: Chat) -> None:
    chat.ok("pm", '/project init "ERP upgrade" tz:Asia/Shanghai')


def _task(chat: Chat, number: int) -> Task:
    with chat.db.session() as s:
        return s.exec(select(Task).where(Task.number == number)).one()


def test_task_add_records_raci_due_and_priority(chat: Chat) -> None:
    _init(chat)
    reply = chat.ok("pm", '/task add "Migrate orders DB" @alice due:fri A:@bob C:@carol,@dan I:@erin prio:high')
    assert reply.visibility == "channel"
    task = _task(chat, 1)
    assert (task.title, task.responsible, task.accountable) == ("Migrate orders DB", "alice", "bob")
    assert task.consulted == ["carol", "dan"] and task.informed == ["erin"]
    assert task.priority == "high" and task.creator == "pm"
    assert task.due_date == date(2026, 11, 27) and task.due_at is None  # date-only stays date-only
    assert "#1 Migrate orders DB" in show(reply)


def test_numbers_are_per_project_and_sequential(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", '/project init "Other"', channel="C2")
    for title in ("a", "b", "c"):
        chat.ok("pm", f"/task add {title}")
    chat.ok("pm", "/task add x", channel="C2")
    with chat.db.session() as s:
        numbers = sorted((t.project_id, t.number) for t in s.exec(select(Task)))
    assert [n for _, n in numbers] == [1, 2, 3, 1]


def test_timed_due_is_stored_in_utc_from_project_zone(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", '/task add "Demo" due:"tomorrow 5pm"')
    task = _task(chat, 1)
    assert task.due_date == date(2026, 11, 26)
    assert task.due_at == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 17:00 +08:00


def test_chinese_task_command(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/任务 新建 迁移订单库 负责:@张三 截止:下周五 优先级:紧急 批准：@李四")
    task = _task(chat, 1)
    assert (task.title, task.responsible, task.accountable, task.priority) == ("迁移订单库", "张三", "李四", "urgent")
    assert task.due_date == date(2026, 12, 4)


def test_unparseable_due_is_an_error_with_examples_and_usage(chat: Chat) -> None:
    _init(chat)
    text = chat.fail("pm", "/task add Demo due:someday")
    assert '"someday"' in text and "tomorrow 5pm" in text and "Usage: /task add" in text
    assert chat.fail("pm", "/task add Demo due:12/01").startswith('The date "12/01" is ambiguous')
    with chat.db.session() as s:
        assert s.exec(select(Task)).all() == []  # nothing created, never silently "today"


def test_wbs_tree_shows_children_under_parents_with_progress(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add Phase1")
    chat.ok("pm", "/task add Design parent:#1")
    chat.ok("pm", "/task add Build parent:#1")
    chat.ok("pm", "/task add Detail parent:#3")
    chat.ok("pm", "/task done #2")
    lines = show(chat.ok("pm", "/task tree")).splitlines()
    body = [line.removeprefix("│ ") for line in lines if line.startswith("│")]
    assert body[0].startswith("○ #1 Phase1") and body[0].endswith("(1/2)")
    assert body[1].startswith("    ✔ #2 Design")
    assert body[2].startswith("    ○ #3 Build")
    assert body[3].startswith("        ○ #4 Detail")


def test_parent_cycle_is_refused(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add A")
    chat.ok("pm", "/task add B parent:#1")
    assert "loop" in chat.fail("pm", "/task update #1 parent:#2")
    assert "loop" in chat.fail("pm", "/task update #1 parent:#1")
    assert "no task #9" in chat.fail("pm", "/task add C parent:#9")


def test_raci_matrix_has_a_column_per_person(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add Alpha @alice A:@bob C:@carol")
    chat.ok("pm", "/task add Beta @bob I:@alice")
    table = chat.ok("pm", "/task raci").cards[0].table
    assert table.headers == ("Task", "alice", "bob", "carol")
    assert table.rows[0][1:] == ("R", "A", "C")
    assert table.rows[1][1:] == ("I", "R", "")
    assert "#2" in chat.ok("pm", "/task raci").cards[0].footer  # Beta has no Accountable


def test_list_filters(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add Late @alice due:2026-11-20")
    chat.ok("pm", "/task add Mine @pm due:fri")
    chat.ok("pm", "/task add Done @alice")
    chat.ok("pm", "/task done #3")
    chat.ok("pm", "/task add Stuck @bob")
    chat.ok("pm", "/task block #4")

    def titles(filter_: str) -> list[str]:
        card = chat.ok("pm", f"/task list {filter_}".strip()).cards[0]
        return [line.split(" · ")[0].split(" ", 2)[2] for line in card.lines]

    assert titles("") == ["Late", "Mine", "Stuck"]  # overdue first, then by due
    assert titles("mine") == ["Mine"]
    assert titles("overdue") == ["Late"]
    assert titles("@alice") == ["Late"]
    assert titles("done") == ["Done"]
    assert titles("blocked") == ["Stuck"]
    assert titles("all") == ["Late", "Mine", "Stuck", "Done"]
    assert titles("逾期") == ["Late"]


def test_date_only_due_is_overdue_only_after_the_day_ends_in_project_zone(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add Today @alice due:today")
    chat.clock.set(datetime(2026, 11, 25, 15, 59, tzinfo=UTC))  # 23:59 in Shanghai
    assert chat.ok("pm", "/task list overdue").cards[0].lines == []
    chat.advance(minutes=1)  # midnight in Shanghai, still Nov 25 in UTC
    assert len(chat.ok("pm", "/task list overdue").cards[0].lines) == 1


def test_transitions_and_closed_at(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add A @alice")
    chat.ok("alice", "/task start #1")
    assert _task(chat, 1).status == "doing"
    reply = chat.ok("alice", "/task done #1")
    assert _task(chat, 1).status == "done" and _task(chat, 1).closed_at == chat.clock.now()
    assert [b.label for b in reply.cards[0].buttons] == ["Reopen"]
    chat.ok("alice", "/task reopen #1")
    assert _task(chat, 1).status == "todo" and _task(chat, 1).closed_at is None


def test_buttons_run_as_the_clicking_user(chat: Chat) -> None:
    _init(chat)
    card_reply = chat.ok("pm", "/task add A @alice due:2026-11-26")
    chat.click("alice", card_reply, "Snooze 1 day")
    assert _task(chat, 1).due_date == date(2026, 11, 27)
    reply = chat.click("alice", card_reply, "Done")
    assert not reply.error and _task(chat, 1).status == "done"
    refused = chat.click("mallory", card_reply, "Start")
    assert refused.error and _task(chat, 1).status == "done"


def test_update_changes_fields_and_writes_audit_before_after(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add A @alice due:fri")
    chat.ok("pm", '/task update #1 title:"A renamed" due:"next monday 5pm" status:blocked owner:@bob')
    task = _task(chat, 1)
    assert (task.title, task.status, task.responsible) == ("A renamed", "blocked", "bob")
    assert task.due_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with chat.db.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.entity == "task", AuditEvent.action == "update")).one()
    assert event.actor == "pm" and event.at == chat.clock.now()
    assert event.before == {
        "title": "A",
        "status": "todo",
        "responsible": "alice",
        "due_date": "2026-11-27",
        "due_at": None,
    }
    assert event.after["title"] == "A renamed" and event.after["responsible"] == "bob"


def test_delete_reparents_children_and_is_audited(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", "/task add Root")
    chat.ok("pm", "/task add Mid parent:#1")
    chat.ok("pm", "/task add Leaf parent:#2")
    chat.ok("pm", "/task delete #2")
    assert _task(chat, 3).parent_id == _task(chat, 1).id
    with chat.db.session() as s:
        deleted = s.exec(select(AuditEvent).where(AuditEvent.action == "delete")).one()
    assert deleted.before["title"] == "Mid" and deleted.after is None


def test_every_change_writes_an_audit_event(chat: Chat) -> None:
    _init(chat)
    for text in (
        "/task add A @alice",
        "/task start #1",
        "/task done #1",
        "/task reopen #1",
        "/task update #1 prio:low",
        "/task cancel #1",
    ):
        chat.ok("pm", text)
    with chat.db.session() as s:
        actions = [
            e.action for e in s.exec(select(AuditEvent).where(AuditEvent.entity == "task").order_by(AuditEvent.id))
        ]
    assert actions == ["create", "start", "done", "reopen", "update", "cancel"]


def test_title_with_channel_ping_is_kept_as_plain_text(chat: Chat) -> None:
    _init(chat)
    chat.ok("pm", '/task add "<!channel> \ue000U1\ue001 hi"')
    assert _task(chat, 1).title == "<!channel> U1 hi"  # mention markers stripped; renderers escape the rest


def test_a_retried_delivery_creates_one_task_and_answers_once(chat: Chat) -> None:
    _init(chat)
    first = chat.core.handle_text(chat.ctx("pm"), "/task add Once", delivery_keys=["t:ev1"])
    again = chat.core.handle_text(chat.ctx("pm"), "/task add Once", delivery_keys=["t:ev1"])
    replay = chat.core.handle_text(chat.ctx("pm"), "/task add Once", delivery_keys=["t:ev2", "t:msg1"])
    replay_same_message = chat.core.handle_text(chat.ctx("pm"), "/task add Once", delivery_keys=["t:ev3", "t:msg1"])
    assert first is not None and not first.error
    assert again is None and replay_same_message is None
    assert replay is not None  # a new event for a new message is a new command
    with chat.db.session() as s:
        assert [t.number for t in s.exec(select(Task))] == [1, 2]


def test_a_retried_erroneous_command_is_answered_once(chat: Chat) -> None:
    _init(chat)
    assert chat.core.handle_text(chat.ctx("pm"), "/task add", delivery_keys=["t:bad"]).error
    assert chat.core.handle_text(chat.ctx("pm"), "/task add", delivery_keys=["t:bad"]) is None


def test_create_form_submission_makes_a_task_with_pickers_and_date(chat: Chat) -> None:
    _init(chat)
    form_card = chat.ok("pm", '/task form title:"From a message" link:https://chat.example/p1').cards[0]
    form = form_card.form
    assert (form.command, form.action) == ("task", "add")
    initial = {i.name: i.initial for i in form.inputs}
    assert initial["title"] == "From a message" and initial["link"] == "https://chat.example/p1"
    kinds = {i.name: i.kind for i in form.inputs}
    assert (kinds["responsible"], kinds["consulted"], kinds["due"], kinds["priority"]) == (
        "user",
        "users",
        "date",
        "select",
    )
    reply = chat.core.handle_action(
        chat.ctx("pm"),
        {"command": "task", "action": "add"},
        {
            "title": "From a message",
            "responsible": "alice",
            "consulted": ["bob", "carol"],
            "due": "2026-12-01",
            "priority": "high",
            "link": "https://chat.example/p1",
        },
    )
    assert not reply.error, reply.text
    task = _task(chat, 1)
    assert (task.responsible, task.consulted, task.due_date, task.priority, task.source_link) == (
        "alice",
        ["bob", "carol"],
        date(2026, 12, 1),
        "high",
        "https://chat.example/p1",
    )


def test_edit_form_is_prefilled_and_saves_changes(chat: Chat) -> None:
    _init(chat)
    card_reply = chat.ok("pm", "/task add Old @alice C:@bob due:2026-12-01")
    edit = chat.click("alice", card_reply, "Edit").cards[0].form
    assert (edit.action, edit.args) == ("update", ("#1",))
    initial = {i.name: i.initial for i in edit.inputs}
    assert (initial["title"], initial["responsible"], initial["consulted"], initial["due"]) == (
        "Old",
        "alice",
        "bob",
        "2026-12-01",
    )
    values = {**{k: v for k, v in initial.items() if v}, "title": "New", "due": "2026-12-03"}
    reply = chat.core.handle_action(
        chat.ctx("alice"), {"command": "task", "action": "update", "args": list(edit.args)}, values
    )
    assert not reply.error, reply.text
    assert (_task(chat, 1).title, _task(chat, 1).due_date) == ("New", date(2026, 12, 3))
    assert "cannot change task #1" in chat.fail("mallory", "/task form #1")
