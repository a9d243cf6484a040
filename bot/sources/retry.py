"""`leadbot quarantine retry ID`: a held payload through the source's mapping as leadbot.yml
says it now. Every record mapped and valid: they are received as leads (routed, carded, timed)
and the row is marked taken with the first lead's id. Held CRM activities (a call HubSpot's API
could not be asked about) are read again and logged as touches. Otherwise the row stays held
with the new problems and one more attempt counted. The dispatcher of a running `leadbot serve`
sends the cards within its idle wait (5 s): this process does not reach it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.sources import Source
from bot.followup.crm_touch import CrmTouches
from bot.leads.input import LeadIn, LeadInputError
from bot.leads.service import LeadService
from bot.sources.activity import split
from bot.sources.activity_intake import ActivityIntake
from bot.sources.intake import payload_of, records_of
from bot.sources.mapping import MappingProblem, lead_of
from bot.sources.quarantine import Quarantine
from bot.sources.shapes import ShapeError
from bot.sources.soap import NotSoap
from storage.sources import Quarantined, QuarantineStatus


@dataclass(frozen=True)
class Retried:
    ok: bool
    message: str
    lead_ids: tuple[int, ...] = ()


def retry(leads: LeadService, held_id: int, secrets: Mapping[str, str] | None = None,
          touches: CrmTouches | None = None) -> Retried:  # fmt: skip
    """`secrets`: the environment, for a source's API token (a HubSpot event's contact);
    `touches` logs a held CRM activity (activity_intake.py) once it can be read."""
    config, db = leads.config, leads.db
    with db.read() as session:
        row = session.get(Quarantined, held_id)
        found = None if row is None else (row.source, row.body, row.status)
    if found is None:
        return Retried(False, f"nothing in the quarantine has id {held_id}")
    name, body, status = found
    if status != QuarantineStatus.HELD:
        return Retried(False, f"#{held_id} is {status} already")
    source = config.sources.get(name)
    if source is None:
        return Retried(False, f"#{held_id} came from the source {name!r}, which leadbot.yml no "
                              "longer has: add it back under sources: to retry")  # fmt: skip
    try:
        payload, items = split(source, payload_of(source, body.encode()))
        if items:
            return _retake(leads, held_id, name, source, items, secrets or {}, touches)
        found = records_of(source, payload, secrets or {}, {})
        parsed = [leads.parse(lead_of(record, source, name)) for record in found]
    except (LeadInputError, MappingProblem) as err:
        return _still_held(leads, held_id, err.problems)
    except (ShapeError, NotSoap) as err:
        return _still_held(leads, held_id, [{"field": "(payload)", "message": str(err)}])
    return _take(leads, held_id, name, parsed)


def _retake(leads: LeadService, held_id: int, name: str, source: Source, items: list[Any],
            secrets: Mapping[str, str], touches: CrmTouches | None) -> Retried:  # fmt: skip
    """Held activities: read again (HubSpot's API), then logged, or still held."""
    intake = ActivityIntake(touches, Quarantine(leads.db, leads.config, leads.clock), secrets, {})
    found = intake.read(source, items)
    unread = [{"field": "(activity)", "message": a.problem} for a in found if a.problem]
    if touches is None:  # a caller that cannot log touches: nothing is lost by waiting
        unread = unread or [{"field": "(activity)", "message": "no touch log in this process"}]
    if unread:
        return _still_held(leads, held_id, unread)
    taken = intake.take(name, source, found)
    ids = tuple(one.lead_id for one in taken if one.outcome == "logged" and one.lead_id)
    said = ", ".join(f"{one.kind} {one.id} {one.outcome}" for one in taken)
    _mark_taken(leads, held_id, ids)
    return Retried(True, f"#{held_id} is taken: {said}", ids)


def _take(leads: LeadService, held_id: int, name: str, parsed: list[LeadIn]) -> Retried:
    ids = tuple(leads.receive(lead, actor=f"source:{name}").lead_id for lead in parsed)
    _mark_taken(leads, held_id, ids)
    said = ", ".join(f"#{lead_id}" for lead_id in ids)
    return Retried(True, f"#{held_id} is taken: lead {said}", ids)


def _mark_taken(leads: LeadService, held_id: int, ids: tuple[int, ...]) -> None:
    with leads.db.write() as session:
        row = session.get(Quarantined, held_id)
        if row is not None:
            row.status, row.lead_id = QuarantineStatus.TAKEN, ids[0] if ids else None
            row.attempts += 1
            row.updated_at = leads.clock.now()


def _still_held(leads: LeadService, held_id: int, problems: list[dict[str, str]]) -> Retried:
    with leads.db.write() as session:
        row = session.get(Quarantined, held_id)
        if row is not None:
            row.problems, row.attempts = list(problems), row.attempts + 1
            row.updated_at = leads.clock.now()
    said = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return Retried(False, f"#{held_id} is still held: {said}", ())
