"""The Block Kit renderer on its own: neutral replies in, validated Block Kit out."""

from __future__ import annotations

import json

from bot.slack.render import (
    MESSAGE_BLOCKS,
    card_index,
    escape,
    fallback_text,
    mrkdwn,
    render_blocks,
    render_message,
)
from handlers.replies import Button, Card, Field, Form, Input, Reply, Table, mention
from tests.support.slack_bot import buttons, texts


def test_user_text_is_escaped_and_only_mention_markers_become_mentions() -> None:
    text = f"<!channel> <@U999> <https://evil.example|bank> & {mention('U123')}"
    out = mrkdwn(text)
    assert out == "&lt;!channel&gt; &lt;@U999&gt; &lt;https://evil.example|bank&gt; &amp; <@U123>"
    assert mrkdwn("see https://x.org/a?b=1&c=2.") == "see <https://x.org/a?b=1&amp;c=2>."
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_a_mention_of_a_non_slack_id_is_shown_as_plain_text() -> None:
    assert mrkdwn(mention("alice"), lambda _u: "Alice") == "@Alice"


def test_a_card_becomes_header_fields_lines_buttons_and_footer() -> None:
    card = Card(
        title="#3 Ship it",
        color="green",
        text="Details",
        footer="f",
        fields=[Field("Status", "Done"), Field("Owner", mention("U1")), Field("Notes", "long", short=False)],
        lines=["one", "two"],
        buttons=[Button("Done", "task", "done", ("#3",), style="primary")],
    )
    blocks = render_blocks(Reply(text="hello", cards=[card]))
    kinds = [b["type"] for b in blocks]
    assert kinds == ["section", "divider", "header", "section", "section", "section", "section", "actions", "context"]
    assert blocks[2]["text"]["text"] == "🟢 #3 Ship it"
    assert blocks[4]["fields"][1]["text"] == "*Owner*\n<@U1>"
    done = buttons(blocks)["Done"]
    assert json.loads(done["value"]) == {"command": "task", "action": "done", "args": ["#3"], "options": {}}
    assert done["action_id"].startswith("pmbot:c0.") and blocks[7]["elements"][0]["style"] == "primary"
    assert all(card_index(b["block_id"]) == 0 for b in blocks[1:])


def test_a_title_with_a_mention_is_a_bold_section_not_a_plain_text_header() -> None:
    blocks = render_blocks(Reply(cards=[Card(title=f"Standup — {mention('U1')}")]))
    assert blocks[0]["type"] == "section" and blocks[0]["text"]["text"] == "*Standup — <@U1>*"


def test_buttons_carry_the_project_channel_when_asked() -> None:
    blocks = render_blocks(Reply(cards=[Card(title="t", buttons=[Button("Go", "task", "list")])]), channel="C9")
    assert json.loads(buttons(blocks)["Go"]["value"])["ch"] == "C9"


def test_a_table_is_an_aligned_code_block() -> None:
    table = Table(("Task", "alice", "王芳"), (("#1 <x>", "RA", ""), ("#2", "C", "I")))
    blocks = render_blocks(Reply(cards=[Card(title="RACI", table=table)]))
    code = blocks[1]["text"]["text"]
    assert code.startswith("```\nTask   | alice | 王芳\n#1 &lt;x&gt; | RA")
    assert code.endswith("```")


def test_long_lists_are_split_into_sections_within_slack_limits() -> None:
    lines = [f"○ #{n} " + "x" * 200 for n in range(60)]
    blocks = render_blocks(Reply(cards=[Card(title="Tasks", lines=lines)]))
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) > 1 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert sum(b["text"]["text"].count("○ #") for b in sections) == 60


def test_many_fields_and_buttons_are_spread_over_blocks() -> None:
    card = Card(
        title="t",
        fields=[Field(f"f{n}", "v" * 2500) for n in range(23)],
        buttons=[Button(f"b{n}", "task", "show", (f"#{n}",)) for n in range(30)],
    )
    blocks = render_blocks(Reply(cards=[card]))
    field_blocks = [b for b in blocks if "fields" in b]
    assert [len(b["fields"]) for b in field_blocks] == [10, 10, 3]
    assert all(len(f["text"]) <= 2000 for b in field_blocks for f in b["fields"])
    assert [len(b["elements"]) for b in blocks if b["type"] == "actions"] == [25, 5]
    action_ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(set(action_ids)) == 30


def test_an_oversized_reply_is_cut_to_fifty_blocks_with_a_note() -> None:
    cards = [
        Card(title=f"#{n} item", text="t", buttons=[Button("Done", "task", "done", (f"#{n}",))]) for n in range(30)
    ]
    blocks = render_blocks(Reply(cards=cards))
    assert len(blocks) == MESSAGE_BLOCKS
    assert blocks[-1]["type"] == "context" and "more" in blocks[-1]["elements"][0]["text"]


def test_long_text_is_cut_without_breaking_an_escape_or_a_mention() -> None:
    text = ("&" * 2999) + mention("U1")
    blocks = render_blocks(Reply(text=text.replace("\n", " ")))
    assert all(not b["text"]["text"].endswith(("&am", "<@U")) for b in blocks)
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)


def test_a_form_inside_a_message_is_a_button_that_opens_it() -> None:
    form = Form("project", "init", (Input("title", "Name", required=True),), "Bind")
    blocks = render_blocks(Reply(cards=[Card(title="Hello", form=form)]))
    value = json.loads(buttons(blocks)["Bind …"]["value"])
    assert value["form"]["command"] == "project" and value["form"]["inputs"][0]["name"] == "title"


def test_the_fallback_text_is_escaped_and_mentions_render() -> None:
    reply = Reply(text=f"{mention('U1')} closed <!here>")
    assert fallback_text(reply) == "<@U1> closed &lt;!here&gt;"
    assert render_message(Reply(cards=[Card(title="Only a card")]))["text"] == "Only a card"
    assert "Only a card" in texts(render_message(Reply(cards=[Card(title="Only a card")]))["blocks"])
