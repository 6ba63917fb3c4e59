"""Conformance: the largest realistic answers, rendered for Slack and Feishu, held against each
platform's documented limits (the rule quoted next to each check), not against our fakes.

One big project is built once (SQLite; the renderers, not storage, are under test): 300 tasks
with a 200-node WBS tree, 30 people in RACI roles on every task, a 60-person standup, a task
with a 5,000-character description and a risk with 2,000-character plans, the weekly report.
Every payload kind the bot sends is checked: messages (Block Kit / Feishu card request bodies),
modals and form cards.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.feishu.messenger import MAX_PAGES, FeishuMessenger
from bot.feishu.render import render as feishu_card
from bot.slack.modals import Meta, form_modal, info_modal
from bot.slack.render import render_message
from handlers.destination import Destination
from handlers.forms import FORM_TEXT_MAX
from handlers.reminders import weekly_card
from handlers.replies import Card, Form, Reply, Table, mention
from storage.database import Database
from storage.models import Project, Risk, StandupEntry, Task
from tests.chat import Chat
from tests.support.fake_feishu import FakeFeishu

PEOPLE = [f"U{n:03d}" for n in range(1, 61)]  # Slack-shaped ids; Feishu cards show them as @id
LONG = "第一阶段完成订单库的结构迁移与数据校验, then the dry run with ops. " * 80


def _title(n: int) -> str:
    return f"迁移订单服务模块 {n} — migrate the order service module {n} to the new cluster"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('limits') / 'big.db'}")
    db.upgrade()
    chat = Chat(db)
    chat.ok("pm", '/project init "ERP upgrade" tz:Asia/Shanghai')
    for n in range(1, 301):
        r, a = PEOPLE[n % 30], PEOPLE[(n + 7) % 30]
        c = ",".join(f"@{u}" for u in PEOPLE[(n + 11) % 30 : (n + 11) % 30 + 3])
        parent = f" parent:#{n // 2}" if 2 <= n <= 200 else ""  # a 200-node binary tree
        chat.ok("pm", f'/task add "{_title(n)}" @{r} A:@{a} C:{c} I:@{PEOPLE[(n + 3) % 30]} due:fri{parent}')
    chat.ok("pm", f'/task update #1 desc:"{LONG[:5000]}"')
    chat.ok(
        "pm",
        f'/risk add "Data quality" cat:technical p:4 i:4 owner:@U001 mitigation:"{LONG[:2000]}" '
        f'contingency:"{LONG[:2000]}" trigger:"{LONG[:2000]}"',
    )
    chat.ok("pm", "/standup config participants:" + ",".join(f"@{u}" for u in PEOPLE))
    for n, user in enumerate(PEOPLE[:45]):
        blocker = f' b:"{LONG[:400]}"' if n % 3 == 0 else ""
        chat.ok(user, f'/standup y:"{LONG[:2000]}" t:"{LONG[:2000]}"{blocker}')
    yield chat
    db.dispose()


def _weekly(chat: Chat) -> Reply:
    with chat.db.session() as s:
        project = s.exec(select(Project)).one()
        env = chat.core.project_env(s, project.id, chat.clock.now())
        return Reply(cards=[weekly_card(env, env.today, chat.clock.now() - timedelta(days=7))], locale=env.locale)


# Every kind of answer, at its largest. Lists and details are what commands answer; the weekly
# report and the standup summary are what the scheduler posts.
MESSAGES = {
    "task list (300 tasks)": "/task list all",
    "WBS (200-node tree)": "/task tree",
    "RACI (30 people × 300 tasks)": "/task raci",
    "standup summary (60 people)": "/standup report",
    "task with a 5,000-character description": "/task show #1",
    "risk with 2,000-character plans": "/risk show R1",
    "risk register": "/risk list all",
    "project status": "/project status",
    "help": "/help",
}
FORMS = {"task edit form": "/task form #1", "risk edit form": "/risk form R1", "standup check-in form": "/standup"}


def _answer(chat: Chat, kind: str) -> Reply:
    if kind == "weekly report":
        return _weekly(chat)
    text = {**MESSAGES, **FORMS}[kind]
    return chat.ok("U001" if kind.startswith("standup check-in") else "pm", text)


# --- Slack ------------------------------------------------------------------------------------


def _slack_texts(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(parent type, text object) for every text object in a Block Kit structure."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict) and value.get("type") in ("plain_text", "mrkdwn"):
                yield key, value
            yield from _slack_texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _slack_texts(value)


def check_slack_blocks(blocks: list[dict[str, Any]], max_blocks: int) -> None:
    # "You can include up to 50 blocks in each message, and 100 blocks in modals or Home tabs."
    assert len(blocks) <= max_blocks
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids))  # "block_id … should be unique for each message"
    for b in blocks:
        assert len(b.get("block_id", "")) <= 255  # "Maximum length for this field is 255 characters."
        if b["type"] == "section":
            # section text: "Minimum length … 1 and maximum length is 3000 characters."
            assert 1 <= len(b.get("text", {}).get("text", "x")) <= 3000
            # fields: "Maximum number of items is 10. Maximum length for the text in each item is 2000"
            assert len(b.get("fields", [])) <= 10 and all(len(f["text"]) <= 2000 for f in b.get("fields", []))
        elif b["type"] == "header":
            assert len(b["text"]["text"]) <= 150  # header text: "Maximum length … is 150 characters."
        elif b["type"] == "context":
            assert len(b["elements"]) <= 10  # context elements: "Maximum number of items is 10."
            assert all(len(e.get("text", "")) <= 3000 for e in b["elements"])
        elif b["type"] == "actions":
            assert len(b["elements"]) <= 25  # actions elements: "There is a maximum of 25 elements"
            for e in b["elements"]:
                assert len(e["text"]["text"]) <= 75  # button text: "Maximum length … is 75 characters."
                assert len(e.get("value", "")) <= 2000  # button value: "Maximum length … is 2000"
                assert len(e["action_id"]) <= 255  # "Maximum length for this field is 255 characters."
        elif b["type"] == "input":
            assert len(b["label"]["text"]) <= 2000  # input label: "Maximum length … is 2000 characters."
            element = b["element"]
            if element["type"] == "plain_text_input":
                # plain_text_input max_length: "Maximum value is 3000"; an initial_value longer than
                # what the field accepts would be refused on submit, i.e. saved cut.
                assert len(element.get("initial_value", "")) <= 3000
            if "placeholder" in element:
                assert len(element["placeholder"]["text"]) <= 150  # placeholder: "Maximum … 150 characters."
            if element["type"] == "static_select":
                assert len(element["options"]) <= 100  # static_select options: "Maximum number … is 100"


@pytest.mark.parametrize("kind", [*MESSAGES, "weekly report"])
def test_slack_messages_fit_block_kit(big: Chat, kind: str) -> None:
    message = render_message(_answer(big, kind))
    check_slack_blocks(message["blocks"], 50)
    # chat.postMessage text: "truncated … if it exceeds 40,000 characters"; we keep a short summary
    assert 0 < len(message["text"]) <= 40_000


@pytest.mark.parametrize("kind", [*MESSAGES, "weekly report"])
def test_slack_read_only_modals_fit(big: Chat, kind: str) -> None:
    view = info_modal(_answer(big, kind), names=lambda _u: None)
    check_slack_blocks(view["blocks"], 100)
    assert len(view["title"]["text"]) <= 24  # modal title: "Maximum length … is 24 characters."


@pytest.mark.parametrize("kind", list(FORMS))
def test_slack_form_modals_fit_and_hold_every_prefilled_text_whole(big: Chat, kind: str) -> None:
    card = _answer(big, kind).cards[0]
    assert card.form is not None
    view = form_modal(
        card.form,
        title=card.title,
        meta=Meta(card.form.command, card.form.action, list(card.form.args), channel="C1"),
        locale="en",
        names=lambda _u: None,
    )
    check_slack_blocks(view["blocks"], 100)
    for key in ("title", "submit", "close"):
        assert len(view[key]["text"]) <= 24  # "Maximum length … is 24 characters."
    assert len(view["private_metadata"]) <= 3000  # private_metadata: "Maximum length … 3000 characters."
    _assert_prefills_are_whole(card.form)


# --- Feishu -----------------------------------------------------------------------------------


def _request_body(card: dict[str, Any]) -> bytes:
    """The body lark_oapi sends for im.v1.message.create with this card, as it serialises it."""
    from lark_oapi.api.im.v1 import CreateMessageRequestBody
    from lark_oapi.core.json import JSON

    body = (
        CreateMessageRequestBody.builder()
        .receive_id("oc_" + "x" * 32)
        .msg_type("interactive")
        .content(json.dumps(card, ensure_ascii=False, separators=(",", ":")))
        .uuid("pmbot-" + "0" * 40)
        .build()
    )
    return JSON.marshal(body).encode("utf-8")


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def check_feishu_card(card: dict[str, Any]) -> None:
    # error 230025: "卡片及富文本消息请求体最大不能超过30KB" (message create / reply / patch)
    assert len(_request_body(card)) <= 30_000
    tags = [n.get("tag") for n in _nodes(card)]
    assert tags.count("table") <= 5  # table component: at most five per card (bot/feishu/render.py)
    for node in _nodes(card):
        if node.get("tag") == "table":
            assert 1 <= node["page_size"] <= 10  # table page_size: "取值范围 [1,10]"
            assert len(node["columns"]) <= 50  # table columns: at most 50 (bot/feishu/render.py)
        if node.get("tag") == "input":
            # input max_length: 1 to 1000 (the reading of the input component docs);
            # a default longer than max_length would be cut and saved cut.
            assert 1 <= node["max_length"] <= 1000
            assert len(node.get("default_value", "")) <= node["max_length"]
    forms = [n for n in _nodes(card) if n.get("tag") == "form"]
    assert all(f in card["body"]["elements"] for f in forms)  # "表单容器 … 仅支持放在卡片根节点"


@pytest.mark.parametrize("kind", [*MESSAGES, "weekly report", *FORMS])
def test_feishu_cards_fit_the_request_size_and_component_rules(big: Chat, kind: str) -> None:
    reply = _answer(big, kind)
    card = feishu_card(reply, channel="oc_group")
    check_feishu_card(card)
    if kind in FORMS:
        _assert_prefills_are_whole(reply.cards[0].form)


def test_the_raci_matrix_escaped_in_the_request_is_far_larger_than_its_card(big: Chat) -> None:
    """Why size is measured on the request: the escaped card is about a third larger."""
    card = feishu_card(_answer(big, "RACI (30 people × 300 tasks)"), channel="oc_group")
    raw = len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    assert len(_request_body(card)) > raw * 1.2
    shown = html.unescape(json.dumps(card, ensure_ascii=False))
    assert "… and" in shown or "还有" in shown  # cut rows are counted, not dropped silently


def test_a_raci_table_of_feishu_people_fits_the_request_not_just_the_card() -> None:
    """35 people with real open_ids × 50 tasks: the card JSON alone is under 30 KB, the request
    carrying it as an escaped string is not — unless the card is sized by the request."""
    people = [f"ou_{'a' * 28}{n:03d}" for n in range(35)]
    marks = "RACI"
    rows = tuple(
        (f"#{t} 迁移订单服务模块 {t} migrate module", *(marks[(t + i) % 4] if (t + i) % 3 else "" for i in range(35)))
        for t in range(50)
    )
    card = feishu_card(Reply(cards=[Card(title="RACI", table=Table(("Task", *map(mention, people)), rows))]))
    check_feishu_card(card)


# --- forms never cut a stored text ------------------------------------------------------------


def _assert_prefills_are_whole(form: Form | None) -> None:
    assert form is not None
    for item in form.inputs:
        assert len(item.initial or "") <= FORM_TEXT_MAX, item.name


def _unchanged(form: Form) -> dict[str, Any]:
    return {i.name: i.initial or "" for i in form.inputs}


def test_an_edit_form_leaves_long_texts_out_says_where_to_edit_them_and_saving_it_changes_nothing(chat: Chat) -> None:
    chat.ok("pm", '/project init "Forms"')
    chat.ok("pm", f'/task add "Long" desc:"{"d" * 1500}"')
    chat.ok("pm", f'/risk add "Plans" mitigation:"{"m" * 1200}" contingency:"short plan"')
    with chat.db.session() as s:
        before = [r.model_dump() for r in s.exec(select(Task))] + [r.model_dump() for r in s.exec(select(Risk))]
    for text, left_out, kept, command, length in (
        ("/task form #1", "description", "title", "/task update #1 description:", "1500"),
        ("/risk form R1", "mitigation", "contingency", "/risk update R1 mitigation:", "1200"),
    ):
        card = chat.ok("pm", text).cards[0]
        names = [i.name for i in card.form.inputs]
        assert left_out not in names and kept in names
        assert command in card.text and length in card.text
        reply = chat.core.handle_action(
            chat.ctx("pm"),
            {"command": card.form.command, "action": card.form.action, "args": list(card.form.args)},
            _unchanged(card.form),
        )
        assert not reply.error and "Nothing changed" in reply.text, reply.text
    with chat.db.session() as s:
        after = [r.model_dump() for r in s.exec(select(Task))] + [r.model_dump() for r in s.exec(select(Risk))]
    assert after == before


def test_a_long_standup_answer_stays_out_of_the_check_in_form_and_is_kept(chat: Chat) -> None:
    chat.ok("pm", '/project init "Standup"')
    chat.ok("pm", f'/standup y:"{"y" * 1800}" t:"today"')
    form = chat.ok("pm", "/standup").cards[0].form
    assert [i.name for i in form.inputs] == ["today", "blockers"]
    reply = chat.core.handle_action(
        chat.ctx("pm"),
        {"command": "standup", "action": "checkin", "args": []},
        {"today": "today, edited", "blockers": ""},
    )
    assert not reply.error
    with chat.db.session() as s:
        entry = s.exec(select(StandupEntry)).one()
    assert (entry.yesterday, entry.today) == ("y" * 1800, "today, edited")


# --- the standup summary on Slack ---------------------------------------------------------------


def test_a_big_standup_summary_keeps_blockers_and_missing_people_and_counts_people(big: Chat) -> None:
    reply = _answer(big, "standup summary (60 people)")
    blocks = render_message(reply)["blocks"]
    shown = "\n".join(o["text"] for _k, o in _slack_texts(blocks))
    assert "blocker(s)" in shown and "Not checked in" in shown
    people = re.findall(r"^<@U\d{3}> — ", shown, re.M)
    assert shown.index("blocker(s)") < shown.index(people[0])  # what matters comes before the answers
    left_out = [int(n) for n in re.findall(r"… and (\d+) more", shown)]
    assert len(people) + sum(left_out) == 45  # everyone who answered is shown or counted


def test_a_reply_over_fifty_blocks_shows_fewer_lines_and_counts_the_lines_left_out() -> None:
    """Each line is a person (or a task): when a message must be shortened, "… and N more" counts
    lines, and the card's text (counts, blockers, missing people) stays whole."""
    lines = [f"{mention(f'U{n:03d}')} — " + "x" * 1500 for n in range(1, 121)]
    card = Card(title="Standup", text="⛔ 3 blocker(s): …\nNot checked in: …", lines=lines)
    blocks = render_message(Reply(cards=[card]))["blocks"]
    check_slack_blocks(blocks, 50)
    shown = "\n".join(o["text"] for _k, o in _slack_texts(blocks))
    people = re.findall(r"^<@U\d{3}> — ", shown, re.M)
    assert "Not checked in" in shown and 0 < len(people) < 120
    assert f"… and {120 - len(people)} more" in shown


