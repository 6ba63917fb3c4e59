"""Who may change what, and that nothing ever crosses workspaces."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.models import Project, Risk, Task, Workspace
from tests.chat import Chat, show


@pytest.fixture
def project(chat: Chat) -> Chat:
    chat.ok("pm", '/project init "ERP" tz:Asia/Shanghai')
    chat.ok("carol", "/task add Carols @alice A:@bob")  # creator carol, R alice, A bob
    return chat


def _status(chat: Chat) -> str:
    with chat.db.session() as s:
        return s.exec(select(Task)).one().status


@pytest.mark.parametrize("user", ["carol", "alice", "bob", "pm"])
def test_creator_responsible_accountable_and_admin_may_update(project: Chat, user: str) -> None:
    project.ok(user, "/task start #1")
    assert _status(project) == "doing"


def test_someone_else_is_refused_and_told_who_may(project: Chat) -> None:
    text = project.fail("mallory", "/task update #1 prio:high")
    assert text.startswith("You cannot change task #1. Ask ")
    for who in ("@alice", "@bob", "@carol", "@pm"):
        assert who in show_text(text)
    assert "Usage: /task update" in text
    assert _status(project) == "todo"


def test_responsible_may_not_cancel_or_delete_but_accountable_may(project: Chat) -> None:
    assert "cannot cancel task #1" in project.fail("alice", "/task cancel #1")
    assert "cannot delete task #1" in project.fail("alice", "/task delete #1")
    assert "cannot cancel task #1" in project.fail("alice", "/task update #1 status:cancelled")
    project.ok("bob", "/task cancel #1")
    assert _status(project) == "cancelled"


def test_closing_a_risk_needs_creator_or_admin(project: Chat) -> None:
    project.ok("carol", '/risk add "Vendor late" owner:@alice p:3 i:4')
    project.ok("alice", "/risk update R1 status:mitigating")  # the owner may update
    assert "cannot close risk R1" in project.fail("alice", "/risk close R1")
    assert "cannot change risk R1" in project.fail("mallory", "/risk update R1 p:1")
    project.ok("pm", "/risk close R1")
    with project.db.session() as s:
        assert s.exec(select(Risk)).one().status == "closed"


def test_project_settings_need_an_admin(project: Chat) -> None:
    assert "cannot change the project's settings" in project.fail("alice", "/project set goal:x")
    assert "cannot change the standup settings" in project.fail("alice", "/standup config time:08:00")
    project.ok("pm", "/project admin add @alice")
    project.ok("alice", '/project set goal:"Ship it"')
    assert "at least one admin" in project.fail("pm", "/project admin remove @alice @pm")


def test_refusal_in_chinese_names_who_may(project: Chat) -> None:
    project.ok("pm", "/项目 设置 语言:中文")
    text = project.fail("mallory", "/任务 完成 #1")
    assert text.startswith("你无权完成任务 #1。请联系 ")
    assert "用法:/任务 完成" in text


# --- workspaces ---------------------------------------------------------------------------


def test_same_channel_id_in_two_workspaces_are_two_projects(chat: Chat) -> None:
    chat.ok("pm", '/project init "Alpha"', workspace="A")
    chat.ok("pm", '/project init "Beta"', workspace="B")
    chat.ok("pm", "/task add SecretA", workspace="A")
    listing = show(chat.ok("pm", "/task list all", workspace="B"))
    assert "SecretA" not in listing and "No tasks here." in listing
    assert "no task #1" in chat.fail("pm", "/task show #1", workspace="B")
    assert "no task #1" in chat.fail("pm", "/task done #1", workspace="B")
    assert "no task #1" in chat.fail("pm", "/task update #1 title:hacked", workspace="B")
    with chat.db.session() as s:
        task = s.exec(select(Task)).one()
        assert (task.title, task.status) == ("SecretA", "todo")
        assert len(s.exec(select(Workspace)).all()) == 2


def test_platforms_are_separate_workspaces(chat: Chat) -> None:
    chat.ok("pm", '/project init "Alpha"')
    chat.platform = "slack"
    assert "not bound to a project" in chat.fail("pm", "/task list")


def test_a_project_name_is_unique_only_within_a_workspace(chat: Chat) -> None:
    chat.ok("pm", '/project init "Same"', workspace="A")
    chat.ok("pm", '/project init "Same"', workspace="B")
    assert 'named "Same" already exists' in chat.fail("pm", '/project init "Same"', workspace="A", channel="C9")
    with chat.db.session() as s:
        assert len(s.exec(select(Project)).all()) == 2


def test_report_and_risks_do_not_leak_across_workspaces(chat: Chat) -> None:
    chat.ok("pm", '/project init "Alpha"', workspace="A")
    chat.ok("pm", '/project init "Beta"', workspace="B")
    chat.ok("pm", '/risk add "A-only risk" p:5 i:5', workspace="A")
    chat.ok("pm", '/standup y:"A stuff" t:x b:"A blocker"', workspace="A")
    report = show(chat.ok("pm", "/project status", workspace="B"))
    assert "A-only risk" not in report and "A blocker" not in report
    assert "A-only" not in show(chat.ok("pm", "/risk list all", workspace="B"))


def show_text(text: str) -> str:
    from handlers.replies import Reply

    return show(Reply(text=text))
