"""The date grammar through the core: the project's calendar is used and errors say what
was wrong (issue 8, items 2-5). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlmodel import select

from storage.models import Member, Project, Task
from tests.chat import Chat

DEC2 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # Wed 2 Dec, 09:00 in Shanghai
SEP10 = datetime(2026, 9, 10, 1, 0, tzinfo=UTC)  # Thu 10 Sep, 09:00 in Shanghai


def _project(chat: Chat, now: datetime, *options: str) -> Chat:
    chat.clock.set(now)
    chat.ok("pm", " ".join(['/project init "ERP" tz:Asia/Shanghai', *options]))
    return chat


def _task(chat: Chat, number: int = 1) -> Task:
    with chat.db.session() as s:
        return s.exec(select(Task).where(Task.number == number)).one()


def test_a_month_day_said_the_day_after_is_yesterday_not_next_year(chat: Chat) -> None:
    _project(chat, DEC2)
    chat.ok("pm", "/task add Report due:Dec 1")
    chat.ok("pm", "/任务 新建 周报 截止:12月1日")
    assert _task(chat, 1).due_date == date(2026, 12, 1)
    assert _task(chat, 2).due_date == date(2026, 12, 1)


def test_holidays_and_working_days_follow_the_project_calendar(chat: Chat) -> None:
    _project(chat, SEP10, "holidays:CN")
    chat.ok("pm", "/任务 新建 备货 截止:国庆前")
    chat.ok("pm", "/task add Restock due:after National Day")
    chat.ok("pm", "/task add Review due:in 5 working days")
    assert _task(chat, 1).due_date == date(2026, 9, 30)
    assert _task(chat, 2).due_date == date(2026, 10, 8)
    assert _task(chat, 3).due_date == date(2026, 9, 17)


def test_without_a_holiday_calendar_a_holiday_name_is_named_as_not_understood(chat: Chat) -> None:
    _project(chat, SEP10)
    text = chat.fail("pm", "/任务 新建 备货 截止:国庆前")
    assert "国庆" in text and "Usage: /task add" in text


def test_work_hours_and_parts_of_the_day(chat: Chat) -> None:
    _project(chat, DEC2)
    chat.ok("pm", "/任务 新建 开会 截止:明天三点")
    chat.ok("pm", "/task add Ship due:fri eod")
    assert (_task(chat, 1).due_date, _task(chat, 1).due_at.astimezone(UTC).time()) == (
        date(2026, 12, 3),
        time(7, 0),
    )  # 15:00 in Shanghai
    assert _task(chat, 2).due_at == datetime(2026, 12, 4, 10, 0, tzinfo=UTC)  # Fri 18:00


def test_an_unknown_word_is_named_not_the_word_before_it(chat: Chat) -> None:
    _project(chat, DEC2)
    text = chat.fail("pm", "/task add Report due:next blursday")
    assert '"blursday"' in text and 'could not understand "next"' not in text
    assert 'in the date "next blursday"' in text and "Usage: /task add" in text


def test_an_ambiguous_date_offers_both_readings(chat: Chat) -> None:
    _project(chat, DEC2)
    text = chat.fail("pm", "/task add Report due:12/3")
    assert "2026-12-03" in text and "2027-03-12" in text and "ambiguous" in text


def test_an_impossible_date_is_invalid_not_ambiguous(chat: Chat) -> None:
    _project(chat, DEC2)
    text = chat.fail("pm", "/task add Report due:31/02")
    assert "does not exist" in text and "ambiguous" not in text


def test_a_date_value_does_not_swallow_the_title(chat: Chat) -> None:
    _project(chat, DEC2)
    chat.ok("pm", "/task add Print due:3 dec 10 copies")
    task = _task(chat)
    assert (task.title, task.due_date) == ("Print 10 copies", date(2026, 12, 3))


def test_a_reversed_away_range_says_it_is_reversed(chat: Chat) -> None:
    _project(chat, DEC2)
    text = chat.fail("bob", "/standup away 12月5日..12月1日")
    assert "reversed" in text and "12月5日..12月1日" in text and "Usage: /standup away" in text
    zh = chat.fail("bob", "/站会 请假 12月5日到12月1日")
    assert "Usage" in zh


def test_an_away_range_over_the_new_year_is_read_as_a_whole(chat: Chat) -> None:
    _project(chat, DEC2)
    chat.ok("bob", "/standup away 12月28日..1月3日")
    with chat.db.session() as s:
        bob = s.exec(select(Member).where(Member.user_id == "bob")).one()
    assert bob.away == [["2026-12-28", "2027-01-03"]]


def test_project_start_and_end_are_read_as_one_range(chat: Chat) -> None:
    _project(chat, DEC2, "start:12月1日", "end:6月30日")
    with chat.db.session() as s:
        project = s.exec(select(Project)).one()
    # alone, 6月30日 would be the nearer 30 June 2026, before the start
    assert (project.start_date, project.end_date) == (date(2026, 12, 1), date(2027, 6, 30))


def test_report_day_that_is_not_a_weekday_says_so(chat: Chat) -> None:
    _project(chat, DEC2)
    text = chat.fail("pm", "/project set report_day:funday")
    assert "is not a weekday" in text and "list of weekdays" not in text


@pytest.mark.parametrize("line", ['/task add "Report due:fri', "/任务 新建 “周报 截止:周五"])
def test_an_unclosed_quote_shows_the_usage_of_the_command_being_typed(chat: Chat, line: str) -> None:
    _project(chat, DEC2)
    text = chat.fail("pm", line)
    assert "/task add" in text or "/任务 新建" in text
