"""`leadbot lead 42`: one lead's whole history from the event log, the question every manager
asks ("who had it, when did they claim it, what happened since?"). Read-only: it never
migrates or writes. Tables and colour on a terminal, plain lines when piped, JSON with --json.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.vocabulary import ExitCode

if TYPE_CHECKING:  # the rest is imported when the command runs: `leadbot --help` stays quick
    from rich.console import Console

    from bot.leads.history import LeadHistory
    from bot.tools.lead_view import View


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    lead = sub.add_parser(
        "lead",
        help="a lead's whole history from the event log: who did what, when",
        description="Show a lead's status, owner, source, tier and SLA, then every event of its "
        "history (who, what, when) from leadbot's database (DATABASE_URL).",
    )
    lead.add_argument("id", type=_lead_id, help="the lead's number, as its card shows it (#42)")
    lead.add_argument("--tz", default="UTC", help="the time zone to show times in, an IANA name "
                      "such as Europe/Berlin")  # fmt: skip
    lead.add_argument("--json", action="store_true", help="print JSON for machines")
    lead.add_argument("--show-contact", action="store_true",
                      help="also show the lead's email and phone (hidden by default)")  # fmt: skip
    lead.add_argument("--config", help="leadbot.yml, for people's names instead of Slack ids "
                      "(default: $LEADBOT_CONFIG or ./leadbot.yml, if present)")  # fmt: skip
    lead.set_defaults(func=run)


def _lead_id(text: str) -> int:
    digits = text.strip().removeprefix("#")
    if not (digits.isascii() and digits.isdigit()) or int(digits) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a lead number (e.g. 42)")
    return int(digits)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bot.config.errors import ConfigError
    from bot.config.load import load_config
    from bot.settings import Settings
    from bot.tools.lead_view import View, as_json
    from storage.dburl import parse, where

    logging.getLogger().setLevel(logging.WARNING)
    try:
        tz = ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"leadbot lead: --tz {args.tz!r}: not a time zone name (e.g. Europe/Berlin)",
              file=sys.stderr)  # fmt: skip
        return ExitCode.USAGE
    settings = Settings.from_env()
    path = args.config or settings.config_path
    try:
        config = load_config(path) if args.config or Path(path).is_file() else None
    except ConfigError as err:
        print(err, file=sys.stderr)
        return ExitCode.USAGE
    history = read(settings.database_url, args.id)
    if history is None:
        place = where(parse(settings.database_url))
        print(f"leadbot: no lead #{args.id} in {place} (DATABASE_URL)", file=sys.stderr)
        return ExitCode.NOT_FOUND
    view = View(tz, config.display_name if config else str, show_contact=args.show_contact)
    if args.json:
        print(json.dumps(as_json(history, view), indent=2, ensure_ascii=False))
    else:
        show(history, view, Console(highlight=False))
    return ExitCode.OK


def read(url: str, lead_id: int) -> LeadHistory | None:
    """The history, or None; a SQLite file that is not there is not created to find nothing."""
    from bot.leads.history import lead_history
    from storage.db import Database
    from storage.dburl import require_existing

    require_existing(url)
    db = Database(url)
    try:
        return lead_history(db, lead_id)
    finally:
        db.dispose()


def show(history: LeadHistory, view: View, console: Console) -> None:
    """The lead's facts, then its events: tables on a terminal, aligned lines when piped."""
    from rich.table import Table
    from rich.text import Text

    from bot.tools.lead_view import describe, summary
    from bot.tools.table import print_table

    top = summary(history.lead, view)
    if console.is_terminal:
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="bold")
        facts.add_column()
        for label, value in top:
            facts.add_row(label, Text(value))
        console.print(facts)
    else:
        width = max(len(label) for label, _ in top)
        for label, value in top:
            console.print(f"{label + ':':<{width + 1}} {value}", markup=False, soft_wrap=True)
    console.print()
    rows = [(view.when(e.at), view.who(e.actor), describe(e, history.lead, view))
            for e in history.events]  # fmt: skip
    title = f"{len(rows)} events, times in {view.tz.key}"
    print_table(console, ["when", "who", "what"], rows, title=title, styles=("dim", "cyan"))
