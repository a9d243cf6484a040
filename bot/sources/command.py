"""`leadbot quarantine list|show|retry|dismiss`: the payloads the sources could not take
(`bot/cli.py` adds it to the command). Exit 0 when done, 1 when a retry still fails or the
payload is not held, 2 when leadbot.yml cannot be read, 4 when the id is unknown (`ExitCode`)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from bot.vocabulary import ExitCode


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    quarantine = sub.add_parser(
        "quarantine", help="lead payloads from sources that could not be taken as leads"
    )
    verbs = quarantine.add_subparsers(dest="quarantine_command", required=True)
    listing = verbs.add_parser("list", help="what is held (newest first)")
    listing.add_argument("--all", action="store_true", help="also taken and dismissed ones")
    listing.add_argument("--json", action="store_true", help="JSON for machines")
    listing.set_defaults(func=_list)
    show = verbs.add_parser("show", help="one payload, whole, and why it is held")
    show.add_argument("id", type=int, help="its id, as `quarantine list` shows it")
    show.set_defaults(func=_show)
    retry = verbs.add_parser("retry", help="map it again with leadbot.yml as it is now")
    retry.add_argument("id", type=int, help="its id, as `quarantine list` shows it")
    retry.set_defaults(func=_retry)
    dismiss = verbs.add_parser("dismiss", help="mark it as no lead (it is kept, with the reason)")
    dismiss.add_argument("id", type=int, help="its id, as `quarantine list` shows it")
    dismiss.add_argument("--reason", required=True, help="why it is no lead (kept with it)")
    dismiss.set_defaults(func=_dismiss)


def _services() -> Any:
    """(Quarantine, LeadService) for this process, or exit 2 with leadbot.yml's problems."""
    from bot.clock import SystemClock
    from bot.config.errors import ConfigError
    from bot.config.load import load_config
    from bot.leads.service import LeadService
    from bot.services import Deps
    from bot.settings import Settings
    from bot.sources.quarantine import Quarantine
    from bot.sources.writeback import with_hooks
    from storage.db import Database

    logging.getLogger().setLevel(logging.WARNING)
    settings = Settings.from_env()
    try:
        config = load_config(settings.config_path)
    except ConfigError as err:
        print(err, file=sys.stderr)
        raise SystemExit(2) from None
    db = Database(settings.database_url)
    db.upgrade()  # an older database has no quarantine table yet
    clock = SystemClock()
    leads = LeadService(with_hooks(Deps.create(db, config, clock)))
    return Quarantine(db, config, clock), leads


def _list(args: argparse.Namespace) -> int:
    quarantine, _ = _services()
    held = quarantine.list(None if args.all else "held")
    if args.json:
        rows = [{"id": h.id, "source": h.source, "kind": h.kind, "status": h.status,
                 "received_at": h.received_at.isoformat(), "attempts": h.attempts,
                 "problems": list(h.problems), "lead_id": h.lead_id} for h in held]  # fmt: skip
        print(json.dumps(rows, indent=2))
        return 0
    if not held:
        print("The quarantine is empty." if args.all else "Nothing is held.")
    for h in held:
        lead = f" -> lead #{h.lead_id}" if h.lead_id else ""
        print(f"#{h.id}  {h.received_at:%Y-%m-%d %H:%M} UTC  {h.source} ({h.kind})  {h.status}"
              f"{lead}  {'; '.join(h.problems)}")  # fmt: skip
    return 0


def _unknown(quarantine: Any, held_id: int) -> bool:
    """True, having said so, when nothing in the quarantine has this id."""
    if quarantine.get(held_id) is not None:
        return False
    print(f"nothing in the quarantine has id {held_id}", file=sys.stderr)
    return True


def _show(args: argparse.Namespace) -> int:
    quarantine, _ = _services()
    held = quarantine.get(args.id)
    if held is None:
        print(f"nothing in the quarantine has id {args.id}", file=sys.stderr)
        return ExitCode.NOT_FOUND
    print(f"#{held.id} from {held.source} ({held.kind}), {held.received_at:%Y-%m-%d %H:%M} UTC, "
          f"{held.status}, {held.attempts} retries")  # fmt: skip
    for problem in held.problems:
        print(f"  {problem}")
    if held.note:
        print(f"  note: {held.note}")
    print(held.body)
    return 0


def _retry(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from bot.sources.retry import retry

    quarantine, leads = _services()
    if _unknown(quarantine, args.id):
        return ExitCode.NOT_FOUND
    retried = retry(leads, args.id, Settings.from_env().source_secrets, _touches(leads))
    print(retried.message, file=sys.stdout if retried.ok else sys.stderr)
    return 0 if retried.ok else 1


def _touches(leads: Any) -> Any:
    """A held CRM activity's touch, logged as the server would: with the server's hooks (the
    claim it makes plans the tasks and writes the owner back, the touch moves the cadence)."""
    from bot.followup.crm_touch import CrmTouches

    return CrmTouches(leads.deps)


def _dismiss(args: argparse.Namespace) -> int:
    quarantine, _ = _services()
    if _unknown(quarantine, args.id):
        return ExitCode.NOT_FOUND
    refusal = quarantine.dismiss(args.id, args.reason)
    if refusal:
        print(refusal, file=sys.stderr)
        return 1
    print(f"#{args.id} dismissed (kept, with the reason)")
    return 0
