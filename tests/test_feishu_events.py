"""Scenario tests: real encrypted, signed Feishu bodies through the SDK's own dispatcher
(`handler.do(RawRequest)`), answers sent by the outbox to a fake Feishu API."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import lark_oapi  # noqa: F401 - imported once for the session (about 3 s)
import pytest
from sqlmodel import select

from bot.feishu.events import EVENT_TYPES, Mention, command_text, form_values, message_text
from bot.http import create_app
from handlers.destination import Destination, MessageRef
from handlers.i18n import t
from handlers.replies import Reply
from storage.database import Database
from storage.models import Notification, Project, Task
from tests.support import feishu_payloads as p
from tests.support.fake_feishu import FakeFeishu
from tests.support.feishu_bot import ENCRYPT_KEY, FeishuBot, buttons, texts
from tests.support.processes import ROOT
from tests.support.slack_bot import AsgiClient

README = (ROOT / "README.md").read_text(encoding="utf-8")
BOT = p.mention("@_user_1", "ou_bot", "pmbot")
BOB = p.mention("@_user_2", "ou_bob", "Bob Li")


@pytest.fixture
def fake() -> Iterator[FakeFeishu]:
    with FakeFeishu() as server:
        yield server


@pytest.fixture
def sqlite_db(tmp_path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'pmbot.db'}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def bot(sqlite_db: Database, fake: FakeFeishu) -> FeishuBot:
    return FeishuBot(sqlite_db, fake)


def bind(bot: FeishuBot, chat: str = "oc_group", user: str = "ou_alice", name: str = "ERP 升级") -> None:
    bot.say(f'@_user_1 /项目 初始化 "{name}"', chat_id=chat, sender=user, mentions=[BOT])
    assert bot.deliver() == 1


def tasks(db: Database) -> list[Task]:
    with db.session() as s:
        return list(s.exec(select(Task)))


# --- pure pieces ------------------------------------------------------------------------------


def test_placeholders_become_parser_mentions_and_the_bot_mention_is_dropped() -> None:
    mentions = [
        Mention("@_user_1", "ou_bot", "pmbot"),
        Mention("@_user_2", "ou_bob", "Bob Li"),
        Mention("@_user_3", "ou_c", "Carol <x>|y"),
        Mention("@_all", "", "所有人"),
    ]
    text = "@_user_1 /task add Ship @_user_2 C:@_user_3,@_user_2 tell @_all"
    assert (
        command_text(text, mentions, chat_type="group", bot_open_id="ou_bot")
        == "/task add Ship <@ou_bob|Bob_Li> C:<@ou_c|Carol_x_y>,<@ou_bob|Bob_Li> tell 所有人"
    )
    # Not addressed to the bot: ignored in a group, fine in a private chat.
    assert command_text("@_user_2 /task list", mentions, chat_type="group", bot_open_id="ou_bot") is None
    assert command_text("/task list", [], chat_type="p2p", bot_open_id="ou_bot") == "/task list"
    # Before the bot's id is known, leading mentions are taken as addressed to it.
    assert (
        command_text("@_user_1 /task list @_user_2", mentions, chat_type="group", bot_open_id=None)
        == "/task list <@ou_bob|Bob_Li>"
    )


def test_rich_text_posts_and_date_picker_values_are_read() -> None:
    post = {
        "title": "",
        "content": [
            [
                {"tag": "at", "user_id": "@_user_1", "user_name": "pmbot"},
                {"tag": "text", "text": " /task add "},
                {"tag": "a", "text": "Spec", "href": "x"},
            ],
            [{"tag": "text", "text": 'desc:"two lines"'}],
        ],
    }
    assert message_text("post", json.dumps(post)) == '@_user_1 /task add Spec\ndesc:"two lines"'
    assert message_text("image", "{}") is None and message_text("text", "not json") is None
    assert form_values({"due": "2026-12-04 +0800", "who": ["ou_a"], "title": "x", "n": None}) == {
        "due": "2026-12-04",
        "who": ["ou_a"],
        "title": "x",
    }


# --- messages ---------------------------------------------------------------------------------


def test_a_group_command_with_mentions_creates_the_task_and_replies_with_a_card(
    bot: FeishuBot, fake: FakeFeishu, sqlite_db: Database
) -> None:
    bind(bot)
    body = bot.say("@_user_1 /任务 新建 迁移订单库 负责:@_user_2 截止:2026-12-04 优先级:高", mentions=[BOT, BOB])
    assert bot.deliver() == 1
    reply = fake.sent()[-1]
    assert reply.kind == "reply"
    assert reply.path == f"/open-apis/im/v1/messages/{body['event']['message']['message_id']}/reply"
    assert reply.body["msg_type"] == "interactive" and reply.body["reply_in_thread"] is False
    card = reply.card
    assert card["header"]["title"]["content"] == "#1 迁移订单库"
    assert "<at id=ou_bob></at>" in texts(card) and "<at id=ou_alice></at>" in texts(card)
    assert buttons(card)["完成"] == {
        "command": "task",
        "action": "done",
        "args": ["#1"],
        "options": {},
        "ch": "oc_group",
    }
    [task] = tasks(sqlite_db)
    assert (task.title, task.responsible, task.priority, str(task.due_date)) == (
        "迁移订单库",
        "ou_bob",
        "high",
        "2026-12-04",
    )


def test_private_answers_in_a_group_are_thread_replies_and_errors_too(bot: FeishuBot, fake: FakeFeishu) -> None:
    bind(bot)
    bot.say("@_user_1 /任务 列表", mentions=[BOT])
    bot.say("@_user_1 /任务 新建 x 截止:下下下周八", mentions=[BOT])
    assert bot.deliver() == 2
    listing, error = fake.sent()[-2:]
    assert listing.body["reply_in_thread"] is True and error.body["reply_in_thread"] is True
    assert "没有任务" in texts(listing.card)
    assert "无法理解日期" in texts(error.card)


def test_group_messages_not_mentioning_the_bot_are_ignored(
    bot: FeishuBot, fake: FakeFeishu, sqlite_db: Database
) -> None:
    assert bot.adapter.messenger.bot_open_id() == "ou_bot"  # learnt from /bot/v3/info
    bind(bot)
    bot.say("@_user_2 /任务 新建 不是给机器人的", mentions=[BOB])
    bot.say("随便聊聊")
    assert bot.deliver() == 0 and tasks(sqlite_db) == []


def test_talking_to_the_bot_without_a_command_gets_a_hint(bot: FeishuBot, fake: FakeFeishu) -> None:
    bot.say("@_user_1 你好", mentions=[BOT])
    bot.say("在吗", chat_id="oc_p2p_alice", chat_type="p2p")
    assert bot.deliver() == 2
    group, private = fake.sent()[-2:]
    assert group.body["reply_in_thread"] is True and private.body["reply_in_thread"] is False
    assert "命令以 &#47; 开头" in texts(group.card)


def test_mentioning_all_never_becomes_a_mention_of_everyone(
    bot: FeishuBot, fake: FakeFeishu, sqlite_db: Database
) -> None:
    bind(bot)
    everyone = p.mention("@_all", "", "所有人")
    bot.say(
        '@_user_1 /任务 新建 通知 @_all 上线 描述:"<at id=all></at> <at user_id=\\"all\\"></at> [银行](https://evil)"',
        mentions=[BOT, everyone],
    )
    bot.deliver()
    card = fake.sent()[-1].card
    blob = json.dumps(card, ensure_ascii=False)
    assert "<at id=all" not in blob and "<at user_id" not in blob and "](https://evil)" not in blob
    assert "&#60;at id&#61;all&#62;" in blob
    assert tasks(sqlite_db)[0].title == "通知 所有人 上线"


def test_a_private_chat_acts_on_the_users_only_project(bot: FeishuBot, fake: FakeFeishu, sqlite_db: Database) -> None:
    bind(bot)
    bot.say("/任务 新建 私聊里建的任务", chat_id="oc_p2p_alice", chat_type="p2p")
    assert bot.deliver() == 1
    reply = fake.sent()[-1]
    assert reply.kind == "reply" and reply.body["reply_in_thread"] is False
    assert buttons(reply.card)["完成"]["ch"] == "oc_group" and buttons(reply.card)["完成"]["dm"] is True
    with sqlite_db.session() as s:
        [project] = s.exec(select(Project))
    assert tasks(sqlite_db)[0].project_id == project.id


def test_a_redelivered_event_creates_one_task_and_one_reply(db: Database, fake: FakeFeishu) -> None:
    bot = FeishuBot(db, fake)
    bind(bot)
    body = p.message("@_user_1 /任务 新建 只建一次", token="test-verification-token", app_id=bot.app_id, mentions=[BOT])
    bot.do(body)
    bot.do(body)  # Feishu re-pushes when it did not see a 200 in time
    assert bot.deliver() == 1
    assert [t.title for t in tasks(db)] == ["只建一次"]
    assert len(fake.sent("reply")) == 2  # the bind and this one


def test_a_replay_with_a_new_event_id_and_the_same_message_id_creates_one_task(db: Database, fake: FakeFeishu) -> None:
    bot = FeishuBot(db, fake)
    bind(bot)
    bot.say("@_user_1 /任务 新建 重连后重放", mentions=[BOT], message_id="om_same")
    bot.say("@_user_1 /任务 新建 重连后重放", mentions=[BOT], message_id="om_same")  # new event_id
    bot.deliver()
    assert [t.title for t in tasks(db)] == ["重连后重放"]
    assert len([c for c in fake.sent("reply") if "om_same" in c.path]) == 1


# --- card callbacks ---------------------------------------------------------------------------


def test_a_button_click_updates_the_card_in_place_with_a_toast(
    bot: FeishuBot, fake: FakeFeishu, sqlite_db: Database
) -> None:
    bind(bot)
    bot.say("@_user_1 /任务 新建 写周报", mentions=[BOT])
    bot.deliver()
    done = buttons(fake.sent()[-1].card)["完成"]
    answer = bot.click(done, message_id="om_card1")
    assert answer["toast"] == {"type": "success", "content": "已完成"}
    assert answer["card"]["type"] == "raw"
    card = answer["card"]["data"]
    assert card["schema"] == "2.0" and card["header"]["template"] == "green"
    assert "重开" in buttons(card)
    assert tasks(sqlite_db)[0].status == "done"


def test_a_repeated_callback_is_answered_once(bot: FeishuBot, fake: FakeFeishu, sqlite_db: Database) -> None:
    bind(bot)
    bot.say("@_user_1 /任务 新建 一次", mentions=[BOT])
    bot.deliver()
    snooze = buttons(fake.sent()[-1].card)["延后一天"]
    body = bot.payload(p.card_action, snooze, callback_token="c-once")
    first, second = (json.loads(bot.do(body).content) for _ in range(2))
    assert "card" in first and second == {}
    assert str(tasks(sqlite_db)[0].due_date) == "2026-11-26"  # moved once, not twice


def test_a_form_submission_runs_the_command_with_the_form_values(
    bot: FeishuBot, fake: FakeFeishu, sqlite_db: Database
) -> None:
    bind(bot)
    bot.say("@_user_1 /任务 表单", mentions=[BOT])
    bot.deliver()
    form_card = fake.sent()[-1]
    assert form_card.body["reply_in_thread"] is True
    submit = buttons(form_card.card)["创建"]
    answer = bot.click(
        submit,
        form_value={
            "title": "表单建的任务",
            "responsible": "ou_bob",
            "consulted": ["ou_c", "ou_d"],
            "due": "2026-12-01 +0800",
            "priority": "urgent",
            "description": "",
        },
    )
    assert answer["card"]["data"]["header"]["title"]["content"] == "#1 表单建的任务"
    [task] = tasks(sqlite_db)
    assert (task.responsible, task.consulted, str(task.due_date), task.priority) == (
        "ou_bob",
        ["ou_c", "ou_d"],
        "2026-12-01",
        "urgent",
    )


def test_a_refused_click_shows_an_error_toast_and_keeps_the_card(bot: FeishuBot, fake: FakeFeishu) -> None:
    bind(bot)
    answer = bot.click({"command": "task", "action": "done", "args": ["#99"], "options": {}, "ch": "oc_group"})
    assert answer == {"toast": {"type": "error", "content": "本项目中没有任务 #99。"}}


def test_a_private_answer_to_a_click_goes_below_the_card(bot: FeishuBot, fake: FakeFeishu) -> None:
    bind(bot)
    bot.say("@_user_1 /任务 新建 要编辑的", mentions=[BOT])
    bot.deliver()
    edit = buttons(fake.sent()[-1].card)["编辑"]
    answer = bot.click(edit, message_id="om_task_card")
    assert answer == {"toast": {"type": "info", "content": "已在卡片下方回复"}}
    assert bot.deliver() == 1
    form = fake.sent()[-1]
    assert form.path == "/open-apis/im/v1/messages/om_task_card/reply" and form.body["reply_in_thread"] is True
    assert any(e.get("tag") == "form" for e in form.card["body"]["elements"])


def test_a_click_in_a_private_chat_acts_on_the_project_and_tells_its_group(
    bot: FeishuBot, fake: FakeFeishu, sqlite_db: Database
) -> None:
    bind(bot)
    bot.say("@_user_1 /任务 新建 从私聊完成", mentions=[BOT])
    bot.deliver()
    done = {**buttons(fake.sent()[-1].card)["完成"], "dm": True}
    answer = bot.click(done, chat_id="oc_p2p_alice", message_id="om_dm_card")
    assert "card" in answer
    assert bot.deliver() == 1
    post = fake.sent()[-1]
    assert post.kind == "create" and post.body["receive_id"] == "oc_group"
    assert tasks(sqlite_db)[0].status == "done"


# --- lifecycle --------------------------------------------------------------------------------


def test_bot_added_posts_a_welcome_card_whose_form_binds_the_group(
    bot: FeishuBot, fake: FakeFeishu, sqlite_db: Database
) -> None:
    bot.do(bot.payload(p.bot_added, "oc_new", "CRM 上线群"))
    assert bot.deliver() == 1
    welcome = fake.sent()[-1]
    assert welcome.kind == "create" and welcome.query == {"receive_id_type": "chat_id"}
    assert welcome.body["receive_id"] == "oc_new"
    form = next(e for e in welcome.card["body"]["elements"] if e["tag"] == "form")
    fields = {e.get("name"): e for e in form["elements"]}
    assert fields["title"]["default_value"] == "CRM 上线群"
    assert fields["tz"]["tag"] == "select_static" and fields["tz"]["initial_option"] == "Asia/Shanghai"
    assert {o["value"] for o in fields["lang"]["options"]} == {"zh", "en"}
    answer = bot.click(
        buttons(welcome.card)["绑定本群"],
        chat_id="oc_new",
        form_value={"title": "CRM 上线", "tz": "Asia/Tokyo", "lang": "en"},
    )
    assert answer["card"]["data"]["header"]["title"]["content"] == "Project charter — CRM 上线"
    with sqlite_db.session() as s:
        [project] = s.exec(select(Project))
    assert (project.channel_id, project.timezone, project.locale) == ("oc_new", "Asia/Tokyo", "en")
    bot.do(bot.payload(p.bot_added, "oc_new", "CRM 上线群"))  # added again later
    bot.deliver()
    assert "CRM 上线" in texts(fake.sent()[-1].card) and "form" not in json.dumps(fake.sent()[-1].card)


def test_bot_menu_items_answer_privately_for_each_project(bot: FeishuBot, fake: FakeFeishu) -> None:
    bind(bot, "oc_a", name="甲项目")
    bind(bot, "oc_b", name="乙项目")
    bot.say("@_user_1 /任务 新建 甲 负责:@_user_2", chat_id="oc_a", mentions=[BOT, BOB])
    bot.deliver()
    bot.do(bot.payload(p.menu, "my_tasks", operator="ou_bob", name="Bob Li"))
    assert bot.deliver() == 1  # Bob is only in project A (as the responsible of a task)
    dm = fake.sent()[-1]
    assert dm.kind == "create" and dm.query == {"receive_id_type": "open_id"} and dm.body["receive_id"] == "ou_bob"
    assert "甲" in texts(dm.card)
    bot.do(bot.payload(p.menu, "status", operator="ou_alice"))
    assert bot.deliver() == 2  # Alice bound both groups
    bot.do(bot.payload(p.menu, "checkin", operator="ou_nobody"))
    bot.do(bot.payload(p.menu, "no_such_item", operator="ou_alice"))
    assert bot.deliver() == 1
    assert "还没有加入任何项目" in texts(fake.sent()[-1].card)


def test_a_check_in_from_the_bot_menu_is_recorded_in_the_project_and_posted_to_its_group(
    bot: FeishuBot, fake: FakeFeishu
) -> None:
    bind(bot, "oc_a", name="甲项目")
    bot.do(bot.payload(p.menu, "checkin", operator="ou_alice"))
    assert bot.deliver() == 1
    form = fake.sent()[-1]
    assert form.body["receive_id"] == "ou_alice"
    submit = buttons(form.card)["提交"]
    assert (submit["ch"], submit["dm"]) == ("oc_a", True)
    answer = bot.click(
        submit,
        chat_id="oc_p2p_ou_alice",
        message_id="om_form",
        form_value={"yesterday": "写方案", "today": "评审", "blockers": "无"},
    )
    assert answer["toast"]["type"] == "success"
    assert bot.deliver() == 1
    post = fake.sent()[-1]
    assert post.kind == "create" and post.body["receive_id"] == "oc_a" and "评审" in texts(post.card)


def _types_the_setup_guide_names() -> set[str]:
    """Every event/callback type the README's Feishu section tells a deployer about."""
    section = README.split("\n## Feishu", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([a-z]+(?:\.[a-z0-9_]+)*\.(?:[a-z0-9_]+_v\d+|trigger))`", section))


def test_every_subscribed_event_type_has_a_handler(bot: FeishuBot) -> None:
    assert _types_the_setup_guide_names() == set(EVENT_TYPES)
    for event_type in EVENT_TYPES:
        response = bot.send(bot.payload(p.other, event_type))
        assert response.status_code == 200, (event_type, response.content)  # else Feishu re-pushes it
    raw, headers = p.signed(bot.payload(p.other, "im.chat.disbanded_v1"), encrypt_key=ENCRYPT_KEY, now=bot.clock.now())
    unsubscribed = AsgiClient(create_app([bot.adapter])).post("/feishu/events", content=raw, headers=headers)
    assert unsubscribed.status_code == 200  # acknowledged and ignored: anything else is re-pushed for hours


# --- sending ----------------------------------------------------------------------------------


def test_a_rate_limited_send_is_retried_later_and_delivered_once(
    bot: FeishuBot, fake: FakeFeishu, sqlite_db: Database
) -> None:
    bind(bot)
    fake.rate_limit(1, reset=30)
    bot.say("@_user_1 /任务 新建 限流后送达", mentions=[BOT])
    assert bot.deliver() == 0
    with sqlite_db.session() as s:
        row = s.exec(select(Notification).where(Notification.status == "pending")).one()
    assert row.next_attempt_at == bot.clock.now() + timedelta(seconds=30)
    assert "99991400" in row.last_error and row.attempts == 0  # a rate limit is not a failed attempt
    bot.clock.advance(timedelta(seconds=30))
    bot.monotonic += 30  # the pacer backed the app off on its own clock; real time moves both
    assert bot.deliver() == 1
    attempts = [c for c in fake.calls if c.kind == "reply" and "限流后送达" in c.body.get("content", "")]
    assert [c.ok for c in attempts] == [False, True]
    assert attempts[0].body["uuid"] == attempts[1].body["uuid"] and len(attempts[0].body["uuid"]) <= 50


def test_sends_carry_a_uuid_derived_from_the_outbox_key(bot: FeishuBot, fake: FakeFeishu) -> None:
    messenger = bot.adapter.messenger
    refs = []
    for key in ("welcome:1", "welcome:1", "welcome:2"):  # the second is a retry after a lost response
        refs.append(messenger.send(Destination.channel("T1", "oc_x"), Reply(text="hi"), key=key))
    uuids = [c.body["uuid"] for c in fake.sent("create")]
    assert uuids[0] == uuids[1] != uuids[2] and all(len(u) <= 50 for u in uuids)
    assert refs[0] == refs[1] != refs[2]  # Feishu answers a repeated uuid with the first message


def test_a_thread_reply_falls_back_where_threads_are_off_and_a_recalled_command_gets_a_new_message(
    bot: FeishuBot, fake: FakeFeishu
) -> None:
    bind(bot)
    fake.fail(230071, msg="The group to which the message belongs does not support reply in thread.")
    bot.say("@_user_1 /帮助", mentions=[BOT])
    assert bot.deliver() == 1
    assert [(c.kind, c.body.get("reply_in_thread"), c.ok) for c in fake.calls[-2:]] == [
        ("reply", True, False),
        ("reply", False, True),
    ]
    fake.fail(230011, msg="The message is recalled.")
    bot.say("@_user_1 /任务 新建 撤回了也要回", mentions=[BOT])
    assert bot.deliver() == 1
    assert fake.calls[-1].kind == "create" and fake.calls[-1].body["receive_id"] == "oc_group"


def test_an_update_patches_the_card_in_place(bot: FeishuBot, fake: FakeFeishu) -> None:
    bot.queue(
        "summary:1",
        Destination.channel("T1", "oc_group"),
        Reply(text="已更新", locale="zh"),
        replaces=MessageRef(Destination.channel("T1", "oc_group"), "om_42"),
    )
    assert bot.deliver() == 1
    [patch] = fake.sent("patch")
    assert patch.path == "/open-apis/im/v1/messages/om_42" and patch.card["config"]["update_multi"] is True
    assert "已更新" in texts(patch.card)


def test_an_expired_tenant_token_is_fetched_again(bot: FeishuBot, fake: FakeFeishu) -> None:
    bind(bot)
    fake.revoke_tokens()
    bot.say("@_user_1 /帮助", mentions=[BOT])
    assert bot.deliver() == 1
    assert len(fake.of_path("/open-apis/auth/v3/tenant_access_token/internal")) == 2


def test_sends_to_one_chat_are_paced(bot: FeishuBot, fake: FakeFeishu) -> None:
    bind(bot)
    for n in range(9):
        bot.say(f"@_user_1 /任务 新建 批量{n}", mentions=[BOT])
    assert bot.deliver() == 9
    replies = [round(c.at, 3) for c in fake.sent("reply")]  # 10 to one chat, at most 5 a second
    assert replies == [0.0] * 5 + [1.0] * 5
    bind(bot, chat="oc_other", name="另一个")
    assert fake.sent("reply")[-1].at == 1.0  # another chat does not wait for the full one


# --- Feishu's own limits: cards refused as too large, opening the private chat -------------------


def shown(card: dict) -> str:
    return html.unescape(texts(card))


def statuses(bot: FeishuBot) -> list[str]:
    with bot.deps.db.session() as s:
        return [n.status for n in s.exec(select(Notification).order_by(Notification.id))]


def p2p_entered(bot: FeishuBot, user: str = "ou_alice", chat: str = "oc_p2p_alice") -> dict:
    body = bot.payload(p.other, "im.chat.access_event.bot_p2p_chat_entered_v1")
    body["event"] = {
        "chat_id": chat,
        "operator_id": {"open_id": user, "union_id": f"on_{user}"},
        "last_message_id": "",
        "last_message_create_time": "",
    }
    return body


def test_a_card_refused_as_too_large_is_sent_again_shorter_not_retried(bot: FeishuBot, fake: FakeFeishu) -> None:
    bot.say('@_user_1 /项目 初始化 "大卡片"', mentions=[BOT])
    fake.fail(230025, msg="The length of the message content reaches its limit.")
    assert bot.deliver() == 1
    assert statuses(bot) == ["sent"]
    assert "大卡片" in shown(fake.sent()[-1].card)


def test_a_card_refused_twice_as_too_large_becomes_the_too_long_note(bot: FeishuBot, fake: FakeFeishu) -> None:
    bot.say('@_user_1 /项目 初始化 "大卡片"', mentions=[BOT])
    fake.fail(230025, times=2)
    assert bot.deliver() == 1
    assert statuses(bot) == ["sent"]
    assert "飞书卡片放不下" in shown(fake.sent()[-1].card)
    assert [c.kind for c in fake.calls if c.kind == "reply"] == ["reply"] * 3


def test_opening_the_private_chat_is_answered_200_and_greeted_once(bot: FeishuBot, fake: FakeFeishu) -> None:
    bot.do(p2p_entered(bot))  # asserts HTTP 200: an unhandled type is answered 500 and re-pushed
    bot.do(p2p_entered(bot))  # opened again: no second greeting
    assert bot.deliver() == 1
    greeting = fake.sent()[-1]
    assert greeting.kind == "create" and greeting.body["receive_id"] == "oc_p2p_alice"
    assert t("feishu.hello", "zh") in shown(greeting.card) and "/任务" in shown(greeting.card)


def test_the_greeting_speaks_the_language_of_the_users_only_project(bot: FeishuBot, fake: FakeFeishu) -> None:
    bot.say('@_user_1 /project init "Launch" lang:en', mentions=[BOT], sender="ou_bob")
    bot.do(p2p_entered(bot, user="ou_bob", chat="oc_p2p_bob"))
    assert bot.deliver() == 2
    assert t("feishu.hello", "en") in shown(fake.sent()[-1].card)


# --- the setup guide ---------------------------------------------------------------------------

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def feishu_guide() -> str:
    return README.split("## Feishu / Lark", 1)[1].split("\n## ", 1)[0]


def test_the_guide_lists_the_receive_scopes_and_never_says_im_message_covers_them() -> None:
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([^`]+)` \| (.*) \|$", feishu_guide(), re.M)}
    assert {"im:message.p2p_msg:readonly", "im:message.group_at_msg:readonly"} <= set(rows)
    # granting `im:message` does not enable im.message.receive_v1: no row may suggest it instead
    assert not [why for why in rows.values() if "`im:message`" in why]


def test_the_guide_names_every_event_type_the_bot_handles() -> None:
    guide = feishu_guide()
    assert [event for event in EVENT_TYPES if f"`{event}`" not in guide] == []
