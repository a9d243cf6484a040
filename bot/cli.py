"""The `leadbot` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.review.audit import command as audit_command
from bot.review.simulate import command as simulate_command
from bot.settings import Settings, SettingsError
from bot.sources import command as quarantine_command
from bot.sources import import_command

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


class UsageError(Exception):
    """A command given something it cannot use (a missing directory): one line, exit 2."""


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
    except (SettingsError, UsageError) as err:
        print(f"leadbot: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `leadbot audit … --json - | head`: the reader left. Python's own advice: point
        # stdout at /dev/null so the flush at exit does not raise a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


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

    audit_command.add_parser(sub)
    simulate_command.add_parser(sub)
    quarantine_command.add_parser(sub)
    import_command.add_parser(sub)

    templates = sub.add_parser("templates", help="outreach templates (followup.templates)")
    templates_sub = templates.add_subparsers(dest="templates_command", required=True)
    t_check = templates_sub.add_parser(
        "check", help="render every outreach template with sample leads and report problems"
    )
    t_check.add_argument("--dir", help="the templates directory (default: followup.templates)")
    t_check.add_argument("--config", help="default: $LEADBOT_CONFIG or ./leadbot.yml")
    t_check.add_argument("--list", action="store_true", help="list each template in use")
    t_check.set_defaults(func=_templates_check)
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
    from bot.config.sources import unset_secrets

    path = args.path or Settings.from_env().config_path
    try:
        config = load_config(path)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"{path}: OK ({len(config.reps)} reps, {len(config.managers)} managers)")
    for line in unset_secrets(config.sources, os.environ):
        print(f"warning: {line}")
    return 0


def _templates_check(args: argparse.Namespace) -> int:
    """The starter set and the admin's directory, rendered with the sample leads: one line per
    problem, then a count. Exit 1 when a template cannot be used, warnings alone exit 0."""
    from bot.followup.outreach import SUFFIX
    from bot.followup.outreach_check import check_templates
    from bot.followup.outreach_setup import STARTER

    own = _templates_dir(args)
    if own is not None and not own.is_dir():
        raise UsageError(f"{own}: {'not a directory' if own.exists() else 'no such directory'}")
    directories = [STARTER] if own is None else [STARTER, own]
    if args.list:
        _list_templates(own)
    problems = [problem for directory in directories for problem in check_templates(directory)]
    for problem in problems:
        print(problem)
    # A file of the admin's that overrides a starter template is one template, not two.
    count = len({path.name for d in directories for path in d.glob(f"*{SUFFIX}")})
    errors = sum(problem.is_error for problem in problems)
    warnings = len(problems) - errors
    print(f"{_many(count, 'template')}, {_many(errors, 'error')}, {_many(warnings, 'warning')}")
    return 1 if errors else 0


def _templates_dir(args: argparse.Namespace) -> Path | None:
    """--dir, else `followup.templates` of leadbot.yml (relative to its directory, as leadbot
    reads it), else None: the starter set alone. Read without validating the rest of the
    file, which fails on exactly the broken templates this command is there to show."""
    import yaml

    if args.dir:
        return Path(args.dir)
    path = args.config or Settings.from_env().config_path
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        if args.config or path != Settings().config_path:  # named, so it must be there
            raise UsageError(f"{path}: file not found") from None
        return None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        raise UsageError(f"{path}: cannot be read (see `leadbot config check {path}`)") from None
    followup = data.get("followup") if isinstance(data, dict) else None
    directory = followup.get("templates") if isinstance(followup, dict) else None
    if directory is not None and not isinstance(directory, str):
        raise UsageError(f"{path}: followup.templates: expected the path of a directory")
    return None if directory is None else Path(path).parent / directory


def _list_templates(own: Path | None) -> None:
    """Each template a cadence step may name (the admin's first): name, channel, description
    and where it comes from. A file that fails to load is left out, as leadbot leaves it out."""
    from bot.followup.outreach import OutreachTemplates
    from bot.followup.outreach_setup import STARTER, TemplateSet

    templates = TemplateSet(OutreachTemplates.load(own)[0] if own is not None else None)
    names = sorted(templates.names())
    width = max(map(len, names), default=0)
    for name in names:
        layer = templates.find(name)
        template = layer.get(name) if layer is not None else None
        if template is None:
            continue
        where = "starter" if template.path.parent == STARTER else str(template.path)
        description = " ".join(template.description.split()) or "(no description)"
        print(f"{name:<{width}}  {template.channel:<8}  {description}  [{where}]")


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _safe_url(url: str) -> str:
    """Database URLs may carry a password: never print it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
