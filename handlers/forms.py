"""Neutral forms for creating and editing tasks and risks (Slack modals, Feishu form cards,
`:submit` in the console). Submitting one runs `task add` / `task update #N` / `risk add` /
`risk update RN` with the inputs as options, through the same validation as typed commands.

A form field holds at most `FORM_TEXT_MAX` characters on every platform, so an edit form leaves
out a longer stored text (saving the form then leaves it as it is) and says how to change it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Literal

from handlers import i18n, planning
from handlers.env import Env
from handlers.grammar import CATEGORIES, PRIORITIES, STRATEGIES
from handlers.replies import Card, Form, Input, Option, Reply
from storage.models import Risk, Task

# The smallest text input among the platforms: Feishu's input component allows `max_length` up
# to 1000 (the reading of its docs, and bot/feishu/render.INPUT_MAX); Slack's
# plain_text_input up to 3000. A longer initial text would be cut there and saved cut.
FORM_TEXT_MAX = 1000


def fit_form(env: Env, card: Card, command: str) -> Card:
    """`card` with every text input whose stored value is longer than `FORM_TEXT_MAX` left out of
    its form, and a note saying how to change each of those with `command` (the typed edit)."""
    assert card.form is not None
    long = [i for i in card.form.inputs if i.kind in ("text", "textarea") and len(i.initial or "") > FORM_TEXT_MAX]
    if not long:
        return card
    card.form = replace(card.form, inputs=tuple(i for i in card.form.inputs if i not in long))
    notes = [
        env.t(
            "form.left_out",
            field=i.label,
            length=len(i.initial or ""),
            max=FORM_TEXT_MAX,
            command=f'{command} {i.name}:"…"',
        )
        for i in long
    ]
    card.text = "\n".join([card.text, *notes] if card.text else notes)
    return card


def _choices(env: Env, prefix: str, values: Iterable[str]) -> tuple[Option, ...]:
    return tuple(Option(v, env.t(f"{prefix}.{v}")) for v in values)


def _scale() -> tuple[Option, ...]:
    return tuple(Option(str(n), str(n)) for n in range(1, 6))


def task_form(env: Env, task: Task | None = None, title: str = "", link: str = "") -> Card:
    """The create form (empty or prefilled, e.g. from a message shortcut) or the edit form of a task."""
    t = task
    parent = ""
    if t is not None and t.parent_id:
        parent_task = env.session.get(Task, t.parent_id)
        parent = f"#{parent_task.number}" if parent_task else ""
    due = t.due_date.isoformat() if t is not None and t.due_date else None
    due_kind: Literal["date", "datetime"] = "date"
    if t is not None and t.due_at is not None:  # a timed due keeps its time through the form
        due, due_kind = t.due_at.astimezone(env.tz).isoformat(timespec="minutes"), "datetime"
    inputs = [
        Input("title", env.t("field.title"), "text", required=True, initial=t.title if t else (title or None)),
        Input("responsible", env.t("field.responsible"), "user", initial=t.responsible if t else None),
        Input("accountable", env.t("field.accountable"), "user", initial=t.accountable if t else None),
        Input(
            "consulted", env.t("field.consulted"), "users", initial=",".join(t.consulted) if t and t.consulted else None
        ),
        Input("informed", env.t("field.informed"), "users", initial=",".join(t.informed) if t and t.informed else None),
        *_plan_inputs(env, t),
        Input("due", env.t("field.due"), due_kind, initial=due),
        Input(
            "priority",
            env.t("field.priority"),
            "select",
            initial=t.priority if t else "medium",
            options=_choices(env, "priority", PRIORITIES),
        ),
        Input("parent", env.t("field.parent"), "text", initial=parent or None, placeholder="#3"),
        Input("description", env.t("field.description"), "textarea", initial=(t.description or None) if t else None),
    ]
    if link or (t is not None and t.source_link):
        inputs.append(Input("link", env.t("field.link"), "text", initial=link or (t.source_link if t else None)))
    if t is None:
        form = Form("task", "add", tuple(inputs), env.t("button.create"))
        return Card(title=env.t("form.new_task"), color="blue", form=form)
    form = Form("task", "update", tuple(inputs), env.t("button.save"), args=(f"#{t.number}",))
    return fit_form(
        env,
        Card(title=env.t("form.edit_task", ref=f"#{t.number}"), color="blue", form=form),
        f"/task update #{t.number}",
    )


# Inputs labelled other than by their `field.<name>` catalogue entry (the card's shorter word).
_LABELS = {"duration": "form.duration", "after": "form.after", "progress": "form.progress"}


def _label(locale: str, name: str) -> str:
    return i18n.t(_LABELS.get(name, f"field.{name}"), locale)


def error_line(reply: Reply) -> str:
    """The first line of an error, led by the label of the form input it is about: for a
    platform that cannot show an error under that input (a Feishu form is answered by a toast)."""
    line = reply.text.split("\n")[0]
    if not reply.field or _LABELS.get(reply.field, f"field.{reply.field}") not in i18n.CATALOGUE:
        return line
    return i18n.t("form.field_error", reply.locale, field=_label(reply.locale, reply.field), error=line)


def _plan_inputs(env: Env, task: Task | None) -> tuple[Input, ...]:
    """Start, duration, predecessors and progress, as `start:`, `dur:`, `after:` and `progress:`
    take them (so a submission is validated like the typed command), prefilled from `task`."""
    after = planning.dependencies_text(planning.predecessors_of(env, task)) if task is not None else ""
    start = task.start_date.isoformat() if task is not None and task.start_date else None
    duration = str(task.duration_days) if task is not None and task.duration_days else None
    return (
        Input("start", env.t("field.start"), "date", initial=start),
        Input(
            "duration",
            _label(env.locale, "duration"),
            "text",
            initial=duration,
            placeholder=env.t("form.duration_hint"),
        ),
        Input(
            "after", _label(env.locale, "after"), "text", initial=after or None, placeholder=env.t("form.after_hint")
        ),
        Input(
            "progress",
            _label(env.locale, "progress"),
            "text",
            initial=str(task.progress) if task else None,
            placeholder=env.t("form.progress_hint"),
        ),
    )


def risk_form(env: Env, risk: Risk | None = None, title: str = "") -> Card:
    r = risk
    inputs = (
        Input("title", env.t("field.title"), "text", required=True, initial=r.title if r else (title or None)),
        Input(
            "category",
            env.t("field.category"),
            "select",
            initial=r.category if r else "technical",
            options=_choices(env, "category", CATEGORIES),
        ),
        Input(
            "probability",
            env.t("field.probability"),
            "select",
            initial=str(r.probability) if r else "3",
            options=_scale(),
        ),
        Input("impact", env.t("field.impact"), "select", initial=str(r.impact) if r else "3", options=_scale()),
        Input("owner", env.t("field.owner"), "user", initial=r.owner if r else env.user),
        Input(
            "strategy",
            env.t("field.strategy"),
            "select",
            initial=r.strategy if r else "mitigate",
            options=_choices(env, "strategy", STRATEGIES),
        ),
        Input("trigger", env.t("field.trigger"), "text", initial=(r.trigger or None) if r else None),
        Input("mitigation", env.t("field.mitigation"), "textarea", initial=(r.mitigation or None) if r else None),
        Input("contingency", env.t("field.contingency"), "textarea", initial=(r.contingency or None) if r else None),
        Input(
            "review", env.t("field.review"), "date", initial=r.review_date.isoformat() if r and r.review_date else None
        ),
    )
    if r is None:
        return Card(
            title=env.t("form.new_risk"), color="orange", form=Form("risk", "add", inputs, env.t("button.create"))
        )
    card = Card(
        title=env.t("form.edit_risk", ref=f"R{r.number}"),
        color="orange",
        form=Form("risk", "update", inputs, env.t("button.save"), args=(f"R{r.number}",)),
    )
    return fit_form(env, card, f"/risk update R{r.number}")
