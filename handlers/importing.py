"""Importing a plan: spreadsheet rows -> validated task changes, applied through the task commands.

Pure domain: rows arrive as dicts keyed by their header (bot/importer.py reads CSV and XLSX
files), and every change is made by the same functions `/task add` and `/task update` run
(`handlers.tasks.new_task` and `edit_task`, without the reply cards), so an import obeys every rule a command does
(progress and status agree, no dependency or parent loops, predecessors in the project).

Two phases. `import_tasks` first reads and resolves every row without writing anything and
refuses the whole file with every problem found, each naming its row and column. Then it applies
the rows in the caller's transaction: new tasks are created first (so any row can refer to any
other), then every row's fields, parent and predecessors are set, and the plan is checked once
at the end (a loop through predecessors is named at the first of its rows). A refusal while
applying raises too, and the caller rolls the transaction back, so a
file is applied entirely or not at all. A dry run is the same run rolled back.

Rows are matched to tasks by `number` (a task of the project with that number is updated), else
by `wbs` code (the project's tasks numbered as a tree: top-level tasks 1, 2, 3 by number, their
sub-tasks 1.1, 1.2 ...); any other row creates a task. References (`parent`, `predecessors`)
name a row of the file (`#3` by its number; `1.2` by its WBS code) or else a task of the project.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlmodel import select

from handlers import i18n
from handlers.coerce import coerce, parse_ref
from handlers.command import Command, ParseError, UserRef
from handlers.env import Env, UserError
from handlers.grammar import Opt, spec_of
from handlers.limits import check_command
from handlers.planning import check_plan
from handlers.schedule import Dependency
from handlers.tasks import edit_task, new_task, project_tasks, resolve_due, task_snapshot, update_task
from handlers.tokens import mention, norm
from storage.models import Member, Task

__all__ = [
    "COLUMNS",
    "Change",
    "ImportRefused",
    "Problem",
    "column_of",
    "import_tasks",
    "problems_text",
    "summary_text",
]

# Canonical column -> the other headers it is recognised by (English and Chinese; compared
# NFKC-normalised and case-insensitively). The export's names (`duration_days`, `depends_on`)
# are here, so an exported file imports back.
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("no", "no.", "#", "编号", "序号", "任务编号"),
    "wbs": ("wbs code", "wbs编码", "wbs 编码", "编码"),
    "parent": ("父任务", "上级任务", "上级"),
    "title": ("name", "task", "标题", "名称", "任务", "任务名称"),
    "status": ("状态",),
    "priority": ("优先级",),
    "responsible": ("r", "负责人", "执行人"),
    "accountable": ("a", "批准人", "审批人"),
    "consulted": ("c", "咨询人"),
    "informed": ("i", "知会人"),
    "start": ("开始", "开始日期"),
    "duration": ("duration_days", "工期"),
    "due": ("deadline", "截止", "截止日期"),
    "predecessors": ("depends_on", "after", "前置任务", "前置"),
    "progress": ("进度", "完成度"),
    "milestone": ("里程碑",),
    "description": ("描述", "说明"),
}


def _update_options() -> dict[str, Opt]:
    """The options of `/task update`, which every row runs, plus `milestone` (new tasks only)."""
    spec = spec_of(update_task)
    assert spec is not None, "update_task is a command"
    return {**spec.options, "milestone": Opt("bool")}


# Column -> the option it is read as (people, dates and references are resolved here).
_OPTIONS = _update_options()
_PEOPLE = ("responsible", "accountable", "consulted", "informed")
_DATES = ("start", "due")
# Emptied cells clear these fields; an empty cell of any other column leaves the field as it is.
_CLEARABLE = frozenset({*_PEOPLE, *_DATES, "duration", "description", "parent", "predecessors"})
_WBS = re.compile(r"\d{1,4}(?:\.\d{1,4})*")
_REFERENCE = re.compile(r"(#?)(\d{1,9}(?:\.\d{1,4})*)\s*(?:\+\s*(\d{1,4})\s*(?:d|days?|天|日|个?工作日)?)?")
# A refusal while applying -> the column it is about.
_COLUMN_OF_ERROR = {
    "error.dependency_cycle": "predecessors",
    "error.self_dependency": "predecessors",
    "error.dependency_other_project": "predecessors",
    "error.parent_cycle": "parent",
    "error.progress_status": "progress",
}
_K = TypeVar("_K", int, str)
USAGE = "task.update"  # the command every row runs
# A task's stored field (as audited) -> the column that sets it, to report what an update changed.
_COLUMN_OF_FIELD = {
    "due_date": "due",
    "due_at": "due",
    "start_date": "start",
    "duration_days": "duration",
    "after": "predecessors",
    "parent_id": "parent",
}


@dataclass(frozen=True)
class Problem:
    """What is wrong with one cell (`column` "" for a whole row; row 1 is the header row)."""

    row: int
    column: str
    text: str


class ImportRefused(Exception):
    """The file was not applied; `problems` says why, by row and column."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = sorted(problems, key=lambda p: (p.row, p.column))


