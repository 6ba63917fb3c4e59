"""The Feishu card renderer on its own: card JSON 2.0 layout, escaping, forms, size limits."""

from __future__ import annotations

import html
import json
import re

from hypothesis import given
from hypothesis import strategies as st

from bot.feishu.render import REQUEST_BUDGET, card_json, escape, markdown, plain, render, request_size
from handlers.replies import Button, Card, Field, Form, Input, Option, Reply, Table, clean_user_text, mention
from tests.support.feishu_bot import buttons, texts


def _elements(card: dict, tag: str) -> list[dict]:
    found = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("tag") == tag:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def test_a_card_has_a_coloured_header_fields_lines_and_callback_buttons() -> None:
    reply = Reply(
        text="done",
        cards=[
            Card(
                title="#12 Migrate orders DB",
                color="orange",
                text="why",
                fields=[Field("Status", "Doing"), Field("Due", "Fri"), Field("Notes", "a\nb", short=False)],
                lines=["one", "two"],
                footer="foot",
                buttons=[
                    Button("Done", "task", "done", ("#12",), style="primary"),
                    Button("Snooze", "task", "update", ("#12",), (("due", "+1d"),), style="danger"),
                ],
            )
        ],
    )
    card = render(reply, channel="oc_group")
    assert card["schema"] == "2.0" and card["config"]["update_multi"] is True
    assert card["header"] == {"title": {"tag": "plain_text", "content": "#12 Migrate orders DB"}, "template": "orange"}
    columns = _elements(card, "column_set")[0]["columns"]
    assert [c["elements"][0]["content"] for c in columns] == ["**Status**\nDoing", "**Due**\nFri"]
    assert buttons(card) == {
        "Done": {"command": "task", "action": "done", "args": ["#12"], "options": {}, "ch": "oc_group"},
        "Snooze": {"command": "task", "action": "update", "args": ["#12"], "options": {"due": "+1d"}, "ch": "oc_group"},
    }
    types = {b["text"]["content"]: b["type"] for b in _elements(card, "button")}
    assert types == {"Done": "primary", "Snooze": "danger"}
    assert "one\ntwo" in texts(card) and "foot" in texts(card)


def test_every_neutral_colour_maps_to_a_feishu_template() -> None:
    expected = {
        "neutral": "default",
        "blue": "blue",
        "green": "green",
        "yellow": "yellow",
        "orange": "orange",
        "red": "red",
        "grey": "grey",
    }
    for colour, template in expected.items():
        assert render(Reply(cards=[Card(title="T", color=colour)]))["header"]["template"] == template


def test_user_text_cannot_mention_everyone_or_spoof_links() -> None:
    evil = '<at id=all></at> <at user_id="all">所有人</at> [Bank](https://evil.example) **bold** `x`'
    reply = Reply(
        text=f"{mention('ou_bob')} {mention('all')} {mention('alice')}",
        cards=[Card(title=evil, text=evil, fields=[Field(evil, evil)], lines=[evil], table=Table((evil,), ((evil,),)))],
    )
    card = render(reply)
    blob = card_json(card)
    assert "<at id=ou_bob></at>" in blob
    assert blob.count("<at") == 1  # only the real mention; nothing for `all` or a non-open_id
    rich = "\n".join(
        [e["content"] for e in _elements(card, "markdown")]
        + [v for table in _elements(card, "table") for row in table["rows"] for v in row.values()]
    )
    for raw in ("<at id=all", "<at user_id", "[Bank](", "**bold**", "`x`"):
        assert raw not in rich
    assert "&#64;all" in rich and "&#64;alice" in rich
    assert "＜at id=all＞" in card["header"]["title"]["content"]  # plain text, shown as typed


@given(st.text())
def test_escaped_text_shows_exactly_what_was_typed(text: str) -> None:
    out = escape(text)
    for ch in "<>[]()*_~`|\\":
        assert ch not in out
    shown = re.sub(r"^[ \t]+", lambda m: " " * len(m.group(0).expandtabs(4)), clean_user_text(text), flags=re.M)
    assert html.unescape(out).replace("\u00a0", " ") == shown.replace("\u00a0", " ")
    if "\ue000" not in text and "\ue001" not in text:
        assert markdown(text) == out


def test_escape_round_trips_and_keeps_indentation_out_of_code_blocks() -> None:
    text = "    ├ #3 a*b <x> & y"
    out = escape(text)
    assert html.unescape(out) == "\u00a0" * 4 + "├ #3 a*b <x> & y"
    assert not out.startswith(" ")


