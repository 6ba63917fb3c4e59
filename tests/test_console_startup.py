"""The console's first prompt comes before the heavy imports (issue 10, goal 4): checked by
structure in a fresh process on a pseudo-terminal — the prompt is written before SQLAlchemy or
the core is imported — never by wall-clock (bench/startup.py times it)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.support.processes import pmbot_env

MARK = b"<<imported>>"
# Writes MARK the first time SQLAlchemy or the command core is imported, then runs `pmbot console`.
PROBE = f"""
import os, sys
def hook(event, args):
    if event == "import" and args[0] in ("sqlalchemy", "handlers.core") and not hasattr(hook, "seen"):
        hook.seen = True
        os.write(1, {MARK!r})
sys.addaudithook(hook)
from bot.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _console_on_a_terminal(tmp_path: Path, typed: bytes) -> bytes:
    """Run `pmbot console` on a pty with `typed` already waiting; everything it wrote, once it exits."""
    master, slave = pty.openpty()
    url = f"sqlite:///{tmp_path / 'console.db'}"
    proc = subprocess.Popen(
        [sys.executable, "-c", PROBE, "console", "--db", url],
        cwd=tmp_path,
        env=pmbot_env({"PMBOT_SCHEDULER__ENABLED": "false"}),
        stdin=slave,
        stdout=slave,
        stderr=subprocess.DEVNULL,
    )
    os.close(slave)
    os.write(master, typed)
    seen = b""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child exited and closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            elif proc.poll() is not None:
                break
        assert proc.wait(timeout=30) == 0, seen[-500:]
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return seen


def test_the_prompt_is_shown_before_the_core_is_imported_and_early_input_is_answered(tmp_path: Path) -> None:
    out = _console_on_a_terminal(tmp_path, b"/help\r:quit\r")
    welcome, prompt = b"pmbot console", b"me@#general> "
    assert out.count(welcome) == 1
    first_prompt = out.index(prompt)
    assert out.index(welcome) < first_prompt < out.index(MARK)
    # The line typed before the core existed is answered after it was built, then prompted again.
    assert b"/task" in out[out.index(MARK) :]
    assert out.count(prompt) == 2
