"""The message catalogue: both languages everywhere, same placeholders, no missing keys."""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

import pytest

from handlers import i18n
from handlers.parse import CATEGORIES, PRIORITIES, RISK_STATUSES, SPECS, STRATEGIES, TASK_STATUSES

ROOT = Path(__file__).resolve().parents[1]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(i18n.CATALOGUE))
def test_every_message_has_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = i18n.CATALOGUE[key]
    assert set(entry) == {"en", "zh"}
    assert entry["en"].strip() and entry["zh"].strip()
    assert _fields(entry["en"]) == _fields(entry["zh"])


def test_every_action_has_a_usage_line_in_both_languages() -> None:
    for area, actions in SPECS.items():
        for action in actions:
            entry = i18n.USAGE[f"{area}.{action}"]
            assert set(entry) == {"en", "zh"} and all(entry.values())


def test_every_literal_key_used_in_code_exists() -> None:
    pattern = re.compile(r"""(?:\bt|UserError|ParseError)\(\s*"([a-z_]+\.[a-z_.]+)\"""")
    used: set[str] = set()
    for path in [*ROOT.glob("handlers/*.py"), *ROOT.glob("bot/**/*.py")]:
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found nothing: the pattern is broken"
    missing = sorted(k for k in used if k not in i18n.CATALOGUE)
    assert missing == []


@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("status", TASK_STATUSES),
        ("priority", PRIORITIES),
        ("category", CATEGORIES),
        ("strategy", STRATEGIES),
        ("risk_status", RISK_STATUSES),
        ("level", {"low": 0, "medium": 0, "high": 0, "critical": 0}),
    ],
)
def test_every_enum_value_has_a_label(prefix: str, values: dict) -> None:
    for value in values:
        assert f"{prefix}.{value}" in i18n.CATALOGUE


def test_task_list_filters_have_labels() -> None:
    for area in ("task", "risk"):
        for value in SPECS[area]["list"].filters:
            assert f"filter.{value}" in i18n.CATALOGUE


def test_missing_placeholder_value_does_not_crash() -> None:
    assert i18n.t("task.created", "en", ref="#1") == "{user} created task #1."


def test_unknown_locale_falls_back_to_english() -> None:
    assert i18n.t("word.yes", "fr") == "yes"
