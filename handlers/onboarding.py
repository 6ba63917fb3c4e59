"""What a messenger shows when the bot is added to a channel: an invitation to bind it.

The welcome card's form submits `/project init` (project name, time zone, language), so binding
a channel is one click and goes through the same checks as the typed command.
"""

from __future__ import annotations

from handlers.i18n import t
from handlers.replies import Card, Form, Input, Option, Reply

__all__ = ["TIMEZONES", "already_bound", "welcome"]

# Offered in the welcome form; the configured default is added when it is not among them.
TIMEZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)


def welcome(locale: str, *, timezone: str, channel_name: str = "") -> Reply:
    zones = TIMEZONES if timezone in TIMEZONES else (timezone, *TIMEZONES)
    form = Form(
        "project",
        "init",
        (
            Input(
                "title",
                t("onboarding.project_name", locale),
                "text",
                required=True,
                initial=channel_name.strip()[:200] or None,
            ),
            Input(
                "tz",
                t("field.timezone", locale),
                "select",
                required=True,
                initial=timezone,
                options=tuple(Option(z, z) for z in zones),
            ),
            Input(
                "lang",
                t("field.language", locale),
                "select",
                required=True,
                initial=locale,
                options=(Option("zh", t("language.zh", locale)), Option("en", t("language.en", locale))),
            ),
        ),
        t("onboarding.bind", locale),
    )
    card = Card(
        title=t("onboarding.title", locale),
        text=t("onboarding.text", locale),
        color="blue",
        form=form,
        footer=t("onboarding.footer", locale),
    )
    return Reply(cards=[card], locale=locale)


def already_bound(locale: str, project: str) -> Reply:
    return Reply(text=t("onboarding.bound", locale, name=project), locale=locale)
