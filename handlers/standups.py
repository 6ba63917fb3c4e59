"""Daily standups: check-ins (yesterday / today / blockers), away ranges, reports, settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Literal, overload

from sqlalchemy import select as select_rows
from sqlalchemy.orm import Session
from sqlmodel import col, select

from handlers import permissions
from handlers.calendar import Calendar
from handlers.command import Command
from handlers.dates import DateParseError, parse_date, parse_date_range
from handlers.destination import Destination
from handlers.env import Env, UserError, snapshot
from handlers.forms import fit_form
from handlers.grammar import STANDUP_MODES, Opt, command
from handlers.notify import queue
from handlers.replies import Card, Color, Field, Form, Input, Reply, mention
from handlers.views import fmt_date, fmt_days
from storage.database import insert_absent
from storage.models import TASK_IS_OPEN, Member, Notification, StandupEntry, StandupRun, Task, saved_id

_NO_BLOCKER = {"", "none", "no", "nope", "n/a", "na", "-", "nothing", "无", "没有", "暂无", "无阻碍"}
ANSWERS = ("yesterday", "today", "blockers")


def has_blocker(text: str) -> bool:
    return text.strip().lower().rstrip(".。") not in _NO_BLOCKER


def questions(env: Env) -> list[str]:
    custom = env.bound_project.standup_questions
    if custom and len(custom) == 3:
        return list(custom)
    return [env.t(f"standup.q_{key}") for key in ANSWERS]


@overload
def get_run(env: Env, day: date, create: Literal[True]) -> StandupRun: ...
@overload
def get_run(env: Env, day: date, create: bool = False) -> StandupRun | None: ...
def get_run(env: Env, day: date, create: bool = False) -> StandupRun | None:
    run = env.session.exec(
        select(StandupRun).where(StandupRun.project_id == env.project_id, StandupRun.day == day)
    ).first()
    if run is None and create:  # the day's first check-ins may race: they share one run
        run = insert_absent(
            env.session,
            StandupRun(workspace_id=env.workspace_id, project_id=env.project_id, day=day, created_at=env.now),
            "project_id",
            "day",
        )
    return run


def entries(env: Env, run: StandupRun | None) -> list[StandupEntry]:
    if run is None:
        return []
    return list(
        env.session.exec(
            select(StandupEntry).where(StandupEntry.run_id == run.id).order_by(col(StandupEntry.created_at))
        )
    )


def checkin_form(env: Env, entry: StandupEntry | None = None) -> Card:
    qs = questions(env)
    inputs = tuple(
        Input(
            name=key,
            label=q,
            kind="textarea",
            required=key != "blockers",
            initial=getattr(entry, key) if entry else None,
        )
        for key, q in zip(ANSWERS, qs, strict=True)
    )
    card = Card(
        title=env.t("standup.form_title", date=fmt_date(env, env.today)),
        color="blue",
        form=Form("standup", "checkin", inputs, env.t("button.submit")),
    )
    return fit_form(env, card, "/standup")


@command(
    "standup",
    "checkin",
    ("签到", "打卡", "填写", "check-in", "submit"),
    options={
        "yesterday": Opt("text", ("y", "昨天", "昨日")),
        "today": Opt("text", ("t", "今天", "今日")),
        "blockers": Opt("text", ("b", "blocker", "阻碍", "障碍", "阻塞", "困难")),
    },
)
def checkin(env: Env, cmd: Command) -> Reply:
    usage = "standup.checkin"
    run = get_run(env, env.today)
    entry = _entry_of(env, run, env.user)
    if not cmd.options:
        return Reply(cards=[checkin_form(env, entry)], visibility="ephemeral")
    if not (cmd.opt("yesterday") or cmd.opt("today")) and entry is None:
        raise UserError("error.standup_empty", usage)
    run = run or get_run(env, env.today, create=True)
    before = snapshot(entry) if entry else None
    if entry is None:
        entry = StandupEntry(
            workspace_id=env.workspace_id,
            run_id=saved_id(run),
            user_id=env.user,
            created_at=env.now,
            updated_at=env.now,
            late=run.summary_posted_at is not None,
        )
        env.session.add(entry)
    for key in ANSWERS:
        if key in cmd.options:
            setattr(entry, key, cmd.options[key])
    entry.updated_at = env.now
    env.session.flush()
    env.audit("standup", entry.id, "update" if before else "create", before, snapshot(entry))
    if run.summary_posted_at is not None:
        _update_summary(env, run, entry)
    key = "standup.updated" if before else "standup.recorded"
    return Reply(text=env.t(key, user=mention(env.user)), cards=[entry_card(env, entry)])


def summary_key(project_id: int, day: date) -> str:
    return f"standup-summary:{project_id}:{day.isoformat()}"


def summary_card(env: Env, day: date) -> Card:
    """The summary the scheduler posts: the report, and the project lead mentioned for blockers.
    Its updates after late answers are built here too, so they keep everything it had."""
    card = report_card(env, day)
    if env.bound_project.owner and any(has_blocker(e.blockers) for e in entries(env, get_run(env, day))):
        card.text += "\n" + env.t("sched.summary_lead", lead=mention(env.bound_project.owner))
    return card


def _update_summary(env: Env, run: StandupRun, entry: StandupEntry) -> None:
    """An answer after the summary was posted: the summary is updated in place (or followed up),
    with the text the summary was sent with (its "late" note, if any)."""
    key = summary_key(run.project_id, run.day)
    original = env.session.exec(select(Notification).where(Notification.key == key)).first()
    text = original.payload.get("text", "") if original is not None else ""
    version = f"{entry.id}:{entry.updated_at.isoformat()}"
    queue(
        env.session,
        key=f"standup-summary-update:{run.project_id}:{run.day.isoformat()}:{version}",
        platform=env.workspace.platform,
        replaces=key,
        destination=Destination.channel(env.workspace.external_id, env.bound_project.channel_id),
        reply=Reply(text=text, cards=[summary_card(env, run.day)], locale=env.locale),
        now=env.now,
        workspace_id=env.workspace_id,
        project_id=run.project_id,
    )


def _entry_of(env: Env, run: StandupRun | None, user: str) -> StandupEntry | None:
    if run is None:
        return None
    return env.session.exec(
        select(StandupEntry).where(StandupEntry.run_id == run.id, StandupEntry.user_id == user)
    ).first()


def entry_card(env: Env, entry: StandupEntry) -> Card:
    qs = questions(env)
    fields = [Field(q, getattr(entry, key) or "—", short=False) for key, q in zip(ANSWERS, qs, strict=True)]
    color: Color = "red" if has_blocker(entry.blockers) else "green"
    return Card(title=env.t("standup.entry_title", user=mention(entry.user_id)), color=color, fields=fields)


def _away_end(member: Member, day: date) -> date | None:
    """The last day of the absence `day` falls in, if the member is away that day."""
    ends = [end for start, end in member.away if start <= day.isoformat() <= end]
    return date.fromisoformat(max(ends)) if ends else None


def is_away(member: Member, day: date) -> bool:
    return _away_end(member, day) is not None


def _members(env: Env) -> list[Member]:
    return list(env.session.exec(select(Member).where(Member.project_id == env.project_id).order_by(col(Member.id))))


def away_until(env: Env, day: date) -> dict[str, date]:
    """Who in the project is away on `day`, and until when."""
    return away_among(_members(env), day)


def away_among(members: list[Member], day: date) -> dict[str, date]:
    """Who of `members` is away on `day`, and until when (the scheduler loads the members of many
    projects at once)."""
    return {m.user_id: end for m in members if (end := _away_end(m, day)) is not None}


@command("standup", "away", ("请假", "离开", "休假", "外出"), args="optional_text")
def away(env: Env, cmd: Command) -> Reply:
    usage = "standup.away"
    member = env.bound_member
    text = cmd.text.strip()
    if text.lower() in ("clear", "none", "清除", "取消"):
        before = {"away": list(member.away)}
        member.away = []
        env.audit("member", member.id, "away", before, {"away": []})
        return Reply.ephemeral(env.t("standup.away_cleared"))
    if text:
        try:
            start, end = parse_date_range(text, env.now, env.tz, Calendar.of(env.project))
        except DateParseError as exc:
            raise exc.user_error(usage) from None
        before = {"away": list(member.away)}
        today = env.today.isoformat()
        kept = [r for r in member.away if r[1] >= today]
        member.away = sorted([*kept, [start.isoformat(), end.isoformat()]])
        env.audit("member", member.id, "away", before, {"away": member.away})
        return Reply.ephemeral(env.t("standup.away_set", start=fmt_date(env, start), end=fmt_date(env, end)))
    ranges = [r for r in member.away if r[1] >= env.today.isoformat()]
    if not ranges:
        return Reply.ephemeral(env.t("standup.away_none"))
    lines = [f"{fmt_date(env, date.fromisoformat(a))} → {fmt_date(env, date.fromisoformat(b))}" for a, b in ranges]
    return Reply.ephemeral(env.t("standup.away_list") + "\n" + "\n".join(lines))


CHECKIN_MEMORY = timedelta(days=14)  # who checked in this recently takes part without being named


def participants(env: Env, day: date) -> list[Member]:
    """Members expected at the standup of `day`, minus those away that day: the configured list,
    or else the people doing the work — Responsible for an open task, or checked in lately.
    Being Consulted, Informed or merely mentioned enrols nobody."""
    return participants_among(_members(env), enrolled(env, day), day)


def participants_among(members: list[Member], chosen: set[str], day: date) -> list[Member]:
    """Of `members`, those `enrolled` (`chosen`) and not away on `day` (the scheduler loads the
    members and who does the work of many projects at once)."""
    return [m for m in members if m.user_id in chosen and not is_away(m, day)]


def enrolled(env: Env, day: date, doing: set[str] | None = None) -> set[str]:
    """Who takes part in the standup of `day`, away or not (see `participants`); `doing`: who
    does the work, when the caller loaded it already."""
    chosen = env.bound_project.standup_participants
    if chosen is not None:
        return set(chosen)
    return doing if doing is not None else _doing_the_work(env, day)


def _doing_the_work(env: Env, day: date) -> set[str]:
    return doing_the_work(env.session, {env.project_id: {day}}).get((env.project_id, day), set())


def doing_the_work(session: Session, days: Mapping[int, Iterable[date]]) -> dict[tuple[int, date], set[str]]:
    """Who does the work in each project (id -> its standup days) on each of its days: members
    Responsible for an open task, or who checked in within CHECKIN_MEMORY up to that day. Two
    queries however many projects (the scheduler asks for a batch at once)."""
    wanted = {pid: set(ds) for pid, ds in days.items() if ds}
    if not wanted:
        return {}
    every_day = {d for ds in wanted.values() for d in ds}
    responsible = session.execute(
        select_rows(col(Task.project_id), col(Task.responsible))
        .distinct()
        .where(col(Task.project_id).in_(wanted), TASK_IS_OPEN, col(Task.responsible).is_not(None))
    )
    checked_in = session.execute(
        select_rows(col(StandupRun.project_id), col(StandupRun.day), col(StandupEntry.user_id))
        .join(StandupRun, col(StandupRun.id) == StandupEntry.run_id)
        .where(
            col(StandupRun.project_id).in_(wanted),
            col(StandupRun.day) > min(every_day) - CHECKIN_MEMORY,
            col(StandupRun.day) <= max(every_day),
        )
    )
    working: dict[int, set[str]] = {}
    for project_id, user in responsible:
        if user:  # never None here (the query asks for it); the column type allows it
            working.setdefault(project_id, set()).add(user)
    recent: dict[int, list[tuple[date, str]]] = {}
    for project_id, at, user in checked_in:
        recent.setdefault(project_id, []).append((at, user))
    return {
        (pid, day): working.get(pid, set()) | {u for at, u in recent.get(pid, []) if day - CHECKIN_MEMORY < at <= day}
        for pid, ds in wanted.items()
        for day in ds
    }


ANSWER_SHOWN = 300  # characters of each answer a report line shows; `/standup` shows one's own in full


def report_card(env: Env, day: date) -> Card:
    """The standup report of `day`. What matters comes first, in the text, so a platform that has
    to shorten a big report never drops it: the counts, who is blocked, who has not answered. Then
    one line per person, blocked people first, so "… and N more" counts people."""
    run = get_run(env, day)
    done = entries(env, run)
    answered = {e.user_id for e in done}
    missing = [m.user_id for m in participants(env, day) if m.user_id not in answered]
    blocked = [e for e in done if has_blocker(e.blockers)]
    head = [env.t("standup.report_counts", answered=len(done), missing=len(missing))]
    if blocked:
        head.append(
            env.t("standup.report_blockers", count=len(blocked), users=", ".join(mention(e.user_id) for e in blocked))
        )
    if missing:
        head.append(env.t("standup.report_missing", users=", ".join(mention(u) for u in missing)))
    color: Color = "red" if blocked else "green" if done else "grey"
    lines = [_report_line(env, e) for e in sorted(done, key=lambda e: not has_blocker(e.blockers))]
    return Card(
        title=env.t("standup.report_title", name=env.bound_project.name, date=fmt_date(env, day)),
        color=color,
        text="\n".join(head),
        lines=lines,
    )


def _report_line(env: Env, entry: StandupEntry) -> str:
    """One person's answers on one line, each cut at ANSWER_SHOWN characters."""

    def short(text: str) -> str:
        flat = " / ".join(part.strip() for part in (text or "—").splitlines() if part.strip()) or "—"
        return flat if len(flat) <= ANSWER_SHOWN else flat[: ANSWER_SHOWN - 1] + "…"

    qs = questions(env)
    late = f" ({env.t('word.late')})" if entry.late else ""
    parts = [f"{qs[0]}: {short(entry.yesterday)}", f"{qs[1]}: {short(entry.today)}"]
    if has_blocker(entry.blockers):
        parts.insert(0, f"⛔ {qs[2]}: {short(entry.blockers)}")
    return f"{mention(entry.user_id)}{late} — " + " · ".join(parts)


