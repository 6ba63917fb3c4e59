"""The command language: text in, a typed `Command` or a `ParseError` out. Pure functions.

    /task add "Migrate orders DB" @alice due:fri A:@bob C:@carol,@dan parent:#3 prio:high
    /任务 新建 迁移订单库 负责:@张三 截止:下周五

A line is `/<area> [<action>] [words...] [key:value...] [@mentions...]`. Words may be quoted
("..", '..', “..”, 「..」); option values too (`due:"next monday 5pm"`). Keys, actions, areas
and enumerated values have English and Chinese aliases. Date values are kept as text (they
are resolved against the project's time zone by the handlers); an unquoted date value also
takes the date words that follow it, so `due:next monday` means what it says.

The pieces: `handlers.tokens` (words, quotes, mentions), `handlers.grammar` (the vocabulary and
the `@command` declaration), `handlers.commands` (every declared command), `handlers.coerce`
(option values). This module puts them together, for typed lines and for card payloads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from handlers.coerce import REF, coerce, parse_days, parse_ref
from handlers.command import Command, ParseError, UserRef
from handlers.commands import SPECS
from handlers.grammar import (
    AREA_ALIASES,
    CATEGORIES,
    CLEARABLE,
    DEFAULT_ACTIONS,
    GENERAL_ENTRY,
    PRIORITIES,
    RISK_STATUSES,
    STRATEGIES,
    TASK_STATUSES,
    Opt,
    Spec,
    alias_table,
)
from handlers.replies import clean_user_text
from handlers.tokens import (
    OPTION_TOKEN,
    Token,
    date_value_length,
    is_cjk,
    is_free_text,
    looks_like_option,
    mention,
    norm,
    tokenize,
)

__all__ = [
    "AREA_ALIASES",
    "CATEGORIES",
    "DEFAULT_ACTIONS",
    "GENERAL_ENTRY",
    "PRIORITIES",
    "RISK_STATUSES",
    "SPECS",
    "STRATEGIES",
    "TASK_STATUSES",
    "Command",
    "ParseError",
    "UserRef",
    "command_from_payload",
    "is_command",
    "parse",
    "parse_days",
    "parse_ref",
    "tokenize",
]

_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_AREA_TABLE = alias_table(AREA_ALIASES)
_ACTION_TABLES = {
    area: alias_table({a: spec.aliases for a, spec in actions.items()}) for area, actions in SPECS.items()
}
_OPTION_TABLES = {
    (area, action): alias_table({k: o.aliases for k, o in spec.options.items()})
    for area, actions in SPECS.items()
    for action, spec in actions.items()
}
# What a line of one bare argument means: `/task #12`, `/risk R2` show it; `/task @bob` lists.
_BARE_REF_ACTIONS = {"task": "show", "risk": "show"}
_BARE_MENTION_ACTIONS = {"task": "list"}
_CLEAR_WORDS = frozenset({"none", "无"})


def is_command(text: str) -> bool:
    stripped = unicodedata.normalize("NFKC", text).lstrip()
    return stripped.startswith("/") and len(stripped) > 1


def parse(text: str) -> Command:
    """Parse one command line. Raises ParseError with a catalogue code and usage key."""
    text = _SLACK_LINK.sub(lambda m: m.group(1), clean_user_text(text)).strip()
    if not is_command(text):
        raise ParseError("error.not_a_command")
    head, rest = _split_head(text)
    area_word = norm(head)[1:]
    if area_word in GENERAL_ENTRY:
        head2, rest = _split_head(rest)
        if not head2:
            return Command("help", "help")
        area_word, head = norm(head2).lstrip("/"), f"{head} {head2}"
    area = _AREA_TABLE.get(area_word)
    if area is None:
        raise ParseError("error.unknown_command", "", command=head)
    try:
        tokens = tokenize(rest)
    except ParseError as exc:  # an unclosed quote: show how the command being typed goes
        action = _ACTION_TABLES[area].get(norm(_split_head(rest)[0]))
        raise ParseError(exc.code, f"{area}.{action}" if action else area, **exc.detail) from None
    action = DEFAULT_ACTIONS[area]
    if tokens and not tokens[0].quoted:
        candidate = _ACTION_TABLES[area].get(norm(tokens[0].text))
        if candidate:
            action = candidate
            tokens = tokens[1:]
        elif area in _BARE_REF_ACTIONS and len(tokens) == 1 and REF.match(norm(tokens[0].text)):
            action = _BARE_REF_ACTIONS[area]
        elif area in _BARE_MENTION_ACTIONS and all(mention(t.text) for t in tokens):
            action = _BARE_MENTION_ACTIONS[area]
        elif area != "help" and not looks_like_option(tokens[0]):
            raise ParseError("error.unknown_action", area, area=area, action=tokens[0].text)
    return _build(SPECS[area][action], tokens)


def _split_head(text: str) -> tuple[str, str]:
    """The first word and the rest; any whitespace (tab, newline, full-width space) separates."""
    parts = text.strip().split(None, 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0] if parts else "", "")


def _build(spec: Spec, tokens: list[Token]) -> Command:
    usage = spec.key
    table = _OPTION_TABLES[(spec.area, spec.action)]
    words: list[str] = []
    mentions: list[UserRef] = []
    raw_opts: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        match = OPTION_TOKEN.match(tok.text) if looks_like_option(tok) else None
        if match:
            key_word, value = match.group(1), match.group(2)
            key = table.get(norm(key_word))
            if key is None and is_cjk(key_word):
                # `周会：准备材料` is a title with a colon, not a mistyped option.
                words.append(tok.text)
                continue
            if key is None:
                raise ParseError("error.unknown_option", usage, key=key_word)
            if key in raw_opts:
                raise ParseError("error.duplicate_option", usage, key=key_word)
            taken = _value_length(spec.options[key], tok, value, tokens[i:])
            value = " ".join([value, *(t.text for t in tokens[i : i + taken])])
            i += taken
            if spec.options[key].kind == "users":
                # `C:@a, @b`: a list ending in a comma goes on with the next mention.
                while (
                    value.rstrip().endswith((",", "，", "、"))
                    and i < len(tokens)
                    and not tokens[i].quoted
                    and mention(tokens[i].text.rstrip(",，、")) is not None
                ):
                    value = f"{value}{tokens[i].text}"
                    i += 1
            raw_opts[key] = value
            continue
        # `@alice, @bob`: punctuation after a mention is not part of the name.
        ref = None if tok.quoted else mention(tok.text.rstrip(",，、"))
        if ref is not None:
            if not spec.mentions:
                raise ParseError("error.unexpected_mention", usage, value=tok.text)
            mentions.append(ref)
            continue
        words.append(tok.text)
    options = {key: _option(spec, key, value) for key, value in raw_opts.items()}
    return Command(spec.area, spec.action, mentions=tuple(mentions), options=options, **_arguments(spec, words))


def _value_length(opt: Opt, tok: Token, value: str, following: list[Token]) -> int:
    """How many of the following tokens an unquoted value takes: a date its date words, a text
    every word up to the next option; a value of any other kind is one token."""
    if tok.quoted_value:
        return 0
    if opt.kind in ("date", "daterange"):
        return date_value_length(value, following)
    if opt.kind == "text":
        end = 0
        while end < len(following) and is_free_text(following[end]):
            end += 1
        return end
    return 0


def _option(spec: Spec, key: str, value: str) -> Any:
    if key in CLEARABLE.get(spec.area, ()) and norm(value) in _CLEAR_WORDS:
        return None
    return coerce(key, value, spec.options[key], spec.key)


# --- the arguments after the action, by the command's argument kind ---------------------------
# Each reader returns the Command fields the words become: `words`, `refs` or `choice`.


def _no_words(spec: Spec, words: list[str]) -> dict[str, Any]:
    if words:
        raise ParseError("error.unexpected_text", spec.key, value=" ".join(words))
    return {}


def _title(spec: Spec, words: list[str]) -> dict[str, Any]:
    if not words or not " ".join(words).strip():
        raise ParseError("error.missing_title", spec.key)
    return {"words": tuple(words)}


def _optional_text(spec: Spec, words: list[str]) -> dict[str, Any]:
    return {"words": tuple(words)}


def _refs(spec: Spec, words: list[str]) -> dict[str, Any]:
    if not words:
        raise ParseError("error.missing_ref", spec.key)
    if spec.args == "ref" and len(words) > 1:
        raise ParseError("error.unexpected_text", spec.key, value=" ".join(words[1:]))
    return {"refs": tuple(parse_ref(w, spec.area, spec.key) for w in words)}


def _optional_ref(spec: Spec, words: list[str]) -> dict[str, Any]:
    """No words, or one number; the words are read as one, so `#1 #2` is named as not a number."""
    text = " ".join(words)
    return {"refs": (parse_ref(text, spec.area, spec.key),)} if text else {}


def _filter(spec: Spec, words: list[str]) -> dict[str, Any]:
    if len(words) > 1:
        raise ParseError("error.unexpected_text", spec.key, value=" ".join(words[1:]))
    if not words:
        return {}
    choice = alias_table(spec.filters or {}).get(norm(words[0]))
    if choice is None:
        raise ParseError("error.unknown_filter", spec.key, value=words[0])
    return {"choice": choice}


def _kind_text(spec: Spec, words: list[str]) -> dict[str, Any]:
    kinds = alias_table(spec.filters or {})
    if not words or norm(words[0]) not in kinds:
        raise ParseError("error.missing_kind", spec.key, value=words[0] if words else "")
    return {"choice": kinds[norm(words[0])], "words": tuple(words[1:])}


ARGUMENTS: dict[str, Callable[[Spec, list[str]], dict[str, Any]]] = {
    "none": _no_words,
    "text": _title,
    "optional_text": _optional_text,
    "ref": _refs,
    "refs": _refs,
    "optional_ref": _optional_ref,
    "filter": _filter,
    "kind_text": _kind_text,
}


def _arguments(spec: Spec, words: list[str]) -> dict[str, Any]:
    return ARGUMENTS[spec.args](spec, words)


# --- card buttons and forms -------------------------------------------------------------------


def command_from_payload(payload: dict[str, Any], form: dict[str, Any] | None = None) -> Command:
    """Rebuild a Command from a button/form payload (see replies.Button.payload).

    Form values arrive as strings (or lists of user ids for multi-user pickers) keyed by
    option name; they go through the same coercion as typed options, so a form can never
    submit something the text command would refuse.
    """
    try:
        area, action = str(payload["command"]), str(payload["action"])
        spec = SPECS[area][action]
    except (KeyError, TypeError):
        raise ParseError("error.bad_action") from None
    usage = spec.key
    args_in, options_in = payload.get("args") or [], payload.get("options") or {}
    if isinstance(args_in, str):
        args_in = [args_in]  # never iterate a string: "12" is one argument, not "1" and "2"
    if not isinstance(args_in, (list, tuple)) or not isinstance(options_in, dict):
        raise ParseError("error.bad_action")
    raw: dict[str, Any] = dict(options_in)
    cleared: set[str] = set()
    for key, value in (form or {}).items():
        if value not in (None, "", []):
            raw[key] = value
        elif action == "update" and key in CLEARABLE.get(area, ()) and key not in raw:
            cleared.add(key)  # emptied in an edit form: cleared (unless `options` keeps it)
    words = [str(a) for a in args_in]
    if "title" in raw and spec.args == "text":
        words = [str(raw.pop("title"))]
    if "text" in raw and spec.args in ("kind_text", "optional_text", "optional_ref"):
        words = [*words, str(raw.pop("text"))]
    options: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in spec.options:
            raise ParseError("error.unknown_option", usage, key=key)
        if spec.options[key].kind in ("user", "users"):
            # Pickers give user ids: a list, or a comma-separated string.
            ids = value if isinstance(value, list) else re.split(r"[,，、]", str(value))
            value = ",".join(str(v) if str(v).startswith(("@", "<@")) else f"@{v}" for v in ids if str(v).strip())
        elif isinstance(value, list):
            value = ",".join(str(v) for v in value)
        options[key] = _option(spec, key, clean_user_text(str(value)))
    options.update(dict.fromkeys(cleared))
    return Command(area, action, options=options, **_arguments(spec, [clean_user_text(w) for w in words]))
