"""`leadbot simulate`'s options and entry point (`bot/cli.py` adds it to the command)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.review.audit.columns import FIELDS, PRESETS

MAX_WEEKS = 26


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    simulate = sub.add_parser(
        "simulate",
        help="what if the policy were different: replay recent leads through another leadbot.yml",
        description="Replay the last weeks of leads through a proposed leadbot.yml with the real "
        "engine on a virtual clock, and set breaches, reminders, manager escalations and the "
        "queue beside the current policy's.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    simulate.add_argument("proposed", help="the proposed leadbot.yml")
    simulate.add_argument(
        "--current", help="the policy in force (default: $LEADBOT_CONFIG or ./leadbot.yml)"
    )
    simulate.add_argument("--weeks", type=_weeks, default=4, help=f"how far back (1–{MAX_WEEKS})")
    simulate.add_argument(
        "--export",
        metavar="CSV",
        help="replay a CRM export (as `leadbot audit` reads it) instead of leadbot's database "
        "(DATABASE_URL)",
    )
    simulate.add_argument("--preset", choices=sorted(PRESETS), help="with --export: the CRM")
    simulate.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                          help="with --export: read FIELD from COLUMN; fields: "
                          + ", ".join(FIELDS))  # fmt: skip
    simulate.add_argument("--tz", help="with --export: the zone of dates without an offset")
    simulate.add_argument("--date-order", choices=("mdy", "dmy"), help="with --export")
    simulate.add_argument("--changes", type=int, default=20, metavar="N",
                          help="how many changed leads to list")  # fmt: skip
    simulate.add_argument("--json", metavar="FILE", help="also write JSON (- for stdout only)")
    simulate.set_defaults(func=run)


def _weeks(text: str) -> int:
    try:
        weeks = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of weeks") from None
    if not 1 <= weeks <= MAX_WEEKS:
        raise argparse.ArgumentTypeError(f"{weeks}: give 1 to {MAX_WEEKS} weeks")
    return weeks


def run(args: argparse.Namespace) -> int:
    # Imported here: `leadbot`'s other commands should not pay for the engine and rich.
    from rich.console import Console

    from bot.clock import SystemClock
    from bot.config.errors import ConfigError
    from bot.config.load import load_config
    from bot.review.audit.columns import MappingError
    from bot.review.audit.dates import DateFormatError
    from bot.review.audit.reader import Options
    from bot.review.simulate.run import Output, Policies, export_history, own_history, simulate
    from bot.settings import Settings

    logging.getLogger().setLevel(logging.WARNING)  # the replay's own log lines are not news
    err = Console(stderr=True)
    current_path = args.current or os.environ.get("LEADBOT_CONFIG") or "leadbot.yml"
    try:
        tz = ZoneInfo(args.tz) if args.tz else None
        current, proposed = load_config(current_path), load_config(args.proposed)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"leadbot simulate: --tz {args.tz!r}: not a time zone name", file=sys.stderr)
        return 2
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    policies = Policies(current, proposed, current_path, args.proposed)
    try:
        if args.export:
            options = Options(args.preset, args.map, tz, args.date_order)
            history = export_history(args.export, options, policies, args.weeks, err)
        else:
            url = Settings.from_env().database_url
            history = own_history(url, policies, args.weeks, SystemClock().now())
    except (MappingError, DateFormatError, OSError) as error:
        print(f"leadbot simulate: {args.export}: {error}", file=sys.stderr)
        return 2
    return simulate(history, policies, Output(args.json, max(0, args.changes)), Console(), err)