@command("standup", "report", ("报告", "汇总", "总结", "summary"), args="optional_text")
def report(env: Env, cmd: Command) -> Reply:
    day = env.today
    if cmd.text:
        try:
            day = parse_date(cmd.text, env.now, env.tz, Calendar.of(env.project))
        except DateParseError as exc:
            raise exc.user_error("standup.report") from None
    return Reply(cards=[report_card(env, day)], visibility="ephemeral")


@command(
    "standup",
    "config",
    ("配置", "设置", "set"),
    options={
        "time": Opt("time", ("时间",)),
        "days": Opt("days", ("日期", "工作日")),
        "remind": Opt("duration", ("提醒",)),
        "summary": Opt("time", ("总结", "汇总")),
        "questions": Opt("text", ("问题",)),
        "enabled": Opt("bool", ("启用", "on")),
        "mode": Opt("enum", ("方式", "模式"), STANDUP_MODES),
        "participants": Opt("participants", ("参与人", "成员", "who")),
    },
)
def config(env: Env, cmd: Command) -> Reply:
    usage = "standup.config"
    if not cmd.options:
        return Reply(cards=[_config_card(env)], visibility="ephemeral")
    permissions.check(env, "standup.config", usage=usage)
    project = env.bound_project
    before = snapshot(project)
    opts = cmd.options
    if "time" in opts:
        project.standup_time = opts["time"]
    if "days" in opts:
        project.standup_days = opts["days"]
    if "remind" in opts:
        project.standup_remind_minutes = int(opts["remind"].total_seconds() // 60)
    if "summary" in opts:
        project.standup_summary_time = opts["summary"]
    if "enabled" in opts:
        project.standup_enabled = opts["enabled"]
    if "mode" in opts:
        project.standup_mode = opts["mode"]
    if "participants" in opts:
        refs = opts["participants"]
        project.standup_participants = None if refs is None else [env.ensure_member(r.id, r.name).user_id for r in refs]
    if "questions" in opts:
        parts = [q.strip() for q in opts["questions"].split("|")]
        if len(parts) != 3 or not all(parts):
            raise UserError("error.bad_questions", usage)
        project.standup_questions = parts
    if project.standup_summary_time <= project.standup_time:
        raise UserError("error.summary_before_prompt", usage)
    env.audit("project", project.id, "standup_config", before, snapshot(project))
    return Reply(text=env.t("standup.config_saved", user=mention(env.user)), cards=[_config_card(env)])


def _config_card(env: Env) -> Card:
    p = env.bound_project
    return Card(
        title=env.t("standup.config_title"),
        color="blue",
        fields=[
            Field(env.t("field.time"), p.standup_time),
            Field(env.t("field.days"), fmt_days(env, p.standup_days)),
            Field(env.t("field.remind"), env.t("word.minutes", n=p.standup_remind_minutes)),
            Field(env.t("field.summary"), p.standup_summary_time),
            Field(env.t("field.enabled"), env.t("word.yes" if p.standup_enabled else "word.no")),
            Field(env.t("field.mode"), env.t(f"mode.{p.standup_mode}")),
            Field(
                env.t("field.participants"),
                ", ".join(mention(u) for u in p.standup_participants)
                if p.standup_participants is not None
                else env.t("standup.participants_default"),
                short=False,
            ),
            Field(env.t("field.questions"), " | ".join(questions(env)), short=False),
        ],
    )


def _mute(muted: bool) -> Callable[[Env, Command], Reply]:
    def handler(env: Env, cmd: Command) -> Reply:
        member = env.bound_member
        before = {"standup_muted": member.standup_muted}
        member.standup_muted = muted
        env.audit("member", member.id, "mute" if muted else "unmute", before, {"standup_muted": muted})
        return Reply.ephemeral(env.t("standup.muted" if muted else "standup.unmuted"))

    return handler


mute = command("standup", "mute", ("静音", "免打扰"))(_mute(True))
unmute = command("standup", "unmute", ("取消静音", "恢复提醒"))(_mute(False))
