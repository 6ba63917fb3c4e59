"""Tests for bot.export: the JSON / CSV / Markdown exports, on SQLite and PostgreSQL.

All data is created through `Core.handle_text`, exactly as chat users would create it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.export import FIELDS, FORMATS, KINDS, ExportError, export, rows
from handlers.context import Context
from handlers.core import Core
from storage.database import Database

UTC = UTC
# Friday 2026-11-20, 09:00 in Shanghai.
NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
NEXT_DAY = NOW + timedelta(days=1)
CTX = Context(platform="console", workspace="w1", channel="c1", user="alice", user_name="alice", now=NOW)


def run(core: Core, ctx: Context, text: str) -> None:
    reply = core.handle_text(ctx, text)
    assert reply is not None, text
    assert not reply.error, f"{text!r} failed: {reply.text}"


@pytest.fixture
def data(db: Database) -> Database:
    """ERP upgrade (w1/c1) with everything; CRM rollout (w1/c2); Billing in workspace w2."""
    core = Core(db)
    bob = CTX.as_user("bob")
    erp = [
        '/project init "ERP upgrade" tz:Asia/Shanghai',
        '/task add "Migrate orders DB" @bob due:2026-11-27 A:@carol C:@dan,@erin I:@frank prio:high',
        '/task add "Cutover | rehearsal" due:"2026-12-01 17:00"',
        '/task add "Export schema" parent:#1',
        '/task add "=SUM(1)"',
        '/milestone add "Go-live" date:2026-12-18 after:#2',
        '/risk add "Vendor delay" p:4 i:3 cat:schedule review:2026-12-15 mit:"Weekly sync" cont:"Backup vendor"',
        '/risk add "Data loss" p:5 i:5 strategy:avoid',
        "/standup y:a t:b b:none",
        '/retro start "Sprint 1"',
        '/retro add well "Good teamwork"',
        '/retro add bad "Late reviews | again"',
        '/retro add improve "Pair more"',
        "/retro close",
    ]
    for text in erp:
        run(core, CTX, text)
    run(core, bob, '/standup y:"fixed | pipe" t:deploy b:"waiting on DBA"')
    run(core, CTX.at(NEXT_DAY), "/task done #3")
    run(core, CTX.at(NEXT_DAY), "/standup y:b t:c b:none")
    # Another project in another channel of the same workspace.
    crm = replace(CTX, channel="c2")
    run(core, crm, '/project init "CRM rollout"')
    run(core, crm, '/task add "Import contacts" due:2026-12-05')
    run(core, crm, '/risk add "Licence cost" p:2 i:2')
    run(core, crm, "/standup y:x t:y b:none")
    # A second workspace, same channel id.
    w2 = replace(CTX, workspace="w2")
    run(core, w2, '/project init "Billing" tz:America/New_York')
    run(core, w2, '/task add "Invoice run" due:"2026-12-02 09:30"')
    return db


def no_trailing_whitespace(text: str) -> bool:
    return text.endswith("\n") and all(line == line.rstrip() for line in text.split("\n"))


# --- JSON ---------------------------------------------------------------------------------


def test_tasks_json_fields_and_values(data: Database) -> None:
    records = json.loads(export(data, "tasks", "json", "ERP upgrade", today=date(2026, 11, 20)))
    assert [r["number"] for r in records] == [1, 2, 3, 4, 5]
    for r in records:
        assert list(r) == list(FIELDS["tasks"])
        assert r["project"] == "ERP upgrade"
    one, two, three, four, five = records
    assert one == {
        "workspace": "console:w1",
        "project": "ERP upgrade",
        "number": 1,
        "title": "Migrate orders DB",
        "status": "todo",
        "priority": "high",
        "due": "2026-11-27",
        "responsible": "bob",
        "accountable": "carol",
        "consulted": ["dan", "erin"],
        "informed": ["frank"],
        "parent": None,
        "created_at": "2026-11-20T01:00:00+00:00",
        "closed_at": None,
        "start": None,
        "duration_days": None,
        "depends_on": [],
        "progress": 0,
        "milestone": False,
        "baseline_start": None,
        "baseline_finish": None,
        "early_start": "2026-11-20",
        "early_finish": "2026-11-20",
        "late_start": "2026-11-27",
        "late_finish": "2026-11-27",
        "total_float": 5,
        "critical": False,
        "forecast_finish": "2026-11-20",
    }
    assert (five["milestone"], five["depends_on"], five["forecast_finish"]) == (True, [2], "2026-12-18")
    assert two["due"] == "2026-12-01T17:00:00+08:00"
    assert two["title"] == "Cutover | rehearsal"
    assert two["consulted"] == [] and two["informed"] == []
    assert two["responsible"] is None
    assert three["parent"] == 1
    assert three["status"] == "done"
    assert three["closed_at"] == "2026-11-21T01:00:00+00:00"
    assert three["due"] is None
    assert four["title"] == "=SUM(1)"  # JSON keeps the raw text


def test_timed_due_uses_each_projects_zone(data: Database) -> None:
    (invoice,) = json.loads(export(data, "tasks", "json", "Billing"))
    assert invoice["due"] == "2026-12-02T09:30:00-05:00"
    assert invoice["project"] == "Billing"


def test_risks_json(data: Database) -> None:
    records = json.loads(export(data, "risks", "json", "ERP upgrade"))
    assert [r["number"] for r in records] == [1, 2]
    assert all(list(r) == list(FIELDS["risks"]) for r in records)
    assert "trigger" not in records[0]
    assert records[0] == {
        "workspace": "console:w1",
        "project": "ERP upgrade",
        "number": 1,
        "title": "Vendor delay",
        "category": "schedule",
        "probability": 4,
        "impact": 3,
        "score": 12,
        "level": "high",
        "strategy": "mitigate",
        "owner": "alice",
        "status": "open",
        "review_date": "2026-12-15",
        "mitigation": "Weekly sync",
        "contingency": "Backup vendor",
    }
    assert records[1]["score"] == 25 and records[1]["level"] == "critical"
    assert records[1]["review_date"] is None


def test_standups_json(data: Database) -> None:
    records = json.loads(export(data, "standups", "json", "ERP upgrade"))
    assert all(list(r) == list(FIELDS["standups"]) for r in records)
    assert [(r["date"], r["user"]) for r in records] == [
        ("2026-11-20", "alice"),
        ("2026-11-20", "bob"),
        ("2026-11-21", "alice"),
    ]
    assert records[0] == {
        "workspace": "console:w1",
        "project": "ERP upgrade",
        "date": "2026-11-20",
        "user": "alice",
        "yesterday": "a",
        "today": "b",
        "blockers": "none",
        "late": False,
        "updated_at": "2026-11-20T01:00:00+00:00",
    }
    assert records[1]["blockers"] == "waiting on DBA"


def test_retros_json(data: Database) -> None:
    (retro,) = json.loads(export(data, "retros", "json", "ERP upgrade"))
    assert list(retro) == list(FIELDS["retros"])
    assert retro["number"] == 1 and retro["title"] == "Sprint 1" and retro["status"] == "closed"
    assert retro["started_by"] == "alice"
    assert retro["started_at"] == "2026-11-20T01:00:00+00:00"
    assert retro["closed_at"] == "2026-11-20T01:00:00+00:00"
    assert retro["items"] == [
        {"kind": "well", "text": "Good teamwork", "author": "alice"},
        {"kind": "bad", "text": "Late reviews | again", "author": "alice"},
        {"kind": "improve", "text": "Pair more", "author": "alice"},
    ]


def test_rows_matches_json_export(data: Database) -> None:
    with data.session() as session:
        for kind in KINDS:
            assert rows(session, kind) == json.loads(export(data, kind, "json"))


def test_json_is_a_list_without_escaped_unicode(db: Database) -> None:
    core = Core(db)
    run(core, CTX, '/project init "ERP 升级"')
    run(core, CTX, '/task add "迁移订单库"')
    out = export(db, "tasks", "json")
    assert '"迁移订单库"' in out and '"ERP 升级"' in out
    assert out.startswith("[\n  {")
    assert export(db, "risks", "json") == "[]\n"


# --- project selection --------------------------------------------------------------------


def test_all_projects_in_name_order(data: Database) -> None:
    records = json.loads(export(data, "tasks", "json"))
    assert [(r["project"], r["number"]) for r in records] == [
        ("Billing", 1),
        ("CRM rollout", 1),
        ("ERP upgrade", 1),
        ("ERP upgrade", 2),
        ("ERP upgrade", 3),
        ("ERP upgrade", 4),
        ("ERP upgrade", 5),
    ]


def test_project_filter_excludes_other_projects(data: Database) -> None:
    for kind in KINDS:
        records = json.loads(export(data, kind, "json", "ERP upgrade"))
        assert records, kind
        assert {r["project"] for r in records} == {"ERP upgrade"}, kind
    crm = json.loads(export(data, "tasks", "json", "CRM rollout"))
    assert [(r["project"], r["title"]) for r in crm] == [("CRM rollout", "Import contacts")]
    assert json.loads(export(data, "retros", "json", "CRM rollout")) == []


def test_second_workspace_only_under_its_own_name(data: Database) -> None:
    billing = json.loads(export(data, "tasks", "json", "Billing"))
    assert [(r["project"], r["title"]) for r in billing] == [("Billing", "Invoice run")]
    everything = json.loads(export(data, "tasks", "json"))
    invoice = [r for r in everything if r["title"] == "Invoice run"]
    assert [r["project"] for r in invoice] == ["Billing"]
    assert all(r["project"] != "Billing" for r in everything if r["title"] != "Invoice run")


def test_unknown_project_names_it_and_lists_projects(data: Database) -> None:
    with pytest.raises(ExportError) as info:
        export(data, "tasks", "json", "Nope")
    message = str(info.value)
    assert "Nope" in message
    for name in ("Billing", "CRM rollout", "ERP upgrade"):
        assert name in message
    assert isinstance(info.value, ValueError)


def test_unknown_project_on_empty_database(db: Database) -> None:
    with pytest.raises(ExportError, match="Nope"):
        export(db, "tasks", "csv", "Nope")


def test_unknown_kind_or_format(data: Database) -> None:
    with pytest.raises(ExportError, match="bugs"):
        export(data, "bugs", "json")
    with pytest.raises(ExportError, match="xml"):
        export(data, "tasks", "xml")


# --- CSV ----------------------------------------------------------------------------------


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_tasks_csv(data: Database) -> None:
    out = export(data, "tasks", "csv", "ERP upgrade")
    assert "\r" not in out
    table = _csv(out)
    assert table[0] == list(FIELDS["tasks"])
    assert len(table) == 1 + 5
    by_number = {row[2]: dict(zip(table[0], row, strict=True)) for row in table[1:]}
    assert by_number["1"]["consulted"] == "dan;erin"
    assert by_number["1"]["informed"] == "frank"
    assert by_number["1"]["closed_at"] == ""
    assert by_number["2"]["due"] == "2026-12-01T17:00:00+08:00"
    assert by_number["3"]["parent"] == "1"
    # Formula injection guard: a leading apostrophe makes spreadsheets show text.
    assert by_number["4"]["title"] == "'=SUM(1)"


def test_csv_formula_guard_covers_each_trigger(db: Database) -> None:
    core = Core(db)
    run(core, CTX, '/project init "Guard"')
    for title in ("=1+1", "+1", "-1", "@cmd", "safe = fine"):
        run(core, CTX, f'/task add "{title}"')
    table = _csv(export(db, "tasks", "csv"))
    titles = [row[3] for row in table[1:]]
    assert titles == ["'=1+1", "'+1", "'-1", "'@cmd", "safe = fine"]
    assert [row[2] for row in table[1:]] == ["1", "2", "3", "4", "5"]  # numbers untouched


def test_risks_and_standups_csv(data: Database) -> None:
    risks = _csv(export(data, "risks", "csv"))
    assert risks[0] == list(FIELDS["risks"])
    assert len(risks) == 1 + 3
    standups = _csv(export(data, "standups", "csv", "ERP upgrade"))
    assert standups[0] == list(FIELDS["standups"])
    assert len(standups) == 1 + 3
    assert standups[1][standups[0].index("late")] == "false"


def test_retros_csv_one_row_per_item(data: Database) -> None:
    table = _csv(export(data, "retros", "csv", "ERP upgrade"))
    assert table[0] == ["workspace", "project", "number", "title", "status", "kind", "text", "author"]
    assert table[1:] == [
        ["console:w1", "ERP upgrade", "1", "Sprint 1", "closed", "well", "Good teamwork", "alice"],
        ["console:w1", "ERP upgrade", "1", "Sprint 1", "closed", "bad", "Late reviews | again", "alice"],
        ["console:w1", "ERP upgrade", "1", "Sprint 1", "closed", "improve", "Pair more", "alice"],
    ]


def test_empty_csv_is_header_only(db: Database) -> None:
    assert export(db, "risks", "csv") == ",".join(FIELDS["risks"]) + "\n"


# --- Markdown -----------------------------------------------------------------------------


def test_tasks_markdown(data: Database) -> None:
    out = export(data, "tasks", "md", "ERP upgrade")
    lines = out.split("\n")
    assert lines[0] == "# Tasks"
    assert "## ERP upgrade" in lines
    assert "| Number | Title | Status | Priority | Due | R | A | C | I | Parent |" in lines
    assert "| #1 | Migrate orders DB | todo | high | 2026-11-27 | bob | carol | dan, erin | frank |  |" in lines
    assert "| #2 | Cutover \\| rehearsal | todo | medium | 2026-12-01 17:00 |  |  |  |  |  |" in lines
    assert "| #3 | Export schema | done | medium |  |  |  |  |  | #1 |" in lines
    assert "CRM rollout" not in out and "Billing" not in out
    # Every table row has the same number of unescaped cell separators.
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 2 + 5
    assert {line.replace("\\|", "").count("|") for line in table} == {11}


def test_markdown_escapes_newlines_and_markup(db: Database) -> None:
    core = Core(db)
    run(core, CTX, '/project init "Esc"')
    run(core, CTX, '/standup y:"line one\nline | two" t:"# not a heading" b:"<b>x</b>"')
    out = export(db, "standups", "md")
    assert "- **Yesterday:** line one<br>line \\| two" in out
    assert "- **Today:** \\# not a heading" in out
    assert "- **Blockers:** &lt;b&gt;x&lt;/b&gt;" in out


def test_risks_markdown_sorted_by_score(data: Database) -> None:
    out = export(data, "risks", "md", "ERP upgrade")
    assert out.startswith("# Risks\n\n## ERP upgrade\n")
    rows_ = [line for line in out.split("\n") if line.startswith("| R")]
    assert [r.split(" | ")[0] for r in rows_] == ["| R2", "| R1"]
    assert "| R1 | Vendor delay | schedule | 4 | 3 | 12 | high | mitigate | alice | open | 2026-12-15 |" in out


def test_standups_markdown(data: Database) -> None:
    out = export(data, "standups", "md", "ERP upgrade")
    assert out.index("### 2026-11-20") < out.index("#### bob") < out.index("### 2026-11-21")
    assert "- **Yesterday:** fixed \\| pipe" in out
    assert "- **Blockers:** waiting on DBA" in out


def test_retros_markdown(data: Database) -> None:
    out = export(data, "retros", "md")
    assert "## Retro #1 — Sprint 1 (ERP upgrade)" in out
    assert "Status: closed · started 2026-11-20 by alice · closed 2026-11-20" in out
    well, bad, improve = (out.index(h) for h in ("### Went well", "### Did not go well", "### To improve"))
    assert well < bad < improve
    assert out.index("- Good teamwork — alice") > well
    assert bad < out.index("- Late reviews \\| again — alice") < improve
    assert out.index("- Pair more — alice") > improve


def test_markdown_of_empty_selection(db: Database) -> None:
    core = Core(db)
    run(core, CTX, '/project init "Quiet"')
    assert export(db, "tasks", "md") == "# Tasks\n\n## Quiet\n\nTime zone: `UTC`\n\n_No tasks._\n"
    assert export(db, "retros", "md") == "# Retros\n\n_No retros._\n"


def test_open_retro_without_items(db: Database) -> None:
    core = Core(db)
    run(core, CTX, '/project init "Solo" tz:Asia/Shanghai')
    # 20:00 UTC is already the next day in Shanghai: the md dates are the project's days.
    run(core, CTX.at(datetime(2026, 11, 20, 20, 0, tzinfo=UTC)), "/retro start")
    (retro,) = json.loads(export(db, "retros", "json"))
    assert retro["status"] == "open" and retro["closed_at"] is None and retro["items"] == []
    assert retro["started_at"] == "2026-11-20T20:00:00+00:00"
    table = _csv(export(db, "retros", "csv"))
    assert table[1:] == [["console:w1", "Solo", "1", "", "open", "", "", ""]]  # the retro still has a row
    out = export(db, "retros", "md")
    assert "## Retro #1 — Untitled (Solo)" in out
    assert "Status: open · started 2026-11-21 by alice\n" in out
    assert out.count("_None._") == 3


def test_same_project_name_in_two_workspaces_is_not_merged(db: Database) -> None:
    core = Core(db)
    w2 = replace(CTX, workspace="w2", user="zed")
    run(core, CTX, '/project init "Shared"')
    run(core, CTX, '/task add "From w1"')
    run(core, w2, '/project init "Shared"')
    run(core, w2, '/task add "From w2"')
    for fmt in FORMATS:
        with pytest.raises(ExportError, match="--workspace") as info:
            export(db, "tasks", fmt, "Shared")
        assert "console:w1" in str(info.value) and "console:w2" in str(info.value)
    for workspace in ("console:w2", "w2"):
        records = json.loads(export(db, "tasks", "json", "Shared", workspace))
        assert [(r["workspace"], r["project"], r["title"]) for r in records] == [("console:w2", "Shared", "From w2")]
    out = export(db, "tasks", "md")  # everything: each shared name says its workspace
    assert (
        out.index("## Shared (workspace console:w1)")
        < out.index("From w1")
        < out.index("## Shared (workspace console:w2)")
        < out.index("From w2")
    )


def test_every_record_of_every_kind_names_its_workspace(data: Database) -> None:
    for kind in KINDS:
        records = json.loads(export(data, kind, "json"))
        assert records, kind
        assert {(r["project"], r["workspace"]) for r in records} <= {
            ("ERP upgrade", "console:w1"),
            ("CRM rollout", "console:w1"),
            ("Billing", "console:w2"),
        }, kind
        table = list(csv.reader(io.StringIO(export(data, kind, "csv"))))
        assert table[0][:2] == ["workspace", "project"] and all(row[0].startswith("console:w") for row in table[1:])


def test_workspace_selects_its_projects_and_an_unknown_one_is_named(data: Database) -> None:
    records = json.loads(export(data, "tasks", "json", workspace="console:w2"))
    assert [(r["workspace"], r["project"]) for r in records] == [("console:w2", "Billing")]
    with pytest.raises(ExportError, match="console:w1, console:w2") as info:
        export(data, "tasks", "json", workspace="slack:T9")
    assert "slack:T9" in str(info.value)
    with pytest.raises(ExportError, match="Billing"):  # the name exists, but not in that workspace
        export(data, "tasks", "json", "ERP upgrade", "w2")


# --- every kind and format ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_output_is_deterministic_and_clean(data: Database, kind: str) -> None:
    for fmt in FORMATS:
        first = export(data, kind, fmt)
        assert export(data, kind, fmt) == first
        assert no_trailing_whitespace(first), (kind, fmt)


def test_the_cli_passes_workspace_through(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    core = Core(db)
    run(core, CTX, '/project init "Shared"')
    run(core, replace(CTX, workspace="w2"), '/project init "Shared"')
    run(core, replace(CTX, workspace="w2"), '/task add "Only here"')
    assert main(["export", "tasks", "--project", "Shared", "--db", db.url]) == 1
    assert "--workspace" in capsys.readouterr().err
    assert main(["export", "tasks", "--project", "Shared", "--workspace", "console:w2", "--db", db.url]) == 0
    assert [r["title"] for r in json.loads(capsys.readouterr().out)] == ["Only here"]
