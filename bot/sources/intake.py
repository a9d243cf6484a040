"""A verified sender's payload, taken: each record mapped (mapping.py), validated by intake's
own rules and received like any lead (`LeadService.receive`: routing, the card, the SLA), or,
when it cannot be a lead as mapped, held whole in the quarantine (quarantine.py) and the admins
told. Either way the sender gets a 2xx: HubSpot's and Webflow's webhooks do not retry a 4xx,
so a refusal would lose the lead without anyone knowing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.config.schema import Config
from bot.config.sources import Source
from bot.followup.crm_touch import CrmTouches
from bot.leads.input import LeadIn, LeadInputError, decode_json
from bot.leads.service import Received
from bot.sources.activity import split
from bot.sources.activity_intake import RETRY_AFTER, ActivityIntake, Batch, must_wait
from bot.sources.hubspot import HubSpotApi, complete
from bot.sources.mapping import MappingProblem, lead_of
from bot.sources.quarantine import Quarantine
from bot.sources.shapes import Record, ShapeError, records
from bot.sources.signatures import Forged
from bot.sources.soap import NotSoap, notifications


class Receiver(Protocol):
    def parse(self, data: object) -> LeadIn: ...

    def receive(self, data: LeadIn, actor: str = "intake") -> Received: ...


@dataclass(frozen=True)
class Taken:
    """What became of one record: `created`, `duplicate` (its external id was seen) or
    `quarantined` (then `id` is the quarantine's, and `problems` say why)."""

    outcome: str
    id: int
    problems: tuple[dict[str, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        key = "quarantine_id" if self.outcome == "quarantined" else "lead_id"
        extra = {"problems": list(self.problems)} if self.problems else {}
        return {"outcome": self.outcome, key: self.id, **extra}


class SourceIntake:
    def __init__(
        self,
        config: Config,
        leads: Receiver,
        intake: Receiver,
        quarantine: Quarantine,
        secrets: Mapping[str, str] | None = None,
        touches: CrmTouches | None = None,
    ) -> None:
        """`leads` parses (the config's tiers and window); `intake` receives (grouped on
        SQLite, as `POST /api/leads` does); `secrets`: the environment, for API tokens;
        `touches` logs the CRM's calls and emails (activity_intake.py)."""
        self.config, self.leads, self.intake, self.quarantine = config, leads, intake, quarantine
        self.secrets = secrets or {}
        self.apis: dict[str, HubSpotApi] = {}  # one client a token: its owner list is cached
        self.activities = ActivityIntake(touches, quarantine, self.secrets, self.apis)

    def take(self, name: str, body: bytes) -> list[Taken]:
        """The leads; raises Forged for a Salesforce message from another organisation."""
        return self.take_all(name, body).leads

    def take_all(self, name: str, body: bytes) -> Batch:
        """The leads and the CRM's activities (read first: the API is asked before anything is
        kept, see activity_intake.py). Raises Forged as `take` does."""
        source = self.config.sources[name]
        try:
            payload, items = split(source, payload_of(source, body, check=True))
            activities = self.activities.read(source, items)
            if must_wait(activities, payload):
                return Batch([], retry_after=RETRY_AFTER)
            found = records_of(source, payload, self.secrets, self.apis)
        except (LeadInputError, ShapeError, NotSoap) as err:
            problems = err.problems if isinstance(err, LeadInputError) else _whole(str(err))
            raw = body.decode("utf-8", errors="replace")
            return Batch([self._hold(name, source, raw, problems)])
        leads = [self.record(name, source, record) for record in found]
        return Batch(leads, self.activities.take(name, source, activities))

    def record(self, name: str, source: Source, record: Record) -> Taken:
        """One record: a lead, or held."""
        try:
            lead = self.leads.parse(lead_of(record, source, name))
        except (MappingProblem, LeadInputError) as err:
            return self._hold(name, source, json.dumps(record.body, ensure_ascii=False),
                              err.problems)  # fmt: skip
        received = self.intake.receive(lead, actor=_actor(name))
        return Taken("created" if received.created else "duplicate", received.lead_id)

    def _hold(self, name: str, source: Source, body: str,
              problems: list[dict[str, str]]) -> Taken:  # fmt: skip
        held = self.quarantine.hold(name, source.kind, body, problems)
        return Taken("quarantined", held, tuple(problems))


def read_records(source: Source, body: bytes, secrets: Mapping[str, str],
                 apis: dict[str, HubSpotApi], *, check: bool = False) -> list[Record]:  # fmt: skip
    """The body's records, completed from the sender's API where it carries only ids (a
    request's, or a held row's on retry). Raises LeadInputError, ShapeError or NotSoap for a
    body that cannot be read, Forged (with `check`) for a message from another organisation."""
    return records_of(source, payload_of(source, body, check=check), secrets, apis)


def records_of(source: Source, payload: Any, secrets: Mapping[str, str],
               apis: dict[str, HubSpotApi]) -> list[Record]:  # fmt: skip
    """The payload's records, completed from the sender's API (read_records)."""
    found = records(source.kind, payload)
    complete(found, source, secrets, apis)
    return found


def payload_of(source: Source, body: bytes, *, check: bool = False) -> Any:
    """The body as the records' reader takes it: JSON, or a Salesforce Outbound Message's
    sObjects (a held one comes back as JSON). `check`: the message's organisation must be
    the configured one."""
    if source.kind != "salesforce" or not body.lstrip().startswith(b"<"):
        return decode_json(body)
    organisation, objects = notifications(body)
    expected = source.organization_id or ""
    if check and organisation[:15] != expected[:15]:
        raise Forged(f"OrganizationId {organisation[:18]!r} is not the configured "
                     "organization_id")  # fmt: skip
    return objects


def _actor(name: str) -> str:
    """The events' actor ("source:website"): at most 31 characters, as names are at most 24."""
    return f"source:{name}"


def _whole(message: str) -> list[dict[str, str]]:
    return [{"field": "(payload)", "message": message}]
