"""A throwaway PostgreSQL 15 server for the test session.

    with PostgresServer() as server:              # or: server = PostgresServer().start()
        url = server.create_database("t_1")       # postgresql+psycopg2://pmbot@127.0.0.1:<port>/t_1

The cluster lives in a fresh temporary directory (initdb, trust auth, superuser "pmbot",
fsync off) and listens on a free loopback TCP port plus a Unix socket in that directory.
`stop()` kills it (`pg_ctl -m immediate`) and deletes the directory; `halt()` and `resume()` stop
and restart it on the same port, keeping its data (a restart under a running bot). Binaries come from
/usr/lib/postgresql/15/bin unless PMBOT_PG_BIN says otherwise (`make test` installs them
with scripts/ensure-postgres.sh). PostgreSQL refuses to run as root, so under root every
server command runs as the system user "postgres" via runuser (created when missing).

A server is never left behind: `stop()` is registered with atexit, and a small watchdog
process (polling every half second) stops the server and removes its directory if this
process dies without running atexit (SIGKILL, a crash). When the server cannot start,
RuntimeError carries the output of initdb/pg_ctl and the server log: tests fail, not skip.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tests.support.waiting import free_port

__all__ = ["DEFAULT_PG_BIN", "PostgresServer"]

DEFAULT_PG_BIN = "/usr/lib/postgresql/15/bin"
SUPERUSER = "pmbot"
SYSTEM_USER = "postgres"

# Runs detached; stops the server when its parent (the test process) is gone and exits as
# soon as the server's directory has been removed by a normal stop().
_WATCHDOG = """
import json, os, shutil, subprocess, sys, time
parent, directory, stop_cmd = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
while os.path.isdir(directory):
    if os.getppid() != parent:
        subprocess.run(stop_cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, cwd="/", timeout=60)
        shutil.rmtree(directory, ignore_errors=True)
        break
    time.sleep(0.2)  # a background watchdog poll, not a test wait
