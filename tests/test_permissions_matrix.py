"""The whole permission matrix (role x action -> allowed/refused), run from `handlers.permissions.RULES`.

Every rule of the table has examples here (typed commands, card buttons and form submissions); each
example is tried by a holder of every role. A refused attempt names who may and changes nothing (no
audit event); an allowed one succeeds. The README's permission table is checked against the same
rules, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import func, select

from handlers.permissions import MEMBER, RULES
from storage.models import AuditEvent, Retro
from tests.chat import Chat

# One user per role. "consulted", "informed" and "member" hold no role any rule names.
PEOPLE = {
    "admin": "pm",
    "creator": "cre",
    "accountable": "acc",
    "responsible": "res",
    "owner": "own",
    "starter": "sta",
    "consulted": "con",
    "informed": "inf",
    "member": "mem",
}

# action -> examples. `{t}` is a fresh task (created by cre: R res, A acc, C con, I inf, parent {p}),
# `{r}` a fresh risk (created by cre, owner own), a retro started by sta is open. An example is a
# typed command, ("click", command showing a card, button label) or ("form", command opening a
# form, {field: new value}).
EXAMPLES: dict[str, list] = {
    "project.init": ["/project init"],
    "project.status": ["/project status"],
    "project.show": ["/project show"],
    "project.members": ["/project members"],
    "project.set": ['/project set goal:"Ship it"', "/project set tz:Europe/Berlin"],
    "project.admin": ["/project admin add @newbie"],
    "project.baseline": ["/project baseline", ("click", "/project baseline", "Replace baseline")],
    "project.schedule": ["/project schedule"],
    "milestone.add": ['/milestone add "Go-live" date:2026-12-31'],
    "milestone.list": ["/milestone list"],
    "task.add": ['/task add "Another task"'],
    "task.list": ["/task list all"],
    "task.show": ["/task show {t}"],
    "task.tree": ["/task tree"],
    "task.raci": ["/task raci"],
    "task.form": ["/task form"],
    "task.edit": [
        '/task update {t} title:"Renamed"',
        "/task update {t} due:2026-12-24",
        "/task update {t} prio:high",
        '/task update {t} desc:"More detail"',
        "/task update {t} link:https://example.com/x",
        "/task update {t} parent:{p}",
        "/task form {t}",
        ("click", "/task show {t}", "Snooze 1 day"),
        ("click", "/task show {t}", "Edit"),
        ("form", "/task form {t}", {"title": "From the form"}),
    ],
    "task.status": [
        "/task start {t}",
        "/task update {t} progress:50%",
        "/task done {t}",
        "/task block {t}",
        "/task update {t} status:doing",
        ("click", "/task show {t}", "Done"),
    ],
    "task.roles": [
        "/task update {t} R:@mem",
        "/task update {t} owner:@mem",
        "/task update {t} A:@mem",
        "/task update {t} C:@mem",
        "/task update {t} I:@mem",
        ("form", "/task form {t}", {"accountable": "mem"}),
    ],
    "task.cancel": ["/task cancel {t}", "/task update {t} status:cancelled"],
    "task.delete": ["/task delete {t}"],
    "risk.add": ['/risk add "Another risk"'],
    "risk.list": ["/risk list all"],
    "risk.show": ["/risk show {r}"],
    "risk.form": ["/risk form"],
    "risk.edit": [
        "/risk update {r} p:1",
        "/risk update {r} status:mitigating",
        "/risk update {r} owner:@mem",
        '/risk update {r} mitigation:"Second supplier"',
        "/risk form {r}",
        ("click", "/risk show {r}", "Occurred"),
        ("form", "/risk form {r}", {"impact": "5"}),
    ],
    "risk.close": ["/risk close {r}", "/risk update {r} status:closed", ("click", "/risk show {r}", "Close")],
    "standup.checkin": ['/standup y:"wrote tests" t:"fix bugs"'],
    "standup.away": ["/standup away 2026-12-24..2026-12-26"],
    "standup.mute": ["/standup mute"],
    "standup.unmute": ["/standup unmute"],
    "standup.report": ["/standup report"],
    "standup.config": ["/standup config time:08:00"],
    "retro.start": ['/retro start "Sprint 2"'],
    "retro.add": ['/retro add well "pairing"'],
    "retro.show": ["/retro show"],
    "retro.list": ["/retro list"],
    "retro.close": ["/retro close", ("click", "/retro show", "Close and archive")],
}


def test_every_rule_has_examples() -> None:
    assert set(EXAMPLES) == set(RULES)


def _audits(chat: Chat) -> int:
    with chat.db.session() as s:
        return s.exec(select(func.count()).select_from(AuditEvent)).one()


def _open_retro(chat: Chat) -> Retro | None:
    with chat.db.session() as s:
        return s.exec(select(Retro).where(Retro.status == "open")).first()


@pytest.fixture
def project(chat: Chat) -> Chat:
    chat.ok("pm", '/project init "ERP" tz:Asia/Shanghai')
    for user in PEOPLE.values():
        chat.ok(user, "/task list")  # everyone has spoken in the channel: a member
    chat.ok("cre", '/task add "Parent"')  # #1, the {p} of every example
    return chat


def _fresh(chat: Chat, action: str, example) -> object:
    """Create the items the example acts on; return it with {t} {p} {r} filled in."""
    text = example if isinstance(example, str) else example[1]
    values = {"p": "#1"}
    if "{t}" in text:
        reply = chat.ok("cre", '/task add "Work" @res A:@acc C:@con I:@inf')
        values["t"] = re.search(r"#\d+", reply.text).group(0)
    if "{r}" in text:
        reply = chat.ok("cre", '/risk add "Vendor late" owner:@own p:3 i:4')
        values["r"] = re.search(r"R\d+", reply.text).group(0)
    if action.startswith("retro."):
        retro = _open_retro(chat)
        if action == "retro.start" and retro is not None:
            chat.ok("pm", "/retro close")
        elif action != "retro.start" and (retro is None or retro.started_by != "sta"):
            if retro is not None:
                chat.ok("pm", "/retro close")
            chat.ok("sta", '/retro start "Sprint"')
    if isinstance(example, str):
        return example.format(**values)
    return (example[0], example[1].format(**values), example[2])


def _attempt(chat: Chat, user: str, example, role: str):
    if isinstance(example, str):
        if example == "/project init":
            return chat.say(user, f'/project init "Another {role}"', channel=f"C-{role}")
        return chat.say(user, example)
    kind, opener, arg = example
    shown = chat.ok("pm", opener)  # the admin sees every card and form
    if kind == "click":
        return chat.click(user, shown, arg)
    form = next(c.form for c in shown.cards if c.form is not None)
    values = {i.name: i.initial for i in form.inputs if i.initial is not None}
    values.update(arg)
    payload = {"command": form.command, "action": form.action, "args": list(form.args), "options": {}}
    return chat.core.handle_action(chat.ctx(user), payload, values)


@pytest.mark.parametrize("action", sorted(RULES))
def test_matrix(project: Chat, action: str) -> None:
    roles = RULES[action]
    for role, user in PEOPLE.items():
        allowed = role == "admin" or MEMBER in roles or role in roles
        for example in EXAMPLES[action]:
            attempt = _fresh(project, action, example)
            audits = _audits(project)
            reply = _attempt(project, user, attempt, role)
            if allowed:
                assert reply is not None and not reply.error, f"{role} {attempt!r}: {reply and reply.text}"
            else:
                assert reply is not None and reply.error, f"{role} {attempt!r} should be refused"
                assert "cannot" in reply.text and "Ask " in reply.text, reply.text
                assert _audits(project) == audits, f"{role} {attempt!r} changed something"


def test_refusal_names_the_people_who_may(project: Chat) -> None:
    project.ok("cre", '/task add "Work" @res A:@acc')
    text = project.fail("res", "/task update #2 A:@res")
    assert "change who is responsible, accountable, consulted or informed on task #2" in text
    for who in ("cre", "acc", "pm"):
        assert f"\ue000{who}\ue001" in text
    assert "\ue000res\ue001" not in text.split("Ask")[1].split("\n")[0]


def test_responsible_cannot_take_over_then_delete(project: Chat) -> None:
    """The issue's report: R made themself A in one or two steps, then deleted the task."""
    project.ok("cre", '/task add "Work" @res A:@acc')
    project.fail("res", "/task update #2 A:@res")
    project.fail("res", "/task update #2 owner:@res A:@res")
    project.fail("res", "/task delete #2")
    project.fail("res", "/task cancel #2")
    project.fail("res", "/任务 更新 #2 批准:@res")
    project.ok("acc", "/task update #2 A:@res")  # the Accountable hands over; now res may delete
    project.ok("res", "/task delete #2")


def test_refusals_in_chinese(chat: Chat) -> None:
    chat.ok("pm", '/项目 初始化 "ERP" lang:zh')
    chat.ok("cre", '/任务 新建 "工作" @res 批准:@acc')
    text = chat.fail("res", "/任务 更新 #1 批准:@res")
    assert text.startswith("你无权修改任务 #1 的负责人、审批人、咨询人或知会人。")


def test_readme_table_matches_the_rules() -> None:
    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = text.split("## Permissions", 1)[1].split("\n## ", 1)[0]
    documented = {}
    for action, who in re.findall(r"^\| `([a-z]+\.[a-z]+)` \| ([^|]+) \|", section, re.M):
        names = {w.strip() for w in who.split(",")}
        documented[action] = (
            frozenset() if names == {"admins only"} else frozenset(MEMBER if n == "anyone" else n for n in names)
        )
    assert documented == RULES
