"""Importing a plan from CSV / XLSX (handlers/importing.py, bot/importer.py, `pmbot import`).

Projects and people are made through `Core.handle_text`, as chat users make them; the results
are read back through the export, the contract the import mirrors. Both databases.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from bot.cli import main
from bot.export import export, rows
from bot.importer import Outcome, import_file, read_table
from handlers.context import Context
from handlers.core import Core
from storage.database import Database

# Friday 2026-11-20, 09:00 in Shanghai.
NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)
CTX = Context(platform="console", workspace="w1", channel="c1", user="alice", user_name="Alice Liu", now=NOW)


def run(core: Core, text: str, channel: str = "c1") -> None:
    reply = core.handle_text(Context(**{**CTX.__dict__, "channel": channel}), text)
    assert reply is not None and not reply.error, f"{text!r} failed: {reply and reply.text}"


@pytest.fixture
def plan(db: Database) -> Database:
    """ "Plan" (c1, Shanghai, CN holidays) with bob known by his display name; empty."""
    core = Core(db)
    run(core, '/project init "Plan" tz:Asia/Shanghai holidays:CN')
    core.handle_text(CTX.as_user("bob", "Bob Stone"), "/task list")
    return db


def csv_table(text: str) -> list[dict[str, str]]:
    return read_table("plan.csv", text.encode("utf-8"))


def do_import(db: Database, table: list[dict[str, str]], project: str = "Plan", dry_run: bool = False) -> Outcome:
    return import_file(db, table, project, now=NOW, dry_run=dry_run)


def tasks(db: Database, project: str = "Plan") -> list[dict[str, Any]]:
    return rows_of(db, project)


def rows_of(db: Database, project: str) -> list[dict[str, Any]]:
    with db.session() as session:
        return rows(session, "tasks", project, today=TODAY)


WBS_CSV = """wbs,title,responsible,accountable,consulted,start,duration,due,predecessors,progress,milestone,priority
1,Design,@bob,Alice Liu,,2026-11-23,3d,,,50%,,high
1.1,Sketch,bob,,"@carol,@dan",2026-11-23,2,,,,,
1.2,Review,,,,,1,,1.1+2d,,,
2,Build,,,,,2w,2026-12-31,"1.1,1.2",,,
3,Go-live,,,,2027-01-04,,2027-01-04,2,,yes,
"""


def test_a_wbs_plan_creates_the_tree_the_links_and_every_field(plan: Database) -> None:
    outcome = do_import(plan, csv_table(WBS_CSV))
    assert outcome.ok, outcome.text
    assert "row 2: create #1 Design" in outcome.text
    assert "Imported: created 5, updated 0, 0 unchanged." in outcome.text
    by_title = {t["title"]: t for t in tasks(plan)}
    design, sketch, review, build, golive = (by_title[k] for k in ("Design", "Sketch", "Review", "Build", "Go-live"))
    assert (sketch["parent"], review["parent"], design["parent"], build["parent"]) == (1, 1, None, None)
    assert review["depends_on"] == [sketch["number"]]
    assert build["depends_on"] == [sketch["number"], review["number"]]
    assert golive["depends_on"] == [build["number"]] and golive["milestone"] is True
    assert (design["responsible"], design["accountable"], design["priority"]) == ("bob", "alice", "high")
    assert (sketch["responsible"], sketch["consulted"]) == ("bob", ["carol", "dan"])
    assert (design["start"], design["duration_days"], design["progress"], design["status"]) == (
        "2026-11-23",
        3,
        50,
        "doing",
    )
    assert (build["duration_days"], build["due"]) == (10, "2026-12-31")
    # Review starts two working days after Sketch finishes (Tue 11-24): Fri 11-27.
    assert review["early_start"] == "2026-11-27"


ZH_CSV = """编号,标题,负责人,开始,工期,截止日期,前置任务,进度,状态,里程碑,父任务
1,需求分析,@bob,2026-11-23,5天,,,100%,已完成,否,
2,系统设计,,2026-11-30,2周,,#1,40%,进行中,否,
3,接口设计,,,3,,#1+1天,,,否,#2
"""


def test_chinese_headers_and_values(plan: Database) -> None:
    outcome = do_import(plan, csv_table(ZH_CSV))
    assert outcome.ok, outcome.text
    first, second, third = tasks(plan)
    assert (first["title"], first["status"], first["progress"], first["duration_days"]) == ("需求分析", "done", 100, 5)
    assert (second["status"], second["progress"], second["duration_days"], second["depends_on"]) == (
        "doing",
        40,
        10,
        [1],
    )
    assert (third["parent"], third["depends_on"], third["duration_days"]) == (2, [1], 3)


def test_an_xlsx_file_with_date_cells(plan: Database, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["WBS", "Title", "Start", "Duration", "Due", "Predecessors", "Progress"])
    sheet.append(["1", "Pour concrete", datetime(2026, 11, 23), 4, datetime(2026, 12, 4, 17, 30), None, 0.0])
    sheet.append([2, "Cure", date(2026, 11, 30), 2.0, None, "1+1d", None])
    buffer = io.BytesIO()
    book.save(buffer)
    outcome = do_import(plan, read_table("plan.XLSX", buffer.getvalue()))
    assert outcome.ok, outcome.text
    pour, cure = tasks(plan)
    assert (pour["start"], pour["duration_days"], pour["due"], pour["progress"]) == (
        "2026-11-23",
        4,
        "2026-12-04T17:30:00+08:00",
        0,
    )
    assert (cure["start"], cure["duration_days"], cure["depends_on"]) == ("2026-11-30", 2, [1])


def test_rows_matched_by_number_update_and_unchanged_rows_say_so(plan: Database) -> None:
    core = Core(plan)
    run(core, '/task add "Existing" due:2026-12-01 prio:low')
    run(core, '/task add "Untouched" due:2026-12-02')
    table = csv_table(
        "number,title,due,priority\n1,Existing,2026-12-09,urgent\n2,Untouched,2026-12-02,medium\n,New,,\n"
    )
    outcome = do_import(plan, table)
    assert outcome.ok, outcome.text
    assert "row 2: update #1 Existing (priority, due)" in outcome.text
    assert "row 3: #2 Untouched unchanged" in outcome.text
    assert "row 4: create #3 New" in outcome.text
    existing, untouched, new = tasks(plan)
    assert (existing["due"], existing["priority"], untouched["due"], new["title"]) == (
        "2026-12-09",
        "urgent",
        "2026-12-02",
        "New",
    )


def test_a_wbs_code_matches_the_projects_tree(plan: Database) -> None:
    core = Core(plan)
    run(core, '/task add "Phase A"')
    run(core, '/task add "Phase B"')
    run(core, '/task add "A detail" parent:#1')
    outcome = do_import(plan, csv_table("wbs,title,duration\n1.1,A detail,4\n2,Phase B renamed,\n"))
    assert outcome.ok, outcome.text
    assert [(t["number"], t["title"], t["duration_days"]) for t in tasks(plan)] == [
        (1, "Phase A", None),
        (2, "Phase B renamed", None),
        (3, "A detail", 4),
    ]


def test_two_rows_cannot_update_one_task(plan: Database) -> None:
    run(Core(plan), '/task add "Phase A"')
    outcome = do_import(plan, csv_table("number,wbs,title\n1,,Phase A\n,1,Also phase A\n"))
    assert "row 3: This row and row 2 both update #1." in outcome.text
    assert [t["title"] for t in tasks(plan)] == ["Phase A"]


def test_a_dry_run_changes_nothing(plan: Database) -> None:
    Core(plan).handle_text(CTX, '/task add "Existing"')
    before = export(plan, "tasks", "json", today=TODAY)
    outcome = do_import(plan, csv_table(WBS_CSV), dry_run=True)
    assert outcome.ok
    # WBS code 1 is the existing task #1.
    assert "row 2: update #1 Design (title, status, priority, responsible, accountable, start, duration, progress)" in (
        outcome.text
    )
    assert "row 6: create #5 Go-live" in outcome.text
    assert "Dry run: would create 4, update 1, leave 0 unchanged. Nothing was changed." in outcome.text
    assert export(plan, "tasks", "json", today=TODAY) == before
    # The real run assigns the numbers the dry run showed.
    assert "row 6: create #5 Go-live" in do_import(plan, csv_table(WBS_CSV)).text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("title,colour\nA,red\n", 'row 1, column colour: Unknown column "colour".'),
        ("name,标题\nA,B\n", 'row 1, column 标题: The column "标题" is there twice.'),
        ("wbs,due\n1,2026-12-01\n", "row 1, column title: The file has no title column"),
        ("title\n", "row 2: The file has no task rows."),
        ("title,due\nA,someday\n", 'row 2, column due: I could not understand the date "someday".'),
        ("title,duration\nA,three\n", "row 2, column duration:"),
        ("title,progress\nA,120%\n", "row 2, column progress:"),
        ("title,status\nA,paused\n", 'row 2, column status: status: "paused" is not one of'),
        ("title,milestone\nA,maybe\n", "row 2, column milestone:"),
        ("wbs,title\n1.x,A\n", 'row 2, column wbs: "1.x" is not a WBS code like 1.2.3.'),
        ("title,predecessors\nA,#1;soon\n", 'row 2, column predecessors: "soon" is not a task'),
        ("number,title\nx,A\n", 'row 2, column number: "x" is not a number'),
        ("number,title\n1,A\n1,B\n", "row 3, column number: 1 is already used by row 2."),
        ("title,responsible\nA,Nobody Here\n", 'row 2, column responsible: Nobody called "Nobody Here"'),
        ('title,accountable\nA,"@bob,@carol"\n', "row 2, column accountable:"),
        ('title,parent\nA,"#1,#2"\n', 'row 2, column parent: One parent only, not "#1,#2".'),
        ('title\nA\n,\nB\n""\n', None),
        ("title,due\n,2026-12-01\n", "row 2, column title: A title is missing."),
        ("title\n" + "x" * 501 + "\n", "row 2, column title: "),
        ("title,description\nA," + "d" * 5001 + "\n", "row 2, column description: "),
        ("title,informed\nA,@" + "u" * 80 + "\n", "row 2, column informed: "),
    ],
)
def test_every_reading_problem_names_row_and_column(plan: Database, text: str, problem: str | None) -> None:
    outcome = do_import(plan, csv_table(text))
    if problem is None:  # blank lines are skipped, the other rows imported
        assert outcome.ok and [t["title"] for t in tasks(plan)] == ["A", "B"]
        return
    assert not outcome.ok
    assert problem in outcome.text
    assert "Columns (English or Chinese headers" in outcome.text and "Nothing was imported." in outcome.text
    assert tasks(plan) == []


def test_references_not_in_the_file_or_the_project(plan: Database) -> None:
    body = "".join(f"{n},Task {n},\n" for n in range(1, 6)) + "6,Task 6,#12\n"
    outcome = do_import(plan, csv_table("number,title,predecessors\n" + body))
    assert not outcome.ok
    assert "row 7, column predecessors: #12 is not in the file or the project." in outcome.text
    outcome = do_import(plan, csv_table("wbs,title\n1,A\n2.1,B\n"))
    assert "row 3, column parent: 2 is not in the file or the project." not in outcome.text
    assert "row 3, column parent: #2 is not in the file or the project." in outcome.text
    assert tasks(plan) == []


def test_a_cycle_is_refused_named_and_nothing_is_applied(plan: Database) -> None:
    Core(plan).handle_text(CTX, '/task add "Already here"')
    before = export(plan, "tasks", "json", today=TODAY)
    text = "number,title,predecessors\n1,Already here,\n2,A,#4\n3,B,#2\n4,C,#3\n"
    outcome = do_import(plan, csv_table(text))
    assert not outcome.ok
    assert "row 3, column predecessors: These tasks would wait for each other in a loop:" in outcome.text
    assert "loop: #2 → #3 → #4 → #2. Remove one of these dependencies." in outcome.text
    assert export(plan, "tasks", "json", today=TODAY) == before


def test_the_rules_of_the_commands_hold(plan: Database) -> None:
    """Parent loops, self-dependencies, progress against status, milestones: the task rules."""
    core = Core(plan)
    run(core, '/task add "Top"')
    run(core, '/task add "Under" parent:#1')
    outcome = do_import(plan, csv_table("number,title,parent\n1,Top,#2\n"))
    assert "row 2, column parent: #2 cannot be the parent: the tree would loop." in outcome.text
    outcome = do_import(plan, csv_table("number,title,predecessors\n1,Top,#1\n"))
    assert "row 2, column predecessors: #1 cannot come after itself." in outcome.text
    outcome = do_import(plan, csv_table("title,status,progress\nNew,done,40%\n"))
    assert "row 2, column progress: Progress 40% does not fit the status Done" in outcome.text
    outcome = do_import(plan, csv_table("number,title,milestone\n1,Top,yes\n"))
    assert "row 2, column milestone: #1 exists: a task cannot become a milestone" in outcome.text
    assert [t["parent"] for t in tasks(plan)] == [None, 1]


def test_the_chinese_project_gets_chinese_messages(plan: Database) -> None:
    run(Core(plan), "/project set lang:zh")
    outcome = do_import(plan, csv_table("标题,前置任务\nA,#9\n"))
    assert "第 2 行,predecessors 列:#9 既不在文件中,也不在项目中。" in outcome.text


def test_export_then_import_round_trips(db: Database) -> None:
    """Every exported field but the numbers and creation instants comes back (the export lists
    predecessors without their lag, so lags are not part of this round trip)."""
    core = Core(db)
    for text in (
        '/project init "ERP upgrade" tz:Asia/Shanghai holidays:CN',
        '/task add "Migrate orders DB" @bob due:2026-11-27 A:@carol C:@dan,@erin I:@frank prio:high',
        '/task add "Cutover | rehearsal" due:"2026-12-01 17:00" start:2026-11-23 dur:3d after:#1',
        '/task add "Export schema" parent:#1 progress:30%',
        '/task add "=SUM(1)" after:#2,#3',
        '/milestone add "Go-live" date:2026-12-18 after:#4',
        "/task done #3",
        "/task block #1",
    ):
        run(core, text)
    run(core, '/project init "Copy" tz:Asia/Shanghai holidays:CN', channel="c2")
    exported = export(db, "tasks", "csv", "ERP upgrade", today=TODAY)
    outcome = do_import(db, read_table("erp.csv", exported.encode("utf-8")), "Copy")
    assert outcome.ok, outcome.text
    again = export(db, "tasks", "csv", "Copy", today=TODAY)

    def comparable(text: str) -> list[dict[str, str]]:
        return [
            {k: v for k, v in row.items() if k not in ("workspace", "project", "number", "created_at")}
            for row in csv.DictReader(io.StringIO(text))
        ]

    for copied, original in zip(comparable(again), comparable(exported), strict=True):
        assert copied == original
    assert len(comparable(again)) == 5


def test_the_cli_dry_run_apply_and_refusal(plan: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(WBS_CSV, encoding="utf-8-sig")
    assert main(["import", "tasks", str(path), "--project", "Plan", "--db", plan.url, "--dry-run"]) == 0
    assert "Dry run: would create 5" in capsys.readouterr().out
    assert tasks(plan) == []
    assert main(["import", "tasks", str(path), "--project", "Plan", "--workspace", "console:w1", "--db", plan.url]) == 0
    assert "Imported: created 5" in capsys.readouterr().out
    assert len(tasks(plan)) == 5
    path.write_text("title,predecessors\nA,#99\n", encoding="utf-8")
    assert main(["import", "tasks", str(path), "--project", "Plan", "--db", plan.url]) == 1
    assert "row 2, column predecessors: #99 is not in the file or the project." in capsys.readouterr().err
    assert main(["import", "tasks", str(path), "--project", "Nope", "--db", plan.url]) == 1
    assert 'no project named "Nope"' in capsys.readouterr().err
    (tmp_path / "plan.txt").write_text("title\nA\n")
    assert main(["import", "tasks", str(tmp_path / "plan.txt"), "--project", "Plan", "--db", plan.url]) == 1
    assert "is not a .csv or .xlsx file" in capsys.readouterr().err
    assert len(tasks(plan)) == 5


def test_files_that_are_not_tables_are_named() -> None:
    from bot.importer import FileError

    with pytest.raises(FileError, match="not a readable XLSX"):
        read_table("plan.xlsx", b"not a zip")
    assert read_table("gbk.csv", "标题\n测试\n".encode("gb18030")) == [{"标题": "测试"}]
