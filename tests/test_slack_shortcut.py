"""The message shortcut "Create task from message": a create-task modal prefilled with the
message as the title and its permalink as the task's source link."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.models import Task
from tests.support import slack_payloads as p
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake, texts  # noqa: F401 - fixtures


def _inputs(view: dict) -> dict:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


@pytest.mark.parametrize("via", ["http", "socket"])
def test_the_shortcut_prefills_a_form_that_creates_a_linked_task(
    slack_bot: SlackBot,
    db,
    via: str,
) -> None:
    bot = slack_bot
    bot.via = via
    bot.ok('init "Shortcuts"', command="/project")
    text = "Please fix <@U2> login &amp; signup\non <https://x.example/a|the site> <!here>"
    bot.deliver(
        p.message_shortcut(text, ts="1699999999.000100", response_url=bot.fake.response_url("s1")), "interactive"
    )
    permalink = bot.fake.of("chat.getPermalink")[-1]
    assert (permalink.body["channel"], permalink.body["message_ts"]) == ("C1", "1699999999.000100")
    view = bot.last_view()
    inputs = _inputs(view)
    assert inputs["title"]["initial_value"] == "Please fix @Bob Builder login & signup on the site @here"
    assert inputs["link"]["initial_value"] == "https://fake.slack.com/archives/C1/p1699999999000100"

    bot.submit(
        view,
        {
            **{k: e.get("initial_value") for k, e in inputs.items() if e["type"] == "plain_text_input"},
            "responsible": "U2",
            "priority": "medium",
        },
    )
    post = texts(bot.last_post().blocks)
    assert "#1 Please fix @Bob Builder login & signup on the site @here" in post  # a plain-text header
    assert "<https://fake.slack.com/archives/C1/p1699999999000100>" in post
    with db.session() as session:
        task = session.exec(select(Task)).one()
    assert task.source_link == "https://fake.slack.com/archives/C1/p1699999999000100"


def test_a_long_message_is_trimmed_to_a_title(slack_bot: SlackBot) -> None:
    bot = slack_bot
    bot.ok('init "Shortcuts"', command="/project")
    bot.deliver(p.message_shortcut("word " * 200), "interactive")
    title = _inputs(bot.last_view())["title"]["initial_value"]
    assert len(title) == 300 and title.endswith("…")


def test_the_shortcut_in_an_unbound_channel_explains_what_to_do(slack_bot: SlackBot) -> None:
    bot = slack_bot
    bot.deliver(p.message_shortcut("hello", channel="C7", response_url=bot.fake.response_url("s2")), "interactive")
    assert "not bound to a project" in bot.responses()[-1].body["text"]
    assert not bot.fake.of("views.open")
