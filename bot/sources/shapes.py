"""Each sender's payload as records: the JSON a mapping reads as `body`, and its values as flat
`fields` (scalars by name) in which the usual names are found whatever the form called them.

- HubSpot: a workflow's "Send a webhook" posts the object (`properties` as values or as
  `{"value": …}`), or a list of them; a webhook subscription posts a list of events, and a
  `contact.creation` event carries only the object's id (such a record has no values: it is
  quarantined, not lost, until leadbot reads contacts from HubSpot's API).
- Typeform: `form_response.answers`, each keyed by its `field.ref`, its value under its `type`;
  hidden fields too. The first email and phone answers are the lead's whatever their refs.
- Webflow: `payload.data`, keyed by the form's labels ("First Name", "Phone Number"); a phone
  can be a number.
- salesforce: each Outbound Message notification's sObject (soap.py), by its field names.
- json: the body itself (an object, or a list of objects).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Scalar = str | int | float | bool | None
MAX_RECORDS = 100  # Salesforce sends up to 100 notifications a request; nobody needs more
# A label's letters and digits, lower-cased -> the name a mapping finds it by.
CANONICAL = {
    "email": "email", "emailaddress": "email", "workemail": "email", "mail": "email",
    "name": "name", "fullname": "name", "yourname": "name", "contactname": "name",
    "firstname": "first_name", "givenname": "first_name", "fname": "first_name",
    "lastname": "last_name", "surname": "last_name", "familyname": "last_name",
    "lname": "last_name",
    "phone": "phone", "phonenumber": "phone", "mobilephone": "phone", "mobile": "phone",
    "telephone": "phone", "tel": "phone",
    "company": "company", "companyname": "company", "organization": "company",
    "organisation": "company", "account": "company",
    "companysize": "company_size", "employees": "company_size", "numberofemployees": "company_size",
    "country": "country", "region": "region", "product": "product", "message": "message",
    "comments": "message", "comment": "message", "notes": "message",
    "hsobjectid": "external_id", "objectid": "external_id", "vid": "external_id",
    "owner": "owner", "owneremail": "owner", "contactowner": "owner", "leadowner": "owner",
    "recordowner": "owner", "personowner": "owner",
}  # fmt: skip


@dataclass
class Record:
    body: Any  # what `body.…` paths and templates read
    fields: dict[str, Scalar] = field(default_factory=dict)  # every value, by its own name
    known: dict[str, Scalar] = field(default_factory=dict)  # canonical name -> value
    problem: str | None = None  # the payload's shape is wrong for its kind
    fetch: str | None = None  # a HubSpot event's object id: its values are read from the API


class ShapeError(Exception):
    """The whole payload has the wrong shape for its kind (the message says what was expected)."""


def records(kind: str, payload: Any) -> list[Record]:
    shaped = {"hubspot": _hubspot, "typeform": _typeform, "webflow": _webflow,
              "salesforce": _salesforce}.get(kind, _json)  # fmt: skip
    found = shaped(payload)
    if len(found) > MAX_RECORDS:
        raise ShapeError(f"{len(found)} records in one request: at most {MAX_RECORDS}")
    return found


def _each(payload: Any, expected: str, read: Callable[[dict[str, Any]], Record]) -> list[Record]:
    """A payload of one object or a list of them: each read, anything else a record that says
    what was expected."""
    items = payload if isinstance(payload, list) else [payload]
    return [read(item) if isinstance(item, dict) else _wrong(item, expected) for item in items]


def _json(payload: Any) -> list[Record]:
    return _each(payload, "an object", flat)


def _hubspot(payload: Any) -> list[Record]:
    return _each(payload, "a HubSpot object or event", _hubspot_object)


def _hubspot_object(item: dict[str, Any]) -> Record:
    properties = item.get("properties")
    values = dict(item)
    if isinstance(properties, dict):
        values.pop("properties")
        values |= {k: v.get("value") if isinstance(v, dict) else v
                   for k, v in properties.items()}  # fmt: skip
    record = flat(values, body=item)
    if item.get("subscriptionType") and not isinstance(properties, dict):
        # An event carries only the object's id: hubspot.py reads the contact itself.
        record.fetch = str(item.get("objectId") or "")
        record.problem = (f"a HubSpot {item['subscriptionType']} event carries only the "
                          "object's id: set the source's token_env (a private app's token) "
                          "so leadbot reads the contact")  # fmt: skip
    return record


def _salesforce(payload: Any) -> list[Record]:
    """Outbound Message sObjects (soap.notifications), by their field names; the record's Id
    (00Q…) is the external id."""
    return _each(payload, "a Salesforce sObject", _sobject)


def _sobject(item: dict[str, Any]) -> Record:
    record = flat(item)
    if item.get("Id"):
        record.known["external_id"] = str(item["Id"])
    return record


def _typeform(payload: Any) -> list[Record]:
    response = payload.get("form_response") if isinstance(payload, dict) else None
    if not isinstance(response, dict):
        raise ShapeError("expected Typeform's form_response object")
    values: dict[str, Any] = {"token": response.get("token"), "form_id": response.get("form_id")}
    values |= response.get("hidden") if isinstance(response.get("hidden"), dict) else {}
    typed: dict[str, Any] = {}
    for answer in response.get("answers") or []:
        if not isinstance(answer, dict):
            continue
        kind = answer.get("type")
        ref = (answer.get("field") or {}).get("ref") or (answer.get("field") or {}).get("id")
        value = _answer(answer.get(kind) if isinstance(kind, str) else None)
        if isinstance(ref, str):
            values[ref] = value
        if kind in ("email", "phone_number"):
            typed.setdefault("email" if kind == "email" else "phone", value)
    record = flat(values, body=payload)
    record.known = {**record.known, **typed, "external_id": response.get("token")}
    return [record]


def _answer(value: Any) -> Any:
    """A choice's label, several choices' labels joined, anything else as it is."""
    if isinstance(value, dict):
        labels = value.get("labels")
        return ", ".join(map(str, labels)) if isinstance(labels, list) else value.get("label")
    return value


def _webflow(payload: Any) -> list[Record]:
    inner = payload.get("payload") if isinstance(payload, dict) else None
    data = inner.get("data") if isinstance(inner, dict) else None
    if not isinstance(data, dict):
        raise ShapeError("expected Webflow's form_submission: payload.data with the fields")
    record = flat(data, body=payload)
    if isinstance(inner, dict) and inner.get("id") is not None:
        record.known["external_id"] = str(inner["id"])
    return [record]


def flat(values: dict[str, Any], body: Any = None) -> Record:
    fields: dict[str, Scalar] = {}
    known: dict[str, Scalar] = {}
    for key, value in values.items():
        scalar = _scalar(value)
        if scalar is _SKIP:
            continue
        fields[str(key)] = scalar  # type: ignore[assignment]
        canonical = CANONICAL.get(re.sub(r"[^a-z0-9]", "", str(key).lower()))
        if canonical and scalar not in (None, "") and canonical not in known:
            known[canonical] = scalar  # type: ignore[assignment]
    if "name" not in known and ("first_name" in known or "last_name" in known):
        parts = (known.get("first_name"), known.get("last_name"))
        known["name"] = " ".join(str(p) for p in parts if p not in (None, ""))
    return Record(values if body is None else body, fields, known)


_SKIP = object()


def _scalar(value: Any) -> Scalar | object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    return _SKIP  # nested objects: reachable through body.… paths, not kept as a field


def _wrong(item: Any, expected: str) -> Record:
    return Record(item, problem=f"expected {expected}, got {type(item).__name__}")
