"""The `leadbot` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.ops.logs import LOG_FORMAT, OneLineFormatter
from bot.ops.logs import configure_logging as configure_logs
from bot.review.audit import command as audit_command
from bot.review.simulate import command as simulate_command
from bot.settings import DEFAULT_DATABASE_URL, Settings, SettingsError, load_env_file
from bot.sources import command as quarantine_command
from bot.sources import crm_command, import_command
from bot.tools import fake_slack, lead_command
from bot.tools import roster as roster_command
from bot.tools.cli_help import EPILOG, polish
from bot.vocabulary import ExitCode

log = logging.getLogger("leadbot")
__all__ = ["LOG_FORMAT", "OneLineFormatter", "configure_logging", "main"]  # the tests read them


class UsageError(Exception):
    """A command given something it cannot use (a missing directory): one line, exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """`leadbot …`, exiting with `ExitCode`'s codes. `argv` None is the command line's own run,
    which reads ./.env first; a caller passing `argv` (the tests) keeps the environment it has."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if argv is None:
            load_env_file()
        configure_logging()
        return int(args.func(args))
    except (SettingsError, UsageError) as err:
        print(f"leadbot: {err}", file=sys.stderr)
        return ExitCode.USAGE
    except BrokenPipeError:
        # `leadbot audit … --json - | head`: the reader left. Python's own advice: point
        # stdout at /dev/null so the flush at exit does not raise a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.FINDINGS
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except Exception as err:
        if (problem := _database_problem(err)) is None:
            raise  # not the database's trouble: a bug, shown with its traceback
        print(f"leadbot: {problem}", file=sys.stderr)
        return ExitCode.DATABASE


def _database_problem(err: Exception) -> str | None:
    """DATABASE_URL's trouble (a bad URL, a server that cannot be reached or refuses the
    login, a missing database) as one line without the password, whichever command met it."""
    from storage.dburl import explain

    return explain(err, os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, "DATABASE_URL")


def configure_logging() -> None:
    """LOG_LEVEL and up, as LOG_FORMAT says (bot/ops/logs.py), on stderr (also the delivery
    worker's, when spawned: this function is handed to it by name)."""
    configure_logs()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadbot", description="Lead follow-up bot for Slack.", epilog=EPILOG
    )
    parser.add_argument("--version", action="version", version=f"leadbot {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_running(sub)
    _add_checks(sub)
    for module in (audit_command, simulate_command, quarantine_command, import_command,
                   crm_command, fake_slack, lead_command, roster_command):  # fmt: skip
        module.add_parser(sub)
    polish(parser)
    return parser


def _add_running(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """serve, demo, route and db: running leadbot, trying it, and its database."""
    serve = sub.add_parser("serve", help="run the bot (HTTP mode, or --socket-mode)")
    serve.add_argument("--host", default="0.0.0.0", help="the address to listen on")
    serve.add_argument("--port", type=int, default=3000, help="the port to listen on")
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


def _add_checks(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """config check|schema and templates check: leadbot.yml and its templates, before a start."""
    config = sub.add_parser("config", help="leadbot.yml")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    check = config_sub.add_parser("check", help="validate leadbot.yml and report every problem")
    check.add_argument("path", nargs="?", help="default: $LEADBOT_CONFIG or ./leadbot.yml")
    check.set_defaults(func=_config_check)
    schema = config_sub.add_parser(
        "schema", help="print the JSON Schema of leadbot.yml (for editors: completion, checks)"
    )
    schema.set_defaults(func=_config_schema)

    templates = sub.add_parser("templates", help="outreach templates (followup.templates)")
    templates_sub = templates.add_subparsers(dest="templates_command", required=True)
    t_check = templates_sub.add_parser(
        "check", help="render every outreach template with sample leads and report problems"
    )
    t_check.add_argument("--dir", help="the templates directory (default: followup.templates)")
    t_check.add_argument("--config", help="default: $LEADBOT_CONFIG or ./leadbot.yml")
    t_check.add_argument("--list", action="store_true", help="list each template in use")
    t_check.set_defaults(func=_templates_check)


def _version() -> str:
    """The installed package's version (pyproject.toml's, through its metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("leadbot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


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

    # The story prints each change itself: the operators' line for each would repeat it.
    logging.getLogger("bot.leads.changes").setLevel(logging.WARNING)
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
    from storage.dburl import parse, where

    settings = Settings.from_env()
    Database(settings.database_url).upgrade()
    print(f"database is up to date ({where(parse(settings.database_url))})")
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


def _config_schema(_args: argparse.Namespace) -> int:
    import json

    from bot.config.json_schema import config_json_schema

    print(json.dumps(config_json_schema(), indent=2))
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


if __name__ == "__main__":
    sys.exit(main())