def test_forms_use_feishu_form_components_and_submit_the_command() -> None:
    form = Form(
        "task",
        "update",
        (
            Input("title", "Title", "text", required=True, initial="Old"),
            Input("description", "Description", "textarea"),
            Input("due", "Due", "date", initial="2026-12-04"),
            Input("responsible", "Responsible", "user", initial="ou_bob"),
            Input("consulted", "Consulted", "users", initial="ou_c,ou_d"),
            Input(
                "priority", "Priority", "select", initial="high", options=(Option("low", "Low"), Option("high", "High"))
            ),
        ),
        "Save",
        args=("#3",),
    )
    card = render(Reply(cards=[Card(title="Edit #3", form=form)]), channel="oc_g", private=True)
    root = card["body"]["elements"]
    assert root[-1]["tag"] == "form"  # forms live at the card root
    tags = {e.get("name"): e["tag"] for e in root[-1]["elements"] if e.get("name")}
    assert tags == {
        "title": "input",
        "description": "input",
        "due": "date_picker",
        "responsible": "select_person",
        "consulted": "multi_select_person",
        "priority": "select_static",
        "submit": "button",
    }
    by_name = {e.get("name"): e for e in root[-1]["elements"]}
    assert by_name["title"]["default_value"] == "Old" and by_name["title"]["required"] is True
    assert by_name["description"]["input_type"] == "multiline_text"
    assert by_name["due"]["initial_date"] == "2026-12-04"
    assert by_name["priority"]["initial_option"] == "high"
    assert "initial_option" not in by_name["responsible"]  # would restrict the candidates to ou_bob
    assert "<person id='ou_bob'" in texts(card)
    submit = by_name["submit"]
    assert submit["form_action_type"] == "submit"
    assert submit["behaviors"] == [
        {
            "type": "callback",
            "value": {
                "command": "task",
                "action": "update",
                "args": ["#3"],
                "ch": "oc_g",
                "dm": True,
                # people pickers start empty on Feishu: an empty pick keeps the current people
                "options": {"responsible": "ou_bob", "consulted": "ou_c,ou_d"},
            },
        }
    ]


def test_a_long_list_is_shortened_to_fit_a_card_and_says_how_much_is_left_out() -> None:
    lines = [f"#{n} a task with a reasonably long title to fill the card {'x' * 40}" for n in range(1, 800)]
    card = render(Reply(cards=[Card(title="Tasks", lines=lines)], locale="en"))
    assert request_size(card) <= REQUEST_BUDGET
    assert "… and " in texts(card) and "more" in texts(card)
    assert "#1 a task" in html.unescape(texts(card))


def test_a_table_becomes_the_table_component_and_long_tables_are_cut() -> None:
    rows = tuple((f"#{n} task", "R", "A") for n in range(1, 3000))
    card = render(Reply(cards=[Card(title="RACI", table=Table(("Task", "Bob", "Ann"), rows))], locale="zh"))
    table = _elements(card, "table")[0]
    assert [c["display_name"] for c in table["columns"]] == ["Task", "Bob", "Ann"]
    assert table["page_size"] == 10
    assert request_size(card) <= REQUEST_BUDGET
    assert len(table["rows"]) < 2999 and "还有" in texts(card)


def test_more_than_five_tables_fall_back_to_text() -> None:
    cards = [Card(title=f"T{n}", table=Table(("a",), (("1",),))) for n in range(7)]
    card = render(Reply(cards=cards))
    assert len(_elements(card, "table")) == 5


def test_an_unrenderable_answer_becomes_a_short_notice() -> None:
    card = render(Reply(text="x" * 100_000, cards=[Card(title="Big", fields=[Field("f", "y" * 50_000)])], locale="en"))
    assert request_size(card) <= REQUEST_BUDGET


def test_a_header_with_a_mention_uses_a_known_name_or_moves_into_the_body() -> None:
    reply = Reply(cards=[Card(title=f"Standup — {mention('ou_bob')}", color="green")])
    named = render(reply, names={"ou_bob": "Bob"}.get)
    assert named["header"]["title"]["content"] == "Standup — @Bob"
    unnamed = render(reply)
    assert "header" not in unnamed
    assert unnamed["body"]["elements"][0]["content"] == "**Standup — <at id=ou_bob></at>**"
    assert plain(f"hi {mention('ou_x')}") == "hi @ou_x"


def test_card_json_is_compact_utf8() -> None:
    assert json.loads(card_json(render(Reply(text="中文")))) == render(Reply(text="中文"))
    assert "中文" in card_json(render(Reply(text="中文")))
