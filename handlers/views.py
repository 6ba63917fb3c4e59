"""Shared presentation: how tasks, risks, dates and people look in replies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from handlers.calendar import Calendar
from handlers.dates import Due
from handlers.env import Env
from handlers.replies import Button, Card, Color, Field, mention
from storage.models import OPEN_TASK_STATUSES, Risk, Task

OPEN_STATUSES = OPEN_TASK_STATUSES
STATUS_ICONS = {"todo": "○", "doing": "◐", "blocked": "⛔", "done": "✔", "cancelled": "✖"}
STATUS_COLORS: dict[str, Color] = {
    "todo": "blue",
    "doing": "yellow",
    "blocked": "red",
    "done": "green",
    "cancelled": "grey",
}
LEVEL_COLORS: dict[str, Color] = {"low": "green", "medium": "yellow", "high": "orange", "critical": "red"}
LIST_LIMIT = 50


class TaskFacts(Protocol):
    """What a task's line and due need: a `Task`, or the plain row the scheduler loads
    (`handlers.reminders.TaskRow`)."""

    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def responsible(self) -> str | None: ...
    @property
    def due_date(self) -> date | None: ...
    @property
    def due_at(self) -> datetime | None: ...


_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def fmt_date(env: Env, day: date) -> str:
    if env.locale == "zh":
        year = f"{day.year}年" if day.year != env.today.year else ""
        return f"{year}{day.month}月{day.day}日 {_WEEKDAYS_ZH[day.weekday()]}"
    year = f" {day.year}" if day.year != env.today.year else ""
    return f"{_WEEKDAYS_EN[day.weekday()]} {day.strftime('%b')} {day.day}{year}"


_DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def fmt_days(env: Env, days: str) -> str:
    """`mon,tue,wed,thu,fri` -> `Mon–Fri` / `周一至周五`; separate days are listed."""
    names = _WEEKDAYS_ZH if env.locale == "zh" else _WEEKDAYS_EN
    idx = sorted(_DAY_KEYS.index(d) for d in days.split(",") if d in _DAY_KEYS)
    runs: list[list[int]] = []
    for i in idx:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    joiner, sep = ("至", "、") if env.locale == "zh" else ("–", ", ")
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{names[run[0]]}{joiner}{names[run[-1]]}")
        else:
            parts.extend(names[i] for i in run)
    return sep.join(parts) or "—"


def fmt_datetime(env: Env, moment: datetime) -> str:
    local = moment.astimezone(env.tz)
    return f"{fmt_date(env, local.date())} {local.strftime('%H:%M')}"


def task_due(env: Env, task: Task) -> Due | None:
    """A task's due as the user gave it: a local day, with the local time when one was given."""
    if task.due_date is None:
        return None
    if task.due_at is None:
        return Due(task.due_date)
    local = task.due_at.astimezone(env.tz)
    return Due(local.date(), local.time().replace(tzinfo=None))


def due_end(env: Env, task: TaskFacts) -> datetime | None:
    """The instant a task becomes overdue: its due time, or the end of its due day."""
    if task.due_at is not None:
        return task.due_at
    if task.due_date is None:
        return None
    return Due(task.due_date).end(env.tz)


def due_day(task: TaskFacts) -> date:
    """The due day of a task known to have a due (overdue, or with a `due_end`): `due_at` is
    only ever set together with `due_date`."""
    if task.due_date is None:
        raise ValueError(f"task #{task.number} has no due date")
    return task.due_date


def is_overdue(env: Env, task: TaskFacts) -> bool:
    end = due_end(env, task)
    return task.status in OPEN_STATUSES and end is not None and end <= env.now


def fmt_due(env: Env, task: TaskFacts) -> str:
    if task.due_at is not None:
        text = fmt_datetime(env, task.due_at)
    elif task.due_date is not None:
        text = fmt_date(env, task.due_date)
    else:
        return env.t("word.none")
    if is_overdue(env, task):
        text += " " + env.t("word.overdue_mark")
    return text


def who(user: str | None) -> str:
    return mention(user) if user else "—"


def people(users: list[str] | None) -> str:
    return ", ".join(mention(u) for u in users) if users else "—"


def status_label(env: Env, status: str) -> str:
    return f"{STATUS_ICONS.get(status, '')} {env.t(f'status.{status}')}".strip()


def task_line(env: Env, task: TaskFacts) -> str:
    parts = [f"{STATUS_ICONS[task.status]} #{task.number} {task.title}"]
    if task.responsible:
        parts.append(mention(task.responsible))
    if task.due_date is not None:
        parts.append(fmt_due(env, task))
    if task.priority in ("high", "urgent"):
        parts.append(env.t(f"priority.{task.priority}"))
    return " · ".join(parts)


