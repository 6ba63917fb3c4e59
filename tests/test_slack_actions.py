"""Buttons on task cards, risk cards and standup prompts: a click runs as the clicking user, and a
card about the same item is updated in place instead of posting a new message."""

from __future__ import annotations

import pytest
from sqlmodel import select

from handlers.destination import Destination
from handlers.replies import Button, Card, Reply
from storage.models import StandupEntry, Task
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake, texts  # noqa: F401 - fixtures


@pytest.fixture(params=["http", "socket"])
def bot(request: pytest.FixtureRequest, slack_bot: SlackBot) -> SlackBot:
    slack_bot.via = request.param
    slack_bot.ok('init "Clicks"', command="/project")
    return slack_bot


def test_done_on_a_task_card_updates_that_message_in_place(bot: SlackBot, db) -> None:
    bot.ok('add "Ship it" <@U2|bob>')
    card = bot.last_post()
    posts = len(bot.posts())
    bot.click(card, "Done", user="U2")
    update = bot.fake.wait_for("chat.update")[-1]
    assert (update.body["channel"], update.body["ts"]) == ("C1", card.answer["ts"])
    shown = texts(update.blocks)
    assert "✔ <@U2> completed #1 Ship it." in shown and "✔ Done" in shown
    assert "Reopen" in str(update.blocks) and len(bot.posts()) == posts
    with db.session() as session:
        assert session.exec(select(Task.status)).one() == "done"


def test_snooze_and_start_change_the_card_in_place(bot: SlackBot, db) -> None:
    bot.ok('add "Write docs" due:fri')
    card = bot.last_post()
    bot.click(card, "Snooze 1 day")
    assert "Mon Nov 30" in texts(bot.fake.of("chat.update")[-1].blocks)  # never a weekend
    bot.click(card, "Start")
    assert "◐ In progress" in texts(bot.fake.of("chat.update")[-1].blocks)
    assert len(bot.fake.of("chat.update")) == 2


def test_a_refused_click_is_answered_only_to_the_clicker(bot: SlackBot) -> None:
    bot.ok('add "Not yours" A:<@U1|alice>')
    card = bot.last_post()
    bot.click(card, "Done", user="U3")
    answer = bot.responses()[-1].body
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "你无权完成任务 #1" in answer["text"]  # U3 reads Chinese
    assert not bot.fake.of("chat.update")


def test_a_click_on_an_ephemeral_card_replaces_it_with_a_channel_post(bot: SlackBot) -> None:
    bot.ok('add "Look at me"')
    bot.command("show #1")
    shown = bot.responses()[-1]
    posts = len(bot.posts())
    bot.click(shown, "Start")
    assert bot.responses()[-1].body["delete_original"] is True
    assert len(bot.posts()) == posts + 1 and "started #1 Look at me" in texts(bot.last_post().blocks)


def test_edit_opens_a_prefilled_modal_whose_submission_updates_the_card(bot: SlackBot, db) -> None:
    bot.ok('add "Old title" <@U2|bob> C:<@U3|wang> due:2026-12-01')
    card = bot.last_post()
    bot.click(card, "Edit")
    view = bot.last_view()
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["title"]["initial_value"] == "Old title" and inputs["responsible"]["initial_user"] == "U2"
    assert inputs["consulted"]["initial_users"] == ["U3"] and inputs["due"]["initial_date"] == "2026-12-01"
    assert (
        bot.submit(
            view,
            {
                "title": "New title",
                "responsible": "U3",
                "consulted": ["U1", "U2"],
                "due": "2026-12-24",
                "priority": "urgent",
            },
        )
        == {}
    )
    update = bot.fake.wait_for("chat.update")[-1]
    assert update.body["ts"] == card.answer["ts"] and "#1 New title" in texts(update.blocks)
    with db.session() as session:
        task = session.exec(select(Task)).one()
    assert (task.title, task.responsible, task.consulted, str(task.due_date), task.priority) == (
        "New title",
        "U3",
        ["U1", "U2"],
        "2026-12-24",
        "urgent",
    )


def test_risk_card_buttons_update_the_risk(bot: SlackBot) -> None:
    bot.ok('add "Vendor late" p:3 i:4', command="/risk")
    card = bot.last_post()
    bot.click(card, "Mitigating")
    assert "Mitigating" in texts(bot.fake.of("chat.update")[-1].blocks)
    bot.click(card, "Close")
    assert "closed risk R1" in texts(bot.fake.of("chat.update")[-1].blocks)


def test_a_standup_prompt_opens_the_check_in_modal_and_the_answer_is_posted(bot: SlackBot, db) -> None:
    prompt = Reply(cards=[Card(title="Standup time", buttons=[Button("Check in", "standup", "checkin")])])
    bot.queue("standup-prompt:test", Destination.channel("T1", "C1"), prompt)
    bot.settle()
    bot.click(bot.last_post(), "Check in", user="U2")
    view = bot.last_view()
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == ["yesterday", "today", "blockers"]
    bot.submit(view, {"yesterday": "fixed the build", "today": "release", "blockers": "none"}, user="U2")
    assert "<@U2> checked in." in texts(bot.last_post().blocks)
    with db.session() as session:
        assert session.exec(select(StandupEntry.user_id, StandupEntry.today)).one() == ("U2", "release")


def test_buttons_in_a_direct_message_act_in_the_project_channel(bot: SlackBot) -> None:
    bot.ok('add "From a DM" <@U2|bob>')
    reminder = Reply(cards=[Card(title="#1 From a DM", buttons=[Button("Done", "task", "done", ("#1",))])])
    bot.queue("due-soon:test", Destination.dm("T1", "U2", project_channel="C1"), reminder)
    bot.settle()
    dm = bot.last_post()
    assert dm.body["channel"] == "U2" and '"ch":"C1"' in str(dm.blocks)
    bot.click(dm, "Done", user="U2")
    assert bot.fake.of("chat.update")[-1].body["channel"] == "D2"  # the DM's card changes…
    assert "completed #1 From a DM" in texts(bot.last_post().blocks)  # …and the project hears of it
    assert bot.last_post().body["channel"] == "C1"