@dataclass(frozen=True)
class Change:
    """What one row did: `create`, `update` (the fields changed) or `unchanged`."""

    row: int
    action: str
    number: int
    title: str
    fields: tuple[str, ...] = ()


@dataclass
class _Ref:
    """A reference as written: `#3` (a number) or `1.2` (a WBS code, or a number without `#`)."""

    text: str
    hash: bool
    lag: int = 0
    target: _Row | Task | None = None  # what it names, once resolved


@dataclass
class _Row:
    line: int
    values: dict[str, str]
    options: dict[str, Any] = field(default_factory=dict)
    number: int | None = None
    wbs: str | None = None
    parent: _Ref | None = None
    predecessors: list[_Ref] | None = None
    task: Task | None = None  # the task it updates (or, once applied, the task it created)


class _Problems:
    """Problems collected while reading, each rendered in the project's language."""

    def __init__(self, env: Env) -> None:
        self.env, self.items = env, list[Problem]()

    def add(self, row: int, column: str, code: str, /, **detail: Any) -> None:
        self.items.append(Problem(row, column, self.env.t(code, **detail)))

    def refuse_if_any(self) -> None:
        if self.items:
            raise ImportRefused(self.items)


# --- reading -------------------------------------------------------------------------------------


def column_of(header: str) -> str | None:
    """The canonical column a header names, or None."""
    key = norm(header)
    for column, aliases in COLUMNS.items():
        if key == column or key in (norm(a) for a in aliases):
            return column
    return None


def _columns(headers: Iterable[str], problems: _Problems) -> dict[str, str]:
    """Header -> canonical column, for the headers that are imported."""
    mapping: dict[str, str] = {}
    for header in headers:
        column = column_of(header)
        if column is None:
            problems.add(1, header, "import.unknown_column", column=header, columns=", ".join(COLUMNS))
        elif column in mapping.values():
            problems.add(1, header, "import.duplicate_column", column=header)
        else:
            mapping[header] = column
    if "title" not in mapping.values():
        problems.add(1, "title", "import.no_title_column")
    return mapping


def _reference(text: str) -> _Ref | None:
    match = _REFERENCE.fullmatch(norm(text))
    if match is None or not any(int(part) for part in match.group(2).split(".")):
        return None
    return _Ref(match.group(2), bool(match.group(1)), int(match.group(3) or 0))


def _references(row: _Row, column: str, value: str, problems: _Problems) -> list[_Ref]:
    refs: list[_Ref] = []
    for part in re.split(r"[,;，；、\s]+", value.strip()):
        ref = _reference(part) if part else None
        if part and ref is None:
            problems.add(row.line, column, "import.bad_reference", value=part)
        elif ref is not None:
            refs.append(ref)
    return refs


