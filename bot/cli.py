"""`pmbot` — run | console | tick | export | import | outbox | db upgrade | check-config.

Start-up cost: this module imports only the standard library's argparse, so `pmbot --help` and
a mistyped argument answer at once. Everything heavy (pydantic for the config, SQLAlchemy, the
messenger SDKs, the command parser) is imported after the arguments are parsed, by the
subcommand that needs it (tests/test_startup.py checks this in a fresh process).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["main"]


def _config_path(given: str | None) -> Path | None:
    if given:
        return Path(given)
    for candidate in (Path("config.toml"),):
        if candidate.exists():
            return candidate
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pmbot", description="Project-management chat bot for Slack, Feishu and the terminal."
    )
    sub = parser.add_subparsers(dest="cmd", required=True)

    def add(name: str, help_: str, db: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.add_argument("--config", help="TOML config file (default: ./config.toml if present, else built-in defaults)")
        if db:
            p.add_argument("--db", help="database URL (overrides [storage] url)")
        return p

    add("run", "start every enabled messenger and the scheduler")
    console = add("console", "chat with the bot in the terminal", db=True)
    console.add_argument("--channel", help="channel to start in")
    console.add_argument("--user", help="who you are")
    export = add("export", "export tasks, risks, standups, retros or milestones", db=True)
    export.add_argument("kind", choices=("tasks", "risks", "standups", "retros", "milestones"))
    export.add_argument("--format", choices=("json", "csv", "md"), default="json")
    export.add_argument("--project", help="only this project (by name)")
    export.add_argument("--workspace", help="only this workspace (platform:id as exported, or the id)")
    imp = add("import", 'import tasks from a CSV or XLSX file (see README "Import")', db=True)
    imp.add_argument("kind", choices=("tasks",))
    imp.add_argument("file", help="a .csv or .xlsx file; the first row holds the column names")
    imp.add_argument("--project", required=True, help="the project to import into (by name)")
    imp.add_argument("--workspace", help="the project's workspace (platform:id as exported, or the id)")
    imp.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    tick = add("tick", "run every scheduled job due now (or at --now) once, deliver, exit", db=True)
    tick.add_argument("--now", help="the instant, ISO 8601 with offset (default: the current time)")
    tick.add_argument(
        "--drain-seconds",
        type=float,
        help="deliver what is due for at most this long (default: the tick interval less 5 seconds)",
    )
    _outbox_parser(add("outbox", "see and retry the messages the bot sends (list, counts, retry)", db=True))
    dbp = add("db", "database maintenance", db=True)
    dbp.add_argument("action", choices=("upgrade",))
    add("check-config", "validate the configuration and list every problem")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from bot.config import ConfigError, load
    from bot.logs import configure, secrets_of

    handler = configure()
    try:
        config = load(_config_path(args.config))
    except ConfigError as exc:
        print(f"Configuration problems ({len(exc.problems)}):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    handler.redactor.add_secrets(secrets_of(config))
    if args.cmd == "check-config":
        print(f"Configuration OK ({_config_path(args.config) or 'built-in defaults'}).")
        return 0
    return _COMMANDS[args.cmd](config, args)


def _run(config: Config, args: argparse.Namespace) -> int:
    from bot.runtime import build

    runtime = build(config)
    try:
        return runtime.run()
    finally:
        runtime.close()


def _console(config: Config, args: argparse.Namespace) -> int:
    """On a terminal the welcome and the first prompt come first (issue 10, goal 4: within
    0.5 s); the core is built meanwhile, and the first line typed is read once it exists."""
    channel, user = args.channel or config.console.channel, args.user or config.console.user
    greeted = sys.stdin.isatty()
    if greeted:
        from bot.console.prompt import greet

        greet(sys.stdout, config.defaults.locale, channel, user)
    from bot.runtime import build

    runtime = build(config, db_url=args.db)
    try:
        runtime.console(channel=channel, user=user, greeted=greeted)
    finally:
        runtime.close()
    return 0


def _export(config: Config, args: argparse.Namespace) -> int:
    from bot.export import ExportError, export
    from storage.database import Database

    db = Database(args.db or config.storage.url)
    try:
        db.upgrade()
        sys.stdout.write(export(db, args.kind, args.format, args.project, args.workspace))
    except ExportError as exc:
        print(f"pmbot export: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0


def _import(config: Config, args: argparse.Namespace) -> int:
    """`pmbot import tasks FILE`: validate every row, print the changes, apply them in one
    transaction (or, refused or `--dry-run`, nothing)."""
    from datetime import UTC, datetime

    from bot.export import ExportError
    from bot.importer import FileError, import_file, read_table
    from storage.database import Database

    try:
        table = read_table(args.file, Path(args.file).read_bytes())
    except (OSError, FileError) as exc:
        print(f"pmbot import: {exc}", file=sys.stderr)
        return 1
    db = Database(args.db or config.storage.url)
    try:
        db.upgrade()
        outcome = import_file(db, table, args.project, args.workspace, now=datetime.now(UTC), dry_run=args.dry_run)
    except ExportError as exc:
        print(f"pmbot import: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(outcome.text, file=sys.stdout if outcome.ok else sys.stderr)
    return 0 if outcome.ok else 1


def _db(config: Config, args: argparse.Namespace) -> int:
    from storage.database import Database
    from storage.migrate import current

    db = Database(args.db or config.storage.url)
    try:
        db.upgrade()
        print(f"Database at revision {current(db.engine)}.")
    finally:
        db.dispose()
    return 0


def _tick(config: Config, args: argparse.Namespace) -> int:
    from datetime import datetime

    from bot.runtime import build

    now = None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
            if now.tzinfo is None:
                raise ValueError("add a UTC offset, e.g. +08:00")
        except ValueError as exc:
            print(f"pmbot tick: --now {args.now!r} is not an ISO 8601 instant ({exc})", file=sys.stderr)
            return 2
    runtime = build(config, db_url=args.db)
    try:
        sent = runtime.tick(now, drain_seconds=args.drain_seconds)
    finally:
        runtime.close()
    print(f"pmbot tick: {sent} message(s) sent.", file=sys.stderr)
    return 0


def _outbox_parser(outbox: argparse.ArgumentParser) -> None:
    """`pmbot outbox list|counts|retry`: the arguments of `_outbox`."""
    actions = outbox.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the newest messages, newest first")
    listing.add_argument("--status", choices=("pending", "sending", "sent", "dead"), help="only messages in this state")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    actions.add_parser("counts", help="how many messages are in each state")
    retry = actions.add_parser("retry", help="send a dead (or pending) message again now, attempts reset")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="*", type=int, default=[], help="the message id(s) shown by list")
    which.add_argument("--dead", action="store_true", help="every dead message")


def _outbox(config: Config, args: argparse.Namespace) -> int:
    """`pmbot outbox`: plain-text views of the outbox for operators, and retries."""
    from bot.clock import SystemClock
    from bot.outbox import Outbox
    from storage.database import Database

    db = Database(args.db or config.storage.url)
    try:
        db.upgrade()
        outbox = Outbox(db, SystemClock())
        if args.action == "counts":
            counts = outbox.counts()
            for status in ("pending", "sending", "sent", "dead"):
                print(f"{status:<8} {counts.get(status, 0)}")
        elif args.action == "list":
            print("id\tstatus\tattempts\tnext_attempt_at\tplatform\tlane\tkey\tlast_error")
            for row in outbox.listing(args.status, args.limit):
                error = row.last_error.replace("\n", " ")[:120]
                due = row.next_attempt_at.isoformat(timespec="seconds")
                print(f"{row.id}\t{row.status}\t{row.attempts}\t{due}\t{row.platform}\t{row.lane}\t{row.key}\t{error}")
        else:
            wanted = set(args.id)
            changed = outbox.retry(wanted, dead=args.dead)
            for missing in sorted(wanted - set(changed)):
                print(f"pmbot outbox retry: no dead or pending message {missing}", file=sys.stderr)
            print(f"{len(changed)} message(s) due again now: {' '.join(map(str, changed)) or '-'}")
            if wanted - set(changed):
                return 1
    finally:
        db.dispose()
    return 0


_COMMANDS = {
    "run": _run,
    "console": _console,
    "export": _export,
    "import": _import,
    "outbox": _outbox,
    "db": _db,
    "tick": _tick,
}

if __name__ == "__main__":
    sys.exit(main())
