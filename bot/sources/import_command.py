"""`leadbot import FILE.csv`'s options and entry point (`bot/cli.py` adds it to the command).
Exit 0 when every row was taken (created or already there), 1 when some were refused (they are
written to a CSV with their reasons), 2 when the file or the options cannot be used."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from bot.sources.presets import PRESETS

if TYPE_CHECKING:
    from bot.sources.importer import Imported


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    command = sub.add_parser(
        "import",
        help="bulk import leads from a CSV (a webinar list, trade-show scans, a CRM export)",
        description="Import leads through intake's own path: validated, routed (round robin "
        "stays fair), carded and timed like any other; idempotent by external id.",
    )
    command.add_argument("file", help="the CSV (UTF-8 or Windows-1252; , ; or tab)")
    command.add_argument("--preset", choices=sorted(PRESETS), help="the CRM the file comes from")
    command.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                         help="read a lead field from COLUMN (repeatable)")  # fmt: skip
    command.add_argument("--source", default="import", help="the leads' source (default: import)")
    command.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
    command.add_argument("--refused", metavar="FILE",
                         help="where the refused rows go (default: FILE.refused.csv)")  # fmt: skip
    command.add_argument("--json", action="store_true", help="print the summary as JSON")
    command.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bot.clock import SystemClock
    from bot.config.errors import ConfigError
    from bot.config.load import load_config
    from bot.leads.service import LeadService
    from bot.review.audit.reader import open_text
    from bot.services import Deps
    from bot.settings import Settings
    from bot.sources.importer import Importer, ImportRefused, columns, rows
    from bot.sources.writeback import with_hooks
    from storage.db import Database

    logging.getLogger().setLevel(logging.WARNING)
    settings = Settings.from_env()
    try:
        config = load_config(settings.config_path)
        maps = dict(_pair(item) for item in args.map)
        with open_text(args.file) as stream:
            header, found = rows(stream)
            chosen = columns(header, args.preset, maps)
            db = Database(settings.database_url)
            db.upgrade()
            leads = LeadService(with_hooks(Deps.create(db, config, SystemClock())))
            err = Console(stderr=True)
            with err.status("importing…") if err.is_terminal else nullcontext():
                done = Importer(leads, args.source, dry_run=args.dry_run).run(found, chosen)
    except (ConfigError, ImportRefused, OSError, ValueError) as error:
        print(f"leadbot import: {error}", file=sys.stderr)
        return 2
    refused_to = args.refused or f"{args.file}.refused.csv"
    if done.refused:
        _write_refused(refused_to, done.refused)
    _report(done, args, refused_to, config.display_name)
    return 1 if done.refused else 0


def _pair(item: str) -> tuple[str, str]:
    field, sep, column = item.partition("=")
    if not sep or not field.strip() or not column.strip():
        raise ValueError(f"--map {item!r}: expected FIELD=COLUMN, e.g. email='Work Email'")
    return field.strip(), column.strip()


def _write_refused(path: str, refused: list[tuple[int, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["line", "reason"])
        writer.writerows(refused)


def _report(done: Imported, args: argparse.Namespace, refused_to: str,
            name: Callable[[str], str]) -> None:  # fmt: skip
    verb = "would be created" if args.dry_run else "created"
    if args.json:
        print(json.dumps({"created": done.created, "duplicate": done.duplicate,
                          "refused": len(done.refused), "dry_run": args.dry_run,
                          "owners": done.owners}))  # fmt: skip
        return
    print(f"{args.file}: {done.rows:,} rows: {done.created:,} {verb}, {done.duplicate:,} already "
          f"there, {len(done.refused):,} refused")  # fmt: skip
    for owner, count in sorted(done.owners.items(), key=lambda item: -item[1]):
        print(f"  {name(owner) if owner else 'the shared queue'}: {count:,}")
    if done.refused:
        print(f"  the refused rows and why: {refused_to}")
    if Path(args.file).suffix.lower() != ".csv":
        print("  (read as CSV)")
