"""Calls, emails and meetings logged in a CRM, read as activities. They arrive at the source's
own `POST /api/sources/<name>`, in the same payloads as its leads (one HubSpot app posts every
subscription to one URL), so `split` takes them out before the leads are read. Each is then a
touch on the lead whose external id is its contact (bot/followup/crm_touch.py logs it as the
rep's own), or says why it is none (`skip`), or cannot be read (`problem`).

- HubSpot: a webhook's `object.creation` event of a call (`objectTypeId` 0-48), an email (0-49)
  or a meeting (0-47) names the object by id only (hubspot_activity.py reads it); a workflow's
  "Send a webhook" posts the object itself (`properties`), typed by `objectTypeId`/`objectType`
  or by properties only engagements have.
- Salesforce: an Outbound Message's Task (`sObjectType` Task) is a touch when it is Completed
  and its TaskSubtype (or Type) is a call, an email or a meeting. `WhoId` is the lead (00Q…).
  The rep is named by a field holding the owner's email (a formula field such as
  `Owner_Email__c = Owner:User.Email`): a message carries the Task's own fields only, and its
  `OwnerId` names a Salesforce user, not a rep. Without it the user's email is read through
  the REST API (salesforce_activity.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from bot.config.sources import Source
from bot.vocabulary import ContactOutcome, TaskResult

CRMS = ("hubspot", "salesforce")
ENGAGEMENTS = {"0-48": "call", "0-49": "email", "0-47": "meeting"}  # HubSpot's objectTypeId
# A workflow's object is an engagement when its properties have one of these (contacts do not).
MARKERS = {
    "hs_call_direction": "call", "hs_call_disposition": "call", "hs_call_status": "call",
    "hs_email_direction": "email", "hs_email_status": "email",
    "hs_meeting_outcome": "meeting", "hs_meeting_start_time": "meeting",
}  # fmt: skip
# Salesforce's TaskSubtype, else its Type picklist, lower-cased -> the touch's kind.
SF_KINDS = {"call": "call", "email": "email", "listemail": "email", "meeting": "meeting"}
OWNER_FIELDS = ("owneremail", "owneremailc", "owneremailaddress", "owneremailaddressc")
# Words of a Salesforce CallDisposition (free text) -> what a task card's Done records.
SF_DISPOSITIONS = (
    ("voicemail", TaskResult.CALL_VOICEMAIL), ("message", TaskResult.CALL_VOICEMAIL),
    ("no answer", TaskResult.CALL_NO_ANSWER), ("busy", TaskResult.CALL_NO_ANSWER),
    ("connected", TaskResult.CALL_CONNECTED), ("spoke", TaskResult.CALL_CONNECTED),
)  # fmt: skip
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_ID = 40


@dataclass
class Activity:
    crm: str  # hubspot | salesforce
    id: str  # the CRM's id of the call, email, meeting or Task
    kind: str  # call | email | meeting ("" when the CRM did not say)
    item: Any  # as it came: what the quarantine keeps if it cannot be read
    values: dict[str, Any] | None = None  # the CRM's properties; None: to be read from its API
    contacts: list[str] | None = None  # the CRM's ids of its contacts; None: to be read
    owner: str | None = None  # what names the rep (the owner's email)
    owner_said: str = ""  # how the CRM names the owner, for the words (an id, never an email)
    at: datetime | None = None  # when it happened, as the CRM says
    result: str = ""  # the contact outcome its touch records
    skip: str | None = None  # why it is no touch (answered and logged; nothing is kept)
    problem: str | None = None  # why it cannot be read (held, or sent again)
    transient: bool = False  # the problem is the CRM's API failing for a moment

    @property
    def label(self) -> str:
        return f"{self.kind or 'activity'} {self.id or '(no id)'}"


def split(source: Source, payload: Any) -> tuple[Any, list[Any]]:
    """The payload without its activities (as it came when it has none), and its activities."""
    if source.kind not in CRMS:
        return payload, []
    items = payload if isinstance(payload, list) else [payload]
    found = [item for item in items if is_activity(source.kind, item)]
    if not found:
        return payload, []
    return [item for item in items if not is_activity(source.kind, item)], found


def is_activity(kind: str, item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    if kind == "salesforce":
        return item.get("sObjectType") == "Task"
    if _engagement_type(item):
        return True
    properties = item.get("properties")
    return (isinstance(properties, dict) and "subscriptionType" not in item
            and any(key in MARKERS for key in properties))  # fmt: skip


def read(kind: str, item: dict[str, Any]) -> Activity:
    """The activity an item is, as far as the item itself says."""
    if kind == "salesforce":
        return salesforce_task(item)
    return _hubspot_event(item) if "subscriptionType" in item else _hubspot_object(item)


def _hubspot_event(item: dict[str, Any]) -> Activity:
    event = Activity("hubspot", _id(item.get("objectId")), _engagement_type(item), item)
    event.at = moment(item.get("occurredAt"))  # until the object's own time is read
    if not event.id:
        event.problem = "a HubSpot event without a usable objectId"
    elif item.get("subscriptionType") != "object.creation":
        event.skip = (f"a {str(item.get('subscriptionType'))[:40]} event of the {event.label}: "
                      "only its creation is a touch")  # fmt: skip
    return event


def _hubspot_object(item: dict[str, Any]) -> Activity:
    """A workflow's object: its properties as values or as `{"value": …}`."""
    properties = item.get("properties") if isinstance(item.get("properties"), dict) else {}
    values = {k: v.get("value") if isinstance(v, dict) else v for k, v in properties.items()}
    found = _id(item.get("objectId") or item.get("id") or values.get("hs_object_id"))
    kind = _engagement_type(item) or next((MARKERS[k] for k in values if k in MARKERS), "")
    activity = Activity("hubspot", found, kind, item, values=values, contacts=_contacts(item))
    if not found:
        activity.problem = "a HubSpot engagement without its id (objectId, hs_object_id)"
    return activity


