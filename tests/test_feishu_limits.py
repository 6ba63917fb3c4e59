"""Feishu's own limits, through the SDK's dispatcher and a fake Feishu API: a card refused as too
large (230025) and the event sent when someone opens the private chat with the bot."""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import lark_oapi  # noqa: F401 - imported once for the session (about 3 s)
import pytest
from sqlmodel import select

from bot.feishu.events import EVENT_TYPES
from handlers.i18n import t
from storage.database import Database
from storage.models import Notification
from tests.support import feishu_payloads as p
from tests.support.fake_feishu import FakeFeishu
from tests.support.feishu_bot import FeishuBot, texts

BOT = p.mention("@_user_1", "ou_bot", "pmbot")


@pytest.fixture
def fake() -> Iterator[FakeFeishu]:
    with FakeFeishu() as server:
        yield server


@pytest.fixture
def bot(tmp_path, fake: FakeFeishu) -> Iterator[FeishuBot]:  # noqa: ANN001 - pytest's Path
    database = Database(f"sqlite:///{tmp_path / 'pmbot.db'}")
    database.upgrade()
    yield FeishuBot(database, fake)
    database.dispose()


def shown(card: dict) -> str:
    return html.unescape(texts(card))


def statuses(bot: FeishuBot) -> list[str]:
    with bot.runtime.db.session() as s:
        return [n.status for n in s.exec(select(Notification).order_by(Notification.id))]


def p2p_entered(bot: FeishuBot, user: str = "ou_alice", chat: str = "oc_p2p_alice") -> dict:
    body = bot.payload(p.other, "im.chat.access_event.bot_p2p_chat_entered_v1")
    body["event"] = {"chat_id": chat, "operator_id": {"open_id": user, "union_id": f"on_{user}"},
                     "last_message_id": "", "last_message_create_time": ""}
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
