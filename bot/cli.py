"""The `leadbot` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot.settings import Settings, SettingsError

log = logging.getLogger("leadbot")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Newlines and other control characters, and Unicode's line separators, shown escaped.
_UNSAFE_IN_LOGS = {
    **{code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F) if code != 0x09},
    0x0A: "\\n",
    0x0D: "\\r",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


class OneLineFormatter(logging.Formatter):
    """Every record is one line, whatever a lead's text holds: a newline in a lead's source
    shows as `\\n`, so nobody can forge a log line. Tracebacks keep their own lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).translate(_UNSAFE_IN_LOGS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging()
    try:
        return int(args.func(args))
    except SettingsError as err:
        print(f"leadbot: {err}", file=sys.stderr)
        return 2


def configure_logging() -> None:
    """INFO and up, one line per record, on stderr (also the delivery worker's, when spawned)."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(LOG_FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    # Their INFO lines (plugin set-up, every job run) drown out leadbot's own.
    for chatty in ("alembic", "apscheduler"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadbot", description="Lead follow-up bot for Slack.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the bot (HTTP mode, or --socket-mode)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--socket-mode", action="store_true", help="connect with SLACK_APP_TOKEN")
    serve.set_defaults(func=_serve)

    demo = sub.add_parser("demo", help="offline walkthrough with a local stand-in for Slack")
    demo.add_argument("--database", default=None, help="SQLite file (default: a temporary one)")
    demo.set_defaults(func=_demo)

    route = sub.add_parser("route", help="show where leads would go, storing nothing")
    route.add_argument("leads", help="a JSON lead, a JSON list, a CSV with a header, or - (stdin)")
    route.add_argument("--json", action="store_true", help="print JSON for machines")
    route.set_defaults(func=_route)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply migrations up to the newest schema")
    upgrade.set_defaults(func=_db_upgrade)

    config = sub.add_parser("config", help="leadbot.yml")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    check = config_sub.add_parser("check", help="validate leadbot.yml and report every problem")
    check.add_argument("path", nargs="?", help="default: $LEADBOT_CONFIG or ./leadbot.yml")
    check.set_defaults(func=_config_check)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from bot.serve import serve

    settings = Settings.from_env()
    return serve(
        settings,
        args.host,
        args.port,
        socket_mode=args.socket_mode,
        setup_logging=configure_logging,
    )


def _demo(args: argparse.Namespace) -> int:
    from bot.tools.demo import run_demo

    return run_demo(database=args.database)


def _route(args: argparse.Namespace) -> int:
    from bot.config.errors import ConfigError
    from bot.config.load import load_config
    from bot.tools.route import RouteInputError, decide_all, print_answers, read_leads

    logging.getLogger().setLevel(logging.WARNING)
    settings = Settings.from_env()
    try:
        config = load_config(settings.config_path)
        answers = decide_all(config, settings.database_url, read_leads(args.leads))
    except (ConfigError, RouteInputError) as err:
        print(err, file=sys.stderr)
        return 2
    print_answers(answers, config, args.json)
    return 1 if any("errors" in answer for answer in answers) else 0


def _db_upgrade(_args: argparse.Namespace) -> int:
    from storage.db import Database

    settings = Settings.from_env()
    Database(settings.database_url).upgrade()
    print(f"database is up to date ({_safe_url(settings.database_url)})")
    return 0


def _config_check(args: argparse.Namespace) -> int:
    from bot.config.errors import ConfigError
    from bot.config.load import load_config

    path = args.path or Settings.from_env().config_path
    try:
        config = load_config(path)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"{path}: OK ({len(config.reps)} reps, {len(config.managers)} managers)")
    return 0


def _safe_url(url: str) -> str:
    """Database URLs may carry a password: never print it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
