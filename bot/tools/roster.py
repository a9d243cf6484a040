"""`leadbot roster sync --usergroup @sales` (or `--channel #sales`): the members of a Slack user
group or channel, with their time zones, written into the `reps:` of leadbot.yml, hand-set
fields and the rest of the file kept (bot/tools/roster_merge.py, bot/tools/roster_yaml.py).

The new file is checked as leadbot reads it before it replaces the old one (atomically, the old
one kept as leadbot.yml.bak); a file that would not load is not written. Exit 0 when done, 2
when Slack refuses or cannot be reached, or leadbot.yml cannot be read or would not load.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.vocabulary import ExitCode

if TYPE_CHECKING:  # the rest is imported when the command runs: `leadbot --help` stays quick
    from rich.console import Console

    from bot.tools.roster_merge import Plan
    from bot.tools.roster_slack import Roster, SlackReader

FIELDS = ("name", "timezone", "email")


@dataclass(frozen=True)
class Options:
    path: Path
    usergroup: str | None = None
    channel: str | None = None
    refresh: frozenset[str] = frozenset()
    prune: bool = False
    dry_run: bool = False


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    roster = sub.add_parser("roster", help="the reps of leadbot.yml, from Slack")
    verbs = roster.add_subparsers(dest="roster_command", required=True)
    sync = verbs.add_parser(
        "sync",
        help="write a user group's or channel's members into reps:, keeping hand-set fields",
        description="Read the members of a Slack user group or channel (ids, names, time zones, "
        "emails) and add them to the reps: of leadbot.yml. A rep already there keeps every "
        "field set by hand; Slack's name, timezone and email fill in only what is missing, "
        "unless --refresh names them. Bots and deactivated accounts are skipped; reps no "
        "longer in the group are listed, and removed only with --prune.",
    )
    source = sync.add_mutually_exclusive_group(required=True)
    source.add_argument("--usergroup", metavar="@HANDLE", help="a user group: @sales, or its id")
    source.add_argument("--channel", metavar="#NAME", help="a channel: #sales, or its id")
    sync.add_argument("--refresh", type=_fields, metavar="FIELDS",
                      help="also overwrite these where Slack differs: name,timezone,email "
                      "(default: only fill in what is missing)")  # fmt: skip
    sync.add_argument("--prune", action="store_true", help="remove reps no longer in the group, "
                      "unless something else in leadbot.yml names them")  # fmt: skip
    sync.add_argument("--dry-run", action="store_true", help="print the change as a diff, "
                      "write nothing")  # fmt: skip
    sync.add_argument("--config", help="default: $LEADBOT_CONFIG or ./leadbot.yml")
    sync.set_defaults(func=run)


def _fields(text: str) -> frozenset[str]:
    named = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(named - set(FIELDS))
    if unknown or not named:
        raise argparse.ArgumentTypeError(f"{text!r}: name some of {', '.join(FIELDS)}")
    return named


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bot.settings import Settings
    from bot.tools.roster_slack import SlackReader, make_client

    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("slack_sdk").setLevel(logging.CRITICAL)  # its errors end in one line here
    settings = Settings.from_env()
    if not settings.slack_bot_token:
        print("leadbot roster sync: SLACK_BOT_TOKEN is not set (the bot token, xoxb-…, "
              "reads the members)", file=sys.stderr)  # fmt: skip
        return ExitCode.USAGE
    options = Options(Path(args.config or settings.config_path), args.usergroup, args.channel,
                      args.refresh or frozenset(), args.prune, args.dry_run)  # fmt: skip
    reader = SlackReader(make_client(settings.slack_bot_token, settings.slack_api_url))
    return sync(options, reader, Console(highlight=False))


def sync(options: Options, reader: SlackReader, console: Console) -> int:
    """Read Slack, merge, check, then show the summary and write (or, dry, show the diff)."""
    from bot.tools.roster_merge import merge
    from bot.tools.roster_slack import RosterError
    from bot.tools.roster_yaml import RosterFile, RosterFileError

    try:
        old = _read(options.path)
        # Parsed before Slack is asked: a file that cannot be edited costs no calls.
        document = RosterFile.parse(old, str(options.path))
        roster = _read_roster(options, reader)
        plan = merge(document.data, roster, options.refresh, options.prune)
        new = document.rewritten(plan)
        temp, problems = _checked(options.path, new) if new != old else (None, None)
    except (RosterError, RosterFileError) as err:
        print(f"leadbot roster sync: {err}", file=sys.stderr)
        return ExitCode.USAGE
    try:
        show(console, roster, plan)
        if problems:
            print(f"leadbot roster sync: {options.path} would not load after the sync, so "
                  f"nothing was written (lines are the synced file's):\n{problems}",
                  file=sys.stderr)  # fmt: skip
            return ExitCode.USAGE
        _finish(console, options, old, new, temp)
        return ExitCode.OK
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


def _read_roster(options: Options, reader: SlackReader) -> Roster:
    if options.usergroup:
        return reader.usergroup(options.usergroup)
    return reader.channel(options.channel or "")


def _finish(console: Console, options: Options, old: str, new: str, temp: Path | None) -> None:
    if temp is None:
        _say(console, f"{options.path} is up to date: nothing to write")
    elif options.dry_run:
        print_diff(console, old, new, str(options.path))
        _say(console, f"dry run: nothing written to {options.path}")
    else:
        backup = _replace(options.path, temp)
        _say(console, f"wrote {options.path} (the old one is {backup})")


def _read(path: Path) -> str:
    from bot.tools.roster_yaml import RosterFileError

    try:
        return path.read_bytes().decode("utf-8")  # as is: "\r\n" stays, as every byte does
    except FileNotFoundError:
        raise RosterFileError(f"{path}: file not found (start from leadbot.example.yml, or "
                              "set LEADBOT_CONFIG)") from None  # fmt: skip
    except (OSError, UnicodeDecodeError) as err:
        raise RosterFileError(f"{path}: cannot be read ({err})") from None


def _checked(path: Path, text: str) -> tuple[Path, str | None]:
    """The new text in a file beside the old one (so relative paths in it resolve the same),
    and its problems as leadbot's own loader reports them (None: it loads)."""
    from bot.config.errors import ConfigError
    from bot.config.load import load_config
    from bot.tools.roster_yaml import RosterFileError

    target = path.resolve()
    try:
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".new")
    except OSError as err:
        raise RosterFileError(f"cannot write beside {path}: {err.strerror or err}") from None
    temp = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        load_config(temp)
    except ConfigError as err:
        err.source = str(path)
        return temp, str(err)
    except OSError as err:
        temp.unlink(missing_ok=True)
        raise RosterFileError(f"cannot write beside {path}: {err.strerror or err}") from None
    return temp, None


