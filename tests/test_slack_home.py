"""App Home: my open tasks across projects (overdue first), what I am Accountable for, my standup
today per project, and quick actions that open modals and refresh the tab."""

from __future__ import annotations

import json

import pytest

from tests.support import slack_payloads as p
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake, texts  # noqa: F401 - fixtures


@pytest.fixture
def bot(slack_bot: SlackBot) -> SlackBot:
    slack_bot.ok('init "Alpha"', command="/project", channel="C1")
    slack_bot.ok('init "Beta"', command="/project", channel="C2")
    slack_bot.ok('add "Alpha later" <@U1|alice> due:2026-12-20', channel="C1")
    slack_bot.ok('add "Beta overdue" <@U1|alice> due:2026-11-20', channel="C2")
    slack_bot.ok('add "Bob does it" <@U2|bob> A:<@U1|alice>', channel="C1")
    slack_bot.ok('y:"planned" t:"build"', command="/standup", channel="C1")
    return slack_bot


@pytest.mark.parametrize("via", ["http", "socket"])
def test_opening_the_home_tab_publishes_my_overview(bot: SlackBot, via: str) -> None:
    bot.event(p.app_home_opened("U1", event_id="EvHome1"), via=via)
    published = bot.fake.wait_for("views.publish")[-1]
    assert published.body["user_id"] == "U1" and published.view["type"] == "home"
    shown = texts(published.view["blocks"])
    assert "My open tasks: 2" in shown
    assert shown.index("Beta · ○ #1 Beta overdue") < shown.index("Alpha · ○ #1 Alpha later")  # overdue first
    assert "(overdue)" in shown
    assert "Waiting on others, I am Accountable: 1" in shown and "Alpha · ○ #2 Bob does it" in shown
    assert "✔ checked in at 10:00" in shown  # Alpha
    assert "○ not yet (standup at 09:30)" in shown  # Beta
    values = [json.loads(e["value"]) for b in published.view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {v["ch"] for v in values} == {"C1", "C2"}


@pytest.mark.parametrize("via", ["http", "socket"])
def test_a_quick_action_opens_a_modal_and_the_result_refreshes_home(bot: SlackBot, via: str) -> None:
    bot.via = via
    bot.event(p.app_home_opened("U1"))
    bot.click_home("New task", nth=1)  # projects are listed by name: Alpha, then Beta
    view = bot.last_view()
    meta = json.loads(view["private_metadata"])
    assert (meta["channel"], meta["home"]) == ("C2", True)
    publishes = len(bot.fake.of("views.publish"))
    bot.submit(view, {"title": "Made at home"})
    assert bot.last_post().body["channel"] == "C2" and "#2 Made at home" in texts(bot.last_post().blocks)
    assert len(bot.fake.of("views.publish")) == publishes + 1
    assert "My open tasks: 2" in texts(bot.last_view("views.publish")["blocks"])


def test_a_private_answer_on_home_opens_a_read_only_modal(bot: SlackBot) -> None:
    bot.event(p.app_home_opened("U1"))
    bot.click_home("My tasks", nth=0)
    view = bot.last_view()
    assert view["callback_id"] == "pmbot_info" and "submit" not in view
    assert "Alpha later" in texts(view["blocks"])


def test_someone_in_no_project_is_told_how_to_start(bot: SlackBot) -> None:
    bot.event(p.app_home_opened("U3"))
    assert "还没有加入任何项目" in texts(bot.last_view("views.publish")["blocks"])  # U3 reads Chinese


def test_other_tabs_publish_nothing(bot: SlackBot) -> None:
    event = p.app_home_opened("U1")
    event["event"]["tab"] = "messages"
    bot.event(event)
    assert not bot.fake.of("views.publish")
