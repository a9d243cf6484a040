"""HubSpot's calls, emails and meetings, completed through its CRM API with the source's token:
an event names its object by id only. The request's objects are read in one batch call per
object type (`POST /crm/v3/objects/calls/batch/read`, with the properties below), their contacts
in one more (`POST /crm/v4/associations/calls/contacts/batch/read`), and the owners' emails from
the owner list the contacts' reads keep (hubspot.py, cached 10 minutes): one call of each kind a
request at most, so a batch of 100 events costs HubSpot's rate limit a handful of calls.

What each object says about the touch:
- a call: `hs_timestamp` is when; a call CANCELED, FAILED, QUEUED or MISSED was never made;
  `hs_call_disposition` (HubSpot's default outcomes) says connected, voicemail or no answer.
- an email: `hs_timestamp`; one that did not go out (BOUNCED, FAILED, SCHEDULED), or that
  was forwarded into HubSpot (FORWARDED_EMAIL), is no touch. One the lead sent (INCOMING_EMAIL)
  is their reply: "↩️ They replied", which ends a cadence that stops on replies (as HubSpot's
  own sequences unenroll a contact who replies), once a rep has contacted them
  (bot/followup/crm_touch.py).
- a meeting: booked when it was created (`hs_createdate`; `hs_timestamp` is its start, maybe
  next week); a CANCELED one is no touch. It is the card's "Meeting booked".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.config.sources import Source
from bot.sources.activity import Activity, moment
from bot.sources.hubspot import ApiProblem, HubSpotApi, client
from bot.vocabulary import ContactOutcome, TaskResult

OBJECTS = {"call": "calls", "email": "emails", "meeting": "meetings"}  # their API's names
PROPERTIES = {
    "call": ("hs_timestamp", "hubspot_owner_id", "hs_call_direction", "hs_call_disposition",
             "hs_call_status"),
    "email": ("hs_timestamp", "hubspot_owner_id", "hs_email_direction", "hs_email_status"),
    "meeting": ("hs_timestamp", "hs_createdate", "hubspot_owner_id", "hs_meeting_outcome"),
}  # fmt: skip
# HubSpot's default call outcomes (hs_call_disposition) -> what a task card's Done records.
DISPOSITIONS = {
    "f240bbac-87c9-4f6e-bf70-924b57d47db7": TaskResult.CALL_CONNECTED,  # Connected
    "a4c4c377-d246-4b32-a13b-75a56a4cd0ff": TaskResult.CALL_VOICEMAIL,  # Left live message
    "b2cf5968-551e-4856-9783-52b3da59a7d0": TaskResult.CALL_VOICEMAIL,  # Left voicemail
    "73a0d17f-1163-4015-bdd5-ec830791da20": TaskResult.CALL_NO_ANSWER,  # No answer
    "9d9162e7-6cf3-4944-bf63-4dff82258764": TaskResult.CALL_NO_ANSWER,  # Busy
    "17b47fee-58de-441e-a44c-c6300d46f273": TaskResult.CALL_NO_ANSWER,  # Wrong number
}
UNMADE_CALLS = ("CANCELED", "FAILED", "QUEUED", "MISSED")
UNSENT_EMAILS = ("BOUNCED", "FAILED", "SCHEDULED")
REPLY = "INCOMING_EMAIL"  # the lead wrote to the rep
FORWARDED = "FORWARDED_EMAIL"  # someone forwarded an email into HubSpot: whose touch, unknown
NO_TOKEN = ("HubSpot's engagement events carry only the object's id: set the source's token_env "
            "(a private app's token with crm.objects.contacts.read, sales-email-read and "
            "crm.objects.owners.read) so leadbot reads them")  # fmt: skip


def complete(found: list[Activity], source: Source, secrets: Mapping[str, str],
             apis: dict[str, HubSpotApi]) -> None:  # fmt: skip
    """Fill in what HubSpot's API knows and decide what each activity is. An activity that
    needs the API and cannot have it gets a problem; `transient` when HubSpot may answer
    later (no answer, 429, 5xx), not when it refused the token or none is set."""
    todo = [a for a in found if a.crm == "hubspot" and not a.skip and not a.problem]
    for activity in todo:
        if activity.values is not None:
            understand(activity)
    if not any(_needs_api(a) for a in todo):
        return
    token = source.api_token(secrets)
    if not token:
        _fail([a for a in todo if _needs_api(a)], NO_TOKEN, transient=False)
        return
    api = client(apis, source, token)
    try:
        _read_values(todo, api)
        _read_contacts(todo, api)
        _read_owners(todo, api)
    except ApiProblem as err:
        transient = err.status is None or err.status >= 500 or err.status == 429
        _fail([a for a in todo if _needs_api(a)], f"{err}; it is read again on a retry", transient)


def understand(activity: Activity) -> None:
    """Its time, its result, or why it is no touch, from its properties."""
    values = activity.values or {}
    kind = activity.kind
    if kind not in OBJECTS:
        activity.skip = f"the HubSpot object {activity.id} is no call, email or meeting"
        return
    when = values.get("hs_createdate") if kind == "meeting" else values.get("hs_timestamp")
    activity.at = moment(when) or moment(values.get("hs_timestamp")) or activity.at
    status = {"call": "hs_call_status", "email": "hs_email_status",
              "meeting": "hs_meeting_outcome"}[kind]  # fmt: skip
    said = str(values.get(status) or "").upper()
    direction = str(values.get("hs_email_direction") or "").upper()
    if not values.get("hubspot_owner_id"):
        activity.skip = f"the {activity.label} has no owner in HubSpot: whose touch is it?"
    elif said in (UNMADE_CALLS if kind == "call" else UNSENT_EMAILS if kind == "email" else ()):
        activity.skip = f"the {activity.label} is {said.lower()} in HubSpot: no touch"
    elif kind == "meeting" and said == "CANCELED":
        activity.skip = f"the {activity.label} was canceled: no meeting booked"
    elif kind == "email" and direction == FORWARDED:
        activity.skip = f"the {activity.label} was forwarded into HubSpot: no touch"
    activity.result = _result(kind, values, said, direction)


def _result(kind: str, values: dict[str, Any], status: str, direction: str) -> str:
    if kind == "email":
        return str(TaskResult.REPLIED if direction == REPLY else TaskResult.EMAIL_SENT)
    if kind == "meeting":
        return str(ContactOutcome.MEETING)
    said = DISPOSITIONS.get(str(values.get("hs_call_disposition") or ""))
    if said is None and status in ("NO_ANSWER", "BUSY"):
        said = TaskResult.CALL_NO_ANSWER
    return str(said or ContactOutcome.CALL)


def _needs_api(activity: Activity) -> bool:
    if activity.skip or activity.problem:
        return False
    owned = activity.owner is None and bool(_owner_id(activity))
    return activity.values is None or activity.contacts is None or owned


def _read_values(todo: list[Activity], api: HubSpotApi) -> None:
    def fill(activity: Activity, values: dict[str, Any] | None) -> None:
        if values is None:
            activity.skip = f"HubSpot has no {activity.label} (deleted since?)"
        else:
            activity.values = values
            understand(activity)

    _batch([a for a in todo if a.values is None], fill,
           lambda kind, ids: api.objects(OBJECTS[kind], ids, PROPERTIES[kind]))  # fmt: skip


def _read_contacts(todo: list[Activity], api: HubSpotApi) -> None:
    def fill(activity: Activity, contacts: list[str] | None) -> None:
        activity.contacts = contacts or []
        if not contacts:
            activity.skip = f"the {activity.label} is associated with no contact"

    wanted = [a for a in todo if a.contacts is None and not a.skip]
    _batch(wanted, fill, lambda kind, ids: api.associated(OBJECTS[kind], ids, "contacts"))


def _read_owners(todo: list[Activity], api: HubSpotApi) -> None:
    owned = [a for a in todo if not a.skip and a.owner is None]
    for activity in owned:
        activity.owner_said = f"HubSpot owner {_owner_id(activity)[:40]}"
    ids = {_owner_id(a) for a in owned}
    if not ids:
        return
    emails = api.owner_emails()
    if not ids <= emails.keys():  # an owner added since the list was read
        emails = api.owner_emails(fresh=True)
    for activity in owned:
        activity.owner = emails.get(_owner_id(activity))


def _owner_id(activity: Activity) -> str:
    return str((activity.values or {}).get("hubspot_owner_id") or "")


def _batch(wanted: list[Activity], fill: Callable[[Activity, Any], None],
           call: Callable[[str, list[str]], dict[str, Any]]) -> None:  # fmt: skip
    """One call per object type for `wanted`, each activity filled with its answer (None:
    HubSpot did not have it)."""
    for kind in OBJECTS:
        of_kind = [a for a in wanted if a.kind == kind]
        if of_kind:
            answer = call(kind, sorted({a.id for a in of_kind}))
            for activity in of_kind:
                fill(activity, answer.get(activity.id))


def _fail(todo: list[Activity], why: str, transient: bool) -> None:
    for activity in todo:
        if not activity.skip:
            activity.problem, activity.transient = f"{activity.label}: {why}", transient
