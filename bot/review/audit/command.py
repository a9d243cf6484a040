"""`leadbot audit`'s options and entry point (`bot/cli.py` adds it to the command)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.review.audit.columns import FIELDS, PRESETS


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    audit = sub.add_parser(
        "audit",
        help="speed to lead before leadbot, from a CRM export (CSV)",
        description="Read a CRM export and report response times: the baseline before leadbot.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    audit.add_argument("export", help="the CSV file (UTF-8 or Windows-1252; , ; or tab)")
    audit.add_argument("--preset", choices=sorted(PRESETS), help="the CRM the file comes from")
    audit.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="read FIELD from COLUMN (repeatable); fields: " + ", ".join(FIELDS),
    )
    audit.add_argument("--tz", help="the CRM account's time zone, for dates without an offset")
    audit.add_argument(
        "--date-order",
        choices=("mdy", "dmy"),
        help="for dates like 3/4/2024 when no value settles the order",
    )
    audit.add_argument(
        "--won",
        action="append",
        default=[],
        metavar="STATUS",
        help="a status that counts as converted (repeatable; default: the preset's)",
    )
    audit.add_argument(
        "--config",
        help="leadbot.yml, for business hours and rep emails "
        "(default: $LEADBOT_CONFIG or ./leadbot.yml, if present)",
    )
    audit.add_argument(
        "--compare",
        nargs="?",
        const="auto",
        metavar="FROM..TO",
        help="set leadbot's own numbers (DATABASE_URL) beside the export's: "
        "the last stretch as long as the export's, or the dates given",
    )
    audit.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    audit.add_argument("--json", metavar="FILE", help="also write JSON (- for stdout only)")
    audit.add_argument(
        "--csv", metavar="FILE", help="also write a CSV of the groups (- for stdout)"
    )
    audit.set_defaults(func=run)  # fmt: skip


def run(args: argparse.Namespace) -> int:
    # Imported here: `leadbot`'s other commands should not pay for rich, Jinja2 and the rest.
    from rich.console import Console

    from bot.config.errors import ConfigError
    from bot.config.load import load_config
    from bot.review.audit.reader import Options
    from bot.review.audit.run import Compare, Outputs, run_audit
    from bot.settings import Settings

    logging.getLogger().setLevel(logging.WARNING)
    try:
        tz = ZoneInfo(args.tz) if args.tz else None
    except (ZoneInfoNotFoundError, ValueError):
        print(f"leadbot audit: --tz {args.tz!r}: not a time zone name (e.g. America/New_York)",
              file=sys.stderr)  # fmt: skip
        return 2
    path = args.config or os.environ.get("LEADBOT_CONFIG") or "leadbot.yml"
    config = None
    if args.config or Path(path).is_file():
        try:
            config = load_config(path)
        except ConfigError as err:
            print(err, file=sys.stderr)
            return 2
    options = Options(args.preset, args.map, tz, args.date_order, tuple(args.won))
    outputs = Outputs(args.html, args.json, args.csv)
    compare = None
    if args.compare is not None:
        compare = Compare(Settings.from_env().database_url, args.compare)
    return run_audit(args.export, options, outputs, config, Console(), compare=compare)
