"""Nothing a user types crashes the bot: fuzz the whole core, not just the parser."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import i18n
from handlers.parse import AREA_ALIASES, SPECS, is_command
from storage.database import Database
from tests.chat import Chat

_DB_DIR = tempfile.TemporaryDirectory(prefix="pmbot-fuzz-")  # removed when the module goes away
_db = Database(f"sqlite:///{Path(_DB_DIR.name) / 'fuzz.db'}")
_db.upgrade()
_chat = Chat(_db, workspace="fuzz")
_chat.ok("pm", '/project init "Fuzz" tz:Asia/Shanghai')
_chat.ok("pm", "/task add Seed @alice due:fri")
_chat.ok("pm", '/risk add "Seed risk" p:2 i:2')

INTERNAL = {i18n.t("error.internal", "en"), i18n.t("error.internal", "zh")}

_areas = [a for area, aliases in AREA_ALIASES.items() for a in (area, *aliases)]
_actions = sorted({w for actions in SPECS.values() for name, spec in actions.items() for w in (name, *spec.aliases)})
_keys = sorted(
    {
        w
        for actions in SPECS.values()
        for spec in actions.values()
        for key, opt in spec.options.items()
        for w in (key, *opt.aliases)
    }
)
_values = st.one_of(
    st.sampled_from(
        [
            "#1",
            "#2",
            "R1",
            "@alice",
            "@bob,@carol",
            "fri",
            "明天下午3点",
            "next monday 5pm",
            "2026-02-30",
            "high",
            "高",
            "3",
            "9",
            "0",
            "-1",
            "",
            '"quoted value"',
            "“引号”",
            "mon-fri",
            "30m",
            "xapp",
            "Asia/Shanghai",
            "Mars/Base",
            "zh",
            "on",
            "<@U1|x>",
            "<!channel>",
            "\ue000U1\ue001",
            "a" * 400,
        ]
    ),
    st.text(max_size=20),
)
_token = st.one_of(
    st.sampled_from(_actions),
    st.builds(lambda k, v: f"{k}:{v}", st.sampled_from(_keys), _values),
    _values,
)
_line = st.builds(
    lambda area, toks: "/" + area + " " + " ".join(toks), st.sampled_from(_areas), st.lists(_token, max_size=6)
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(_line, st.text(max_size=60).map(lambda s: "/" + s)), user=st.sampled_from(["pm", "alice", "mallory"])
)
def test_any_command_gets_an_answer_never_an_internal_error(text: str, user: str) -> None:
    reply = _chat.core.handle_text(_chat.ctx(user), text)
    if reply is None:  # only text that is not a command at all (e.g. a lone "/") is ignored
        assert not is_command(text)
        return
    assert reply.text not in INTERNAL, f"{text!r} crashed the bot"
    assert reply.text or reply.cards


@settings(max_examples=200, deadline=None)
@given(
    payload=st.dictionaries(
        st.sampled_from(["command", "action", "args", "options"]),
        st.one_of(
            st.text(max_size=10),
            st.lists(st.text(max_size=5), max_size=3),
            st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
            st.sampled_from(["task", "risk", "done", "update", "close"]),
        ),
    ),
    form=st.one_of(
        st.none(),
        st.dictionaries(
            st.sampled_from(["due", "title", "probability", "responsible", "today", "bogus"]),
            st.one_of(st.text(max_size=12), st.lists(st.text(max_size=4)), st.integers()),
            max_size=4,
        ),
    ),
)
def test_any_card_action_gets_an_answer_never_an_internal_error(payload: dict, form: dict | None) -> None:
    reply = _chat.core.handle_action(_chat.ctx("alice"), payload, form)
    assert reply.text not in INTERNAL, f"{payload!r} {form!r} crashed the bot"
