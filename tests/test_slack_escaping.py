"""Nobody can ping a channel or spoof a mention or a link through text they type: whatever a
title says is shown, escaped, wherever Slack parses markup — every mrkdwn text and every
message's notification text — in messages, updates, ephemeral answers and views. (Plain-text
objects such as headers are never parsed by Slack, so they show the title as typed.)"""

from __future__ import annotations

from typing import Any

from tests.support import slack_payloads as p
from tests.support.slack_bot import SlackBot, slack_bot, slack_fake, texts  # noqa: F401 - fixtures

# What Slack sends for a literal `<!channel> <@U2> <https://evil.example|bank>` typed by a user:
# its own control characters escaped.
TYPED = "&lt;!channel&gt; &lt;@U2&gt; &lt;https://evil.example|bank&gt;"
SPECIAL = ("<!channel>", "<@U2>", "<https://evil.example|bank>")


def _parsed_texts(call_body: dict[str, Any]) -> list[str]:
    """The texts Slack parses for markup: mrkdwn objects and a message's top-level text."""
    found = [call_body["text"]] if isinstance(call_body.get("text"), str) else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(call_body.get("blocks"))
    walk(call_body.get("view"))
    return found


def test_a_title_cannot_ping_or_spoof_anywhere_it_is_shown(slack_bot: SlackBot) -> None:
    bot = slack_bot
    bot.ok('init "Safety"', command="/project")
    bot.ok(f'add "{TYPED} ship" A:<@U1|alice>')
    card = bot.last_post()
    bot.click(card, "Done")
    bot.command("list all")
    bot.command("show #1")
    bot.event(p.app_home_opened("U1"))
    shown = [
        *bot.fake.of("chat.postMessage"),
        *bot.fake.of("chat.update"),
        *bot.responses(),
        *bot.fake.of("views.publish"),
    ]
    assert len(shown) >= 6
    for call in shown:
        for text in _parsed_texts(call.body):
            for special in SPECIAL:
                assert special not in text, (call.method, special, text)
    # The parser reads a typed <url|label> as the bare address, which is then linked as itself.
    done = texts(bot.fake.of("chat.update")[-1].blocks)
    assert "completed #1 &lt;!channel&gt; &lt;@U2&gt; <https://evil.example> ship." in done
    assert "#1 <!channel> <@U2> https://evil.example ship" in texts(card.blocks)  # a plain-text header
    assert card.body["text"] == "<@U1> created task #1."


def test_a_real_mention_in_a_command_still_mentions(slack_bot: SlackBot) -> None:
    bot = slack_bot
    bot.ok('init "Safety"', command="/project")
    bot.ok('add "Review" <@U2|bob>')
    assert "<@U2>" in texts(bot.last_post().blocks)
