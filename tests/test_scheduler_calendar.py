"""The scheduler is never silently wrong: working calendars (mainland China's Spring Festival
included), the weekly report window, escalations in working days, "late" only after downtime,
away people covered by someone, standup participants who do the work (issue 8, items 6-13)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import create_engine, text
from sqlmodel import select

from storage import migrate
from storage.database import Database
from storage.models import Member
from tests.chat import show
from tests.support.scheduled import SH, Bot, make_bot


def _day(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def _daily(bot: Bot, prefix: str, days: list[tuple[int, int]], hour: int = 9) -> dict[str, list[str]]:
    """Tick at `hour` on each (month, day), twice; which recipients got a `prefix` message on which day."""
    got: dict[str, list[str]] = {}
    for month, day in days:
        bot.clear()
        bot.at(_day(month, day, hour))
        bot.at(_day(month, day, hour, 30))
        targets = [s.target for s in bot.titled(prefix)]
        if targets:
            got[f"{month:02d}-{day:02d}"] = targets
    return got


# --- 6. the weekly report --------------------------------------------------------------------


def test_weekly_report_on_a_holiday_goes_out_on_the_previous_working_day_spring_festival(db: Database) -> None:
    bot = make_bot(db, when=_day(2, 9, 8), init="holidays:CN")
    bot.run_until(_day(2, 28, 20))
    # Fri Feb 20 is in the Spring Festival holiday (Feb 15-23); the last working day before it is the
    # make-up Saturday Feb 14, the day after Feb 13's report: two reports of two weeks, both sent.
    assert [s.reply.cards[0].title for s in bot.titled("Weekly status")] == [
        "Weekly status — ERP — Fri Feb 13",
        "Weekly status — ERP — Sat Feb 14",
        "Weekly status — ERP — Fri Feb 27",
    ]


def test_work_done_after_a_report_is_in_the_next_one(db: Database) -> None:
    bot = make_bot(db)
    bot.chat.ok("pm", "/task add Early @alice")
    bot.chat.ok("pm", "/task add Evening @alice")
    bot.chat.clock.set(_day(11, 25, 11))
    bot.chat.ok("alice", "/task done #1")
    bot.at(_day(11, 27, 16))
    (first,) = bot.titled("Weekly status")
    assert "Completed since the last report (1): ✔ #1 Early" in show(first.reply)
    bot.chat.clock.set(_day(11, 27, 17))  # an hour after the report
    bot.chat.ok("alice", "/task done #2")
    bot.clear()
    bot.run_until(_day(12, 4, 17))
    (second,) = bot.titled("Weekly status")
    text = show(second.reply)
    assert "Completed since the last report (1): ✔ #2 Evening" in text
    assert "@alice completed #2 Evening" in text and "#1 Early" not in text


# --- 7. due-soon -----------------------------------------------------------------------------


def test_due_soon_for_a_sunday_due_goes_out_on_friday(db: Database) -> None:
    bot = make_bot(db)
    bot.chat.ok("pm", "/task add Weekend @bob due:2026-11-29")  # a Sunday
    assert _daily(bot, "Due soon", [(11, 27), (11, 28), (11, 29)]) == {"11-27": ["bob"]}


def test_due_soon_for_a_spring_festival_due_goes_out_on_the_make_up_saturday(db: Database) -> None:
    bot = make_bot(db, when=_day(2, 12, 8), init="holidays:CN")
    bot.chat.ok("pm", "/task add Festive @bob due:2026-02-18")  # Wednesday, in the holiday
    days = [(2, 12), (2, 13), (2, 14), (2, 15), (2, 16), (2, 17), (2, 18)]
    assert _daily(bot, "Due soon", days) == {"02-14": ["bob"]}


# --- 8. escalation ---------------------------------------------------------------------------


def test_escalation_counts_working_days_of_the_chinese_calendar(db: Database) -> None:
    bot = make_bot(db, when=_day(2, 12, 8), init="holidays:CN")
    bot.chat.ok("pm", "/project set escalate:3")
    bot.chat.ok("pm", "/task add Late @alice A:@bob due:2026-02-13")  # Friday before the holiday
    days = [(2, 14), (2, 16), (2, 23), (2, 24), (2, 25), (2, 26)]
    # Working days overdue: Sat Feb 14 (make-up day) 1, Tue Feb 24 2, Wed Feb 25 3.
    assert _daily(bot, "Escalation", days) == {"02-25": ["bob"]}


def test_first_overdue_dm_and_escalation_never_arrive_in_the_same_digest(db: Database) -> None:
    bot = make_bot(db)
    bot.chat.ok("pm", "/project set escalate:1")
    bot.chat.ok("pm", "/task add Late @alice A:@bob due:2026-11-20")
    bot.at(_day(11, 23, 9))  # Monday: 1 working day overdue, but alice has not been told yet
    assert [t for t in bot.titles() if "verdue" in t or "Escalation" in t] == [
        "Overdue tasks — ERP: 1",
        "You have 1 overdue task(s) in ERP",
    ]
    bot.clear()
    bot.at(_day(11, 24, 9))
    bot.at(_day(11, 24, 10))
    (escalation,) = bot.titled("Escalation")
    assert escalation.target == "bob" and "2 working day(s) overdue" in show(escalation.reply)


def test_escalation_after_downtime_waits_for_the_next_digest(db: Database) -> None:
    bot = make_bot(db, when=_day(11, 16, 8))
    bot.chat.ok("pm", "/task add Late @alice A:@bob due:2026-11-17")
    bot.at(_day(11, 24, 9))  # the bot was down for a week
    assert bot.titled("Escalation") == [] and [s.target for s in bot.titled("You have")] == ["alice"]
    bot.at(_day(11, 25, 9))
    assert [s.target for s in bot.titled("Escalation")] == ["bob"]


# --- 13. escalations grouped -----------------------------------------------------------------


def test_escalations_for_one_person_are_one_dm_and_never_repeat(db: Database) -> None:
    bot = make_bot(db)
    bot.chat.ok("pm", "/task add One @alice A:@bob due:2026-11-19")
    bot.chat.ok("pm", "/task add Two @carol A:@bob due:2026-11-20")
    bot.at(_day(11, 23, 9))
    bot.at(_day(11, 24, 9))
    bot.at(_day(11, 24, 9, 30))
    (escalation,) = bot.titled("Escalation")
    assert escalation.target == "bob" and escalation.reply.cards[0].title == "Escalation: 2 task(s) overdue in ERP"
    text = show(escalation.reply)
    assert "#1 One" in text and "#2 Two" in text
    bot.clear()
    bot.at(_day(11, 25, 9))
    assert bot.titled("Escalation") == []


# --- 9. late only after downtime -------------------------------------------------------------


def test_project_created_after_prompt_time_posts_no_late_prompt(db: Database) -> None:
    bot = make_bot(db, when=_day(11, 23, 9, 45))
    bot.at(_day(11, 23, 9, 45))
    bot.at(_day(11, 23, 9, 50))
    assert bot.titled("Standup time") == []
    bot.at(_day(11, 24, 9, 30))
    (prompt,) = bot.titled("Standup time")
    assert prompt.reply.text == ""  # on time, not "late"


def test_mode_change_after_prompt_time_sends_no_late_dm_prompts(db: Database) -> None:
    bot = make_bot(db)
    bot.chat.ok("pm", "/task add T @alice")
    bot.at(_day(11, 23, 9, 30))
    assert [s.kind for s in bot.titled("Standup time")] == ["post"]
    bot.chat.clock.set(_day(11, 23, 9, 45))
    bot.chat.ok("pm", "/standup config mode:dm")
    bot.at(_day(11, 23, 9, 46))
    assert [s.kind for s in bot.titled("Standup time")] == ["post"]
    bot.at(_day(11, 24, 9, 30))
    assert [(s.kind, s.target, s.reply.text) for s in bot.titled("Standup time")][1:] == [("dm", "alice", "")]


# --- 10. away means away ---------------------------------------------------------------------


def _away_project(db: Database) -> Bot:
    bot = make_bot(db, when=_day(11, 20, 8))
    bot.chat.ok("pm", "/task add Covered @alice A:@bob due:2026-11-19")
    bot.chat.ok("pm", "/task add Orphan @alice due:2026-11-19")
    bot.chat.ok("pm", "/task add Soon @alice A:@bob due:2026-11-24")
    bot.chat.ok("pm", '/risk add "Vendor" p:3 i:3 owner:@alice review:2026-11-23')
    bot.chat.ok("alice", "/standup away 2026-11-23..2026-11-27")
    return bot


def test_work_of_someone_away_goes_to_the_accountable_or_the_admins(db: Database) -> None:
    bot = _away_project(db)
    bot.at(_day(11, 23, 9))
    bot.at(_day(11, 24, 9))
    assert [t for k, t, _ in bot.sent("dm") if t == "alice"] == []
    overdue = {s.target: show(s.reply) for s in bot.titled("You have")}
    assert set(overdue) == {"bob", "pm"}
    assert "On behalf of @alice, away until Fri Nov 27:" in overdue["bob"] and "#1 Covered" in overdue["bob"]
    assert "#2 Orphan" in overdue["pm"] and "#2 Orphan" not in overdue["bob"]
    assert [s.target for s in bot.titled("Due soon: #3")] == ["bob"]
    assert [s.target for s in bot.titled("Time to review risk R1")] == ["pm"]
    (digest, *_) = bot.titled("Overdue tasks")
    assert "Away: @alice until Fri Nov 27" in show(digest.reply)


def test_when_the_accountable_is_away_too_the_admins_get_it(db: Database) -> None:
    bot = _away_project(db)
    bot.chat.ok("bob", "/standup away 2026-11-23..2026-11-30")
    bot.at(_day(11, 23, 9))
    bot.at(_day(11, 24, 9))
    assert {t for _, t, _ in bot.sent("dm")} == {"pm"}
    (overdue, *_) = bot.titled("You have")
    assert "#1 Covered" in show(overdue.reply) and "#2 Orphan" in show(overdue.reply)
    (escalation,) = bot.titled("Escalation")  # Tuesday, addressed to bob who is away: to the admin
    assert escalation.target == "pm" and "On behalf of @bob, away until Mon Nov 30:" in show(escalation.reply)
    assert "Away: @alice until Fri Nov 27, @bob until Mon Nov 30" in show(bot.titled("Overdue tasks")[0].reply)


# --- 11. the updated summary -----------------------------------------------------------------


def test_updated_summary_keeps_the_lead_mention(db: Database) -> None:
    bot = make_bot(db)
    bot.chat.ok("pm", "/task add T @alice")
    bot.chat.ok("pm", "/task add U @bob")
    bot.at(_day(11, 23, 9, 30))
    bot.chat.ok("alice", '/standup y:a t:b b:"need VPN"')
    bot.at(_day(11, 23, 10, 30))
    (summary,) = bot.titled("Standup — ERP")
    assert "Blockers need attention: @pm" in show(summary.reply)
    bot.chat.advance(minutes=5)
    bot.chat.ok("bob", "/standup y:late t:still")
    bot.outbox.deliver()
    (update,) = bot.messenger.of_kind("update")
    first = set(show(summary.reply).splitlines()) - {"│ 1 checked in, 1 not yet.", "│ Not checked in: @bob"}
    assert first <= set(show(update.reply).splitlines())
    assert "2 checked in, 0 not yet." in show(update.reply)


# --- 12. participants ------------------------------------------------------------------------


def test_participants_are_the_people_doing_the_work(db: Database) -> None:
    bot = make_bot(db)
    bot.chat.ok("pm", "/standup config mode:dm")
    bot.chat.ok("pm", "/task add T @alice A:@bob C:@carol I:@erin")
    bot.chat.ok("pm", "/task add Finished @dan")
    bot.chat.ok("pm", "/task done #2")
    bot.at(_day(11, 23, 10))
    assert set(bot.sent()) == {
        ("dm", "alice", "Standup time — ERP — Mon Nov 23"),
        ("dm", "alice", "Reminder: standup for ERP"),
    }
    bot.chat.clock.set(_day(11, 23, 10, 5))
    bot.chat.ok("frank", "/standup y:helped t:helping")  # checking in enrols
    bot.clear()
    bot.at(_day(11, 24, 9, 30))
    assert {s.target for s in bot.titled("Standup time")} == {"alice", "frank"}
    assert "Not checked in: @alice, @frank" in show(bot.chat.ok("pm", "/standup report"))
    # App Home tells the same story: Informed/Consulted people have no standup to do
    assert _home_standup(bot, "alice").startswith("○ not yet")
    assert _home_standup(bot, "erin") == "no standup for you today"


def _home_standup(bot: Bot, user: str) -> str:
    home = bot.chat.core.home(bot.chat.ctx(user))
    return next(f.value for s in home.sections for f in s.card.fields if f.label == "Standup today")


def test_removing_an_admin_who_is_not_one_is_refused_and_creates_nobody(db: Database) -> None:
    bot = make_bot(db)
    assert "nobody\ue001 is not a project admin" in bot.chat.fail("pm", "/project admin remove @nobody")
    assert "alice\ue001 is not a project admin" in bot.chat.fail("pm", "/project admin remove @alice")
    with db.session() as session:
        assert list(session.exec(select(Member.user_id))) == ["pm"]
    bot.chat.ok("pm", "/project admin add @alice")
    assert "@alice is no longer a project admin." in show(bot.chat.ok("pm", "/project admin remove @alice"))


def test_upgrade_keeps_escalations_sent_under_the_old_per_task_keys(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        migrate.upgrade(engine, "0004")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO workspace (platform, external_id, name, created_at) "
                    "VALUES ('console', 'W1', '', '2026-11-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO project (workspace_id, channel_id, name, goal, timezone, locale, standup_time, "
                    "standup_days, standup_remind_minutes, standup_summary_time, standup_enabled, standup_mode, "
                    "digest_time, due_soon_hours, escalate_after_days, weekly_report_day, weekly_report_time, "
                    "alerts_on_holidays, next_task_number, next_risk_number, next_retro_number, created_by, created_at) "
                    "VALUES (1, 'C1', 'ERP', '', 'UTC', 'en', '09:30', 'mon-fri', 30, '10:30', true, 'channel', "
                    "'09:00', 24, 2, 'fri', '16:00', false, 3, 1, 1, 'pm', '2026-11-01 00:00:00')"
                )
            )
            for number in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO task (workspace_id, project_id, number, title, description, status, priority, "
                        "due_date, accountable, consulted, informed, creator, created_at, updated_at) VALUES "
                        f"(1, 1, {number}, 'T', '', 'todo', 'medium', '2026-11-20', 'bob', '[]', '[]', 'pm', "
                        "'2026-11-01 00:00:00', '2026-11-01 00:00:00')"
                    )
                )
            conn.execute(
                text(
                    "INSERT INTO notification (key, platform, target_kind, target, payload, status, attempts, "
                    "next_attempt_at, last_error, created_at) VALUES ('escalate:1:2026-11-20', 'console', 'dm', "
                    "'bob', '{}', 'sent', 1, '2026-11-23 01:00:00', '', '2026-11-23 01:00:00')"
                )
            )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT number, escalated_at FROM task ORDER BY number")).all()
        assert [(n, str(at)[:16] if at else None) for n, at in rows] == [(1, "2026-11-23 01:00"), (2, None)]
    finally:
        engine.dispose()
