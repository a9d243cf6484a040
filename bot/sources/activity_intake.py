"""What becomes of a request's activities (activity.py): each is read (HubSpot's through its
API, hubspot_activity.py; a Salesforce Task's owner too, salesforce_activity.py), then logged
as a touch on its lead (bot/followup/crm_touch.py), or ignored with the reason, or held in the
quarantine when it cannot be read, so that a CRM's webhook always gets its 2xx and a problem
is never lost:

- a contact leadbot has no lead for, an owner who is no rep, a closed lead, an email the lead
  sent: ignored, said in the answer (`activities`) and in one INFO line a request (ids only,
  never an email or a phone); nothing is kept, and the CRM's retry is answered the same way;
- an activity that cannot be read (its shape, or the CRM refusing the token or none set): held
  in the quarantine with the others of its request, the admins told, `leadbot quarantine
  retry` reads it again;
- the CRM's API down for a moment (no answer, 429, 5xx) while reading a request of activities
  only (HubSpot's objects, a Salesforce Task's owner: salesforce_activity.py): the request is
  answered 503 before anything is kept, and the CRM sends it again (HubSpot retries a webhook
  on 5xx for up to a day, a workflow's for three; Salesforce an Outbound Message it has no
  acknowledgement of, for 24 hours). With leads in the same request the leads are taken as
  ever and the activities held: a second delivery would hold those leads twice.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config.sources import Source
from bot.followup.crm_touch import CrmTouch, CrmTouches
from bot.sources.activity import Activity, read
from bot.sources.hubspot import HubSpotApi
from bot.sources.hubspot_activity import complete
from bot.sources.quarantine import Quarantine
from bot.sources.salesforce_activity import complete as complete_owners
from bot.sources.salesforce_api import SalesforceApi
from bot.sources.shapes import MAX_RECORDS, ShapeError

log = logging.getLogger(__name__)
RETRY_AFTER = 60  # seconds: the CRMs' own retries come later anyway


@dataclass(frozen=True)
class ActivityTaken:
    """What became of one activity on one lead: `logged`, `duplicate` (logged before: a retry),
    `ignored` (`why`) or `quarantined` (`quarantine_id`, `problems`)."""

    id: str
    kind: str
    outcome: str
    lead_id: int | None = None
    quarantine_id: int | None = None
    why: str = ""
    problems: tuple[dict[str, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"id": self.id, "kind": self.kind, "outcome": self.outcome}
        extra = {"lead_id": self.lead_id, "quarantine_id": self.quarantine_id,
                 "why": self.why or None, "problems": list(self.problems) or None}  # fmt: skip
        return found | {key: value for key, value in extra.items() if value is not None}


@dataclass(frozen=True)
class Batch:
    """A request's leads (intake.Taken) and activities; `retry_after`: nothing was kept, and the
    sender should send it again in that many seconds."""

    leads: list[Any]
    activities: list[ActivityTaken] = field(default_factory=list)
    retry_after: int | None = None


class ActivityIntake:
    def __init__(self, touches: CrmTouches | None, quarantine: Quarantine,
                 secrets: Mapping[str, str], apis: dict[str, HubSpotApi]) -> None:  # fmt: skip
        """`touches`: None where nothing may be logged (then every activity is ignored)."""
        self.touches, self.quarantine, self.secrets, self.apis = touches, quarantine, secrets, apis
        self.salesforce: dict[str, SalesforceApi] = {}  # one a token: its users' emails cached

    def read(self, source: Source, items: list[Any]) -> list[Activity]:
        """Each item as an activity, read from the CRM's API where it carries only an id."""
        if len(items) > MAX_RECORDS:
            raise ShapeError(f"{len(items)} activities in one request: at most {MAX_RECORDS}")
        found = [read(source.kind, item) for item in items]
        if source.activities:
            complete(found, source, self.secrets, self.apis)
            complete_owners(found, source, self.secrets, self.salesforce, self._seconds)
        return found

    def _seconds(self) -> float:
        """The quarantine's clock (the bot's) in seconds: a test's virtual one ages the cache."""
        return self.quarantine.clock.now().timestamp()

    def take(self, name: str, source: Source, found: list[Activity]) -> list[ActivityTaken]:
        if not found:
            return []
        if not source.activities or self.touches is None:
            off = f"activities are off for the source {name} (sources.{name}.activities)"
            taken = [ActivityTaken(a.id, a.kind, "ignored", why=off) for a in found]
        else:
            unread = [a for a in found if a.problem]
            held = self.hold(name, source, unread) if unread else None
            taken = [one for activity in found for one in self._take(activity, held)]
        _tell(name, taken)
        return taken

    def hold(self, name: str, source: Source, unread: list[Activity]) -> int:
        """The activities that cannot be read, kept as they came (one row a request)."""
        body = json.dumps([a.item for a in unread], ensure_ascii=False)
        return self.quarantine.hold(name, source.kind, body, _problems(unread))

    def _take(self, activity: Activity, held: int | None) -> list[ActivityTaken]:
        """One entry a lead the activity touched (an email can be to several contacts)."""
        said, kind = activity.id, activity.kind
        if activity.problem:
            return [ActivityTaken(said, kind, "quarantined", quarantine_id=held,
                                  problems=tuple(_problems([activity])))]  # fmt: skip
        if activity.skip or self.touches is None:
            return [ActivityTaken(said, kind, "ignored", why=activity.skip or "")]
        found = []
        for contact in activity.contacts or []:
            touched = self.touches.log(CrmTouch(
                activity.crm, said, kind, activity.result, contact, activity.owner,
                activity.owner_said, activity.at))  # fmt: skip
            found.append(ActivityTaken(said, kind, touched.outcome, touched.lead_id,
                                       why=touched.why))  # fmt: skip
        return found


def must_wait(found: list[Activity], leads: Any) -> bool:
    """An activity the CRM's API could not answer for a moment, and no lead in the request:
    answer 503 (Salesforce: no acknowledgement) and keep nothing (see the module's docstring)."""
    return any(a.problem and a.transient for a in found) and leads == []


def _problems(unread: list[Activity]) -> list[dict[str, str]]:
    return [{"field": "(activity)", "message": a.problem or ""} for a in unread]


def _tell(name: str, taken: list[ActivityTaken]) -> None:
    """One INFO line a request: counts, and why each ignored one was (ids, no emails)."""
    counts = Counter(one.outcome for one in taken)
    said = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    whys = "; ".join(f"{one.kind} {one.id}: {one.why}" for one in taken if one.why)[:2000]
    log.info("source %s: %d CRM activities: %s%s", name, len(taken), said,
             f" ({whys})" if whys else "")  # fmt: skip
