"""Tasks: the work-breakdown tree, RACI roles, status, priority and due dates."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, not_, or_, update
from sqlmodel import col, select

from handlers import permissions, planning
from handlers.calendar import Calendar
from handlers.command import Command, UserRef
from handlers.dates import DateParseError, Due, parse_due, parse_duration
from handlers.env import Env, UserError, about, snapshot
from handlers.forms import task_form
from handlers.grammar import TASK_FIELDS, TASK_STATUSES, TITLE, Opt, command
from handlers.planning import plan_fields
from handlers.replies import Button, Card, Reply, Table, mention
from handlers.views import (
    OPEN_STATUSES,
    STATUS_ICONS,
    due_end,
    is_overdue,
    list_card,
    past_date_notice,
    task_card,
    task_due,
    task_line,
)
from storage.models import TASK_IS_OPEN, Project, Task

# --- lookups ----------------------------------------------------------------------------


def get_task(env: Env, number: int, usage: str = "task.show") -> Task:
    task = env.session.exec(select(Task).where(Task.project_id == env.project_id, Task.number == number)).first()
    if task is None:
        raise UserError("error.no_task", usage, ref=f"#{number}")
    return task


def project_tasks(env: Env) -> list[Task]:
    return list(env.session.exec(select(Task).where(Task.project_id == env.project_id).order_by(col(Task.number))))


# --- indexed scans: what reports and the scheduler read, without loading every task ---------


def open_tasks_due(env: Env, through: date, since: date | None = None) -> list[Task]:
    """The project's open tasks due on a local day from `since` through `through`, by number: a
    range scan of the open-due index, so its cost follows the open dated work, not all tasks."""
    query = _open_due(env, col(Task.due_date) <= through)
    if since is not None:
        query = query.where(col(Task.due_date) >= since)
    return list(env.session.exec(query.order_by(col(Task.number))))


def _open_due(env: Env, *where: Any) -> Any:
    return select(Task).where(Task.project_id == env.project_id, TASK_IS_OPEN, *where)


# A due day more than this before today is past in every time zone, whatever its due time.
OVERDUE_SETTLED = timedelta(days=2)


def _is_overdue(env: Env) -> Any:
    """`views.is_overdue` in SQL for open tasks: past the due time, or a due day before today. The
    due-day bound (two days' slack for a time zone changed since) keeps it a range of the index."""
    past = or_(
        and_(col(Task.due_at).is_not(None), col(Task.due_at) <= env.now),
        and_(col(Task.due_at).is_(None), col(Task.due_date) < env.today),
    )
    return and_(col(Task.due_date) <= env.today + timedelta(days=2), past)


def overdue_tasks(env: Env) -> list[Task]:
    """Open tasks past their due, by number."""
    return list(env.session.exec(_open_due(env, _is_overdue(env)).order_by(Task.number)))


def count_and_first(env: Env, *, overdue: bool, limit: int, through: date | None = None) -> tuple[int, list[Task]]:
    """How many open tasks are (or, due through `through`, are not yet) overdue, and the first
    `limit` of them by number: what a report shows, counted in the database, only those loaded."""
    rule = _is_overdue(env) if overdue else and_(col(Task.due_date) <= through, not_(_is_overdue(env)))
    query = _open_due(env, rule)
    if overdue:  # a due day this long past is overdue whatever its time: counted from the index alone
        settled = env.today - OVERDUE_SETTLED
        count = _count(env, _open_due(env, col(Task.due_date) < settled))
        count += _count(env, query.where(col(Task.due_date) >= settled))
    else:
        count = _count(env, query)
    return count, list(env.session.exec(query.order_by(Task.number).limit(limit)))


def _count(env: Env, query: Any) -> int:
    total: int = env.session.exec(select(func.count()).select_from(query.subquery())).one()
    return total


def tasks_in_status(env: Env, status: str, closed_since: datetime | None = None) -> list[Task]:
    """The project's tasks in one status (closed since an instant, if given), by number."""
    query = select(Task).where(Task.project_id == env.project_id, Task.status == status)
    if closed_since is not None:
        query = query.where(col(Task.closed_at) >= closed_since)
    return list(env.session.exec(query.order_by(col(Task.number))))


def status_counts(env: Env) -> dict[str, int]:
    """How many of the project's tasks are in each status (counted in the database)."""
    rows = env.session.exec(
        select(Task.status, func.count()).where(Task.project_id == env.project_id).group_by(Task.status)
    )
    return {status: count for status, count in rows}


def next_number(env: Env, column: str) -> int:
    """Take the project's next number for tasks/risks/retros atomically (safe on PostgreSQL)."""
    counter = getattr(Project, column)
    number: int = (
        env.session.execute(
            update(Project).where(col(Project.id) == env.project_id).values({column: counter + 1}).returning(counter)
        ).scalar_one()
        - 1
    )
    env.session.expire(env.project, [column])
    return number


# --- option handling --------------------------------------------------------------------


def resolve_due(env: Env, value: str, usage: str, current: Due | None = None, *, start: date | None = None) -> Due:
    """A due from text on the project's working calendar: a date phrase, an instant with a UTC
    offset (what date-time pickers submit), or `+1d`/`+3h` pushing `current` later, as the
    Snooze button does. `start`: the start of the range this date ends."""
    if value.startswith("+"):
        return _push(env, value, usage, current)
    instant = _instant(value)
    if instant is not None:
        local = instant.astimezone(env.tz)
        return Due(local.date(), local.time().replace(second=0, microsecond=0, tzinfo=None))
    try:
        return parse_due(value, env.now, env.tz, Calendar.of(env.project), start=start)
    except DateParseError as exc:
        raise exc.user_error(usage) from None


_INSTANT = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2})?\s*(Z|[+-]\d{2}:?\d{2})$")


