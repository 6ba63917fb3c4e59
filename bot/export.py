"""Stable exports of tasks, risks, standups and retros as JSON, CSV or Markdown.

Used by `pmbot export {tasks|risks|standups|retros|milestones} --format {json|csv|md} [--project NAME]
[--workspace ID]` and meant for reports and knowledge bases, so the output is a contract:

* `rows(session, kind, project)` gives the records as plain dicts with a fixed set of
  fields (see `FIELDS`), in a stable order: project name, then task/risk/retro number or
  standup day. Every record names its workspace (`workspace`, `platform:id`, e.g.
  `slack:T123`) and its project (`project`). People are platform user ids.
* Dates that mean a local calendar day (date-only dues, review dates, standup days) are
  `YYYY-MM-DD`. A due with a time is ISO 8601 in the project's time zone
  (`2026-12-01T17:00:00+08:00`). Instants (`created_at`, `closed_at`, ...) are ISO 8601
  in UTC with an explicit offset (`+00:00`). Missing values are null (empty in CSV).
* JSON is a list of those records (`ensure_ascii=False`, indented by 2).
* CSV has a header row of the field names, lists joined with ";", booleans as
  true/false. Retros are flattened to one row per item (a retro with no items still
  gets one row with empty item columns). **Formula injection guard:** a text cell that
  starts with `=`, `+`, `-`, `@` (or a tab / carriage return) gets a leading apostrophe,
  so spreadsheet programs show it as text instead of evaluating it. Numbers are not
  touched. Consumers that need the raw text should read the JSON export instead.
* Markdown is a human-readable document. User text is escaped (`|`, markdown
  punctuation, `<`/`>`; line breaks become `<br>`) so it cannot break a table or inject
  markup.

Output is deterministic (no export timestamp, sorted in Python so SQLite and PostgreSQL
agree), has no trailing whitespace on any line and ends with one newline.

Projects are selected by `Project.name` and/or workspace (`platform:id` or the bare id).
Names are unique per workspace only: a name that several selected workspaces use is refused
with the candidates listed, so same-named projects are never merged silently.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from handlers.planning import Plan, load_plan
from storage.database import Database
from storage.models import Project, Retro, RetroItem, Risk, StandupEntry, StandupRun, Task, Workspace

__all__ = ["FIELDS", "FORMATS", "KINDS", "ExportError", "export", "one_project", "rows"]

KINDS = ("tasks", "risks", "standups", "retros", "milestones")
FORMATS = ("json", "csv", "md")

# The plan of each task (handlers.planning), computed for the export's day in the project's zone.
PLAN_FIELDS = (
    "start",
    "duration_days",
    "depends_on",
    "progress",
    "milestone",
    "baseline_start",
    "baseline_finish",
    "early_start",
    "early_finish",
    "late_start",
    "late_finish",
    "total_float",
    "critical",
    "forecast_finish",
)
FIELDS: dict[str, tuple[str, ...]] = {
    "tasks": (
        "workspace",
        "project",
        "number",
        "title",
        "status",
        "priority",
        "due",
        "responsible",
        "accountable",
        "consulted",
        "informed",
        "parent",
        "created_at",
        "closed_at",
        *PLAN_FIELDS,
    ),
    "milestones": (
        "workspace",
        "project",
        "number",
        "title",
        "status",
        "date",
        "forecast",
        "baseline",
        "responsible",
        "accountable",
    ),
    "risks": (
        "workspace",
        "project",
        "number",
        "title",
        "category",
        "probability",
        "impact",
        "score",
        "level",
        "strategy",
        "owner",
        "status",
        "review_date",
        "mitigation",
        "contingency",
    ),
    "standups": ("workspace", "project", "date", "user", "yesterday", "today", "blockers", "late", "updated_at"),
    "retros": ("workspace", "project", "number", "title", "status", "started_by", "started_at", "closed_at", "items"),
}
RETRO_ITEM_FIELDS = ("kind", "text", "author")
# The CSV of retros has one row per item.
RETRO_CSV_FIELDS = ("workspace", "project", "number", "title", "status", "kind", "text", "author")

RETRO_KINDS = ("well", "bad", "improve")
_RETRO_HEADINGS = {"well": "Went well", "bad": "Did not go well", "improve": "To improve"}


class ExportError(ValueError):
    """The export cannot be made as asked (unknown project, kind or format)."""


# --- selection ----------------------------------------------------------------------------


def _normalise_name(name: str) -> str:
    return " ".join(name.split())


class _Selected:
    """The chosen projects in output order, with lookups by id."""

    def __init__(self, projects: list[Project], workspaces: dict[int, Workspace], today: date | None = None) -> None:
        def key(p: Project) -> tuple:
            ws = workspaces.get(p.workspace_id)
            return (p.name, ws.platform if ws else "", ws.external_id if ws else "", p.id)

        self.projects = sorted(projects, key=key)
        self.order = {p.id: i for i, p in enumerate(self.projects)}
        self.by_id = {p.id: p for p in self.projects}
        self.workspaces = workspaces
        self.today = today  # the day plans are computed for; None: each project's local today
        counts = Counter(p.name for p in self.projects)
        self.shared_names = {name for name, n in counts.items() if n > 1}

    @property
    def ids(self) -> list[int]:
        return [p.id for p in self.projects]

    def workspace(self, project: Project) -> str:
        """The project's workspace as `platform:id`, the form `--workspace` accepts."""
        return _workspace_id(self.workspaces.get(project.workspace_id))

    def label(self, project: Project) -> str:
        """The project's name, qualified by its workspace when the name is not unique."""
        if project.name not in self.shared_names:
            return project.name
        return f"{project.name} (workspace {self.workspace(project)})"