def _engagement_type(item: dict[str, Any]) -> str:
    named = str(item.get("objectTypeId") or item.get("objectType") or "").lower().rstrip("s")
    return ENGAGEMENTS.get(named) or (named if named in ("call", "email", "meeting") else "")


def _contacts(item: dict[str, Any]) -> list[str] | None:
    """The object API's `associations.contacts.results[].id`, when the workflow sent them."""
    linked = item.get("associations")
    contacts = linked.get("contacts") if isinstance(linked, dict) else None
    results = contacts.get("results") if isinstance(contacts, dict) else None
    if not isinstance(results, list):
        return None
    return [_id(r.get("id")) for r in results if isinstance(r, dict) and _id(r.get("id"))]


def salesforce_task(item: dict[str, Any]) -> Activity:
    """An Outbound Message's Task (soap.py: its fields as text, `sObjectType` beside them)."""
    task = Activity("salesforce", _text(item.get("Id"))[:MAX_ID], "", item, values=item)
    subtype = _text(item.get("TaskSubtype")).lower()
    task.kind = SF_KINDS.get(subtype) or SF_KINDS.get(_text(item.get("Type")).lower(), "")
    who = _text(item.get("WhoId"))[:MAX_ID]
    task.contacts = [who] if who else []
    task.owner_said = f"Salesforce user {_text(item.get('OwnerId'))[:MAX_ID] or '(none)'}"
    task.owner = next((_text(v) for k, v in item.items()
                       if _letters(k) in OWNER_FIELDS and _text(v)), None)  # fmt: skip
    task.at = (moment(item.get("CompletedDateTime")) or moment(item.get("CreatedDate"))
               or moment(item.get("ActivityDate")))  # fmt: skip
    task.result = _sf_result(task.kind, _text(item.get("CallDisposition")).lower())
    if not task.id:
        task.problem = "a Task without its Id: add Id to the outbound message's fields"
    elif not task.kind:
        task.skip = f"the Task {task.id} is no call, email or meeting (TaskSubtype, Type)"
    elif _text(item.get("Status")).lower() != "completed" and item.get("IsClosed") != "true":
        task.skip = f"the Task {task.id} is not Completed: a plan, not a touch"
    elif not who:
        task.skip = f"the Task {task.id} has no WhoId: it is about nobody"
    return task


def _sf_result(kind: str, disposition: str) -> str:
    if kind == "email":
        return str(TaskResult.EMAIL_SENT)
    if kind == "meeting":
        return str(ContactOutcome.MEETING)
    said = next((result for word, result in SF_DISPOSITIONS if word in disposition), None)
    return str(said or ContactOutcome.CALL)


def moment(value: Any) -> datetime | None:
    """A CRM's time: epoch milliseconds (a number or its digits), ISO 8601, or a day (its last
    moment: a touch is never dated earlier than it can have been); None for anything else."""
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        if not isinstance(value, str) or value.isdigit():
            found = datetime.fromtimestamp(int(value) / 1000, UTC)
        elif len(value) == 10:
            found = datetime.combine(date.fromisoformat(value), time(23, 59, 59), UTC)
        elif len(value) <= 40:
            found = datetime.fromisoformat(value)
            found = found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    return found if EARLIEST <= found < LATEST else None


def _id(value: Any) -> str:
    """A CRM id as text: digits (HubSpot's) or letters and digits (Salesforce's), else ""."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return ""
    text = str(value).strip()
    return text if text.isascii() and text.isalnum() and len(text) <= MAX_ID else ""


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _letters(key: Any) -> str:
    return re.sub(r"[^a-z]", "", str(key).lower())
