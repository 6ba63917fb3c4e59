"""When the scheduler speaks: every job is derived from the project's settings in the database.

`occurrences(project, start, end)` lists the scheduled instants in (start, end]: standup
prompt, reminder and summary on standup days; the overdue digest on the alert calendar's days
(working days, or every day with `holiday_alerts:on`); the weekly report on its day or, when that
is a day off, on the last working day before. `run_due(env)` runs what fell due since the
project's jobs last ran (`Project.jobs_run_until`, else its creation): for each kind the latest
occurrence, if it is within that kind's grace window — so after downtime a missed prompt is sent
once (marked late) and older ones are skipped, never replayed in a burst; and a prompt whose time
had passed before the project existed or before its settings changed is not sent at all: "late"
is only for real downtime. Local times come from `zoneinfo`: on a daylight-saving day a time
that does not exist moves forward with the clock, a repeated one fires at its first occurrence,
and each job's key is per local day, so it fires exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers import reminders
from handlers.calendar import is_standup_day
from handlers.env import Env
from handlers.reminders import QUIET_FROM, alert_calendar, is_report_day, local_instant
from storage.models import Project

__all__ = ["KINDS", "Occurrence", "occurrences", "run_due"]

LATE_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Kind:
    name: str
    run: Callable[[Env, date, bool], None]
    grace: timedelta


KINDS = {
    "standup_prompt": Kind("standup_prompt", reminders.standup_prompt, timedelta(hours=2)),
    "standup_reminder": Kind("standup_reminder", reminders.standup_reminder, timedelta(hours=1)),
    "standup_summary": Kind("standup_summary", reminders.standup_summary, timedelta(hours=3)),
    "digest": Kind("digest", reminders.overdue_digest, timedelta(hours=4)),
    "weekly": Kind("weekly", reminders.weekly, timedelta(hours=12)),
}


@dataclass(frozen=True)
class Occurrence:
    kind: str
    day: date  # the project's local calendar day
    at: datetime  # the instant, UTC


def _day_occurrences(p: Project, day: date, tz: ZoneInfo) -> list[Occurrence]:
    out: list[Occurrence] = []
    country = p.holidays_country
    if p.standup_enabled and is_standup_day(p.standup_days, country, day):
        prompt = local_instant(day, p.standup_time, tz)
        out.append(Occurrence("standup_prompt", day, prompt))
        if p.standup_remind_minutes > 0:
            remind = prompt + timedelta(minutes=p.standup_remind_minutes)
            summary = local_instant(day, p.standup_summary_time, tz)
            if remind < summary:
                out.append(Occurrence("standup_reminder", day, remind))
        out.append(Occurrence("standup_summary", day, local_instant(day, p.standup_summary_time, tz)))
    if alert_calendar(p).is_working_day(day):
        out.append(Occurrence("digest", day, local_instant(day, p.digest_time, tz)))
    if is_report_day(p, day):
        out.append(Occurrence("weekly", day, local_instant(day, p.weekly_report_time, tz)))
    return out


def occurrences(project: Project, start: datetime, end: datetime) -> list[Occurrence]:
    """Every scheduled instant in (start, end], in time order."""
    tz = ZoneInfo(project.timezone)
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    found: list[Occurrence] = []
    while day <= last:
        found.extend(o for o in _day_occurrences(project, day, tz) if start < o.at <= end)
        day += timedelta(days=1)
    return sorted(found, key=lambda o: o.at)


def run_due(env: Env) -> list[Occurrence]:
    """Queue everything that fell due for env.project since its jobs last ran, up to env.now.
    Returns the occurrences that ran."""
    p, now = env.bound_project, env.now
    # A project created at 09:30:00 still gets that 09:30 prompt: only a time strictly before it is past.
    since = max(p.jobs_run_until or p.created_at - timedelta.resolution, now - max(k.grace for k in KINDS.values()))
    latest: dict[str, Occurrence] = {}
    for occ in occurrences(p, since, now):
        latest[occ.kind] = occ
    ran = []
    for kind_name, occ in latest.items():
        kind = KINDS[kind_name]
        if now - occ.at > kind.grace:
            continue  # too old: skipped, never replayed
        kind.run(env, occ.day, now - occ.at > LATE_AFTER)
        ran.append(occ)
    if _active(env):
        reminders.due_soon(env)
    if p.jobs_run_until is None or p.jobs_run_until < now:
        p.jobs_run_until = now
    return ran


def _active(env: Env) -> bool:
    """Individual reminders go out on alert days between the digest time and 21:00 local."""
    p = env.bound_project
    if not alert_calendar(p).is_working_day(env.today):
        return False
    return p.digest_time <= env.now.astimezone(env.tz).strftime("%H:%M") < QUIET_FROM
