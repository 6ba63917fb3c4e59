"""The seam every messenger plugs into: adapters found by name, given only `AdapterDeps`, and the
answer rules they share living once in the core."""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters import AdapterDeps
from bot.clock import ManualClock
from bot.config import Config, ConfigError, load
from bot.registry import MESSENGERS
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


NEW_MESSENGER = {
    "__init__.py": """
from tests.test_adapters import FakeAdapter


def create_adapter(deps, **options):
    return FakeAdapter(deps)
""",
    "config.py": """
from bot.config import Section


class Settings(Section):
    enabled: bool = False
    token: str = ""
""",
}


def test_a_new_messenger_is_its_package_and_one_registry_line(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    package = tmp_path / "dingtalk_fake"
    package.mkdir()
    for name, text in NEW_MESSENGER.items():
        (package / name).write_text(text, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(MESSENGERS, "dingtalk", "dingtalk_fake")  # the one line
    config = load(
        None,
        environ={"PMBOT_CONSOLE__ENABLED": "false", "PMBOT_DINGTALK__ENABLED": "true", "PMBOT_DINGTALK__TOKEN": "t-1"},
    )
    assert config.dingtalk.token == "t-1"
    with pytest.raises(ConfigError, match=r"dingtalk\.colour: unknown key"):
        load(None, environ={"PMBOT_DINGTALK__COLOUR": "red"})
    runtime = build(config, clock=ManualClock(START), db_url=f"sqlite:///{tmp_path / 'pmbot.db'}")
    try:
        runtime.create_adapters()
        [adapter] = runtime.adapters
        assert isinstance(adapter, FakeAdapter)
        assert adapter.deps == AdapterDeps(
            config=config.dingtalk, core=runtime.core, db=runtime.db, clock=runtime.clock, outbox=runtime.outbox
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
