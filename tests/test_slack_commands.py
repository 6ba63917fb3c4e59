"""Slash commands through bolt — as signed HTTP requests and as Socket Mode envelopes — answered
with Block Kit: channel answers posted by the outbox, private ones through the response_url,
forms as modals."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from storage.models import Member, Task
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake, texts  # noqa: F401 - fixtures


@pytest.fixture(params=["http", "socket"])
def bot(request: pytest.FixtureRequest, slack_bot: SlackBot) -> SlackBot:
    slack_bot.via = request.param
    return slack_bot


def test_every_command_works_from_slack(bot: SlackBot) -> None:
    status, body = bot.command('init "ERP upgrade" tz:Asia/Shanghai', command="/project")
    assert (status, body) == (200, "")  # an empty ack within the deadline; the answer follows
    charter = bot.last_post()
    assert charter.body["channel"] == "C1" and charter.token == "xoxb-T1"
    assert "Project charter — ERP upgrade" in texts(charter.blocks)

    bot.ok('add "Migrate orders DB" <@U2|bob> due:fri A:<@U1|alice> prio:high')
    card = texts(bot.last_post().blocks)
    assert "<@U1> created task #1." in card and "#1 Migrate orders DB" in card and "<@U2>" in card

    private = [
        ("/task", "list"),
        ("/task", "show #1"),
        ("/task", "tree"),
        ("/task", "raci"),
        ("/risk", "list"),
        ("/pm", "help"),
        ("/retro", "list"),
        ("/standup", "report"),
    ]
    for command, text in private:
        before = len(bot.posts())
        bot.command(text, command=command)
        assert len(bot.posts()) == before, f"{command} {text} was posted to the channel"
        answer = bot.responses()[-1].body
        assert answer["response_type"] == "ephemeral" and answer["blocks"], (command, text)
    assert "RACI matrix — ERP upgrade" in texts(bot.responses()[-5].body["blocks"])
    assert "```" in texts(bot.responses()[-5].body["blocks"])

    bot.ok("status", command="/project")  # a status report is for everyone
    assert "Status — ERP upgrade" in texts(bot.last_post().blocks)

    bot.ok('add "Data quality" cat:technical p:4 i:4 owner:<@U2|bob>', command="/risk")
    assert "R1 Data quality" in texts(bot.last_post().blocks)
    bot.ok('y:"wrote tests" t:"ship" b:none', command="/standup")
    assert "<@U1> checked in." in texts(bot.last_post().blocks)
    bot.ok("start", command="/retro")
    bot.command('add well "pairing"', command="/retro")  # retro items stay anonymous until shown
    assert bot.responses()[-1].body["text"] == 'Added to "Went well".'
    bot.ok("done #1")
    assert "completed #1" in texts(bot.last_post().blocks)


# The rest of the command language, each answered where it belongs (channel or only the speaker).
REST = [
    ("/task", "update #1 due:mon owner:<@U2|bob>", "channel"),
    ("/task", "start #1", "channel"),
    ("/task", "block #1", "channel"),
    ("/task", "reopen #1", "channel"),
    ("/task", 'add "Second" parent:#1', "channel"),
    ("/task", "cancel #2", "channel"),
    ("/task", "delete #2", "channel"),
    ("/task", "help", "private"),
    ("/task", "list overdue", "private"),
    ("/risk", 'add "Budget" p:2 i:3', "channel"),
    ("/risk", "show R1", "private"),
    ("/risk", "update R1 status:mitigating", "channel"),
    ("/risk", "close R1", "channel"),
    ("/risk", "list top", "private"),
    ("/project", "show", "private"),
    ("/project", "members", "private"),
    ("/project", 'set goal:"Ship v2"', "channel"),
    ("/project", "admin add <@U2|bob>", "channel"),
    ("/standup", "config time:09:00 summary:10:00", "channel"),
    ("/standup", "config", "private"),
    ("/standup", "away 2026-12-01..2026-12-02", "private"),
    ("/standup", "mute", "private"),
    ("/standup", "unmute", "private"),
    ("/retro", "start", "channel"),
    ("/retro", "show", "private"),
    ("/retro", "close", "channel"),
    ("/pm", "task list", "private"),
]


def test_the_rest_of_the_command_language_is_answered_where_it_belongs(bot: SlackBot) -> None:
    bot.ok('init "Everything" tz:Asia/Shanghai', command="/project")
    bot.ok('add "First" <@U1|alice> due:fri')
    for command, text, where in REST:
        posts, responses = len(bot.posts()), len(bot.responses())
        bot.command(text, command=command)
        if where == "channel":
            assert len(bot.posts()) == posts + 1, (command, text, bot.responses()[-1:])
            assert bot.last_post().blocks
        else:
            assert len(bot.posts()) == posts and len(bot.responses()) == responses + 1, (command, text)
            answer = bot.responses()[-1].body
            assert answer["response_type"] == "ephemeral" and "Usage:" not in answer["text"], (command, text)


def test_a_command_that_answers_with_a_form_opens_a_modal(bot: SlackBot) -> None:
    bot.ok('init "Forms"', command="/project")
    bot.command('form title:"From the command" link:"https://example.com/x"', trigger="trig-form")
    opened = bot.fake.of("views.open")[-1]
    assert opened.body["trigger_id"] == "trig-form"
    inputs = {b["block_id"]: b["element"] for b in opened.view["blocks"] if b["type"] == "input"}
    assert inputs["title"]["initial_value"] == "From the command"
    assert inputs["link"]["initial_value"] == "https://example.com/x"
    assert json.loads(opened.view["private_metadata"])["channel"] == "C1"

    bot.command("", command="/standup")
    assert bot.last_view()["title"]["text"].startswith("Standup check-in")
    bot.command("form", command="/risk")
    assert bot.last_view()["title"]["text"] == "New risk"


def test_an_error_is_shown_only_to_the_speaker_with_the_usage(bot: SlackBot) -> None:
    bot.command("list")
    answer = bot.responses()[-1].body
    assert answer["response_type"] == "ephemeral" and not bot.posts()
    assert "not bound to a project" in answer["text"]
    bot.ok('init "Errors"', command="/project")
    bot.command("add")
    assert "Usage: /task add" in texts(bot.responses()[-1].body["blocks"])


def test_slack_escaping_in_command_text_is_undone_before_parsing(bot: SlackBot, db) -> None:
    bot.ok('init "Escapes"', command="/project")
    bot.ok('add "R&amp;D plan &lt;draft&gt;" in <#C2|general>')
    with db.session() as session:
        assert session.exec(select(Task.title)).one() == "R&D plan <draft> in #general"


def test_names_time_zones_and_languages_come_from_users_info(bot: SlackBot, db) -> None:
    bot.ok('init "People"', command="/project")
    bot.command("list")
    bot.command("list", user="U3", user_name="wang")
    assert "任务" in texts(bot.responses()[-1].body["blocks"])  # U3's Slack is set to zh-CN
    with db.session() as session:
        members = {m.user_id: (m.display_name, m.timezone) for m in session.exec(select(Member))}
    assert members == {"U1": ("alice", "Asia/Shanghai"), "U3": ("王芳", "Asia/Shanghai")}
    assert len(bot.fake.of("users.info")) == 2  # cached: one lookup per user


def test_renamed_slash_commands_map_to_the_same_commands(db, slack_fake) -> None:
    bot = SlackBot(db, slack_fake, commands={"task": "/pm-task", "project": "/pm-project"})
    try:
        bot.ok('init "Renamed"', command="/pm-project")
        bot.ok('add "Works under another name"', command="/pm-task")
        assert "#1 Works under another name" in texts(bot.last_post().blocks)
    finally:
        bot.close()


def test_a_command_in_a_direct_message_acts_on_my_only_project(bot: SlackBot) -> None:
    bot.ok('init "Mine"', command="/project")
    bot.command("list", channel="D1")
    assert "Tasks (open): 0" in texts(bot.responses()[-1].body["blocks"])
    bot.ok('add "Typed in a DM"', channel="D1")
    assert bot.last_post().body["channel"] == "C1"


def test_a_form_slack_could_not_open_is_offered_as_a_button(bot: SlackBot) -> None:
    bot.ok('init "Late trigger"', command="/project")
    bot.fake.fail("views.open", "expired_trigger_id")
    bot.command("form")
    offered = bot.responses()[-1]
    assert offered.body["response_type"] == "ephemeral" and "open it with the button below" in offered.body["text"]
    bot.click(offered, "Create …")
    assert bot.last_view()["title"]["text"] == "New task"
