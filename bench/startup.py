"""Start-up cost of the `pmbot` command (issue 10, goal 4), as ratios against `python -c pass`.

    python -m bench.startup [--runs 7]

Each case runs in a fresh process, `--runs` times; the table gives the median wall time, its
ratio to the reference (`python -c pass` measured in the same run) and the peak RSS of the
process (from wait4). Cases:

- `pmbot --help`: argument parsing only (the goal: within 3x of the reference);
- `pmbot check-config`: the config loaded and validated (pydantic);
- `pmbot tick` on a current SQLite database with nothing due (the schema check, no Alembic);
- the console's first prompt: `pmbot console` on a pseudo-terminal (so it is interactive and
  prompts), from spawn to the prompt appearing (the goal: 0.5 s), and to the first answer.

Figures are for comparing versions on one machine; tests assert structure, never time.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PMBOT = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]  # what the script does


def _env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMBOT_")}
    return {**env, "PYTHONPATH": str(ROOT), "PMBOT_STORAGE__URL": f"sqlite:///{workdir / 'pmbot.db'}"}


def _wait(proc: subprocess.Popen[bytes]) -> int:
    """Reap `proc`; its peak RSS in KiB."""
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return int(usage.ru_maxrss)


def _command(args: list[str], workdir: Path) -> Callable[[], tuple[float, int]]:
    def run() -> tuple[float, int]:
        start = time.perf_counter()
        proc = subprocess.Popen(
            args, cwd=workdir, env=_env(workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        rss = _wait(proc)
        return time.perf_counter() - start, rss

    return run


def _read_until(fd: int, marker: bytes, timeout: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise TimeoutError(f"no {marker!r} within {timeout} s: {seen[-300:]!r}")
        seen += os.read(fd, 65536)
    return seen


def _console(workdir: Path, until: str) -> Callable[[], tuple[float, int]]:
    """Spawn the console on a pty; time to the first prompt, or (`until="answer"`) to `:help`'s answer."""

    def run() -> tuple[float, int]:
        master, slave = pty.openpty()
        start = time.perf_counter()
        proc = subprocess.Popen(
            [*PMBOT, "console"], cwd=workdir, env=_env(workdir), stdin=slave, stdout=slave, stderr=subprocess.DEVNULL
        )
        os.close(slave)
        try:
            _read_until(master, b"> ")
            if until == "answer":
                os.write(master, b"/help\n")
                _read_until(master, b"/task")
            elapsed = time.perf_counter() - start
            os.write(master, b":quit\n")
            rss = _wait(proc)
        finally:
            os.close(master)
        return elapsed, rss

    return run


def measure(runs: int) -> list[tuple[str, float, float, int]]:
    """(case, median seconds, ratio to `python -c pass`, peak RSS KiB) per case."""
    with tempfile.TemporaryDirectory(prefix="pmbot-startup-") as tmp:
        workdir = Path(tmp)
        subprocess.run([*PMBOT, "db", "upgrade"], cwd=workdir, env=_env(workdir), check=True, capture_output=True)
        cases = {
            "python -c pass (reference)": _command([sys.executable, "-c", "pass"], workdir),
            "pmbot --help": _command([*PMBOT, "--help"], workdir),
            "pmbot check-config": _command([*PMBOT, "check-config"], workdir),
            "pmbot tick (current schema, nothing due)": _command([*PMBOT, "tick"], workdir),
            "console: first prompt": _console(workdir, "prompt"),
            "console: first answer (/help)": _console(workdir, "answer"),
        }
        results = []
        for name, case in cases.items():
            case()  # warm the file cache
            samples = [case() for _ in range(runs)]
            results.append((name, statistics.median(s for s, _ in samples), max(r for _, r in samples)))
    reference = results[0][1]
    return [(name, seconds, seconds / reference, rss) for name, seconds, rss in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    print(f"Start-up, median of {runs} runs; {os.cpu_count()}-core {sys.platform}, Python {sys.version.split()[0]}\n")
    print("| case | median | × `python -c pass` | peak RSS |")
    print("|---|---|---|---|")
    for name, seconds, ratio, rss in measure(runs):
        print(f"| {name} | {seconds * 1000:.0f} ms | {ratio:.1f}× | {rss / 1024:.0f} MB |")


if __name__ == "__main__":
    main()
