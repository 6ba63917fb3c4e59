"""Every command is declared once (`@command` on its handler) and is complete: a handler, a usage
line in both languages that is also its help line, a permission rule, unambiguous words, and
argument and option kinds the parser knows."""

from __future__ import annotations

import types

import pytest

from handlers import i18n, tasks
from handlers.coerce import COERCERS
from handlers.command import Command
from handlers.commands import AREA_MODULES, SPECS, collect
from handlers.grammar import AREA_ALIASES, Spec, command, spec_of
from handlers.parse import ARGUMENTS, parse
from handlers.permissions import RULES
from handlers.tokens import norm
from tests.chat import Chat

ALL = [spec for actions in SPECS.values() for spec in actions.values()]
IDS = [spec.key for spec in ALL]


@pytest.mark.parametrize("spec", ALL, ids=IDS)
def test_every_command_has_a_handler_a_usage_line_in_both_languages_and_a_permission_rule(spec: Spec) -> None:
    assert callable(spec.handler)
    if spec.action != "help" or spec.area == "help":
        assert spec_of(spec.handler) is spec  # the definition sits on the handler itself
    entry = i18n.USAGE[spec.key]
    assert set(entry) == {"en", "zh"} and all(line.strip() for line in entry.values())
    if spec.action == "help":
        assert spec.rule is None  # help is for everyone, also where no project is bound
    else:
        assert spec.rule in RULES


def test_usage_lines_are_exactly_the_commands() -> None:
    """Help lists an area's commands by their usage lines, so the two sets must be the same."""
    assert set(i18n.USAGE) == {spec.key for spec in ALL}


@pytest.mark.parametrize(
    ("area", "text", "locale"),
    [
        *[(area, f"/{area} help", "en") for area in SPECS if area != "help"],
        *[(area, f"/{AREA_ALIASES[area][0]} 帮助", "zh") for area in SPECS if area != "help"],
    ],
)
def test_area_help_shows_one_line_per_command(chat: Chat, area: str, text: str, locale: str) -> None:
    reply = chat.ok("pm", text)
    expected = [i18n.usage(spec.key, locale, prefix=False) for spec in SPECS[area].values() if spec.action != "help"]
    assert sorted(reply.cards[0].lines) == sorted(expected)


@pytest.mark.parametrize("area", list(SPECS))
def test_no_word_names_two_actions_of_an_area(area: str) -> None:
    seen: dict[str, str] = {}
    for action, spec in SPECS[area].items():
        for word in (action, *spec.aliases):
            assert seen.setdefault(norm(word), action) == action, (word, seen[norm(word)], action)


@pytest.mark.parametrize("spec", ALL, ids=IDS)
def test_no_word_names_two_options_or_two_choices_of_a_command(spec: Spec) -> None:
    for table in (
        {key: opt.aliases for key, opt in spec.options.items()},
        spec.filters or {},
        *(opt.choices for opt in spec.options.values() if opt.choices),
    ):
        spellings = [norm(word) for canon, aliases in table.items() for word in (canon, *aliases)]
        assert len(spellings) == len(set(spellings)), table


def test_archive_lists_the_retros() -> None:
    """`archive` was an alias of both `/retro close` and `/retro list`; it always ran list."""
    assert (parse("/retro archive").action, parse("/复盘 历史").action) == ("list", "list")
    assert parse("/retro end").action == "close"


@pytest.mark.parametrize("spec", ALL, ids=IDS)
def test_every_argument_and_option_kind_has_a_reader(spec: Spec) -> None:
    assert spec.args in ARGUMENTS
    for opt in spec.options.values():
        assert opt.kind in COERCERS
        assert (opt.kind == "enum") == bool(opt.choices)
    assert (spec.args in ("filter", "kind_text")) == bool(spec.filters)


def test_declaring_a_command_registers_nothing_until_collected() -> None:
    @command("task", "ping", ("乒",), args="ref")
    def ping(env: object, cmd: Command) -> None:
        return None

    assert spec_of(ping) == Spec("task", "ping", ("乒",), ping, args="ref", rule="task.ping")
    assert "ping" not in SPECS["task"]
    module = types.ModuleType("plugin")
    module.ping = ping  # type: ignore[attr-defined]
    collected = collect([*AREA_MODULES, module])
    assert collected["task"]["ping"].handler is ping
    expected = {area: set(actions) for area, actions in SPECS.items()}
    expected["task"].add("ping")
    assert {area: set(actions) for area, actions in collected.items()} == expected


def test_a_command_declared_twice_is_an_error() -> None:
    module = types.ModuleType("plugin")
    module.again = command("task", "done", ("完成",))(lambda env, cmd: None)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="/task done is declared twice"):
        collect([tasks, module])


def test_a_module_collected_twice_declares_nothing_twice() -> None:
    assert set(collect([tasks, tasks])["task"]) == set(SPECS["task"])


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("/task done #3 4 任务5", (3, 4, 5)),
        ("/risk update R2 p:3", (2,)),
        ("/task form #12", (12,)),
        ("/task form", ()),
        ("/retro show #2", (2,)),
        ("/retro show", ()),
    ],
)
def test_numbers_arrive_typed(text: str, refs: tuple[int, ...]) -> None:
    cmd = parse(text)
    assert (cmd.refs, cmd.words) == (refs, ())
