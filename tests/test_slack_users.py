"""users.info answers are cached per workspace and user for a while; failures are remembered
briefly and never fail the request; Slack locales map to pmbot's languages."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError

from bot.slack.users import SlackUser, UserDirectory, locale_of


class Client:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail = False

    def users_info(self, *, user: str, include_locale: bool) -> dict[str, Any]:
        assert include_locale
        self.calls.append(user)
        if self.fail:
            raise SlackApiError("user_not_found", {"ok": False, "error": "user_not_found"})
        return {
            "user": {
                "id": user,
                "name": "handle",
                "tz": "Asia/Shanghai",
                "locale": "zh-CN",
                "profile": {"display_name": "", "real_name": "王芳"},
            }
        }


def test_a_lookup_is_cached_until_its_ttl_ends() -> None:
    now = [0.0]
    users, client = UserDirectory(ttl=60, clock=lambda: now[0]), Client()
    assert users.lookup(client, "T1", "U1") == SlackUser("王芳", "Asia/Shanghai", "zh")
    users.lookup(client, "T1", "U1")
    users.lookup(client, "T2", "U1")  # another workspace is another person
    assert client.calls == ["U1", "U1"]
    now[0] = 61
    users.lookup(client, "T1", "U1")
    assert client.calls == ["U1", "U1", "U1"]
    assert users.names("T1")("U1") == "王芳" and users.names("T1")("U9") is None


def test_a_failed_lookup_answers_what_is_known_and_is_retried_soon() -> None:
    now = [0.0]
    users, client = UserDirectory(ttl=3600, failure_ttl=30, clock=lambda: now[0]), Client()
    client.fail = True
    assert users.lookup(client, "T1", "U1") == SlackUser()
    users.lookup(client, "T1", "U1")
    assert client.calls == ["U1"]
    now[0] = 31
    client.fail = False
    assert users.lookup(client, "T1", "U1").name == "王芳"


def test_slack_locales_map_to_english_and_chinese_only() -> None:
    assert [locale_of(x) for x in ("en-US", "en-GB", "zh-CN", "zh-TW", "ja-JP", "", None)] == [
        "en",
        "en",
        "zh",
        "zh",
        None,
        None,
        None,
    ]