def _replace(path: Path, temp: Path) -> Path:
    """`temp` becomes the file in one step (a reader sees the old or the new, never half), the
    old one kept as `<name>.bak`. A symlinked leadbot.yml keeps its link: the target changes."""
    target = path.resolve()
    backup = target.with_name(target.name + ".bak")
    shutil.copy2(target, backup)
    os.chmod(temp, stat.S_IMODE(target.stat().st_mode))
    os.replace(temp, target)
    return backup


def rows(roster: Roster, plan: Plan) -> list[tuple[str, str, str]]:
    """(what, who, detail) for each person the sync saw or changed, in that order."""
    out = [("added", f"{m.name} ({m.id})", m.timezone or "no time zone") for m in plan.added]
    out += [("updated", u.label, ", ".join(u.fields)) for u in plan.updated]
    out += [("unchanged", who, "") for who in plan.unchanged]
    out += [("skipped", f"{s.name} ({s.id})", s.why) for s in roster.skipped]
    pruned, kept = set(plan.pruned.values()), {who for who, _ in plan.kept}
    out += [("removed" if who in pruned else "not in group", who,
             f"in leadbot.yml but not in {roster.source}")
            for who in plan.missing if who not in kept]  # fmt: skip
    out += [("kept", who, f"not in {roster.source}, but {where} names them")
            for who, where in plan.kept]  # fmt: skip
    return out


def counts(roster: Roster, plan: Plan) -> str:
    return (f"{roster.source}: added {len(plan.added)}, updated {len(plan.updated)}, unchanged "
            f"{len(plan.unchanged)}, skipped {len(roster.skipped)}, in leadbot.yml but not in "
            f"{roster.source} {len(plan.missing)}, removed {len(plan.pruned)}")  # fmt: skip


def show(console: Console, roster: Roster, plan: Plan) -> None:
    """A table on a terminal, one plain line per person when piped; then the counts and notes."""
    from rich.table import Table
    from rich.text import Text

    found = rows(roster, plan)
    if console.is_terminal and found:
        table = Table(title=f"{roster.source} → reps:", title_justify="left")
        for column in ("", "rep", "detail"):
            table.add_column(column, overflow="fold")
        for what, who, detail in found:
            table.add_row(Text(what, style=STYLE.get(what, "")), Text(who), Text(detail))
        console.print(table)
    else:
        for what, who, detail in found:
            _say(console, f"{what}: {who}" + (f" ({detail})" if detail else ""))
    _say(console, counts(roster, plan))
    for note in [*plan.differs, *roster.notes]:
        _say(console, f"note: {note}")


STYLE = {"added": "green", "updated": "yellow", "removed": "red", "not in group": "red",
         "kept": "magenta", "skipped": "dim", "unchanged": "dim"}  # fmt: skip


def print_diff(console: Console, old: str, new: str, name: str) -> None:
    from rich.text import Text

    diff = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                fromfile=name, tofile=f"{name} (synced)")  # fmt: skip
    for line in diff:
        text = line.rstrip("\r\n")
        style = "green" if text[:1] == "+" else "red" if text[:1] == "-" else ""
        if console.is_terminal:
            console.print(Text(text, style=style), soft_wrap=True)
        else:
            _say(console, text)


def _say(console: Console, line: str) -> None:
    console.print(line, markup=False, highlight=False, soft_wrap=True)