"""


class PostgresServer:
    """Start with `start()` (or `with`), create databases, `stop()`; safe to stop twice."""

    def __init__(self, bin_dir: str | os.PathLike[str] | None = None) -> None:
        self.bin_dir = Path(bin_dir or os.environ.get("PMBOT_PG_BIN") or DEFAULT_PG_BIN)
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.base_dir: Path | None = None
        self.startup_seconds: float | None = None
        self._as_root = os.geteuid() == 0
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._running = False

    # ----------------------------------------------------------------- paths and commands
    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None, "server not started"
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        assert self.base_dir is not None, "server not started"
        return self.base_dir / "server.log"

    def _binary(self, name: str) -> str:
        path = self.bin_dir / name
        if not os.access(path, os.X_OK):
            raise RuntimeError(
                f"PostgreSQL binary {path} not found; run scripts/ensure-postgres.sh "
                "(installs Debian's postgresql-15) or set PMBOT_PG_BIN"
            )
        return str(path)

    def _command(self, name: str, *args: str) -> list[str]:
        cmd = [self._binary(name), *args]
        return ["runuser", "-u", SYSTEM_USER, "--", *cmd] if self._as_root else cmd

    def _run(self, name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = self._command(name, *args)
        try:
            return subprocess.run(
                cmd,
                cwd=self.base_dir,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**os.environ, "LC_ALL": "C", "LANG": "C"},
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RuntimeError(f"{' '.join(cmd)} failed: {exc}") from exc

    def _fail(self, what: str, result: subprocess.CompletedProcess[str]) -> RuntimeError:
        log = ""
        if self.base_dir is not None and self.log_file.exists():
            log = self.log_file.read_text(errors="replace")[-4000:]
        return RuntimeError(
            f"PostgreSQL {what} failed (exit {result.returncode}): {' '.join(map(str, result.args))}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}\n"
            f"--- server log ---\n{log}"
        )

    # ------------------------------------------------------------------------ lifecycle
    def _prepare_root(self) -> None:
        """Under root: make sure the unprivileged 'postgres' user exists and can reach the dir."""
        try:
            subprocess.run(["id", "-u", SYSTEM_USER], check=True, capture_output=True)
        except subprocess.CalledProcessError:
            result = subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--user-group",
                    "--no-create-home",
                    "--home-dir",
                    "/nonexistent",
                    "--shell",
                    "/usr/sbin/nologin",
                    SYSTEM_USER,
                ],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise self._fail(f"creating the system user {SYSTEM_USER!r}", result) from None

    def _make_base_dir(self) -> Path:
        parent = Path(tempfile.gettempdir()).resolve()
        if self._as_root:
            # Every ancestor must be traversable by 'postgres'; fix the temp dir itself if needed,
            # fall back to /tmp when something further up (e.g. /root) is not.
            if not parent.stat().st_mode & stat.S_IXOTH:
                parent.chmod(parent.stat().st_mode | stat.S_IXOTH)
            if any(not p.stat().st_mode & stat.S_IXOTH for p in parent.parents):
                parent = Path("/tmp")
        base = Path(tempfile.mkdtemp(prefix="pmbot-pg-", dir=parent))
        if self._as_root:
            shutil.chown(base, SYSTEM_USER, SYSTEM_USER)
        return base

    def start(self) -> PostgresServer:
        if self._running:
            return self
        started = time.monotonic()
        if self._as_root:
            self._prepare_root()
        self._binary("initdb")
        self._binary("pg_ctl")
        self.base_dir = self._make_base_dir()
        atexit.register(self.stop)
        try:
            result = self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-A",
                "trust",
                "-U",
                SUPERUSER,
                "--no-sync",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-instructions",
            )
            if result.returncode != 0:
                raise self._fail("initdb", result)
            self._start_watchdog()
            for attempt in range(3):  # the free port can be taken between probe and bind
                self.port = free_port()
                result = self._pg_ctl_start()
                if result.returncode == 0:
                    break
                log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
                if attempt == 2 or "could not bind" not in log:
                    raise self._fail("server start (pg_ctl start)", result)
            self._running = True
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _pg_ctl_start(self) -> subprocess.CompletedProcess[str]:
        options = (
            f"-k {self.base_dir} -p {self.port} -h {self.host} -F"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        return self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60", "start", "-o", options
        )

    def halt(self) -> None:
        """Stop the server (`-m fast`: every connection is dropped, committed data is kept, which
        `immediate` would not promise with this cluster's synchronous_commit=off), to `resume()`
        it on the same port: a database restart as a running bot sees it."""
        result = self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        if result.returncode != 0:
            raise self._fail("halt (pg_ctl stop)", result)

    def resume(self) -> None:
        """Start a halted server again on its port."""
        result = self._pg_ctl_start()
        if result.returncode != 0:
            raise self._fail("resume (pg_ctl start)", result)

    def _start_watchdog(self) -> None:
        stop_cmd = self._command("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(self.base_dir), json.dumps(stop_cmd)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            start_new_session=True,  # not killed along with the test run's process group
        )

    def stop(self) -> None:
        """Kill the server and delete its directory. Idempotent."""
        base, self.base_dir = self.base_dir, None
        if base is None:
            return
        atexit.unregister(self.stop)
        data = base / "data"
        if (data / "postmaster.pid").exists():
            cmd = self._command("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
            subprocess.run(cmd, cwd="/", stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        self._running = False
        shutil.rmtree(base, ignore_errors=True)
        if self._watchdog is not None:  # no longer needed: the server is gone
            self._watchdog.terminate()
            self._watchdog.wait()
            self._watchdog = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------------ databases
    def url(self, database: str = "postgres") -> str:
        if not self._running:
            raise RuntimeError("PostgreSQL server is not running")
        return f"postgresql+psycopg2://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        """A raw psycopg2 connection (autocommit) to `database`."""
        import psycopg2

        if not self._running:
            raise RuntimeError("PostgreSQL server is not running")
        conn = psycopg2.connect(host=self.host, port=self.port, user=SUPERUSER, dbname=database)
        conn.autocommit = True
        return conn

    def create_database(self, name: str) -> str:
        """Create an empty database `name`; returns its SQLAlchemy URL."""
        from psycopg2 import sql

        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            conn.close()
        return self.url(name)
