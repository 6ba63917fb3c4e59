"""Real-shaped Feishu event and callback bodies (schema 2.0), encrypted and signed as Feishu
does, so the SDK's own checks run on them in the tests."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
from datetime import datetime
from typing import Any

from Crypto.Cipher import AES

TENANT = "tenant-acme"
_ids = itertools.count(1)


def _next(prefix: str) -> str:
    return f"{prefix}{next(_ids):06d}"


def header(
    event_type: str,
    *,
    token: str,
    app_id: str,
    event_id: str | None = None,
    tenant: str = TENANT,
    now: datetime | None = None,
) -> dict[str, Any]:
    created = int((now.timestamp() if now else 1_764_000_000) * 1000)
    return {
        "event_id": event_id or _next("ev_"),
        "event_type": event_type,
        "create_time": str(created),
        "token": token,
        "app_id": app_id,
        "tenant_key": tenant,
    }


def mention(key: str, open_id: str, name: str) -> dict[str, Any]:
    return {
        "key": key,
        "id": {"open_id": open_id, "union_id": f"on_{open_id}", "user_id": ""},
        "name": name,
        "tenant_key": TENANT,
    }


def message(
    text: str,
    *,
    token: str,
    app_id: str,
    chat_id: str = "oc_group",
    chat_type: str = "group",
    sender: str = "ou_alice",
    message_id: str | None = None,
    mentions: list[dict] | None = None,
    event_id: str | None = None,
    message_type: str = "text",
    content: dict | None = None,
) -> dict[str, Any]:
    return {
        "schema": "2.0",
        "header": header("im.message.receive_v1", token=token, app_id=app_id, event_id=event_id),
        "event": {
            "sender": {
                "sender_id": {"open_id": sender, "union_id": f"on_{sender}", "user_id": ""},
                "sender_type": "user",
                "tenant_key": TENANT,
            },
            "message": {
                "message_id": message_id or _next("om_in_"),
                "create_time": "1764000000000",
                "chat_id": chat_id,
                "chat_type": chat_type,
                "message_type": message_type,
                "content": json.dumps(content if content is not None else {"text": text}, ensure_ascii=False),
                "mentions": mentions or [],
            },
        },
    }


def card_action(
    value: dict[str, Any],
    *,
    token: str,
    app_id: str,
    operator: str = "ou_alice",
    chat_id: str = "oc_group",
    message_id: str = "om_card",
    form_value: dict | None = None,
    callback_token: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    action: dict[str, Any] = {"value": value, "tag": "button"}
    if form_value is not None:
        action.update(form_value=form_value, name="submit", timezone="Asia/Shanghai")
    return {
        "schema": "2.0",
        "header": header("card.action.trigger", token=token, app_id=app_id, event_id=event_id),
        "event": {
            "operator": {"tenant_key": TENANT, "open_id": operator, "union_id": f"on_{operator}"},
            "token": callback_token or _next("c-"),
            "action": action,
            "host": "im_message",
            "context": {"open_message_id": message_id, "open_chat_id": chat_id},
        },
    }


def bot_added(chat_id: str, name: str, *, token: str, app_id: str, operator: str = "ou_alice") -> dict[str, Any]:
    return {
        "schema": "2.0",
        "header": header("im.chat.member.bot.added_v1", token=token, app_id=app_id),
        "event": {
            "chat_id": chat_id,
            "operator_id": {"open_id": operator},
            "external": False,
            "operator_tenant_key": TENANT,
            "name": name,
        },
    }


def menu(event_key: str, *, token: str, app_id: str, operator: str = "ou_alice", name: str = "Alice") -> dict[str, Any]:
    return {
        "schema": "2.0",
        "header": header("application.bot.menu_v6", token=token, app_id=app_id),
        "event": {
            "operator": {"operator_name": name, "operator_id": {"open_id": operator}},
            "event_key": event_key,
            "timestamp": 1764000000,
        },
    }


def other(event_type: str, *, token: str, app_id: str) -> dict[str, Any]:
    return {"schema": "2.0", "header": header(event_type, token=token, app_id=app_id), "event": {}}


def encrypt(plain: str, encrypt_key: str) -> str:
    key = hashlib.sha256(encrypt_key.encode()).digest()
    data = plain.encode("utf-8")
    pad = 16 - len(data) % 16
    iv = os.urandom(16)
    return base64.b64encode(iv + AES.new(key, AES.MODE_CBC, iv).encrypt(data + bytes([pad]) * pad)).decode()


def signed(
    body: dict[str, Any], *, encrypt_key: str, now: datetime, nonce: str = "nonce-1", lower_case: bool = False
) -> tuple[bytes, dict[str, str]]:
    """The raw (encrypted) body and the headers Feishu would send with it."""
    raw = json.dumps({"encrypt": encrypt(json.dumps(body, ensure_ascii=False), encrypt_key)}).encode()
    timestamp = str(int(now.timestamp()))
    sig = hashlib.sha256((timestamp + nonce + encrypt_key).encode() + raw).hexdigest()
    headers = {
        "X-Lark-Request-Timestamp": timestamp,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": sig,
        "Content-Type": "application/json",
    }
    if lower_case:
        headers = {k.lower(): v for k, v in headers.items()}
    return raw, headers