def _workspace_id(ws: Workspace | None) -> str:
    return f"{ws.platform}:{ws.external_id}" if ws is not None else ""


def _in_workspace(ws: Workspace | None, wanted: str) -> bool:
    """`--workspace` matches `platform:id` or the bare id."""
    return ws is not None and wanted in (_workspace_id(ws), ws.external_id)


def _select(
    session: Session, project: str | None, workspace: str | None = None, today: date | None = None
) -> _Selected:
    workspaces = {w.id: w for w in session.exec(select(Workspace))}
    everything = list(session.exec(select(Project)))
    chosen = everything
    if workspace is not None:
        chosen = [p for p in chosen if _in_workspace(workspaces.get(p.workspace_id), workspace.strip())]
        if not chosen:
            known = ", ".join(sorted({_workspace_id(w) for w in workspaces.values()})) or "none"
            raise ExportError(f'no project in workspace "{workspace}"; workspaces with projects: {known}')
    if project is None:
        return _Selected(chosen, workspaces, today)
    wanted = _normalise_name(project)
    named = [p for p in chosen if p.name == wanted]
    if not named:
        names = sorted({p.name for p in chosen})
        known = ", ".join(f'"{n}"' for n in names) if names else "none"
        raise ExportError(f'no project named "{project}"; existing projects: {known}')
    if len(named) > 1:
        where = ", ".join(sorted(_workspace_id(workspaces.get(p.workspace_id)) for p in named))
        raise ExportError(
            f'{len(named)} projects are named "{project}" (workspaces {where}); choose one with --workspace'
        )
    return _Selected(named, workspaces, today)


def one_project(session: Session, name: str, workspace: str | None = None) -> Project:
    """The project named `name` (in `workspace`), chosen by the rules of `--project`/`--workspace`."""
    return _select(session, name, workspace).projects[0]


# --- values -------------------------------------------------------------------------------


