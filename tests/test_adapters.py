"""The seam every messenger plugs into: adapters found by name, given only `AdapterDeps`, and the
answer rules they share living once in the core."""

from __future__ import annotations

from typing import Any

import pytest

from bot import adapters
from bot.adapters import AdapterDeps
from bot.clock import ManualClock
from bot.config import Config
from bot.runtime import build
from handlers.destination import Destination, MessageRef
from handlers.replies import Card, Reply
from tests.chat import START, Chat
from tests.support.recording import RecordingMessenger


class FakeAdapter:
    """What a new messenger package provides, at its smallest."""

    platform = "fake"

    def __init__(self, deps: AdapterDeps) -> None:
        self.deps = deps
        self.messenger = RecordingMessenger(platform=self.platform)
        deps.outbox.register(self.messenger)

    def routes(self) -> list[Any]:
        return []

    def start(self) -> None: ...

    def stop(self) -> None: ...


def create_fake(deps: AdapterDeps) -> FakeAdapter:
    return FakeAdapter(deps)


def test_a_messenger_is_one_registry_line_and_gets_only_its_deps(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setitem(adapters.REGISTRY, "slack", f"{__name__}:create_fake")
    config = Config.model_validate(
        {"console": {"enabled": False}, "slack": {"enabled": True, "bot_token": "xoxb-1", "app_token": "xapp-1"}}
    )
    runtime = build(config, clock=ManualClock(START), db_url=f"sqlite:///{tmp_path / 'pmbot.db'}")
    try:
        runtime.create_adapters()
        [adapter] = runtime.adapters
        assert isinstance(adapter, FakeAdapter)
        assert adapter.deps == AdapterDeps(
            config=config.slack, core=runtime.core, db=runtime.db, clock=runtime.clock, outbox=runtime.outbox
        )
        runtime.core.queue("fake", "k1", Destination.channel("W1", "C1"), Reply(text="hi"), now=START)
        assert runtime.outbox.deliver() == 1
        assert [(s.kind, s.target, s.key) for s in adapter.messenger.sent] == [("post", "C1", "k1")]
    finally:
        runtime.close()


def test_a_disabled_messenger_is_never_imported(tmp_path) -> None:
    runtime = build(Config.model_validate({}), db_url=f"sqlite:///{tmp_path / 'pmbot.db'}")
    try:
        runtime.create_adapters()
        assert runtime.adapters == [] and runtime.enabled() == []
    finally:
        runtime.close()


def test_a_private_chat_acts_on_the_users_only_project(chat: Chat) -> None:
    core, resolve = chat.core, chat.core.resolve_channel
    assert resolve("console", "W1", "D1", "pm") == "D1"  # no project yet
    chat.ok("pm", '/project init "ERP"')
    assert resolve("console", "W1", "D1", "pm") == "C1"
    assert core.context("console", "W1", "D1", "pm", START, private=True).channel == "C1"
    assert core.context("console", "W1", "D1", "pm", START).channel == "D1"  # not private: as it is
    chat.ok("pm", '/project init "CRM"', channel="C2")
    assert resolve("console", "W1", "D1", "pm") == "D1"  # two projects: which one is not guessed
    chat.ok("pm", '/project init "Own"', channel="D1")
    assert resolve("console", "W1", "D1", "pm") == "D1"  # a bound private chat is its own project


def test_the_bot_joining_a_channel_offers_to_bind_it_or_names_its_project(chat: Chat) -> None:
    welcome = chat.core.bot_joined("console", "W1", "C1", "erp-team")
    assert welcome.cards[0].form is not None and welcome.cards[0].form.inputs[0].initial == "erp-team"
    chat.ok("pm", '/project init "ERP"')
    assert "ERP" in chat.core.bot_joined("console", "W1", "C1").text


def test_an_answer_showing_the_clicked_item_replaces_its_card(chat: Chat) -> None:
    chat.ok("pm", '/project init "ERP"')
    card = chat.ok("pm", '/task add "One"')
    done = chat.click("pm", card, "Done")
    in_place = chat.core.updates_in_place
    assert done.cards[0].subject == "#1" and in_place(["#1"], done)
    assert not in_place(["#2"], done) and not in_place([], done)
    assert not in_place(["#1"], Reply.failure("no"))
    other = Reply(cards=[Card(title="Charter")])
    assert not in_place([], other) and in_place([], other, form_in_card=True)
    assert not in_place([], Reply(text="ok"), form_in_card=True)


def test_destinations_and_refs_survive_the_outbox_json() -> None:
    where = Destination.dm("T1", "U2", project_channel="C1", reply_to="1.2")
    assert Destination.from_dict(where.to_dict()) == where
    ref = MessageRef(Destination.channel("T1", "D2", project_channel="C1"), "1.5")
    assert MessageRef.from_dict(ref.to_dict()) == ref
    assert Destination.channel("T1", "C1", project_channel="C1").project_channel == ""