def _instant(value: str) -> datetime | None:
    """`2026-12-01T17:00+08:00` or Feishu's `2026-12-01 17:00 +0800`; None for anything else."""
    match = _INSTANT.match(value.strip())
    if match is None:
        return None
    offset = match.group(3).replace("Z", "+00:00")
    offset = offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"
    try:
        return datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}{offset}")
    except ValueError:
        return None


def _push(env: Env, value: str, usage: str, current: Due | None) -> Due:
    """Later by a duration: from the current due, or from now when there is none or it is overdue.

    Whole days land on a working day of the project's calendar (never a weekend or holiday) and
    keep the due's time of day; hours and minutes need a due with a time (or none at all).
    """
    try:
        delta = parse_duration(value[1:])
    except DateParseError:
        raise UserError("error.bad_date", usage, value=value) from None
    pending = None if current is None or current.end(env.tz) <= env.now else current  # None: from now
    if delta % timedelta(days=1):
        if current is not None and current.time is None:
            raise UserError("error.push_hours_on_date", usage, value=value)
        base = env.now if pending is None else pending.end(env.tz)  # timed here: the due instant
        moved = (base + delta).astimezone(env.tz)
        return Due(moved.date(), moved.time().replace(second=0, microsecond=0, tzinfo=None))
    day = (env.today if pending is None else pending.date) + delta
    return Due(Calendar.of(env.project).on_or_after(day), current.time if current else None)


def _utc(moment: datetime | None) -> datetime | None:
    """In UTC, as stored: the same instant compares and audits equal before and after saving."""
    return moment.astimezone(UTC) if moment else None


def _user(env: Env, ref: UserRef) -> str:
    env.ensure_member(ref.id, ref.name)
    return ref.id


def _check_parent(env: Env, task: Task | None, number: int, usage: str) -> Task:
    parent = get_task(env, number, usage)
    node: Task | None = parent
    while node is not None:
        if task is not None and node.id == task.id:
            raise UserError("error.parent_cycle", usage, ref=f"#{number}")
        node = env.session.get(Task, node.parent_id) if node.parent_id else None
    return parent


