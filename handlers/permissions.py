"""Who may do what: the one permission table for every command and card action.

Project admins may do everything. Every other rule names the roles, relative to the item acted
on, whose holders may do it; `MEMBER` means anyone in the project's channel. Card buttons and
forms run the same commands, so the same rules check them.

Changes are checked field by field from the audit diff (`check_change`): whatever path changed
a field (an option, a form, a button, a status shortcut), the field decides which rule applies.
So `/task update #1 A:@me` by the Responsible is refused like `/task delete #1` is, and an edit
form submitted unchanged changes nothing and needs nothing beyond the right to edit.

README.md's "Permissions" table is checked against `RULES` by tests/test_permissions_matrix.py,
which also runs the whole matrix (role x action -> allowed/refused) from this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.env import Env, UserError
from handlers.replies import mention
from storage.models import Retro, Risk, Task

__all__ = ["MEMBER", "ROLES", "RULES", "check", "check_change", "holders", "status_rule"]

MEMBER = "member"
ADMINS: frozenset[str] = frozenset()
ROLES = ("creator", "accountable", "responsible", "owner", "starter")


def _roles(*names: str) -> frozenset[str]:
    assert set(names) <= {MEMBER, *ROLES}, names
    return frozenset(names)


EVERYONE = _roles(MEMBER)

# action -> the roles that may do it (admins always may). Keys are `area.action` of the command
# grammar, plus the field-level rules `task.roles` (who is R, A, C, I) and `task.status`.
RULES: dict[str, frozenset[str]] = {
    # projects
    "project.init": EVERYONE,  # binds a channel with no project; the binder becomes admin
    "project.status": EVERYONE,
    "project.show": EVERYONE,
    "project.members": EVERYONE,
    "project.set": ADMINS,
    "project.admin": ADMINS,
    "project.baseline": ADMINS,  # saving or replacing the baseline; showing it is open to everyone
    "project.schedule": EVERYONE,
    # tasks
    "task.add": EVERYONE,
    "task.list": EVERYONE,
    "task.show": EVERYONE,
    "task.tree": EVERYONE,
    "task.raci": EVERYONE,
    "task.form": EVERYONE,  # the create form; the edit form needs task.edit
    "task.edit": _roles("creator", "accountable", "responsible"),  # title, description, due, priority, link, parent
    "task.status": _roles("creator", "accountable", "responsible"),  # start, block, done, reopen, snooze
    "task.roles": _roles("creator", "accountable"),  # change R, A, C or I (owner: too)
    "task.cancel": _roles("creator", "accountable"),
    "task.delete": _roles("creator", "accountable"),
    # milestones (editing one afterwards is task.edit, like any task)
    "milestone.add": ADMINS,
    "milestone.list": EVERYONE,
    # risks
    "risk.add": EVERYONE,
    "risk.list": EVERYONE,
    "risk.show": EVERYONE,
    "risk.form": EVERYONE,  # the create form; the edit form needs risk.edit
    "risk.edit": _roles("creator", "owner"),  # every field, the owner and status open/mitigating/occurred
    "risk.close": _roles("creator"),
    # standups (each person's own answers, away days and mute)
    "standup.checkin": EVERYONE,
    "standup.away": EVERYONE,
    "standup.mute": EVERYONE,
    "standup.unmute": EVERYONE,
    "standup.report": EVERYONE,
    "standup.config": ADMINS,  # viewing the settings is open to everyone
    # retrospectives
    "retro.start": EVERYONE,
    "retro.add": EVERYONE,
    "retro.show": EVERYONE,
    "retro.list": EVERYONE,
    "retro.close": _roles("starter"),
}

# Which rule a changed field falls under; any other field of the entity falls under the default.
_FIELD_RULES: Mapping[str, Mapping[str, str]] = {
    "task": {
        "responsible": "task.roles",
        "accountable": "task.roles",
        "consulted": "task.roles",
        "informed": "task.roles",
        "status": "task.status",
        "closed_at": "task.status",
        "progress": "task.status",
    },
    "risk": {},
}
_DEFAULT_RULE = {"task": "task.edit", "risk": "risk.edit"}
# A status that takes an item off the board needs its own rule.
_STATUS_RULES = {("task", "cancelled"): "task.cancel", ("risk", "closed"): "risk.close"}
# Stricter rules first, so a refusal names the strongest thing asked for.
_ORDER = ("task.delete", "task.cancel", "task.roles", "risk.close", "task.status", "task.edit", "risk.edit")


_ROLE_FIELDS: Mapping[type, Mapping[str, str]] = {
    Task: {"creator": "creator", "accountable": "accountable", "responsible": "responsible"},
    Risk: {"creator": "creator", "owner": "owner"},
    Retro: {"starter": "started_by"},
}


def holders(item: Any, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Who holds each role on `item` (a Task, Risk or Retro; None for project-level actions),
    read from `values` (a snapshot of the item before a change) when given."""
    fields = _ROLE_FIELDS.get(type(item), {})
    if values is not None:
        return {role: values.get(field) for role, field in fields.items()}
    return {role: getattr(item, field) for role, field in fields.items()}


def ref_of(item: Any) -> str:
    if isinstance(item, Task):
        return f"#{item.number}"
    if isinstance(item, Risk):
        return f"R{item.number}"
    return ""


def check(
    env: Env,
    action: str,
    item: Any = None,
    *,
    usage: str = "",
    what: str | None = None,
    before: Mapping[str, Any] | None = None,
) -> None:
    """Refuse unless the speaker may do `action` on `item` (as it was `before` a change, when
    given: roles someone just gave themself count for nothing); the refusal says who may."""
    roles = RULES[action]
    if env.is_admin or MEMBER in roles:
        return
    allowed = {user for role, user in holders(item, before).items() if role in roles and user}
    if env.user in allowed:
        return
    who = sorted(allowed) + [u for u in env.admins() if u not in allowed]
    raise UserError(
        "error.forbidden",
        usage,
        what=what or env.t(f"what.{action}", ref=ref_of(item)),
        who=", ".join(mention(u) for u in who) or env.t("word.admins"),
    )


def status_rule(entity: str, status: str) -> str:
    """The rule for moving an item to `status`."""
    return _STATUS_RULES.get((entity, status), _FIELD_RULES[entity].get("status", _DEFAULT_RULE[entity]))


def rules_for_change(entity: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The rules a change from `before` to `after` falls under, strictest first."""
    needed: set[str] = set()
    for key in set(before) | set(after):
        if before.get(key) == after.get(key):
            continue
        rule = _FIELD_RULES[entity].get(key, _DEFAULT_RULE[entity])
        needed.add(status_rule(entity, after[key]) if key == "status" else rule)
    return sorted(needed, key=_ORDER.index)


def check_change(
    env: Env,
    entity: str,
    item: Any,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    usage: str = "",
    what: str | None = None,
) -> None:
    """Check every field a change touches (the audit diff) against the table."""
    for rule in rules_for_change(entity, before, after):
        check(env, rule, item, usage=usage, what=what, before=before)