def _person(people: dict[str, Member], text: str) -> UserRef | None:
    """A member by id (`@alice`, `alice`, as the export writes them) or display name; else a
    single word names a new person, as `@name` does in a command."""
    name = text.strip().removeprefix("@").removeprefix("＠").strip()
    member = people.get(name) or people.get(norm(name))
    if member is not None:
        return UserRef(member.user_id, member.display_name)
    ref = mention(text.strip() if text.strip().startswith(("@", "＠", "<@")) else f"@{name}")
    return ref if ref is not None and not re.search(r"\s", ref.id) else None


def _people_index(env: Env) -> dict[str, Member]:
    """The workspace's members by user id and by normalised display name."""
    rows = list(env.session.exec(select(Member).where(Member.workspace_id == env.workspace_id)))
    index = {norm(m.display_name): m for m in rows if m.display_name}
    index.update({m.user_id: m for m in rows})
    return index


def _read_cell(env: Env, row: _Row, column: str, value: str, people: dict[str, Member], problems: _Problems) -> None:
    """One non-empty cell -> the row's option, number, WBS code or references."""
    try:
        if column == "number":
            row.number = parse_ref(value, "task", USAGE)
        elif column == "wbs":
            if not _WBS.fullmatch(norm(value)):
                problems.add(row.line, column, "import.bad_wbs", value=value)
            row.wbs = norm(value)
        elif column == "title":
            row.options["title"] = value
        elif column == "parent":
            refs = _references(row, column, value, problems)
            if len(refs) > 1:
                problems.add(row.line, column, "import.one_parent", value=value)
            row.parent = refs[0] if refs else None
        elif column == "predecessors":
            row.predecessors = _references(row, column, value, problems)
        elif column in _PEOPLE:
            names = [part.strip() for part in re.split(r"[,;，；、]", value) if part.strip()]
            users = [_person(people, name) for name in names]
            for name, user in zip(names, users, strict=True):
                if user is None:
                    problems.add(row.line, column, "import.unknown_person", value=name)
            if column in ("responsible", "accountable") and len(users) > 1:
                problems.add(row.line, column, "error.one_user", key=column, value=value)
            row.options[column] = users[0] if column in ("responsible", "accountable") else tuple(users)
        elif column in _DATES:
            resolve_due(env, value, USAGE)  # refused here, with its row and column, not half-way
            row.options[column] = value
        else:
            row.options[column] = coerce(column, value, _OPTIONS[column], USAGE)
        if column in row.options:  # lengths of text and user ids, as for a typed option
            check_command(Command("task", "update", options={column: row.options[column]}))
    except (ParseError, UserError) as exc:
        problems.add(row.line, column, exc.code, **exc.detail)


def _read(env: Env, table: Sequence[Mapping[str, str]], problems: _Problems) -> list[_Row]:
    if not table:
        problems.add(2, "", "import.no_rows")
        return []
    headers = list(dict.fromkeys(h for record in table for h in record))
    columns = _columns(headers, problems)
    people = _people_index(env)
    rows = []
    for line, record in enumerate(table, start=2):
        values = {columns[h]: (v or "").strip() for h, v in record.items() if h in columns}
        if not any(values.values()):
            continue  # a blank line
        row = _Row(line, values)
        for column, value in values.items():
            if value:
                _read_cell(env, row, column, value, people, problems)
            elif column in _CLEARABLE:
                row.options[column] = None
            elif column == "title":
                problems.add(line, column, "error.missing_title")
        if "predecessors" in values and not values["predecessors"]:
            row.predecessors = []
        rows.append(row)
    if not rows and not problems.items:
        problems.add(2, "", "import.no_rows")  # only blank lines
    return rows


# --- matching and resolving ----------------------------------------------------------------------


def wbs_codes(tasks: Sequence[Task]) -> dict[str, Task]:
    """The project's tasks by WBS code: top-level tasks 1, 2, 3 in number order, sub-tasks 1.1 ..."""
    children: dict[int | None, list[Task]] = {}
    ids = {t.id for t in tasks}
    for task in sorted(tasks, key=lambda t: t.number):
        children.setdefault(task.parent_id if task.parent_id in ids else None, []).append(task)
    codes: dict[str, Task] = {}

    def walk(parent: int | None, prefix: str) -> None:
        for i, task in enumerate(children.get(parent, []), start=1):
            codes[prefix + str(i)] = task
            walk(task.id, f"{prefix}{i}.")

    walk(None, "")
    return codes