def _apply(env: Env, task: Task, cmd: Command, usage: str) -> None:
    """Apply the options shared by add and update."""
    opts = cmd.options
    if "title" in opts:
        task.title = title_of(opts["title"], usage)
    if "due" in opts:
        with about("due"):
            due = opts["due"] and resolve_due(env, opts["due"], usage, task_due(env, task))
        task.due_date, task.due_at = (due.date, _utc(due.as_datetime(env.tz))) if due else (None, None)
    if "priority" in opts:
        task.priority = opts["priority"]
    if "description" in opts:
        task.description = opts["description"] or ""
    if "link" in opts:
        task.source_link = opts["link"]
    for role in ("responsible", "accountable"):
        if role in opts:
            setattr(task, role, opts[role] and _user(env, opts[role]))
    for role in ("consulted", "informed"):
        if role in opts:
            setattr(task, role, [_user(env, r) for r in opts[role] or ()])
    if "parent" in opts:
        with about("parent"):
            task.parent_id = opts["parent"] and _check_parent(env, task if task.id else None, opts["parent"], usage).id
    if "start" in opts:
        with about("start"):
            task.start_date = opts["start"] and resolve_due(env, opts["start"], usage).date
    if "duration" in opts:
        task.duration_days = opts["duration"]
    if "status" in opts:
        _set_status(env, task, opts["status"])
    if "progress" in opts:
        with about("progress"):
            _set_progress(env, task, opts["progress"], opts.get("status"), usage)


def _apply_plan(env: Env, task: Task, cmd: Command, usage: str, *, check: bool = True) -> None:
    """Store the predecessors given and refuse a plan that no longer schedules (a loop through
    `after:` or `parent:`, named on `after` when it was given); run once the task has its number.
    `check=False`: the caller checks the plan once after a batch of changes (an import)."""
    with about("after" if "after" in cmd.options else "parent"):
        if "after" in cmd.options:
            planning.set_dependencies(env, task, cmd.options["after"], usage)
        if check and {"after", "parent"} & set(cmd.options):
            planning.check_plan(env, usage)


def _status_for(status: str, progress: int) -> str:
    """The status a progress implies, as in Jira and MS Project: 100% is done; work begun on a
    to-do task starts it; a done task set below 100% is open again."""
    if progress == 100:
        return "done"
    if status == "done":
        return "doing" if progress else "todo"
    return "doing" if status == "todo" and progress else status


def _set_progress(env: Env, task: Task, progress: int, status: str | None, usage: str) -> None:
    """`progress:` moves the status with it (100% is done); given together, they must agree."""
    if status is not None and _status_for(status, progress) != status:
        raise UserError("error.progress_status", usage, progress=progress, status=env.t(f"status.{status}"))
    task.progress = progress
    implied = _status_for(task.status, progress)
    if implied != task.status:
        _set_status(env, task, implied)


def title_of(text: str, usage: str) -> str:
    """A title with its spaces collapsed (its length is checked with every text, in handlers.limits)."""
    title = " ".join(text.split())
    if not title:
        raise UserError("error.missing_title", usage)
    return title


def _set_status(env: Env, task: Task, status: str) -> None:
    """One rule for every status change; progress follows: done is 100%, and a done task opened
    again has its remaining work unknown (0%) until someone says how far it is."""
    task.status = status
    task.closed_at = env.now if status in ("done", "cancelled") else None
    if status == "done":
        task.progress = 100
    elif task.progress == 100:
        task.progress = 0


def _reply_card(env: Env, task: Task, text: str = "") -> Reply:
    parent = env.session.get(Task, task.parent_id) if task.parent_id else None
    children = _children(env, task)
    card = task_card(env, task, parent, children)
    card.fields.extend(plan_fields(env, task))
    return Reply(text=text, cards=[card])


def task_snapshot(env: Env, task: Task) -> dict[str, Any]:
    """A task as audited and permission-checked: its fields and its predecessors."""
    return {**snapshot(task), "after": planning.dependencies_text(planning.predecessors_of(env, task))}


def _children(env: Env, task: Task) -> list[Task]:
    return list(
        env.session.exec(
            select(Task).where(Task.project_id == env.project_id, Task.parent_id == task.id).order_by(col(Task.number))
        )
    )


# --- actions ----------------------------------------------------------------------------


@command("task", "add", ("新建", "添加", "创建", "new", "create"), options=TASK_FIELDS, args="text", mentions=True)
def add(env: Env, cmd: Command) -> Reply:
    return create(env, cmd, "task.add")


