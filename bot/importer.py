"""`pmbot import tasks FILE.csv|FILE.xlsx`: a spreadsheet's rows into `handlers.importing`.

This module does the file I/O and the transaction; the rules are all in handlers/importing.py.
CSV is read as UTF-8 (with or without Excel's byte-order mark), else GB18030 (what Excel saves
on Chinese Windows); XLSX through openpyxl, first sheet, dates as `YYYY-MM-DD`. The first row
holds the headers. The export's formula guard (a leading apostrophe before `=`, `+`, `-`, `@`)
is undone, and the columns the export computes (`early_start`, `total_float`, `workspace` …) are
skipped, so an exported file imports back as it is.

The import runs as the operator (the bot's user, with an admin's rights: whoever can reach the
database owns the data) in one transaction, committed only when every row applied and it is not
a dry run.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from bot.export import FIELDS, one_project
from handlers.core import BOT_USER, Core
from handlers.importing import ImportRefused, column_of, import_tasks, problems_text, summary_text
from storage.database import Database
from storage.models import Member, saved_id

__all__ = ["FileError", "Outcome", "import_file", "read_table"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what the export guards (bot/export.py)
# What the task export writes besides the importable columns: computed, or kept by the bot.
EXPORT_ONLY = frozenset(f for f in FIELDS["tasks"] if column_of(f) is None)


class FileError(ValueError):
    """The file cannot be read as a table (wrong type, not CSV/XLSX, unreadable)."""


@dataclass(frozen=True)
class Outcome:
    """What to print, and whether the import was refused."""

    text: str
    ok: bool


def _text(value: str) -> str:
    """Undo the export's formula guard: `'=SUM(1)` is the title `=SUM(1)`."""
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text a user would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(str(value))


def _records(grid: Sequence[Sequence[str]]) -> list[dict[str, str]]:
    """The rows under the header row as dicts; headers trimmed, columns without a header or
    computed by the export dropped."""
    if not grid:
        return []
    headers = [h.strip() for h in grid[0]]
    kept = [(i, h) for i, h in enumerate(headers) if h and h.lower() not in EXPORT_ONLY]
    return [{h: (row[i] if i < len(row) else "") for i, h in kept} for row in grid[1:]]


def _csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileError("the CSV file is neither UTF-8 nor GB18030 text")
    return [[_text(c) for c in row] for row in csv.reader(io.StringIO(text, newline=""))]


def _xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not XLSX
        raise FileError(f"not a readable XLSX file ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        return [[_cell(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def read_table(name: str, data: bytes) -> list[dict[str, str]]:
    """The rows of a CSV or XLSX file (by its name's extension) as header -> cell text."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return _records(_csv(data))
    if suffix == ".xlsx":
        return _records(_xlsx(data))
    raise FileError(f'"{name}" is not a .csv or .xlsx file')


def import_file(
    db: Database,
    table: Sequence[dict[str, str]],
    project: str,
    workspace: str | None = None,
    *,
    now: datetime,
    dry_run: bool = False,
) -> Outcome:
    """Import the rows into the named project in one transaction (rolled back on a dry run or a
    refusal); raises bot.export.ExportError when the project is not found or is ambiguous."""

    core = Core(db)
    with db.session() as session:
        chosen = one_project(session, project, workspace)
        env = core.project_env(session, saved_id(chosen), now)
        env.member = Member(
            workspace_id=env.workspace_id, project_id=env.project_id, user_id=BOT_USER, role="admin", joined_at=now
        )
        try:
            changes = import_tasks(env, table)
        except ImportRefused as exc:
            session.rollback()
            return Outcome(problems_text(exc.problems, env.locale), ok=False)
        text = summary_text(changes, env.locale, dry_run=dry_run)
        if dry_run:
            session.rollback()
    return Outcome(text, ok=True)