def _index(rows: list[_Row], column: str, keys: Mapping[int, _K | None], problems: _Problems) -> dict[_K, _Row]:
    """The rows by their number or WBS code (`keys` by row); a key used twice is a problem."""
    index: dict[_K, _Row] = {}
    for row in rows:
        key = keys[row.line]
        if key is None:
            continue
        if key in index:
            problems.add(row.line, column, "import.duplicate_row", value=key, other=index[key].line)
        index[key] = row
    return index


class _Resolver:
    """Finds what a reference names: a row of the file first, then a task of the project."""

    def __init__(self, env: Env, rows: list[_Row], problems: _Problems) -> None:
        tasks = project_tasks(env)
        self.tasks = {t.number: t for t in tasks}
        self.codes = wbs_codes(tasks)
        self.by_number = _index(rows, "number", {r.line: r.number for r in rows}, problems)
        self.by_wbs = _index(rows, "wbs", {r.line: r.wbs for r in rows}, problems)
        self.wbs_in_use = bool(self.by_wbs)

    def match(self, row: _Row) -> Task | None:
        """The task a row updates, if any."""
        if row.number is not None:
            return self.tasks.get(row.number)
        return self.codes.get(row.wbs) if row.wbs is not None else None

    def find(self, ref: _Ref) -> _Row | Task | None:
        """A bare number is a WBS code when the file has one like it, else a task number."""
        if not ref.hash and (self.wbs_in_use or "." in ref.text):
            found: _Row | Task | None = self.by_wbs.get(ref.text) or self.codes.get(ref.text)
            if found is not None or "." in ref.text:
                return found
        number = int(ref.text)
        return self.by_number.get(number) or self.tasks.get(number)


def _resolve(env: Env, rows: list[_Row], problems: _Problems) -> None:
    """Match every row to the task it updates, and its parent and predecessors to rows or tasks."""
    resolver = _Resolver(env, rows, problems)
    matched: dict[int, int] = {}  # task number -> the row that updates it
    for row in rows:
        row.task = resolver.match(row)
        if row.task is not None:
            if row.task.number in matched:
                problems.add(
                    row.line, "", "import.same_task", ref=f"#{row.task.number}", other=matched[row.task.number]
                )
            matched[row.task.number] = row.line
        if row.task is not None and "milestone" in row.options and row.options["milestone"] != row.task.milestone:
            problems.add(row.line, "milestone", "import.milestone_change", ref=f"#{row.task.number}")
        if row.parent is None and row.wbs is not None and "." in row.wbs and "parent" not in row.values:
            row.parent = _Ref(row.wbs.rsplit(".", 1)[0], False)
        for column, refs in (("parent", [row.parent] if row.parent else []), ("predecessors", row.predecessors or [])):
            for ref in refs:
                target = resolver.find(ref)
                if target is None:
                    shown = ref.text if "." in ref.text else f"#{ref.text}"
                    problems.add(row.line, column, "import.no_reference", ref=shown)
                ref.target = target


# --- applying ------------------------------------------------------------------------------------


def _number(ref: _Ref) -> int:
    task = ref.target.task if isinstance(ref.target, _Row) else ref.target
    assert task is not None, "every reference is resolved and every row has its task before linking"
    return task.number


def _fields(row: _Row) -> dict[str, Any]:
    """The `/task update` options of a row, with its references as task numbers."""
    options = {k: v for k, v in row.options.items() if k not in ("milestone", "parent", "predecessors")}
    if row.parent is not None:
        options["parent"] = _number(row.parent)
    elif "parent" in row.values or row.wbs is not None:
        options["parent"] = None  # an empty parent cell, or a top-level WBS code
    if row.predecessors is not None:
        options["after"] = tuple(Dependency(_number(ref), ref.lag) for ref in row.predecessors) or None
    return options


