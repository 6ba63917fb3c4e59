"""Start-up structure (issue 10, goal 4): what `pmbot --help` and a current-schema check import,
checked in fresh processes through sys.modules — never by wall-clock (bench/startup.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys

from storage import migrate
from storage.database import Database, script_head
from tests.support.processes import ROOT

HEAVY = ("pydantic", "pydantic_settings", "sqlalchemy", "sqlmodel", "slack_sdk", "slack_bolt", "lark_oapi", "alembic")


def _imported_after(code: str) -> list[str]:
    """Top-level packages of HEAVY imported by running `code` in a fresh interpreter."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_help_imports_nothing_heavy() -> None:
    code = "from bot.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert _imported_after(code) == []


def test_a_mistyped_command_is_answered_before_anything_heavy_is_imported() -> None:
    code = "from bot.cli import main\ntry:\n    main(['tik'])\nexcept SystemExit:\n    pass"
    assert _imported_after(code) == []


def test_loading_the_config_does_not_import_the_database_layer() -> None:
    assert "sqlalchemy" not in _imported_after("from bot.config import load\nload()")


def test_a_current_schema_is_recognised_without_alembic(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'current.db'}"
    Database(url).upgrade()
    assert "alembic" not in _imported_after(f"from storage.database import Database\nDatabase({url!r}).upgrade()")


def test_the_cheap_head_agrees_with_alembic() -> None:
    assert script_head() == migrate.head() is not None


def test_a_database_behind_head_is_still_migrated(db: Database) -> None:
    migrate.downgrade(db.engine, "0007")
    assert not migrate.is_current(db.engine)
    db.upgrade()
    assert migrate.current(db.engine) == script_head()