def task_card(env: Env, task: Task, parent: Task | None = None, children: list[Task] | None = None) -> Card:
    fields = [
        Field(env.t("field.status"), status_label(env, task.status)),
        Field(env.t("field.priority"), env.t(f"priority.{task.priority}")),
        Field(env.t("field.due"), fmt_due(env, task)),
        Field(env.t("field.responsible"), who(task.responsible)),
        Field(env.t("field.accountable"), who(task.accountable)),
        Field(env.t("field.consulted"), people(task.consulted)),
        Field(env.t("field.informed"), people(task.informed)),
    ]
    if parent is not None:
        fields.append(Field(env.t("field.parent"), f"#{parent.number} {parent.title}"))
    card = Card(
        title=f"#{task.number} {task.title}",
        color=STATUS_COLORS[task.status],
        fields=fields,
        text=task.description,
        subject=f"#{task.number}",
    )
    if task.source_link:
        card.fields.append(Field(env.t("field.link"), task.source_link, short=False))
    if children:
        card.lines = [task_line(env, c) for c in children]
    ref = f"#{task.number}"
    if task.status in OPEN_STATUSES:
        if task.status != "doing":
            card.buttons.append(Button(env.t("button.start"), "task", "start", (ref,)))
        card.buttons.append(Button(env.t("button.done"), "task", "done", (ref,), style="primary"))
        card.buttons.append(Button(env.t("button.snooze"), "task", "update", (ref,), (("due", "+1d"),)))
        card.buttons.append(Button(env.t("button.edit"), "task", "form", (ref,)))
    else:
        card.buttons.append(Button(env.t("button.reopen"), "task", "reopen", (ref,)))
    return card


def risk_line(env: Env, risk: Risk) -> str:
    parts = [
        f"R{risk.number} {risk.title}",
        f"{env.t('field.score')} {risk.score}",
        env.t(f"level.{risk.level}"),
        env.t(f"risk_status.{risk.status}"),
    ]
    if risk.owner:
        parts.append(mention(risk.owner))
    return " · ".join(parts)


def risk_card(env: Env, risk: Risk) -> Card:
    fields = [
        Field(env.t("field.category"), env.t(f"category.{risk.category}")),
        Field(
            env.t("field.score"), f"{risk.probability} × {risk.impact} = {risk.score} ({env.t(f'level.{risk.level}')})"
        ),
        Field(env.t("field.strategy"), env.t(f"strategy.{risk.strategy}")),
        Field(env.t("field.owner"), who(risk.owner)),
        Field(env.t("field.risk_status"), env.t(f"risk_status.{risk.status}")),
        Field(env.t("field.review"), fmt_date(env, risk.review_date) if risk.review_date else "—"),
    ]
    for key in ("trigger", "mitigation", "contingency"):
        value = getattr(risk, key)
        if value:
            fields.append(Field(env.t(f"field.{key}"), value, short=False))
    card = Card(
        title=f"R{risk.number} {risk.title}", color=LEVEL_COLORS[risk.level], fields=fields, subject=f"R{risk.number}"
    )
    ref = f"R{risk.number}"
    if risk.status == "open":
        card.buttons.append(Button(env.t("button.mitigating"), "risk", "update", (ref,), (("status", "mitigating"),)))
    if risk.status in ("open", "mitigating"):
        card.buttons.append(
            Button(env.t("button.occurred"), "risk", "update", (ref,), (("status", "occurred"),), style="danger")
        )
    if risk.status != "closed":  # an occurred risk is still on the register until someone closes it
        card.buttons.append(Button(env.t("button.close"), "risk", "close", (ref,), style="primary"))
        card.buttons.append(Button(env.t("button.edit"), "risk", "form", (ref,)))
    return card


def past_date_notice(
    env: Env, area: str, ref: str, key: str, due: Due | None, *, before: Due | None, open_item: bool
) -> list[Card]:
    """The one check that a date this command set (a task's `due`, a risk's `review`) on an open
    item is not in the past in the project's zone. A past date is stored as given, but never
    silently: the card says how long ago it was and offers to move it to today, to the next
    working day, or to edit it. Nothing when the date is unchanged, missing or still ahead."""
    if due is None or due == before or not open_item or due.end(env.tz) > env.now:
        return []
    days = (env.today - due.date).days
    ago = env.t("ago.today") if days <= 0 else env.t("ago.yesterday") if days == 1 else env.t("ago.days", n=days)
    when = fmt_date(env, due.date) + (f" {due.time.strftime('%H:%M')}" if due.time else "")
    next_day = Calendar.of(env.project).next_working_day(env.today).isoformat()
    if due.time is not None:
        next_day += f" {due.time.strftime('%H:%M')}"
    card = Card(
        title=env.t(f"past.{key}", ref=ref, date=when, ago=ago),
        color="yellow",
        buttons=[
            Button(env.t("button.move_today"), area, "update", (ref,), ((key, "today"),), style="primary"),
            Button(env.t("button.move_next_working_day"), area, "update", (ref,), ((key, next_day),)),
            Button(env.t("button.edit"), area, "form", (ref,)),
        ],
    )
    return [card]


def list_card(env: Env, title: str, lines: list[str], empty: str, color: Color = "blue") -> Card:
    """A list of items, cut at LIST_LIMIT with a "… and N more" footer."""
    card = Card(title=title, color=color, lines=lines[:LIST_LIMIT])
    if len(lines) > LIST_LIMIT:
        card.footer = env.t("list.more", count=len(lines) - LIST_LIMIT)
    if not lines:
        card.text = empty
    return card