def test_a_feishu_answer_too_big_for_one_message_is_sent_whole_over_several(big: Chat) -> None:
    """30 KB per request: the RACI of 300 tasks goes out as numbered pages that each fit and
    together hold every task, instead of one card with rows left out."""
    reply = _answer(big, "RACI (30 people × 300 tasks)")
    with FakeFeishu() as fake:
        messenger = FeishuMessenger(app_id="cli_pages", app_secret="s", domain=fake.url)
        ref = messenger.send(Destination.channel("tenant", "oc_group"), reply, key="raci-1")
        pages = fake.sent("create")
    assert 1 < len(pages) <= MAX_PAGES and ref.id
    assert all(len(_request_body(p.card)) <= 30_000 for p in pages)
    shown = "".join(html.unescape(json.dumps(p.card, ensure_ascii=False)) for p in pages)
    assert "… and" not in shown and "还有" not in shown  # nothing left out
    assert all(f"#{n} " in shown for n in range(1, 301))
    titles = [p.card["header"]["title"]["content"] for p in pages]
    assert titles[0].endswith(f"(1/{len(pages)})") and titles[-1].endswith(f"({len(pages)}/{len(pages)})")
    assert len({p.body["uuid"] for p in pages}) == len(pages)  # each page its own idempotency key


def test_a_reply_shared_over_pages_keeps_every_row_in_order() -> None:
    card = Card(title="List", text="intro", lines=[f"line {n}" for n in range(7)], buttons=[], footer="end")
    pages = Reply(text="hello", cards=[card]).pages(3)
    assert [p.cards[0].title for p in pages] == ["List (1/3)", "List (2/3)", "List (3/3)"]
    assert [line for p in pages for line in p.cards[0].lines] == card.lines
    assert (pages[0].text, pages[1].text, pages[0].cards[0].text, pages[-1].cards[0].footer) == (
        "hello",
        "",
        "intro",
        "end",
    )
    assert Reply(text="x").pages(3) == [Reply(text="x")]
