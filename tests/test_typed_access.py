"""What handlers may take for granted, checked once where it is read (mypy --strict on handlers/
and storage/): the project bound to the channel, the speaker's membership, a stored row's id."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import NoResultFound
from sqlmodel import select

from handlers.core import Core
from handlers.env import Env
from storage.database import Database
from storage.models import Project, Workspace, saved_id
from tests.chat import START, Chat


def test_saved_id_refuses_a_row_that_was_never_flushed(db: Database) -> None:
    with db.session() as session:
        workspace = Workspace(platform="console", external_id="W9", created_at=START)
        with pytest.raises(RuntimeError, match="never flushed"):
            saved_id(workspace)
        session.add(workspace)
        session.flush()
        assert saved_id(workspace) == workspace.id


def test_an_unbound_env_refuses_the_bound_project_and_member(chat: Chat) -> None:
    ctx = chat.ctx("alice", channel="C-unbound")
    with chat.db.session() as session:
        workspace = Core.workspace(session, ctx.platform, ctx.workspace, ctx.now)
        env = Env(session=session, ctx=ctx, workspace=workspace, project=None, member=None, locale="en")
        for accessor in ("bound_project", "project_id", "bound_member"):
            with pytest.raises(RuntimeError):
                getattr(env, accessor)
        assert env.workspace_id == workspace.id


def test_the_scheduler_env_is_bound_to_its_project(chat: Chat) -> None:
    chat.ok("alice", '/project init "Apollo"')
    with chat.db.session() as session:
        project = session.exec(select(Project).where(Project.name == "Apollo")).one()
        env = chat.core.project_env(session, saved_id(project), START)
        assert env.bound_project is project
        assert (env.project_id, env.workspace_id) == (project.id, project.workspace_id)
        with pytest.raises(NoResultFound):
            chat.core.project_env(session, saved_id(project) + 1, START)
