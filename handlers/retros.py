"""Retrospectives: what went well, what did not, what to improve — archived when closed."""

from __future__ import annotations

from sqlmodel import col, select

from handlers import permissions
from handlers.command import Command
from handlers.env import Env, UserError, snapshot
from handlers.grammar import RETRO_KINDS, command
from handlers.replies import Button, Card, Field, Reply, mention
from handlers.tasks import next_number
from handlers.views import fmt_date
from storage.models import Retro, RetroItem, saved_id

KINDS = ("well", "bad", "improve")
KIND_ICONS = {"well": "👍", "bad": "👎", "improve": "💡"}


def open_retro(env: Env) -> Retro | None:
    return env.session.exec(select(Retro).where(Retro.project_id == env.project_id, Retro.status == "open")).first()


def items(env: Env, retro: Retro) -> list[RetroItem]:
    return list(env.session.exec(select(RetroItem).where(RetroItem.retro_id == retro.id).order_by(col(RetroItem.id))))


def retro_card(env: Env, retro: Retro) -> Card:
    grouped = {k: [i for i in items(env, retro) if i.kind == k] for k in KINDS}
    title = env.t("retro.title", number=retro.number, name=retro.title or env.bound_project.name)
    card = Card(title=title, color="green" if retro.status == "closed" else "blue")
    for kind in KINDS:
        lines = [f"• {i.text} — {mention(i.author)}" for i in grouped[kind]]
        card.fields.append(
            Field(f"{KIND_ICONS[kind]} {env.t(f'retro.kind_{kind}')}", "\n".join(lines) or "—", short=False)
        )
    when = fmt_date(env, retro.started_at.astimezone(env.tz).date())
    card.footer = env.t(f"retro.footer_{retro.status}", date=when, user=mention(retro.started_by))
    if retro.status == "open":
        card.buttons.append(Button(env.t("button.close_retro"), "retro", "close", style="primary"))
    return card


@command("retro", "start", ("开始", "新建", "new", "open"), args="optional_text")
def start(env: Env, cmd: Command) -> Reply:
    if open_retro(env) is not None:
        raise UserError("error.retro_open", "retro.close")
    title = " ".join(cmd.text.split())  # its length is checked for every command by handlers.limits
    retro = Retro(
        workspace_id=env.workspace_id,
        project_id=env.project_id,
        number=0,
        title=title,
        started_by=env.user,
        started_at=env.now,
    )
    retro.number = next_number(env, "next_retro_number")
    env.session.add(retro)
    env.session.flush()
    env.audit("retro", retro.id, "start", None, snapshot(retro))
    return Reply(text=env.t("retro.started", user=mention(env.user)), cards=[retro_card(env, retro)])


@command("retro", "add", ("添加", "新增", "+"), args="kind_text", filters=RETRO_KINDS)
def add(env: Env, cmd: Command) -> Reply:
    usage = "retro.add"
    retro = open_retro(env)
    if retro is None:
        raise UserError("error.no_open_retro", "retro.start")
    kind, text = cmd.choice, " ".join(cmd.text.split())
    if not text:
        raise UserError("error.missing_text", usage)
    item = RetroItem(
        workspace_id=env.workspace_id,
        retro_id=saved_id(retro),
        kind=kind,
        text=text,
        author=env.user,
        created_at=env.now,
    )
    env.session.add(item)
    env.session.flush()
    env.audit("retro", retro.id, "add_item", None, {"kind": kind, "text": text})
    return Reply.ephemeral(env.t("retro.added", kind=env.t(f"retro.kind_{kind}")))


@command("retro", "show", ("查看", "显示", "view"), args="optional_ref")
def show(env: Env, cmd: Command) -> Reply:
    if cmd.refs:
        number = cmd.ref
        retro = env.session.exec(
            select(Retro).where(Retro.project_id == env.project_id, Retro.number == number)
        ).first()
        if retro is None:
            raise UserError("error.no_retro", "retro.show", ref=f"#{number}")
    else:
        retro = open_retro(env)
        if retro is None:
            raise UserError("error.no_open_retro", "retro.start")
    return Reply(cards=[retro_card(env, retro)], visibility="ephemeral")


# "archive" is not an alias of close: it always meant list.
@command("retro", "close", ("关闭", "结束", "end"))
def close(env: Env, cmd: Command) -> Reply:
    retro = open_retro(env)
    if retro is None:
        raise UserError("error.no_open_retro", "retro.start")
    permissions.check(env, "retro.close", retro, usage="retro.close")
    before = snapshot(retro)
    retro.status = "closed"
    retro.closed_at = env.now
    env.audit("retro", retro.id, "close", before, snapshot(retro))
    return Reply(text=env.t("retro.closed", user=mention(env.user)), cards=[retro_card(env, retro)])


@command("retro", "list", ("列表", "历史", "ls", "archive"))
def list_(env: Env, cmd: Command) -> Reply:
    retros = env.session.exec(select(Retro).where(Retro.project_id == env.project_id).order_by(col(Retro.number)))
    lines = []
    for r in retros:
        count = len(items(env, r))
        when = fmt_date(env, r.started_at.astimezone(env.tz).date())
        lines.append(
            env.t(
                "retro.list_line",
                number=r.number,
                name=r.title or "—",
                date=when,
                count=count,
                status=env.t(f"retro.status_{r.status}"),
            )
        )
    card = Card(title=env.t("retro.list_title"), lines=lines, text="" if lines else env.t("retro.list_empty"))
    return Reply(cards=[card], visibility="ephemeral")
