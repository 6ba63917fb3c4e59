"""The scheduler with an injected clock: punctual, never noisy, never duplicated, never lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from handlers.jobs import occurrences
from storage.database import Database
from storage.models import Notification, Project
from tests.chat import show
from tests.support.recording import SendFailed
from tests.support.scheduled import NY, SH
from tests.support.scheduled import make_bot as _bot


def test_prompt_fires_on_a_workday_at_local_time_in_shanghai(db: Database) -> None:
    bot = _bot(db)
    bot.at(datetime(2026, 11, 23, 9, 29, tzinfo=SH))
    assert bot.sent() == []
    bot.at(datetime(2026, 11, 23, 9, 30, tzinfo=SH))
    assert bot.sent() == [("post", "C1", "Standup time — ERP — Mon Nov 23")]
    bot.at(datetime(2026, 11, 23, 9, 31, tzinfo=SH))
    assert len(bot.sent()) == 1  # once


def test_prompt_fires_on_a_workday_in_new_york(db: Database) -> None:
    bot = _bot(db, NY)
    bot.at(datetime(2026, 11, 23, 9, 30, tzinfo=NY))
    assert ("post", "C1", "Standup time — ERP — Mon Nov 23") in bot.sent()
    assert bot.chat.clock.now() == datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


def test_no_prompt_on_weekend_or_public_holiday(db: Database) -> None:
    bot = _bot(db, when=datetime(2026, 9, 30, 8, 0, tzinfo=SH), init="holidays:CN")
    for day in (1, 2, 3, 4):  # National Day holiday (Thu..Sun)
        bot.at(datetime(2026, 10, day, 9, 30, tzinfo=SH))
    assert [t for t in bot.titles() if t.startswith("Standup time")] == []


def test_make_up_workday_on_a_weekend_fires(db: Database) -> None:
    bot = _bot(db, when=datetime(2026, 10, 9, 8, 0, tzinfo=SH), init="holidays:CN")
    bot.at(datetime(2026, 10, 10, 9, 30, tzinfo=SH))  # Saturday, a make-up working day (调休)
    assert ("post", "C1", "Standup time — ERP — Sat Oct 10") in bot.sent()


def test_members_away_get_no_prompt_dm_or_reminder(db: Database) -> None:
    bot = _bot(db)
    bot.chat.ok("pm", "/standup config mode:dm")
    bot.chat.ok("pm", "/task add T @alice A:@bob")
    bot.chat.ok("pm", "/task add U @bob")
    bot.chat.ok("bob", "/standup away 2026-11-23..2026-11-24")
    bot.at(datetime(2026, 11, 23, 10, 0, tzinfo=SH))  # prompt 09:30 and reminder 10:00
    dms = {target for kind, target, _ in bot.sent("dm")}
    assert dms == {"alice"}


def test_reminder_goes_only_to_non_responders_and_not_to_muted(db: Database) -> None:
    bot = _bot(db)
    for line in ("/task add T @alice A:@bob C:@carol", "/task add U @bob", "/task add V @carol", "/task add W @dan"):
        bot.chat.ok("pm", line)
    bot.at(datetime(2026, 11, 23, 9, 30, tzinfo=SH))
    bot.chat.ok("alice", "/standup y:a t:b")
    bot.chat.ok("carol", "/standup mute")
    bot.clear()
    bot.at(datetime(2026, 11, 23, 10, 0, tzinfo=SH))
    assert bot.sent() == [("dm", "bob", "Reminder: standup for ERP"), ("dm", "dan", "Reminder: standup for ERP")]


def test_summary_then_late_answer_updates_it_in_place(db: Database) -> None:
    bot = _bot(db)
    bot.chat.ok("pm", "/task add T @alice A:@bob")
    bot.chat.ok("pm", "/task add U @bob")
    bot.at(datetime(2026, 11, 23, 9, 30, tzinfo=SH))
    bot.chat.ok("alice", '/standup y:a t:b b:"need VPN"')
    bot.clear()
    bot.at(datetime(2026, 11, 23, 10, 30, tzinfo=SH))
    (summary,) = [s for s in bot.messenger.sent if s.kind == "post"]
    text = show(summary.reply)
    assert "1 checked in, 1 not yet." in text and "⛔ 1 blocker(s): @alice" in text
    assert "Blockers need attention: @pm" in text  # the project lead is mentioned
    bot.chat.advance(minutes=5)
    bot.chat.ok("bob", "/standup y:late t:still")
    bot.outbox.deliver()
    (update,) = bot.messenger.of_kind("update")
    assert update.ref == summary.ref
    assert "2 checked in, 0 not yet." in show(update.reply) and "@bob (late)" in show(update.reply)


def test_overdue_digest_dm_and_escalation_once_across_a_restart(db: Database) -> None:
    bot = _bot(db)
    bot.chat.ok("pm", "/task add Late @alice A:@bob due:2026-11-20")
    bot.chat.ok("pm", "/task add Fine @alice due:2026-12-20")
    bot.chat.ok("pm", "/task add Closed @alice due:2026-11-19")
    bot.chat.ok("pm", "/task done #3")
    daily = [("post", "C1", "Overdue tasks — ERP: 1"), ("dm", "alice", "You have 1 overdue task(s) in ERP")]
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=SH))  # Monday: 1 working day overdue
    assert bot.sent() == daily
    again = bot.restart()
    again.at(datetime(2026, 11, 23, 9, 1, tzinfo=SH))
    again.at(datetime(2026, 11, 23, 9, 30, tzinfo=SH))
    assert [s for s in again.sent() if "verdue" in s[2] or "Escalation" in s[2]] == daily
    again.clear()
    again.at(datetime(2026, 11, 24, 9, 0, tzinfo=SH))  # Tuesday: 2 working days, escalated
    again.restart().at(datetime(2026, 11, 24, 9, 30, tzinfo=SH))
    assert [s for s in again.sent() if "verdue" in s[2]] == [
        *daily,
        ("dm", "bob", "Escalation: 1 task(s) overdue in ERP"),
    ]
    again.clear()
    again.at(datetime(2026, 11, 25, 9, 0, tzinfo=SH))  # next day: digest and DM again, no second escalation
    assert again.sent() == daily


def test_no_overdue_alerts_on_weekends_unless_configured(db: Database) -> None:
    bot = _bot(db, when=datetime(2026, 11, 27, 8, 0, tzinfo=SH))
    bot.chat.ok("pm", "/task add Late @alice due:2026-11-20")
    bot.at(datetime(2026, 11, 28, 9, 0, tzinfo=SH))  # Saturday
    assert bot.sent() == []
    bot.chat.ok("pm", "/project set holiday_alerts:on")
    bot.at(datetime(2026, 11, 28, 9, 1, tzinfo=SH))  # today's 09:00 has passed: not replayed as "late"
    assert bot.sent() == []
    bot.at(datetime(2026, 11, 29, 9, 0, tzinfo=SH))  # Sunday
    assert bot.sent() == [
        ("post", "C1", "Overdue tasks — ERP: 1"),
        ("dm", "alice", "You have 1 overdue task(s) in ERP"),
    ]


def test_due_soon_reminder_once_within_the_window(db: Database) -> None:
    bot = _bot(db)
    bot.chat.ok("pm", '/task add Soon @bob due:"2026-11-24 15:00"')
    bot.at(datetime(2026, 11, 23, 14, 59, tzinfo=SH))
    assert [t for t in bot.titles() if t.startswith("Due soon")] == []
    bot.at(datetime(2026, 11, 23, 15, 0, tzinfo=SH))
    bot.at(datetime(2026, 11, 23, 16, 0, tzinfo=SH))
    assert [s for s in bot.sent() if s[2].startswith("Due soon")] == [
        ("dm", "bob", "Due soon: #1 Soon — Tue Nov 24 15:00")
    ]


def test_risk_review_reminds_the_owner_once(db: Database) -> None:
    bot = _bot(db)
    bot.chat.ok("pm", '/risk add "Vendor" p:3 i:3 owner:@carol review:2026-11-24')
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=SH))
    assert not [t for t in bot.titles() if "review risk" in t]
    bot.at(datetime(2026, 11, 24, 9, 0, tzinfo=SH))
    bot.at(datetime(2026, 11, 25, 9, 0, tzinfo=SH))
    assert [s for s in bot.sent() if "review risk" in s[2]] == [("dm", "carol", "Time to review risk R1 Vendor")]


def test_weekly_report_content(db: Database) -> None:
    bot = _bot(db)
    bot.chat.ok("pm", "/task add Shipped @alice due:2026-11-25")
    bot.chat.ok("pm", "/task add Late @bob due:2026-11-20")
    bot.chat.ok("pm", "/task add Next @carol due:2026-12-01")
    bot.chat.ok("pm", "/task add Stuck @dan")
    bot.chat.ok("pm", "/task block #4")
    bot.chat.ok("pm", '/risk add "Unmitigated" p:4 i:4')
    bot.chat.ok("pm", '/risk add "Handled" p:5 i:3 mitigation:"plan B"')
    bot.chat.clock.set(datetime(2026, 11, 25, 11, 0, tzinfo=SH))
    bot.chat.ok("alice", "/task done #1")
    bot.chat.ok("pm", "/task update #3 due:2026-12-02")
    bot.at(datetime(2026, 11, 27, 16, 0, tzinfo=SH))  # Friday
    reports = [s for s in bot.messenger.sent if s.reply.cards and s.reply.cards[0].title.startswith("Weekly status")]
    assert len(reports) == 1
    text = show(reports[0].reply)
    assert "Weekly status — ERP — Fri Nov 27" in text
    assert "Progress: 1/4 done (25%)" in text
    assert "Completed since the last report (1): ✔ #1 Shipped" in text
    assert "Overdue (1): ○ #2 Late" in text
    assert "Due next week (1): ○ #3 Next" in text
    assert "R1 Unmitigated · Score 16" in text
    assert "Open blockers (1): ⛔ #4 Stuck" in text
    assert "@alice completed #1 Shipped" in text and "@pm moved the due of #3 Next: 2026-12-01 → 2026-12-02" in text
    unmitigated = [s for s in bot.messenger.sent if s.reply.cards[0].title.startswith("High risks without")]
    assert len(unmitigated) == 1 and "R1 Unmitigated" in show(unmitigated[0].reply)
    assert "Handled" not in show(unmitigated[0].reply)


@pytest.mark.parametrize(("day", "utc_hour"), [(8, 13), (9, 13)])  # 09:30 EST=14:30Z / EDT=13:30Z
def test_dst_spring_forward_fires_once_at_local_time(db: Database, day: int, utc_hour: int) -> None:
    project = Project(
        workspace_id=0,
        channel_id="c",
        name="p",
        timezone="America/New_York",
        created_by="x",
        standup_time="02:30",
        standup_summary_time="10:30",
        standup_days="mon,tue,wed,thu,fri,sat,sun",
    )
    start = datetime(2026, 3, 7, 12, tzinfo=UTC)
    prompts = [o for o in occurrences(project, start, start + timedelta(days=3)) if o.kind == "standup_prompt"]
    assert [o.day.day for o in prompts] == [8, 9, 10]  # 02:30 does not exist on Mar 8: fires once anyway
    assert prompts[0].at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # = 03:30 EDT, right after the jump
    assert prompts[1].at == datetime(2026, 3, 9, 6, 30, tzinfo=UTC)


def test_dst_fall_back_fires_once_for_a_repeated_hour(db: Database) -> None:
    project = Project(
        workspace_id=0,
        channel_id="c",
        name="p",
        timezone="America/New_York",
        created_by="x",
        standup_time="01:30",
        standup_summary_time="10:30",
        standup_days="mon,tue,wed,thu,fri,sat,sun",
    )
    start = datetime(2026, 10, 31, 12, tzinfo=UTC)
    prompts = [o for o in occurrences(project, start, start + timedelta(days=2)) if o.kind == "standup_prompt"]
    assert [(o.day.day, o.at) for o in prompts] == [
        (1, datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # first 01:30 (EDT), not the second
        (2, datetime(2026, 11, 2, 6, 30, tzinfo=UTC)),
    ]


def test_dst_day_through_the_bot_sends_exactly_one_prompt(db: Database) -> None:
    bot = _bot(db, NY, when=datetime(2026, 10, 31, 8, 0, tzinfo=NY))
    bot.chat.ok("pm", "/standup config time:01:30 summary:10:30 days:daily")
    bot.scheduler.run_between(bot.chat.clock.now(), datetime(2026, 11, 2, 0, 0, tzinfo=NY).astimezone(UTC))
    prompts = [t for t in bot.titles() if t.startswith("Standup time")]
    assert prompts == ["Standup time — ERP — Sun Nov 1"]


def test_catch_up_after_downtime_sends_recent_once_marked_late_and_skips_old(db: Database) -> None:
    bot = _bot(db, when=datetime(2026, 11, 20, 8, 0, tzinfo=SH))  # Friday
    bot.chat.ok("pm", "/task add T @alice")
    # Down from Friday 08:00 to Monday 10:15: Friday's prompt and summary are far too old.
    bot.at(datetime(2026, 11, 23, 10, 15, tzinfo=SH))
    prompts = [s for s in bot.messenger.sent if s.reply.cards and s.reply.cards[0].title.startswith("Standup time")]
    assert [p.reply.cards[0].title for p in prompts] == ["Standup time — ERP — Mon Nov 23"]
    assert prompts[0].reply.text.startswith("(late")
    assert not [t for t in bot.titles() if "Nov 20" in t]
    bot.at(datetime(2026, 11, 23, 10, 16, tzinfo=SH))
    assert len([t for t in bot.titles() if t.startswith("Standup time")]) == 1


def test_failed_send_is_retried_and_delivered_once(db: Database) -> None:
    bot = _bot(db)
    bot.messenger.fail_next(SendFailed(retry_after=60))
    bot.at(datetime(2026, 11, 23, 9, 30, tzinfo=SH))
    assert bot.sent() == []
    bot.at(datetime(2026, 11, 23, 9, 31, tzinfo=SH))
    assert bot.sent() == [("post", "C1", "Standup time — ERP — Mon Nov 23")]
    with db.session() as s:
        row = s.exec(select(Notification).where(Notification.key.startswith("standup-prompt"))).one()
    assert (row.status, row.attempts) == ("sent", 2)


def test_week_through_run_between_is_ordered_and_complete(db: Database) -> None:
    bot = _bot(db, when=datetime(2026, 11, 22, 20, 0, tzinfo=SH))  # Sunday evening
    bot.chat.ok("pm", "/task add T @alice due:2026-11-24")
    bot.scheduler.run_between(bot.chat.clock.now(), datetime(2026, 11, 29, 20, 0, tzinfo=SH))
    posts = [t for k, _, t in bot.sent() if k == "post"]
    assert [t for t in posts if t.startswith("Standup time")] == [
        f"Standup time — ERP — {d}" for d in ("Mon Nov 23", "Tue Nov 24", "Wed Nov 25", "Thu Nov 26", "Fri Nov 27")
    ]
    assert [t for t in posts if t.startswith("Overdue")] == ["Overdue tasks — ERP: 1"] * 3  # Wed, Thu, Fri
    assert [t for t in posts if t.startswith("Weekly")] == ["Weekly status — ERP — Fri Nov 27"]


def test_participants_list_limits_who_is_expected_and_reminded(db: Database) -> None:
    bot = _bot(db)
    bot.chat.ok("pm", "/task add T @alice A:@bob C:@carol")
    bot.chat.ok("pm", "/standup config participants:@alice,@bob")
    assert "cannot change" in bot.chat.fail("alice", "/standup config participants:all")
    bot.at(datetime(2026, 11, 23, 10, 0, tzinfo=SH))
    assert {t for k, t, _ in bot.sent("dm")} == {"alice", "bob"}
    assert "Not checked in: @alice, @bob" in show(bot.chat.ok("pm", "/standup report"))
    bot.chat.ok("pm", "/standup config participants:all")  # back to the people doing the work
    assert "Not checked in: @alice\n" in show(bot.chat.ok("pm", "/standup report"))
