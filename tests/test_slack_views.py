"""Modal submissions: values become the command's options; mistakes are shown under the first
input (Slack's inline errors); results go to the channel; a resubmitted view changes nothing."""

from __future__ import annotations

from sqlmodel import select

from bot.slack.modals import Meta, form_modal
from handlers.replies import Form, Input
from storage.models import Risk, Task
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake, texts  # noqa: F401 - fixtures


def _form(bot: SlackBot, text: str = "form", command: str = "/task") -> dict:
    bot.command(text, command=command)
    return bot.last_view()


def test_a_submitted_create_form_adds_the_task_and_posts_it(slack_bot: SlackBot, db) -> None:
    bot = slack_bot
    bot.ok('init "Modals"', command="/project")
    view = _form(bot)
    ack = bot.submit(
        view,
        {
            "title": "From a modal",
            "responsible": "U2",
            "accountable": "U1",
            "consulted": ["U3"],
            "due": "2026-12-04",
            "priority": "high",
            "description": "Line one\nLine two",
        },
    )
    assert ack == {}  # closes the modal
    post = bot.last_post()
    assert post.body["channel"] == "C1" and "#1 From a modal" in texts(post.blocks)
    with db.session() as session:
        task = session.exec(select(Task)).one()
    assert (task.responsible, task.accountable, task.consulted, str(task.due_date), task.priority) == (
        "U2",
        "U1",
        ["U3"],
        "2026-12-04",
        "high",
    )


def test_a_mistake_is_shown_under_the_first_input(slack_bot: SlackBot, db) -> None:
    bot = slack_bot
    bot.ok('init "Modals"', command="/project")
    ack = bot.submit(_form(bot), {"title": "x" * 301})
    assert ack["response_action"] == "errors"
    assert ack["errors"] == {"title": "The text is too long (at most 300 characters)."}
    assert len(bot.posts()) == 1
    with db.session() as session:
        assert session.exec(select(Task)).all() == []


def test_a_risk_form_submission_registers_the_risk(slack_bot: SlackBot, db) -> None:
    bot = slack_bot
    bot.ok('init "Modals"', command="/project")
    view = _form(bot, command="/risk")
    bot.submit(
        view,
        {
            "title": "Key supplier leaves",
            "category": "resource",
            "probability": "4",
            "impact": "5",
            "owner": "U2",
            "strategy": "transfer",
            "review": "2026-12-10",
        },
    )
    assert "R1 Key supplier leaves" in texts(bot.last_post().blocks)
    with db.session() as session:
        risk = session.exec(select(Risk)).one()
    assert (risk.category, risk.score, risk.owner, risk.strategy) == ("resource", 20, "U2", "transfer")


def test_a_resubmitted_view_creates_nothing_twice(slack_bot: SlackBot, db) -> None:
    bot = slack_bot
    bot.ok('init "Modals"', command="/project")
    view = _form(bot)
    for _ in range(2):
        bot.submit(view, {"title": "Only once"}, view_id="V42", view_hash="h1")
    with db.session() as session:
        assert len(session.exec(select(Task)).all()) == 1
    assert len(bot.posts()) == 2  # the charter and one task


def test_a_private_answer_replaces_the_modal_with_a_read_only_view(slack_bot: SlackBot) -> None:
    bot = slack_bot
    bot.ok('init "Modals"', command="/project")
    form = Form("standup", "away", (Input("text", "Dates", required=True),), "Save")
    view = form_modal(
        form, title="Away", meta=Meta("standup", "away", channel="C1"), locale="en", names=lambda _u: None
    )
    ack = bot.submit(view, {"text": "2026-12-01..2026-12-05"})
    assert ack["response_action"] == "update" and ack["view"]["type"] == "modal"
    assert "You are away from Tue Dec 1 to Sat Dec 5" in texts(ack["view"]["blocks"])
    assert "submit" not in ack["view"] and len(bot.posts()) == 1
