"""`leadbot crm list|retry`: the owners leadbot could not write back to a CRM. A write given up
(a revoked token, a rep whose email the CRM does not know) is on the lead's card and told to the
admins; once the cause is fixed, `retry` queues it again, and the running `leadbot serve` writes
it on its next tick, paced as any write. Exit 0 when done, 2 when leadbot.yml cannot be read,
4 when a lead named has no write to retry (`ExitCode`)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from bot.vocabulary import ExitCode

if TYPE_CHECKING:
    from storage.crm import CrmWrite
    from storage.db import Database


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    crm = sub.add_parser("crm", help="owners written back to HubSpot or Salesforce")
    verbs = crm.add_subparsers(dest="crm_command", required=True)
    listing = verbs.add_parser("list", help="the writes given up (newest first)")
    listing.add_argument("--all", action="store_true", help="also pending and written ones")
    listing.add_argument("--json", action="store_true", help="JSON for machines")
    listing.set_defaults(func=_list)
    retry = verbs.add_parser("retry", help="queue given-up writes again, once the cause is fixed")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("leads", nargs="*", type=int, default=[], help="the leads' ids")
    which.add_argument("--all-failed", action="store_true", help="every write given up")
    retry.set_defaults(func=_retry)


def _database() -> Database:
    # Here, not at the top: the command line loads this module for its parser, and SQLAlchemy
    # and the models are a fifth of a second that `leadbot serve` does not spend before its fork.
    from bot.settings import Settings
    from storage.db import Database

    db = Database(Settings.from_env().database_url)
    db.upgrade()  # an older database has no crm_writes table yet
    return db


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from storage.crm import CrmWrite, CrmWriteStatus

    query = select(CrmWrite).order_by(CrmWrite.asked_at.desc(), CrmWrite.id.desc())
    if not args.all:
        query = query.where(CrmWrite.status == CrmWriteStatus.FAILED)
    with _database().read() as session:
        rows = list(session.scalars(query))
    if args.json:
        print(json.dumps([_as_json(row) for row in rows], indent=2))
        return ExitCode.OK
    if not rows:
        print("No owner write is given up." if not args.all else "No owner write yet.")
    for row in rows:
        why = f"  {row.last_error}" if row.last_error and row.status != "written" else ""
        print(f"lead #{row.lead_id}  {row.source} ({row.kind} {row.object_type} "
              f"{row.record_id})  owner {row.owner}  {row.status}, {row.attempts} attempts, "
              f"asked {row.asked_at:%Y-%m-%d %H:%M} UTC{why}")  # fmt: skip
    return ExitCode.OK


def _as_json(row: CrmWrite) -> dict[str, object]:
    stamp = lambda at: at.isoformat() if at else None  # noqa: E731
    return {"lead_id": row.lead_id, "source": row.source, "kind": row.kind,
            "object_type": row.object_type, "record_id": row.record_id, "owner": row.owner,
            "status": row.status, "attempts": row.attempts, "asked_at": stamp(row.asked_at),
            "written_at": stamp(row.written_at), "last_error": row.last_error}  # fmt: skip


def _retry(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.clock import SystemClock
    from storage.crm import CrmWrite, CrmWriteStatus

    now = SystemClock().now()
    with _database().write() as session:
        failed = select(CrmWrite.lead_id).where(CrmWrite.status == CrmWriteStatus.FAILED)
        if not args.all_failed:
            failed = failed.where(CrmWrite.lead_id.in_(args.leads))
        queued = sorted(session.scalars(failed))
        session.execute(_queued_again(queued, now))
    for lead_id in sorted(set(args.leads) - set(queued)):
        print(f"lead #{lead_id} has no given-up owner write", file=sys.stderr)
    print(f"{len(queued)} owner write(s) queued again; a running `leadbot serve` writes them "
          "on its next tick (the lead's card says when one is written)")  # fmt: skip
    return ExitCode.NOT_FOUND if set(args.leads) - set(queued) else ExitCode.OK


def _queued_again(lead_ids: list[int], now: datetime) -> object:
    """A fresh start: attempts and age count from now, so the writer's give-up rules apply to
    the retry as to a new write; the owner and its generation stay (the same write, again). Its
    due time stays too: the moment of its last attempt, past, so the next tick takes it (and a
    command's clock never has to agree to the millisecond with the server's)."""
    from sqlalchemy import update

    from storage.crm import CrmWrite, CrmWriteStatus

    return (
        update(CrmWrite)
        .where(CrmWrite.lead_id.in_(lead_ids), CrmWrite.status == CrmWriteStatus.FAILED)
        .values(
            status=CrmWriteStatus.PENDING,
            attempts=0,
            asked_at=now,
            locked_until=None,
            locked_by=None,
        )
    )