def _instant(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _zone(project: Project) -> ZoneInfo | timezone:
    try:
        return ZoneInfo(project.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _due(task: Task, project: Project) -> str | None:
    if task.due_at is not None:
        return task.due_at.astimezone(_zone(project)).isoformat()
    return _day(task.due_date)


# --- records ------------------------------------------------------------------------------

Pairs = list[tuple[Project, dict[str, Any]]]


def _plans(session: Session, sel: _Selected) -> dict[int, Plan]:
    """Each selected project's plan, computed for its local today (or the export's `today`)."""
    return {p.id: load_plan(session, p, sel.today or datetime.now(_zone(p)).date()) for p in sel.projects}


def _plan_record(plan: Plan, number: int) -> dict[str, Any]:
    """The plan fields of one task; the computed ones are null for a cancelled task."""
    task, sched, row = plan.tasks[number], plan.schedule.tasks.get(number), plan.planned.get(number)
    return {
        "start": _day(task.start_date),
        "duration_days": task.duration_days,
        "depends_on": [d.predecessor for d in plan.after.get(number, ())],
        "progress": task.progress,
        "milestone": bool(task.milestone),
        "baseline_start": _day(row.planned_start) if row else None,
        "baseline_finish": _day(row.planned_finish) if row else None,
        "early_start": _day(sched.early_start) if sched else None,
        "early_finish": _day(sched.early_finish) if sched else None,
        "late_start": _day(sched.late_start) if sched else None,
        "late_finish": _day(sched.late_finish) if sched else None,
        "total_float": sched.total_float if sched else None,
        "critical": sched.critical if sched else False,
        "forecast_finish": _day(sched.early_finish) if sched else None,
    }


def _milestones(session: Session, sel: _Selected) -> Pairs:
    out = []
    plans = _plans(session, sel)
    for project in sel.projects:
        plan = plans[project.id]
        for number, task in plan.tasks.items():
            if not task.milestone:
                continue
            record = _plan_record(plan, number)
            out.append(
                (
                    project,
                    {
                        "project": project.name,
                        "number": number,
                        "title": task.title,
                        "status": task.status,
                        "date": _day(task.due_date),
                        "forecast": record["forecast_finish"],
                        "baseline": record["baseline_finish"],
                        "responsible": task.responsible,
                        "accountable": task.accountable,
                    },
                )
            )
    return out


def _tasks(session: Session, sel: _Selected) -> Pairs:
    if not sel.ids:
        return []
    tasks = list(session.exec(select(Task).where(Task.project_id.in_(sel.ids))))
    numbers = {t.id: t.number for t in tasks}
    plans = _plans(session, sel)
    tasks.sort(key=lambda t: (sel.order[t.project_id], t.number, t.id))
    out = []
    for t in tasks:
        project = sel.by_id[t.project_id]
        parent = None
        if t.parent_id is not None:
            parent = numbers.get(t.parent_id)
            if parent is None:  # not expected: parents live in the same project
                row = session.get(Task, t.parent_id)
                parent = row.number if row is not None else None
        out.append(
            (
                project,
                {
                    "project": project.name,
                    "number": t.number,
                    "title": t.title,
                    "status": t.status,
                    "priority": t.priority,
                    "due": _due(t, project),
                    "responsible": t.responsible,
                    "accountable": t.accountable,
                    "consulted": list(t.consulted or []),
                    "informed": list(t.informed or []),
                    "parent": parent,
                    "created_at": _instant(t.created_at),
                    "closed_at": _instant(t.closed_at),
                    **_plan_record(plans[t.project_id], t.number),
                },
            )
        )
    return out


def _risks(session: Session, sel: _Selected) -> Pairs:
    if not sel.ids:
        return []
    risks = list(session.exec(select(Risk).where(Risk.project_id.in_(sel.ids))))
    risks.sort(key=lambda r: (sel.order[r.project_id], r.number, r.id))
    return [
        (
            sel.by_id[r.project_id],
            {
                "project": sel.by_id[r.project_id].name,
                "number": r.number,
                "title": r.title,
                "category": r.category,
                "probability": r.probability,
                "impact": r.impact,
                "score": r.score,
                "level": r.level,
                "strategy": r.strategy,
                "owner": r.owner,
                "status": r.status,
                "review_date": _day(r.review_date),
                "mitigation": r.mitigation,
                "contingency": r.contingency,
            },
        )
        for r in risks
    ]


def _standups(session: Session, sel: _Selected) -> Pairs:
    if not sel.ids:
        return []
    pairs = list(
        session.exec(
            select(StandupEntry, StandupRun)
            .join(StandupRun, StandupEntry.run_id == StandupRun.id)
            .where(StandupRun.project_id.in_(sel.ids))
        )
    )
    pairs.sort(key=lambda er: (sel.order[er[1].project_id], er[1].day, er[0].id))
    return [
        (
            sel.by_id[run.project_id],
            {
                "project": sel.by_id[run.project_id].name,
                "date": _day(run.day),
                "user": entry.user_id,
                "yesterday": entry.yesterday,
                "today": entry.today,
                "blockers": entry.blockers,
                "late": bool(entry.late),
                "updated_at": _instant(entry.updated_at),
            },
        )
        for entry, run in pairs
    ]


def _retros(session: Session, sel: _Selected) -> Pairs:
    if not sel.ids:
        return []
    retros = list(session.exec(select(Retro).where(Retro.project_id.in_(sel.ids))))
    retros.sort(key=lambda r: (sel.order[r.project_id], r.number, r.id))
    items: dict[int, list[RetroItem]] = {r.id: [] for r in retros}
    if retros:
        for item in session.exec(select(RetroItem).where(RetroItem.retro_id.in_(list(items)))):
            items[item.retro_id].append(item)
    return [
        (
            sel.by_id[r.project_id],
            {
                "project": sel.by_id[r.project_id].name,
                "number": r.number,
                "title": r.title,
                "status": r.status,
                "started_by": r.started_by,
                "started_at": _instant(r.started_at),
                "closed_at": _instant(r.closed_at),
                "items": [
                    {"kind": i.kind, "text": i.text, "author": i.author}
                    for i in sorted(items[r.id], key=lambda i: i.id)
                ],
            },
        )
        for r in retros
    ]


_BUILDERS: dict[str, Callable[[Session, _Selected], Pairs]] = {
    "tasks": _tasks,
    "risks": _risks,
    "standups": _standups,
    "retros": _retros,
    "milestones": _milestones,
}


def _check(kind: str, fmt: str | None = None) -> None:
    if kind not in KINDS:
        raise ExportError(f'unknown export kind "{kind}"; choose one of: {", ".join(KINDS)}')
    if fmt is not None and fmt not in FORMATS:
        raise ExportError(f'unknown export format "{fmt}"; choose one of: {", ".join(FORMATS)}')


def _pairs(session: Session, kind: str, sel: _Selected) -> Pairs:
    """The records of `kind` for the selection, each led by its workspace (one rule for all kinds)."""
    return [(p, {"workspace": sel.workspace(p), **rec}) for p, rec in _BUILDERS[kind](session, sel)]


def rows(
    session: Session,
    kind: str,
    project: str | None = None,
    workspace: str | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """The records of `kind` for one project (by name), one workspace, or everything, in stable order.
    Plans are computed for `today` (None: each project's local today)."""
    _check(kind)
    return [rec for _, rec in _pairs(session, kind, _select(session, project, workspace, today))]


def export(
    db: Database,
    kind: str,
    fmt: str,
    project: str | None = None,
    workspace: str | None = None,
    today: date | None = None,
) -> str:
    """The export of `kind` in format `fmt` ("json", "csv" or "md") as one string."""
    _check(kind, fmt)
    with db.session() as session:
        sel = _select(session, project, workspace, today)
        pairs = _pairs(session, kind, sel)
    records = [rec for _, rec in pairs]
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        return _csv(kind, records)
    groups: dict[int, list[dict[str, Any]]] = {p.id: [] for p in sel.projects}
    for proj, rec in pairs:
        groups[proj.id].append(rec)
    return _MARKDOWN[kind](sel, [(p, groups[p.id]) for p in sel.projects])


# --- CSV ----------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(kind: str, records: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if kind == "retros":
        writer.writerow(RETRO_CSV_FIELDS)
        for rec in records:
            head = [rec["workspace"], rec["project"], rec["number"], rec["title"], rec["status"]]
            items = rec["items"] or [{"kind": None, "text": None, "author": None}]
            for item in items:
                writer.writerow([_csv_cell(v) for v in (*head, *(item[k] for k in RETRO_ITEM_FIELDS))])
    else:
        fields = FIELDS[kind]
        writer.writerow(fields)
        for rec in records:
            writer.writerow([_csv_cell(rec[f]) for f in fields])
    return buf.getvalue()


# --- Markdown -----------------------------------------------------------------------------

_MD_PUNCT = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^(?:[#+\-=]|\d+(?=[.)]))")

Groups = list[tuple[Project, list[dict[str, Any]]]]


def _escape_marker(m: re.Match[str]) -> str:
    """`# x` -> `\\# x`; `1. x` -> `1\\. x` (the `.` after the digits is what counts)."""
    return m.group(0) + "\\" if m.group(0)[0].isdigit() else "\\" + m.group(0)


def md_text(value: Any) -> str:
    """User text made safe for one line or one table cell of Markdown.

    Escapes `|` and the inline markup characters with a backslash, `<`/`>` as entities,
    a block marker at the start of a line (`#`, `-`, `+`, `=`, `1.`), and joins lines
    with `<br>` so a multi-line answer stays inside its cell or bullet.
    """
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _MD_PUNCT.sub(r"\\\1", text)
    lines = [line.strip() for line in text.split("\n")]
    lines = [_MD_LINE_START.sub(_escape_marker, line).replace("<", "&lt;").replace(">", "&gt;") for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "<br>".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(md_text(v) for v in value)
    return md_text(value)


def _table(headers: Iterable[str], body: Iterable[Iterable[str]]) -> list[str]:
    headers = list(headers)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return lines


def _document(title: str, blocks: list[list[str]], empty: str) -> str:
    lines = [f"# {title}"]
    for block in blocks or [[empty]]:
        lines.append("")
        lines.extend(block)
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _project_heading(sel: _Selected, project: Project) -> list[str]:
    # Time zone names are validated on input (letters, digits, _+-/): safe in a code span.
    return [f"## {md_text(sel.label(project))}", "", f"Time zone: `{project.timezone.replace('`', '')}`"]


def _md_due(due: str | None) -> str:
    """`2026-11-27` stays; `2026-12-01T17:00:00+08:00` reads `2026-12-01 17:00`."""
    if due is None or "T" not in due:
        return due or ""
    return datetime.fromisoformat(due).strftime("%Y-%m-%d %H:%M")


def _local_day(instant: str | None, project: Project) -> str:
    """The project's local calendar day of an exported UTC instant."""
    if not instant:
        return "?"
    return datetime.fromisoformat(instant).astimezone(_zone(project)).date().isoformat()


def _md_tasks(sel: _Selected, groups: Groups) -> str:
    blocks = []
    for project, recs in groups:
        block = [*_project_heading(sel, project), ""]
        if recs:
            block += _table(
                ("Number", "Title", "Status", "Priority", "Due", "R", "A", "C", "I", "Parent"),
                (
                    (
                        f"#{r['number']}",
                        _cell(r["title"]),
                        r["status"],
                        r["priority"],
                        _md_due(r["due"]),
                        _cell(r["responsible"]),
                        _cell(r["accountable"]),
                        _cell(r["consulted"]),
                        _cell(r["informed"]),
                        f"#{r['parent']}" if r["parent"] is not None else "",
                    )
                    for r in recs
                ),
            )
        else:
            block.append("_No tasks._")
        blocks.append(block)
    return _document("Tasks", blocks, "_No projects._")


def _md_risks(sel: _Selected, groups: Groups) -> str:
    blocks = []
    for project, recs in groups:
        block = [f"## {md_text(sel.label(project))}", ""]
        if recs:
            ranked = sorted(recs, key=lambda r: (-r["score"], -r["impact"], r["number"]))
            block += _table(
                (
                    "Number",
                    "Title",
                    "Category",
                    "P",
                    "I",
                    "Score",
                    "Level",
                    "Strategy",
                    "Owner",
                    "Status",
                    "Review",
                    "Mitigation",
                    "Contingency",
                ),
                (
                    (
                        f"R{r['number']}",
                        _cell(r["title"]),
                        r["category"],
                        str(r["probability"]),
                        str(r["impact"]),
                        str(r["score"]),
                        r["level"],
                        r["strategy"],
                        _cell(r["owner"]),
                        r["status"],
                        r["review_date"] or "",
                        _cell(r["mitigation"]),
                        _cell(r["contingency"]),
                    )
                    for r in ranked
                ),
            )
        else:
            block.append("_No risks._")
        blocks.append(block)
    return _document("Risks", blocks, "_No projects._")


def _md_standups(sel: _Selected, groups: Groups) -> str:
    blocks = []
    for project, recs in groups:
        block = [f"## {md_text(sel.label(project))}"]
        if not recs:
            block += ["", "_No standup check-ins._"]
        day = None
        for r in recs:
            if r["date"] != day:
                day = r["date"]
                block += ["", f"### {day}"]
            late = " (late)" if r["late"] else ""
            block += [
                "",
                f"#### {md_text(r['user'])}{late}",
                "",
                f"- **Yesterday:** {md_text(r['yesterday']) or '—'}",
                f"- **Today:** {md_text(r['today']) or '—'}",
                f"- **Blockers:** {md_text(r['blockers']) or '—'}",
            ]
        blocks.append(block)
    return _document("Standups", blocks, "_No projects._")


def _md_retros(sel: _Selected, groups: Groups) -> str:
    blocks = []
    for project, recs in groups:
        for r in recs:
            title = md_text(r["title"]) or "Untitled"
            status = (
                f"Status: {r['status']} · started {_local_day(r['started_at'], project)} by {md_text(r['started_by'])}"
            )
            if r["closed_at"]:
                status += f" · closed {_local_day(r['closed_at'], project)}"
            block = [f"## Retro #{r['number']} — {title} ({md_text(sel.label(project))})", "", status]
            kinds = list(RETRO_KINDS) + sorted({i["kind"] for i in r["items"]} - set(RETRO_KINDS))
            for kind in kinds:
                items = [i for i in r["items"] if i["kind"] == kind]
                block += ["", f"### {_RETRO_HEADINGS.get(kind, md_text(kind))}", ""]
                block += [f"- {md_text(i['text'])} — {md_text(i['author'])}" for i in items] or ["_None._"]
            blocks.append(block)
    return _document("Retros", blocks, "_No retros._")


def _md_milestones(sel: _Selected, groups: Groups) -> str:
    blocks = []
    for project, recs in groups:
        block = [f"## {md_text(sel.label(project))}", ""]
        if recs:
            block += _table(
                ("Number", "Title", "Status", "Date", "Forecast", "Baseline", "A"),
                (
                    (
                        f"#{r['number']}",
                        _cell(r["title"]),
                        r["status"],
                        r["date"] or "",
                        r["forecast"] or "",
                        r["baseline"] or "",
                        _cell(r["accountable"]),
                    )
                    for r in recs
                ),
            )
        else:
            block.append("_No milestones._")
        blocks.append(block)
    return _document("Milestones", blocks, "_No projects._")


_MARKDOWN: dict[str, Callable[[_Selected, Groups], str]] = {
    "tasks": _md_tasks,
    "risks": _md_risks,
    "standups": _md_standups,
    "retros": _md_retros,
    "milestones": _md_milestones,
}
