"""Writing the owner back to the CRM a lead came from: the lead's side of it.

A source with `write_owner: true` (HubSpot or Salesforce) has leadbot set the owner there when
it assigns or reassigns one of its leads, or someone claims one (`owner_changed`, called by the
lead services through `Deps.crm` in the change's own transaction, so a crash loses nothing).
The owner is asked for in `crm_writes`, one row per lead: a later owner overwrites the row and
bumps its generation, so only the latest owner is written (bot/sources/writer.py sends it).

When the writer gives a row up (`gave_up`): a `crm_owner_failed` event, which puts "⚠️ Owner not
written to HubSpot: why" on the lead's card (bot/delivery/cards.py), every posted copy redrawn,
and the admins told in Slack, once an hour per source and problem.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from blocks.mrkdwn import escape_truncated, literal_truncated, user
from bot.clock import OncePerHour
from bot.config.schema import Config
from bot.config.sources import Source
from bot.delivery.alerts import tell_admins
from bot.delivery.outbox import enqueue_card_updates
from bot.followup.hooks import FollowUp
from bot.leads.events import LEADBOT, add_event
from bot.services import Deps
from bot.sources.owners import GiveUp
from bot.sources.soap import SOBJECT_TYPE
from bot.vocabulary import EventKind
from storage.crm import CrmWrite, CrmWriteStatus
from storage.models import Lead

CRM_NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce"}
# Salesforce ids begin with their object's key prefix: a record whose message did not say its
# type (a lead posted to /api/leads with a Salesforce id) is still a Lead or a Contact.
SALESFORCE_PREFIXES = {"00Q": "Lead", "003": "Contact"}
HUBSPOT_CONTACTS = "contacts"
_ROW = CrmWrite.__table__.c


def with_hooks(deps: Deps) -> Deps:
    """`deps` with what a lead change tells beyond its own rows, as the server has them: the
    follow-up (a claim plans the tasks) and the CRM write-back (a new owner is written to the
    lead's CRM). Every command that changes leads outside the server (`leadbot import`,
    `leadbot quarantine retry`) builds them the same way, so a lead it assigns is written back."""
    return replace(
        deps,
        followup=FollowUp(deps.db, deps.config, deps.calendar),
        crm=OwnerWriteBack(deps.config),
    )


class OwnerWriteBack:
    """`Deps.crm`: the config's write-back sources, found by the `source` their leads carry."""

    def __init__(self, config: Config) -> None:
        self.sources = {
            source.lead_source(name): (name, source)
            for name, source in config.sources.items()
            if source.write_owner
        }

    def owner_changed(self, session: Session, lead: Lead, owner: str, now: datetime) -> None:
        found = self.sources.get(lead.source) if self.sources else None
        if found is not None:
            ask(session, lead, found[0], found[1], owner, now)


def ask(session: Session, lead: Lead, name: str, source: Source, owner: str,
        now: datetime) -> None:  # fmt: skip
    """Ask for `owner` on the lead's CRM record: a new row, or the lead's row taking the new
    owner (a row already asking for this owner, or given up on them, is left as it is: a claim
    by the rep the lead was assigned to writes nothing more)."""
    record = (lead.external_id or "")[:200]
    kind = HUBSPOT_CONTACTS if source.kind == "hubspot" else _sobject_type(lead, record)
    values = {"lead_id": lead.id, "source": name, "kind": source.kind, "object_type": kind,
              "record_id": record, "owner": owner, "generation": 1,
              "status": CrmWriteStatus.PENDING, "attempts": 0, "asked_at": now,
              "next_attempt_at": now}  # fmt: skip
    again = {"owner": owner, "generation": _ROW.generation + 1, "attempts": 0,
             "status": CrmWriteStatus.PENDING, "asked_at": now, "next_attempt_at": now,
             "last_error": None}  # fmt: skip
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = (postgresql_insert if postgres else sqlite_insert)(CrmWrite.__table__)
    upsert = insert.values(values).on_conflict_do_update(
        index_elements=[_ROW.lead_id], set_=again, where=_ROW.owner != insert.excluded.owner
    )
    session.execute(upsert)


def _sobject_type(lead: Lead, record: str) -> str:
    said = (lead.fields or {}).get(SOBJECT_TYPE)
    return str(said or SALESFORCE_PREFIXES.get(record[:3], ""))[:16]


def gave_up(session: Session, config: Config, told: OncePerHour, row: CrmWrite,
            failure: GiveUp, now: datetime) -> None:  # fmt: skip
    """In the transaction that marks `row` failed: the lead's event and redrawn card, and the
    admins' message when this source and problem were not told within the hour."""
    lead = session.get(Lead, row.lead_id, with_for_update=True)
    if lead is None or failure.quiet:
        return
    crm = CRM_NAMES.get(row.kind, row.kind)
    add_event(session, lead, LEADBOT, EventKind.CRM_OWNER_FAILED, now,
              crm=crm, owner=row.owner, error=failure.error[:300])  # fmt: skip
    lead.version += 1  # the card changes: copies showing the old version are redrawn
    session.flush()
    enqueue_card_updates(session, lead.id, now)
    if told.first((row.source, failure.key)):
        tell_admins(session, config, lead.id, _alert(lead, row, crm, failure), now)


def _alert(lead: Lead, row: CrmWrite, crm: str, failure: GiveUp) -> str:
    name = literal_truncated(lead.name or lead.email or lead.phone or "unnamed lead", 100)
    fix = f" To fix it: {escape_truncated(failure.fix, 300)}." if failure.fix else ""
    return (
        f"⚠️ leadbot could not set the owner of lead #{lead.id} ({name}) in {crm} to "
        f"{user(row.owner)} (source *{escape_truncated(row.source, 32)}*): "
        f"{escape_truncated(failure.error, 500)}.{fix} The lead's card says so; leadbot tries "
        "again when the lead next changes hands."
    )
