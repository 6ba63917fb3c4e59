"""Slack-shaped payloads and request signing, as Slack sends them (see PLATFORMS.md).

Slash commands are form bodies; interactivity is a form body with `payload=<JSON>`; events are
JSON. `signed()` adds the `X-Slack-Signature` / `X-Slack-Request-Timestamp` headers Slack
computes with the app's signing secret.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

__all__ = [
    "app_home_opened",
    "app_mention",
    "block_actions",
    "command",
    "event",
    "form_body",
    "interactive_body",
    "message_shortcut",
    "signed",
    "state_values",
    "view_submission",
]


def signed(body: str, secret: str, *, timestamp: int | None = None, content_type: str) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature, "Content-Type": content_type}


def form_body(fields: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in fields.items() if v is not None})


def interactive_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def command(
    text: str,
    *,
    command: str = "/task",
    team: str = "T1",
    channel: str = "C1",
    user: str = "U1",
    user_name: str = "alice",
    trigger: str = "trig-1",
    response_url: str = "",
    enterprise: str | None = None,
) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": team,
        "team_domain": "acme",
        "enterprise_id": enterprise,
        "channel_id": channel,
        "channel_name": "proj",
        "user_id": user,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger,
    }


def _user(user: str, team: str) -> dict[str, Any]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team}


def block_actions(
    action: dict[str, Any],
    *,
    team: str = "T1",
    user: str = "U1",
    trigger: str = "trig-a1",
    channel: str | None = "C1",
    message: dict[str, Any] | None = None,
    ephemeral: bool = False,
    response_url: str = "",
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A button click. On a message: `channel` + `message` (ts, blocks); on App Home: `view`."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team, "domain": "acme"},
        "user": _user(user, team),
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": trigger,
        "actions": [action],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "VHOME")}
        payload["view"] = view
    else:
        ts = (message or {}).get("ts", "1700000000.000001")
        payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": ephemeral}
        payload["channel"] = {"id": channel, "name": "proj"}
        if not ephemeral:
            payload["message"] = {"type": "message", "ts": ts, "user": "UBOT", "bot_id": "BBOT", **(message or {})}
        payload["response_url"] = response_url
    return payload


def state_values(view: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` for a modal, as Slack fills it: every input, answered or not."""
    values: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block["element"]
        name, kind = element["action_id"], element["type"]
        answer = answers.get(name)
        if kind == "plain_text_input":
            state = {"type": kind, "value": answer}
        elif kind == "users_select":
            state = {"type": kind, "selected_user": answer}
        elif kind == "multi_users_select":
            state = {"type": kind, "selected_users": list(answer or [])}
        elif kind == "datepicker":
            state = {"type": kind, "selected_date": answer}
        elif kind == "datetimepicker":
            state = {"type": kind, "selected_date_time": answer}
        elif kind == "static_select":
            state = {
                "type": kind,
                "selected_option": {"value": answer, "text": {"type": "plain_text", "text": answer}}
                if answer is not None
                else None,
            }
        else:
            raise AssertionError(kind)
        values[block["block_id"]] = {name: state}
    return values


def view_submission(
    view: dict[str, Any],
    answers: dict[str, Any],
    *,
    team: str = "T1",
    user: str = "U1",
    view_id: str = "V100",
    view_hash: str = "h100",
) -> dict[str, Any]:
    """The submission of a modal the bot opened (`view` = what it sent to views.open)."""
    submitted = {
        **view,
        "id": view_id,
        "hash": view_hash,
        "team_id": team,
        "state": {"values": state_values(view, answers)},
    }
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": "acme"},
        "user": _user(user, team),
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "trig-v1",
        "view": submitted,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def message_shortcut(
    text: str,
    *,
    ts: str = "1699999999.000100",
    team: str = "T1",
    channel: str = "C1",
    user: str = "U1",
    author: str = "U2",
    trigger: str = "trig-s1",
    response_url: str = "",
    callback_id: str = "create_task_from_message",
) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": callback_id,
        "trigger_id": trigger,
        "action_ts": "1700000001.1",
        "team": {"id": team, "domain": "acme"},
        "user": _user(user, team),
        "channel": {"id": channel, "name": "proj"},
        "message": {"type": "message", "user": author, "ts": ts, "text": text},
        "response_url": response_url,
        "token": "legacy",
        "is_enterprise_install": False,
        "enterprise": None,
    }


def event(inner: dict[str, Any], *, team: str = "T1", event_id: str = "Ev1") -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": team,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1700000000,
        "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
        "event": inner,
    }


def app_home_opened(user: str = "U1", **kw: Any) -> dict[str, Any]:
    return event({"type": "app_home_opened", "user": user, "channel": "DHOME", "tab": "home"}, **kw)


def app_mention(text: str, *, user: str = "U1", channel: str = "C1", **kw: Any) -> dict[str, Any]:
    return event({"type": "app_mention", "user": user, "channel": channel, "text": text, "ts": "1700000000.5"}, **kw)