def create(env: Env, cmd: Command, usage: str, *, milestone: bool = False) -> Reply:
    """A new task (or milestone) from a command's title, mention and options."""
    task = new_task(env, cmd, usage, milestone=milestone)
    created = "milestone.created" if milestone else "task.created"
    reply = _reply_card(env, task, env.t(created, ref=f"#{task.number}", user=mention(env.user)))
    reply.cards.extend(_past_due(env, task, None))
    return reply


def new_task(env: Env, cmd: Command, usage: str, *, milestone: bool = False, check_plan: bool = True) -> Task:
    """Store a new task (or milestone) from a command's title, mention and options, audited."""
    if len(cmd.mentions) > 1:
        raise UserError("error.one_responsible", usage)
    task = Task(
        workspace_id=env.workspace_id,
        project_id=env.project_id,
        number=0,
        title=title_of(cmd.text, usage),
        creator=env.user,
        created_at=env.now,
        updated_at=env.now,
        milestone=milestone,
    )
    if cmd.mentions and "responsible" in cmd.options:
        raise UserError("error.one_responsible", usage)
    if cmd.mentions:
        task.responsible = _user(env, cmd.mentions[0])
    _apply(env, task, cmd, usage)
    task.number = next_number(env, "next_task_number")
    env.session.add(task)
    env.session.flush()
    _apply_plan(env, task, cmd, usage, check=check_plan)
    env.audit("task", task.id, "create", None, task_snapshot(env, task))
    return task


@command(
    "task",
    "update",
    ("更新", "修改", "编辑", "edit", "set"),
    args="ref",
    rule="task.edit",
    options={**TASK_FIELDS, "title": TITLE, "status": Opt("enum", ("状态", "s"), TASK_STATUSES)},
)
def update_task(env: Env, cmd: Command) -> Reply:
    usage = "task.update"
    if not cmd.options:
        raise UserError("error.nothing_to_update", usage)
    task = get_task(env, cmd.ref, usage)
    due_before = task_due(env, task)
    if not edit_task(env, task, cmd, usage):  # e.g. a form saved unchanged: nothing to announce
        return Reply.ephemeral(env.t("task.unchanged", ref=f"#{task.number}"), _reply_card(env, task).cards)
    reply = _reply_card(env, task, env.t("task.updated", ref=f"#{task.number}", user=mention(env.user)))
    reply.cards.extend(_past_due(env, task, due_before))
    return reply


def edit_task(env: Env, task: Task, cmd: Command, usage: str, *, check_plan: bool = True) -> bool:
    """Change a task by a command's options, checked field by field and audited: the one way
    a task is edited. False when nothing changed (nothing is recorded then)."""
    permissions.check(env, "task.edit", task, usage=usage)
    before = task_snapshot(env, task)
    _apply(env, task, cmd, usage)
    _apply_plan(env, task, cmd, usage, check=check_plan)
    after = task_snapshot(env, task)
    if after == before:
        return False
    permissions.check_change(env, "task", task, before, after, usage=usage)
    task.updated_at = env.now
    env.audit("task", task.id, "update", before, after)
    return True


def _past_due(env: Env, task: Task, before: Due | None) -> list[Card]:
    open_item = task.status in OPEN_STATUSES
    return past_date_notice(
        env, "task", f"#{task.number}", "due", task_due(env, task), before=before, open_item=open_item
    )


