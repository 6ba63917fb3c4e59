"""POST /feishu/events on the bot's HTTP server (uvicorn on a free loopback port): the checks
before the SDK, and real requests (challenge, encrypted events, card callbacks) through it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import lark_oapi  # noqa: F401 - imported once for the session
import pytest
from sqlmodel import select

from bot.http import HttpServer, create_app
from storage.database import Database
from storage.models import Task
from tests.support import feishu_payloads as p
from tests.support.fake_feishu import FakeFeishu
from tests.support.feishu_bot import ENCRYPT_KEY, TOKEN, FeishuBot

BOT = p.mention("@_user_1", "ou_bot", "pmbot")


@pytest.fixture
def bot(tmp_path) -> Iterator[FeishuBot]:
    db = Database(f"sqlite:///{tmp_path / 'pmbot.db'}")
    db.upgrade()
    with FakeFeishu() as fake:
        yield FeishuBot(db, fake)
    db.dispose()


@pytest.fixture
def client(bot: FeishuBot) -> Iterator[httpx.Client]:
    server = HttpServer(create_app([bot.adapter]), "127.0.0.1", 0)
    server.start()
    assert server.wait_started()
    port = server.server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        yield http
    server.stop()


def post(client: httpx.Client, bot: FeishuBot, body: dict, **kw: object):
    raw, headers = p.signed(body, encrypt_key=ENCRYPT_KEY, now=bot.clock.now(), **kw)
    return client.post("/feishu/events", content=raw, headers=headers)


def test_the_url_verification_challenge_is_answered(client: httpx.Client) -> None:
    body = {"challenge": "ch-123", "token": TOKEN, "type": "url_verification"}
    raw = json.dumps({"encrypt": p.encrypt(json.dumps(body), ENCRYPT_KEY)})
    response = client.post("/feishu/events", content=raw)
    assert response.status_code == 200 and response.json() == {"challenge": "ch-123"}
    wrong = json.dumps({"encrypt": p.encrypt(json.dumps({**body, "token": "nope"}), ENCRYPT_KEY)})
    assert client.post("/feishu/events", content=wrong).status_code == 401


def test_an_encrypted_signed_message_creates_a_task_and_the_reply_is_sent(client: httpx.Client, bot: FeishuBot) -> None:
    for text in ('@_user_1 /项目 初始化 "HTTP 项目"', "@_user_1 /任务 新建 经由 HTTP"):
        response = post(client, bot, bot.payload(p.message, text, mentions=[BOT]), lower_case=True)
        assert response.status_code == 200 and response.json() == {"msg": "success"}
    assert bot.deliver() == 2
    assert bot.fake.sent()[-1].card["header"]["title"]["content"] == "#1 经由 HTTP"


def test_a_card_callback_over_http_answers_with_a_toast_and_the_new_card(client: httpx.Client, bot: FeishuBot) -> None:
    post(client, bot, bot.payload(p.message, '@_user_1 /项目 初始化 "卡片"', mentions=[BOT]))
    post(client, bot, bot.payload(p.message, "@_user_1 /任务 新建 点我", mentions=[BOT]))
    value = {"command": "task", "action": "start", "args": ["#1"], "options": {}, "ch": "oc_group"}
    answer = post(client, bot, bot.payload(p.card_action, value)).json()
    assert answer["toast"]["type"] == "success"
    assert answer["card"]["data"]["header"]["template"] == "yellow"
    with bot.deps.db.session() as s:
        assert s.exec(select(Task)).one().status == "doing"


def _refused(client: httpx.Client, raw: bytes, headers: dict) -> int:
    return client.post("/feishu/events", content=raw, headers=headers).status_code


def test_bad_token_signature_timestamp_or_headers_are_refused_with_4xx(client: httpx.Client, bot: FeishuBot) -> None:
    body = bot.payload(p.message, "@_user_1 /任务 列表", mentions=[BOT])
    raw, headers = p.signed(body, encrypt_key=ENCRYPT_KEY, now=bot.clock.now())
    # wrong verification token (signed correctly: only the token is wrong)
    forged = {**body, "header": {**body["header"], "token": "forged"}}
    assert _refused(client, *p.signed(forged, encrypt_key=ENCRYPT_KEY, now=bot.clock.now())) == 401
    # wrong signature
    assert _refused(client, raw, {**headers, "X-Lark-Signature": "0" * 64}) == 401
    # signed with another key
    assert _refused(client, *p.signed(body, encrypt_key="other-key", now=bot.clock.now())) == 400
    # a timestamp from the future, or older than Feishu's retries run (the signature itself is valid)
    for skew in (-timedelta(minutes=6), timedelta(hours=9)):
        assert _refused(client, *p.signed(body, encrypt_key=ENCRYPT_KEY, now=bot.clock.now() - skew)) == 401
    # a stale timestamp with a wrong signature
    stale_raw, stale = p.signed(body, encrypt_key=ENCRYPT_KEY, now=bot.clock.now() - timedelta(hours=1))
    assert _refused(client, stale_raw, {**stale, "X-Lark-Signature": "0" * 64}) == 401
    # each signature header missing
    for name in ("X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature"):
        assert _refused(client, raw, {k: v for k, v in headers.items() if k != name}) == 400
    # not encrypted although an encrypt key is configured; not JSON; too big
    assert _refused(client, json.dumps(body).encode(), headers) == 400
    assert _refused(client, b"<xml/>", headers) == 400
    assert _refused(client, b'{"encrypt": "%%%"}', headers) == 400
    assert _refused(client, b"x" * (2 << 20), headers) == 413
    assert bot.deliver() == 0


def test_a_replayed_request_within_the_window_is_still_answered_only_once(client: httpx.Client, bot: FeishuBot) -> None:
    post(client, bot, bot.payload(p.message, '@_user_1 /项目 初始化 "重放"', mentions=[BOT]))
    body = bot.payload(p.message, "@_user_1 /任务 新建 一次", mentions=[BOT])
    raw, headers = p.signed(body, encrypt_key=ENCRYPT_KEY, now=bot.clock.now())
    assert [client.post("/feishu/events", content=raw, headers=headers).status_code for _ in range(3)] == [200] * 3
    with bot.deps.db.session() as s:
        assert len(list(s.exec(select(Task)))) == 1


def test_without_an_encrypt_key_the_token_and_the_timestamp_are_still_checked(bot: FeishuBot) -> None:
    from bot.feishu.http import FeishuWebhook

    hook = FeishuWebhook(
        dispatcher=bot.adapter.dispatcher, app_id=bot.app_id, encrypt_key="", verification_token=TOKEN, clock=bot.clock
    )
    body = bot.payload(p.message, "/任务 列表", chat_type="p2p")
    raw = json.dumps(body).encode()
    now = str(int(bot.clock.now().timestamp()))
    assert hook.check(raw, {"X-Lark-Request-Timestamp": now}) is None
    assert hook.check(raw, {}) is None  # Feishu signs only when an encrypt key is set
    stale = str(int((bot.clock.now() - timedelta(minutes=10)).timestamp()))
    assert hook.check(raw, {"X-Lark-Request-Timestamp": stale})[1] == 401
    forged = json.dumps({**body, "header": {**body["header"], "token": "x"}}).encode()
    assert hook.check(forged, {"X-Lark-Request-Timestamp": now})[1] == 401
    assert hook.check(json.dumps({"encrypt": "abc"}).encode(), {})[1] == 400


def test_a_signed_event_repushed_hours_later_is_handled_once(client: httpx.Client, bot: FeishuBot) -> None:
    """Feishu re-pushes after 15 s, 5 min, 1 h and 6 h, perhaps with the first push's timestamp:
    a correctly signed event that old is still taken, and its event id keeps it to one effect."""
    post(client, bot, bot.payload(p.message, '@_user_1 /项目 初始化 "重推"', mentions=[BOT]))
    body = bot.payload(p.message, "@_user_1 /任务 新建 六小时后才到", mentions=[BOT])
    first_push = bot.clock.now()
    for later in (timedelta(hours=1), timedelta(hours=6, minutes=5)):
        bot.clock.set(first_push + later)
        raw, headers = p.signed(body, encrypt_key=ENCRYPT_KEY, now=first_push)
        assert client.post("/feishu/events", content=raw, headers=headers).status_code == 200
    assert bot.deliver() == 2  # the project's answer and the task's, once each (after the workers ran)
    with bot.deps.db.session() as s:
        assert [t.title for t in s.exec(select(Task))] == ["六小时后才到"]


def test_an_event_for_another_app_is_refused_and_changes_nothing(client: httpx.Client, bot: FeishuBot) -> None:
    body = bot.payload(p.message, '@_user_1 /项目 初始化 "别人的"', mentions=[BOT])
    body["header"]["app_id"] = "cli_someone_else"
    response = post(client, bot, body)  # signed with our key and token: only the app differs
    assert response.status_code == 403 and "another app" in response.json()["msg"]
    assert bot.deliver() == 0


def test_unreadable_bodies_get_400_not_500(client: httpx.Client, bot: FeishuBot) -> None:
    """Not UTF-8, nested deeper than the parser recurses, plain and encrypted, truncated."""
    deep = "[" * 100_000 + "]" * 100_000
    cases = [
        b"\xff\xfe{}",
        deep.encode(),
        json.dumps({"encrypt": p.encrypt(deep, ENCRYPT_KEY)}).encode(),
        json.dumps({"encrypt": p.encrypt('{"schema": "2.0", "header": {', ENCRYPT_KEY)}).encode(),
    ]
    for raw in cases:
        response = client.post("/feishu/events", content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, raw[:40]
