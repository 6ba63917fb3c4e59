"""Transcript tests: a whole small project driven through the console, in English and Chinese.

Each `tests/transcripts/NAME.txt` script is fed to the console (script mode, echoing lines)
on a fresh database; the output must equal `NAME.out` exactly. After a deliberate change
of wording, regenerate with `PMBOT_REGENERATE=1 make test` and review the diff.
"""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import Config
from bot.export import export
from bot.runtime import build
from storage.database import Database

HERE = Path(__file__).parent / "transcripts"


def _run(db: Database, script: Path) -> str:
    """The console exactly as `pmbot console` builds it (`bot.runtime.build`): scheduler behind
    `:advance`, outbox after commands; a piped script, so no prompt and lines echoed."""
    out = io.StringIO()
    config = Config.model_validate({"console": {"workspace": "T1", "channel": "erp", "user": "pm"}})
    runtime = build(
        config,
        clock=ManualClock(datetime(2026, 11, 25, 2, tzinfo=UTC)),
        db_url=db.engine.url.render_as_string(hide_password=False),
    )
    try:
        runtime.console(stdin=io.StringIO(script.read_text(encoding="utf-8")), stdout=out)
    finally:
        runtime.close()
    return out.getvalue()


def _matches(db: Database, name: str) -> str:
    output = _run(db, HERE / f"{name}.txt")
    expected_path = HERE / f"{name}.out"
    if os.environ.get("PMBOT_REGENERATE"):
        expected_path.write_text(output, encoding="utf-8")
    assert output == expected_path.read_text(encoding="utf-8")
    return output


@pytest.mark.parametrize("name", ["project_en", "project_zh"])
def test_transcript_matches(tmp_path: Path, name: str) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pmbot.db'}")
    db.upgrade()
    _matches(db, name)
    _check_export(db, name)


def test_week_with_the_scheduler(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pmbot.db'}")
    db.upgrade()
    output = _matches(db, "week_en")
    assert output.count("Standup time — ERP upgrade") == 5  # Mon..Fri, once each
    assert output.count("[DM @bob] pmbot:\n┌ 🟡 Reminder") == 5  # he never checked in before 10:00
    assert output.count("[DM @alice] pmbot:\n┌ 🟡 Reminder") == 4  # she did on Monday
    assert "@bob (late)" in output and "[#erp message 3 updated]" in output
    assert output.count("Overdue tasks — ERP upgrade: 1") == 2  # Thu and Fri; #2 was due Wed 18:00
    assert output.count("Due soon:") == 2 and output.count("Time to review risk R1") == 1
    assert output.count("Weekly status — ERP upgrade — Fri Nov 27") == 1


@pytest.mark.parametrize("name", ["plan_en", "plan_zh"])
def test_plan_slip_alerts_and_report(tmp_path: Path, name: str) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pmbot.db'}")
    db.upgrade()
    output = _matches(db, name)
    zh = name.endswith("zh")
    # Design not started moves later each morning (Tue, Wed, Thu); 30% on Thursday is no later;
    # on Friday the rest of it moves past the holiday: four new forecasts, each told once.
    assert output.count("[DM @bob] pmbot:\n┌ 🟠 " + ("计划延误" if zh else "The plan slipped")) == 4
    assert output.count("[DM @pm] pmbot:\n┌ 🔴 " + ("里程碑有风险" if zh else "Milestone at risk")) == 4
    assert output.count("周报 — ERP" if zh else "Weekly status — ERP") == 1


def _check_export(db: Database, name: str) -> None:
    tasks = json.loads(export(db, "tasks", "json"))
    assert [t["number"] for t in tasks] == [1, 2, 3, 4, 5]
    by_number = {t["number"]: t for t in tasks}
    assert by_number[2]["status"] == "done" and by_number[2]["parent"] == 1
    assert by_number[3]["status"] == "blocked"  # the outsider could not complete it
    assert by_number[3]["due"] == "2026-11-30T17:00:00+08:00"
    assert by_number[1]["due"] == "2026-12-18"
    risks = json.loads(export(db, "risks", "json"))
    assert [(r["score"], r["level"]) for r in risks] == [(12, "high")]
    standups = json.loads(export(db, "standups", "json"))
    assert len(standups) == 2 and {s["date"] for s in standups} == {"2026-11-25"}
    retro_md = export(db, "retros", "md")
    assert retro_md.count("## Retro #1") == 1
    assert ("freeze scope on day 3" if name.endswith("en") else "第三天冻结范围") in retro_md
