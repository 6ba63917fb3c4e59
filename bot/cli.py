"""`pmbot` — run | console | tick | export | db upgrade | check-config."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bot.config import Config, ConfigError, load

__all__ = ["main"]


def _config_path(given: str | None) -> Path | None:
    if given:
        return Path(given)
    for candidate in (Path("config.toml"),):
        if candidate.exists():
            return candidate
    return None


def _load(args: argparse.Namespace) -> Config:
    return load(_config_path(args.config))


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
    tick = add("tick", "run every scheduled job due now (or at --now) once, deliver, exit", db=True)
    tick.add_argument("--now", help="the instant, ISO 8601 with offset (default: the current time)")
    dbp = add("db", "database maintenance", db=True)
    dbp.add_argument("action", choices=("upgrade",))
    add("check-config", "validate the configuration and list every problem")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        config = _load(args)
    except ConfigError as exc:
        print(f"Configuration problems ({len(exc.problems)}):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
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
    from bot.runtime import build

    runtime = build(config, db_url=args.db)
    try:
        runtime.console(channel=args.channel, user=args.user)
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
        sent = runtime.tick(now)
    finally:
        runtime.close()
    print(f"pmbot tick: {sent} message(s) sent.", file=sys.stderr)
    return 0


_COMMANDS = {"run": _run, "console": _console, "export": _export, "db": _db, "tick": _tick}

if __name__ == "__main__":
    sys.exit(main())