def _refusal(env: Env, row: _Row, exc: UserError | ParseError) -> ImportRefused:
    column = _COLUMN_OF_ERROR.get(exc.code, "")
    return ImportRefused([Problem(row.line, column, env.t(exc.code, **exc.detail))])


def _create(env: Env, row: _Row) -> Task:
    """A new task with the row's title (its other fields are set with everyone else's)."""
    command = Command("task", "add", words=(row.options["title"],))
    check_command(command)
    return new_task(env, command, "task.add", milestone=bool(row.options.get("milestone")))


def _cycle_row(rows: list[_Row], exc: UserError) -> _Row:
    """The first row (in file order) of a task in the loop the plan check named."""
    numbers = {int(n) for n in re.findall(r"#(\d+)", str(exc.detail.get("cycle", "")))}
    return next((row for row in rows if row.task is not None and row.task.number in numbers), rows[-1])


def _changed_columns(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    """The columns whose fields differ, in the documented column order."""
    changed = {_COLUMN_OF_FIELD.get(k, k) for k in after if after[k] != before.get(k)}
    return tuple(column for column in COLUMNS if column in changed)


def _apply(env: Env, rows: list[_Row]) -> list[Change]:
    """Create the new tasks, then set every row's fields through `/task update`."""
    before = {row.line: task_snapshot(env, row.task) for row in rows if row.task is not None}
    changes = []
    current = rows[0]
    try:
        for row in rows:
            if row.task is None:
                current = row
                row.task = _create(env, row)
        for row in rows:
            current, task = row, row.task
            assert task is not None
            command = Command("task", "update", refs=(task.number,), options=_fields(row))
            check_command(command)
            edit_task(env, task, command, USAGE, check_plan=False)  # the plan is checked once, below
            if row.line not in before:
                changes.append(Change(row.line, "create", task.number, task.title))
                continue
            changed = _changed_columns(before[row.line], task_snapshot(env, task))
            changes.append(Change(row.line, "update" if changed else "unchanged", task.number, task.title, changed))
    except (UserError, ParseError) as exc:
        raise _refusal(env, current, exc) from None
    try:
        check_plan(env, USAGE)
    except UserError as exc:
        raise _refusal(env, _cycle_row(rows, exc), exc) from None
    return changes


def import_tasks(env: Env, table: Sequence[Mapping[str, str]]) -> list[Change]:
    """Apply the rows (header -> cell text) to the env's project in its session, or raise
    ImportRefused naming every problem; the caller commits, or rolls back on a refusal or a
    dry run."""
    problems = _Problems(env)
    rows = _read(env, table, problems)
    problems.refuse_if_any()
    _resolve(env, rows, problems)
    problems.refuse_if_any()
    return _apply(env, rows)


# --- what to tell the user -----------------------------------------------------------------------


def problems_text(problems: Sequence[Problem], locale: str) -> str:
    """One line per problem: `row 7, column predecessors: #12 is not in the file or the project.`"""
    lines = []
    for p in problems:
        key = "import.at_cell" if p.column else "import.at_row"
        lines.append(i18n.t(key, locale, row=p.row, column=p.column, text=p.text))
    return "\n".join([*lines, i18n.t("import.usage", locale, columns=", ".join(COLUMNS))])


def summary_text(changes: Sequence[Change], locale: str, *, dry_run: bool) -> str:
    """What the import creates and changes, a line per row, and the totals."""
    lines = []
    for c in changes:
        fields = ", ".join(c.fields)
        lines.append(i18n.t(f"import.{c.action}", locale, row=c.row, ref=f"#{c.number}", title=c.title, fields=fields))
    counts = {action: sum(1 for c in changes if c.action == action) for action in ("create", "update", "unchanged")}
    lines.append(i18n.t("import.dry_run" if dry_run else "import.applied", locale, **counts))
    return "\n".join(lines)
