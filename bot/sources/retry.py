"""`leadbot quarantine retry ID`: a held payload through the source's mapping as leadbot.yml
says it now. Every record mapped and valid: they are received as leads (routed, carded, timed)
and the row is marked taken with the first lead's id. Otherwise the row stays held with the
new problems and one more attempt counted. The dispatcher of a running `leadbot serve` sends
the cards within its idle wait (5 s): this process does not reach it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.leads.input import LeadIn, LeadInputError
from bot.leads.service import LeadService
from bot.sources.intake import read_records
from bot.sources.mapping import MappingProblem, lead_of
from bot.sources.shapes import ShapeError
from bot.sources.soap import NotSoap
from storage.sources import Quarantined, QuarantineStatus


@dataclass(frozen=True)
class Retried:
    ok: bool
    message: str
    lead_ids: tuple[int, ...] = ()


def retry(leads: LeadService, held_id: int, secrets: Mapping[str, str] | None = None) -> Retried:
    """`secrets`: the environment, for a source's API token (a HubSpot event's contact)."""
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
        found = read_records(source, body.encode(), secrets or {}, {})
        parsed = [leads.parse(lead_of(record, source, name)) for record in found]
    except (LeadInputError, MappingProblem) as err:
        return _still_held(leads, held_id, err.problems)
    except (ShapeError, NotSoap) as err:
        return _still_held(leads, held_id, [{"field": "(payload)", "message": str(err)}])
    return _take(leads, held_id, name, parsed)


def _take(leads: LeadService, held_id: int, name: str, parsed: list[LeadIn]) -> Retried:
    ids = tuple(leads.receive(lead, actor=f"source:{name}").lead_id for lead in parsed)
    with leads.db.write() as session:
        row = session.get(Quarantined, held_id)
        if row is not None:
            row.status, row.lead_id = QuarantineStatus.TAKEN, ids[0] if ids else None
            row.attempts += 1
            row.updated_at = leads.clock.now()
    said = ", ".join(f"#{lead_id}" for lead_id in ids)
    return Retried(True, f"#{held_id} is taken: lead {said}", ids)


def _still_held(leads: LeadService, held_id: int, problems: list[dict[str, str]]) -> Retried:
    with leads.db.write() as session:
        row = session.get(Quarantined, held_id)
        if row is not None:
            row.problems, row.attempts = list(problems), row.attempts + 1
            row.updated_at = leads.clock.now()
    said = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return Retried(False, f"#{held_id} is still held: {said}", ())
