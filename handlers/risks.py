"""The risk register: category, probability x impact, strategy, owner, review date."""

from __future__ import annotations

from sqlmodel import select

from handlers import permissions
from handlers.command import Command
from handlers.dates import Due
from handlers.env import Env, UserError, snapshot
from handlers.forms import risk_form
from handlers.grammar import RISK_FIELDS, RISK_STATUSES, TITLE, Opt, command
from handlers.replies import Card, Reply, mention
from handlers.tasks import next_number, resolve_due, title_of
from handlers.views import list_card, past_date_notice, risk_card, risk_line
from storage.models import Risk

OPEN_RISK = ("open", "mitigating")


def level_for(score: int) -> str:
    """Probability x impact on a 5x5 matrix: 1-4 low, 5-9 medium, 10-15 high, 16-25 critical."""
    if score >= 16:
        return "critical"
    if score >= 10:
        return "high"
    if score >= 5:
        return "medium"
    return "low"


def get_risk(env: Env, number: int, usage: str = "risk.show") -> Risk:
    risk = env.session.exec(select(Risk).where(Risk.project_id == env.project_id, Risk.number == number)).first()
    if risk is None:
        raise UserError("error.no_risk", usage, ref=f"R{number}")
    return risk


def project_risks(env: Env) -> list[Risk]:
    return list(env.session.exec(select(Risk).where(Risk.project_id == env.project_id)))


def top_risks(env: Env, limit: int = 5) -> list[Risk]:
    risks = [r for r in project_risks(env) if r.status in OPEN_RISK]
    return sorted(risks, key=lambda r: (-r.score, -r.impact, r.number))[:limit]


def _apply(env: Env, risk: Risk, cmd: Command, usage: str) -> None:
    opts = cmd.options
    if "title" in opts:
        risk.title = title_of(opts["title"], usage)
    for key in ("category", "probability", "impact", "strategy"):
        if key in opts:
            setattr(risk, key, opts[key])
    for key in ("trigger", "mitigation", "contingency"):
        if key in opts:
            setattr(risk, key, opts[key] or "")
    if "owner" in opts:
        owner = opts["owner"]
        risk.owner = owner and env.ensure_member(owner.id, owner.name).user_id
    if "review" in opts:
        risk.review_date = opts["review"] and resolve_due(env, opts["review"], usage, _review(risk)).date
    if "status" in opts:
        _set_status(env, risk, opts["status"])
    risk.score = risk.probability * risk.impact
    risk.level = level_for(risk.score)


def _set_status(env: Env, risk: Risk, status: str) -> None:
    risk.status = status
    risk.closed_at = env.now if status == "closed" else None


@command("risk", "add", ("新建", "添加", "创建", "new", "create"), options=RISK_FIELDS, args="text")
def add(env: Env, cmd: Command) -> Reply:
    usage = "risk.add"
    risk = Risk(
        workspace_id=env.workspace_id,
        project_id=env.project_id,
        number=0,
        title=title_of(cmd.text, usage),
        owner=env.user,
        creator=env.user,
        created_at=env.now,
        updated_at=env.now,
    )
    _apply(env, risk, cmd, usage)
    risk.number = next_number(env, "next_risk_number")
    env.session.add(risk)
    env.session.flush()
    env.audit("risk", risk.id, "create", None, snapshot(risk))
    return Reply(
        text=env.t("risk.created", ref=f"R{risk.number}", user=mention(env.user)),
        cards=[risk_card(env, risk), *_past_review(env, risk, None)],
    )


def _review(risk: Risk) -> Due | None:
    return Due(risk.review_date) if risk.review_date else None


def _past_review(env: Env, risk: Risk, before: Due | None) -> list[Card]:
    open_item = risk.status in OPEN_RISK
    return past_date_notice(env, "risk", f"R{risk.number}", "review", _review(risk), before=before, open_item=open_item)