def _transition(status: str, key: str) -> Callable[[Env, Command], Reply]:
    """One rule for every status change: check every task first, then do exactly what was
    asked. A task already in that status is said to be so and left untouched (no audit). Open
    sub-tasks of a completed task are information with an offer to complete them too, never a
    warning after the fact."""

    def handler(env: Env, cmd: Command) -> Reply:
        usage = f"task.{cmd.action}"
        tasks = [get_task(env, number, usage) for number in dict.fromkeys(cmd.refs)]
        for task in tasks:
            permissions.check(
                env,
                permissions.status_rule("task", status),
                task,
                usage=usage,
                what=env.t(f"what.{cmd.action}_task", ref=f"#{task.number}"),
            )
        lines: list[str] = []
        changed: list[Task] = []
        for task in tasks:
            if task.status == status:
                lines.append(
                    env.t(
                        "task.already",
                        ref=f"#{task.number}",
                        title=task.title,
                        status=env.t(f"status.{status}").lower(),
                    )
                )
                continue
            before = snapshot(task)
            _set_status(env, task, status)
            task.updated_at = env.now
            env.audit("task", task.id, cmd.action, before, snapshot(task))
            lines.append(env.t(key, ref=f"#{task.number}", title=task.title, user=mention(env.user)))
            changed.append(task)
        reply = Reply(text="\n".join(lines), cards=_reply_card(env, tasks[0]).cards if len(tasks) == 1 else [])
        if status == "done":
            reply.cards.extend(_open_children_offer(env, changed))
        if not changed:
            reply.visibility = "ephemeral"  # nothing happened: nothing to tell the channel
        return reply

    return handler


def _open_children_offer(env: Env, completed: list[Task]) -> list[Card]:
    """The still-open sub-tasks of tasks just completed, with a button to complete them too."""
    refs = [f"#{c.number}" for task in completed for c in _children(env, task) if c.status in OPEN_STATUSES]
    if not refs:
        return []
    return [
        Card(
            title=env.t("task.open_children", count=len(refs), refs=", ".join(refs)),
            color="blue",
            buttons=[Button(env.t("button.complete_children"), "task", "done", tuple(refs))],
        )
    ]


@command("task", "delete", ("删除", "rm", "del"), args="refs")
def delete(env: Env, cmd: Command) -> Reply:
    usage = "task.delete"
    tasks = [get_task(env, number, usage) for number in cmd.refs]
    for task in tasks:
        permissions.check(env, "task.delete", task, usage=usage)
    lines = []
    for task in tasks:
        for child in _children(env, task):
            child.parent_id = task.parent_id
        env.audit("task", task.id, "delete", task_snapshot(env, task), None)
        env.session.delete(task)
        env.session.flush()
        lines.append(env.t("task.deleted", ref=f"#{task.number}", title=task.title, user=mention(env.user)))
    return Reply(text="\n".join(lines))


@command("task", "show", ("查看", "详情", "view", "info"), args="ref")
def show(env: Env, cmd: Command) -> Reply:
    task = get_task(env, cmd.ref)
    reply = _reply_card(env, task)
    reply.visibility = "ephemeral"
    return reply


def _sort_key(env: Env, task: Task) -> tuple[bool, bool, bool, datetime, int]:
    end = due_end(env, task)
    return (
        task.status not in OPEN_STATUSES,
        not is_overdue(env, task),
        end is None,
        end or datetime.max.replace(tzinfo=env.now.tzinfo),
        task.number,
    )


@command(
    "task",
    "list",
    ("列表", "列出", "ls"),
    args="filter",
    mentions=True,
    filters={
        "open": ("未完成", "打开"),
        "mine": ("我的", "my", "me"),
        "overdue": ("逾期", "过期", "late"),
        "all": ("全部", "所有"),
        "done": ("已完成", "完成", "closed"),
        "blocked": ("阻塞", "受阻"),
    },
)
def list_tasks(env: Env, cmd: Command) -> Reply:
    which = cmd.choice or "open"
    if cmd.mentions:
        if len(cmd.mentions) > 1 or cmd.choice:
            raise UserError("error.one_filter", "task.list")
        which = "user"
    tasks = project_tasks(env)
    if which == "all":
        chosen = tasks
    elif which == "done":
        chosen = [t for t in tasks if t.status == "done"]
    else:
        chosen = [t for t in tasks if t.status in OPEN_STATUSES]
        if which == "mine":
            chosen = [t for t in chosen if t.responsible == env.user]
        elif which == "overdue":
            chosen = [t for t in chosen if is_overdue(env, t)]
        elif which == "blocked":
            chosen = [t for t in chosen if t.status == "blocked"]
        elif which == "user":
            chosen = [t for t in chosen if t.responsible == cmd.mentions[0].id]
    chosen.sort(key=lambda t: _sort_key(env, t))
    label = mention(cmd.mentions[0].id) if which == "user" else env.t(f"filter.{which}")
    card = list_card(
        env,
        env.t("task.list_title", filter=label, count=len(chosen)),
        [task_line(env, t) for t in chosen],
        env.t("task.list_empty"),
    )
    return Reply(cards=[card], visibility="ephemeral")


