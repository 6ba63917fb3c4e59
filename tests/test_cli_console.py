"""The console messenger's meta-commands, and the `pmbot` CLI end to end in a subprocess."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.console.app import Console
from handlers.core import Core
from storage.database import Database
from tests.support.processes import ROOT, pmbot


@pytest.fixture
def console(tmp_path: Path) -> tuple[Console, io.StringIO]:
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    db.upgrade()
    out = io.StringIO()
    calls: list[tuple[datetime, datetime]] = []
    con = Console(
        Core(db),
        ManualClock(datetime(2026, 11, 25, 2, tzinfo=UTC)),
        out=out,
        run_due_jobs=lambda a, b: calls.append((a, b)),
    )
    con.jobs = calls  # type: ignore[attr-defined]
    return con, out


def _feed(con: Console, out: io.StringIO, *lines: str) -> str:
    out.seek(0)
    out.truncate()
    for line in lines:
        con.feed(line)
    return out.getvalue()


def test_as_and_channel_change_speaker_and_channel(console) -> None:
    con, out = console
    _feed(con, out, '/project init "A"', ":channel other", '/project init "B"', ":as bob")
    assert (con.channel, con.user) == ("other", "bob")
    text = _feed(con, out, "/task add X")
    assert "@bob created task #1." in text


def test_now_and_advance_move_the_clock_and_run_due_jobs(console) -> None:
    con, out = console
    text = _feed(con, out, ":now 2026-12-01T09:00+08:00")
    assert "(clock: 2026-12-01T01:00+00:00)" in text
    _feed(con, out, ":advance 1d")
    assert con.clock.now() == datetime(2026, 12, 2, 1, tzinfo=UTC)
    assert con.jobs == [(datetime(2026, 12, 1, 1, tzinfo=UTC), datetime(2026, 12, 2, 1, tzinfo=UTC))]
    assert "usage :now" in _feed(con, out, ":now tomorrow")
    assert "usage :now" in _feed(con, out, ":now 2026-12-01T09:00")  # naive: needs an offset
    assert "usage :advance" in _feed(con, out, ":advance soon")


def test_click_and_submit_act_on_the_last_reply(console) -> None:
    con, out = console
    _feed(con, out, '/project init "A"', "/task add X @me")
    assert "completed #1 X" in _feed(con, out, ":click 2")
    assert "usage :click" in _feed(con, out, ":click 9")
    _feed(con, out, "/standup")
    assert "checked in" in _feed(con, out, ':submit 1 yesterday="a b" today=c')
    assert "not field=value" in _feed(con, out, "/standup", ":submit 1 bogus=1")
    assert "usage :submit" in _feed(con, out, ":submit 5")


def test_unknown_meta_and_plain_text_are_answered(console) -> None:
    con, out = console
    assert "unknown meta-command :fly" in _feed(con, out, ":fly")
    assert "not a command" in _feed(con, out, "hello there")
    assert ":advance" in _feed(con, out, ":help")
    assert con.feed(":quit") is False


def test_pmbot_run_with_the_example_config_answers_at_once(tmp_path: Path) -> None:
    shutil.copy(ROOT / "config.example.toml", tmp_path / "config.example.toml")
    result = pmbot(
        "run",
        "--config",
        "config.example.toml",
        cwd=tmp_path,
        stdin='/project init "Demo"\n/task add "hello" due:tomorrow\n/task list\n',
    )
    assert result.returncode == 0, result.stderr
    assert '@me bound this channel to the project "Demo".' in result.stdout
    assert "○ #1 hello" in result.stdout
    assert (tmp_path / "data" / "pmbot.db").exists()


def test_console_export_and_db_upgrade_share_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    up = pmbot("db", "upgrade", "--db", url, cwd=tmp_path)
    from storage.migrate import head

    assert up.returncode == 0 and f"revision {head()}" in up.stdout
    script = '/project init "P"\n/task add "T1" @ann due:2026-12-01\n:as ann\n/task done #1\n'
    con = pmbot("console", "--db", url, "--channel", "c1", "--user", "lee", cwd=tmp_path, stdin=script)
    assert con.returncode == 0, con.stderr
    assert "» lee: /project init" in con.stdout and "completed #1 T1" in con.stdout
    exp = pmbot("export", "tasks", "--format", "json", "--db", url, cwd=tmp_path)
    assert exp.returncode == 0, exp.stderr
    (task,) = json.loads(exp.stdout)
    assert (task["project"], task["title"], task["status"], task["due"]) == ("P", "T1", "done", "2026-12-01")
    bad = pmbot("export", "tasks", "--project", "Nope", "--db", url, cwd=tmp_path)
    assert bad.returncode == 1 and "Nope" in bad.stderr


def test_check_config_exits_non_zero_listing_problems(tmp_path: Path) -> None:
    config = str(ROOT / "config.example.toml")
    ok = pmbot("check-config", "--config", config, cwd=tmp_path, timeout=60)
    assert ok.returncode == 0 and "Configuration OK" in ok.stdout
    bad = pmbot(
        "check-config",
        "--config",
        config,
        cwd=tmp_path,
        timeout=60,
        settings={"PMBOT_SLACK__ENABLED": "true", "PMBOT_DEFAULTS__LOCALE": "fr"},
    )
    assert bad.returncode == 1
    assert "Configuration problems (2):" in bad.stderr and "defaults.locale" in bad.stderr


def test_pmbot_tick_runs_what_is_due_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    setup = pmbot(
        "console",
        "--db",
        url,
        cwd=tmp_path,
        stdin=':now 2026-11-23T08:00+08:00\n/project init "Tick" tz:Asia/Shanghai\n',
    )
    assert setup.returncode == 0, setup.stderr

    def tick(now: str) -> subprocess.CompletedProcess[str]:
        return pmbot("tick", "--now", now, "--db", url, cwd=tmp_path)

    first = tick("2026-11-23T09:30+08:00")
    assert first.returncode == 0, first.stderr
    assert "[#general] pmbot:" in first.stdout and "Standup time — Tick — Mon Nov 23" in first.stdout
    assert "1 message(s) sent" in first.stderr
    again = tick("2026-11-23T09:30+08:00")
    assert again.stdout == "" and "0 message(s) sent" in again.stderr
    bad = tick("tomorrow")
    assert bad.returncode == 2 and "--now 'tomorrow' is not an ISO 8601 instant" in bad.stderr