@command(
    "risk",
    "update",
    ("更新", "修改", "编辑", "edit", "set"),
    args="ref",
    rule="risk.edit",
    options={**RISK_FIELDS, "title": TITLE, "status": Opt("enum", ("状态", "s"), RISK_STATUSES)},
)
def update_risk(env: Env, cmd: Command) -> Reply:
    usage = "risk.update"
    if not cmd.options:
        raise UserError("error.nothing_to_update", usage)
    risk = get_risk(env, cmd.ref, usage)
    permissions.check(env, "risk.edit", risk, usage=usage)
    before, review_before = snapshot(risk), _review(risk)
    _apply(env, risk, cmd, usage)
    after = snapshot(risk)
    if after == before:  # e.g. a form saved unchanged: nothing to record or announce
        return Reply.ephemeral(env.t("risk.unchanged", ref=f"R{risk.number}"), [risk_card(env, risk)])
    permissions.check_change(env, "risk", risk, before, after, usage=usage)
    risk.updated_at = env.now
    env.audit("risk", risk.id, "update", before, after)
    return Reply(
        text=env.t("risk.updated", ref=f"R{risk.number}", user=mention(env.user)),
        cards=[risk_card(env, risk), *_past_review(env, risk, review_before)],
    )


@command("risk", "close", ("关闭",), args="ref", options={"note": Opt("text", ("备注", "说明"))})
def close(env: Env, cmd: Command) -> Reply:
    usage = "risk.close"
    risk = get_risk(env, cmd.ref, usage)
    # Closing a risk takes it off the register: only its creator or an admin decide that.
    permissions.check(env, "risk.close", risk, usage=usage)
    if risk.status == "closed":
        raise UserError("error.risk_already_closed", usage, ref=f"R{risk.number}")
    before = snapshot(risk)
    _set_status(env, risk, "closed")
    risk.updated_at = env.now
    after = snapshot(risk)
    if "note" in cmd.options:  # a closing note lives in the audit trail
        after["note"] = cmd.options["note"]
    env.audit("risk", risk.id, "close", before, after)
    return Reply(
        text=env.t("risk.closed", ref=f"R{risk.number}", title=risk.title, user=mention(env.user)),
        cards=[risk_card(env, risk)],
    )


@command("risk", "show", ("查看", "详情", "view", "info"), args="ref")
def show(env: Env, cmd: Command) -> Reply:
    return Reply(cards=[risk_card(env, get_risk(env, cmd.ref))], visibility="ephemeral")


@command(
    "risk",
    "list",
    ("列表", "列出", "ls"),
    args="filter",
    filters={
        "open": ("打开", "未关闭", "开放"),
        "top": ("最高", "重点", "前列", "排名"),
        "all": ("全部", "所有"),
        "closed": ("关闭", "已关闭"),
    },
)
def list_risks(env: Env, cmd: Command) -> Reply:
    which = cmd.choice or "open"
    risks = project_risks(env)
    if which == "top":
        chosen = top_risks(env, limit=10)
    else:
        if which == "open":
            risks = [r for r in risks if r.status in OPEN_RISK]
        elif which == "closed":
            risks = [r for r in risks if r.status == "closed"]
        chosen = sorted(risks, key=lambda r: r.number)
    card = list_card(
        env,
        env.t("risk.list_title", filter=env.t(f"filter.{which}"), count=len(chosen)),
        [risk_line(env, r) for r in chosen],
        env.t("risk.list_empty"),
        "orange" if any(r.level in ("high", "critical") for r in chosen) else "blue",
    )
    return Reply(cards=[card], visibility="ephemeral")


@command("risk", "form", ("表单",), args="optional_ref", options={"title": Opt("text", ("标题",))})
def form(env: Env, cmd: Command) -> Reply:
    """`/risk form` opens the create form; `/risk form R2` the edit form."""
    if cmd.refs:
        risk = get_risk(env, cmd.ref, "risk.form")
        permissions.check(env, "risk.edit", risk, usage="risk.form")
        return Reply(cards=[risk_form(env, risk)], visibility="ephemeral")
    return Reply(cards=[risk_form(env, title=cmd.opt("title", ""))], visibility="ephemeral")