@command("task", "tree", ("树", "结构", "分解", "wbs"))
def tree(env: Env, cmd: Command) -> Reply:
    tasks = [t for t in project_tasks(env) if t.status != "cancelled"]
    by_parent: dict[int | None, list[Task]] = {}
    ids = {t.id for t in tasks}
    for t in tasks:
        by_parent.setdefault(t.parent_id if t.parent_id in ids else None, []).append(t)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for t in by_parent.get(parent, []):
            kids = by_parent.get(t.id, [])
            progress = ""
            if kids:
                done = sum(1 for k in kids if k.status == "done")
                progress = f" ({done}/{len(kids)})"
            lines.append("    " * depth + task_line(env, t) + progress)
            walk(t.id, depth + 1)

    walk(None, 0)
    card = Card(title=env.t("task.tree_title", project=env.bound_project.name), color="blue", lines=lines)
    if not lines:
        card.text = env.t("task.list_empty")
    return Reply(cards=[card], visibility="ephemeral")


@command("task", "raci", ("矩阵", "责任矩阵", "责任"))
def raci(env: Env, cmd: Command) -> Reply:
    tasks = [t for t in project_tasks(env) if t.status not in ("cancelled",)]
    names = env.display_names()
    users: list[str] = []
    for t in tasks:
        for u in [t.responsible, t.accountable, *t.consulted, *t.informed]:
            if u and u not in users:
                users.append(u)
    rows = []
    for t in tasks:
        cells = []
        for u in users:
            roles = "".join(
                letter
                for letter, hit in (
                    ("R", t.responsible == u),
                    ("A", t.accountable == u),
                    ("C", u in t.consulted),
                    ("I", u in t.informed),
                )
                if hit
            )
            cells.append(roles)
        rows.append((f"{STATUS_ICONS[t.status]} #{t.number} {t.title[:40]}", *cells))
    card = Card(title=env.t("task.raci_title", project=env.bound_project.name), color="blue")
    if rows:
        card.table = Table(headers=(env.t("field.task"), *(names.get(u, u) for u in users)), rows=tuple(rows))
        missing = [f"#{t.number}" for t in tasks if t.status in OPEN_STATUSES and not t.accountable]
        if missing:
            card.footer = env.t("task.raci_missing_a", refs=", ".join(missing))
    else:
        card.text = env.t("task.list_empty")
    return Reply(cards=[card], visibility="ephemeral")


@command(
    "task",
    "form",
    ("表单",),
    args="optional_ref",
    options={"title": Opt("text", ("标题",)), "link": TASK_FIELDS["link"]},
)
def form(env: Env, cmd: Command) -> Reply:
    """`/task form` opens the create form (prefilled by title:/link:); `/task form #12` the edit form."""
    if cmd.refs:
        task = get_task(env, cmd.ref, "task.form")
        permissions.check(env, "task.edit", task, usage="task.form")
        return Reply(cards=[task_form(env, task)], visibility="ephemeral")
    return Reply(cards=[task_form(env, title=cmd.opt("title", ""), link=cmd.opt("link", ""))], visibility="ephemeral")


done = command("task", "done", ("完成", "close", "finish"), args="refs", rule="task.status")(
    _transition("done", "task.done")
)
start = command("task", "start", ("开始", "doing"), args="refs", rule="task.status")(
    _transition("doing", "task.started")
)
block = command("task", "block", ("阻塞", "受阻", "blocked"), args="refs", rule="task.status")(
    _transition("blocked", "task.blocked")
)
reopen = command("task", "reopen", ("重开", "重新打开"), args="refs", rule="task.status")(
    _transition("todo", "task.reopened")
)
cancel = command("task", "cancel", ("取消",), args="refs")(_transition("cancelled", "task.cancelled"))

__all__ = [
    "create",
    "edit_task",
    "get_task",
    "new_task",
    "next_number",
    "project_tasks",
    "resolve_due",
    "task_snapshot",
    "title_of",
]
