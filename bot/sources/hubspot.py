"""HubSpot's CRM API, for what a webhook does not carry: a `contact.creation` event names the
contact by id only, and a contact's owner is an owner id. With the source's `token_env` (a
private app's token), the contacts of a request are read in one batch call
(`POST /crm/v3/objects/contacts/batch/read`) and the owners' emails once every 10 minutes
(`GET /crm/v3/owners`), so a contact owned by a rep goes to that rep (routing's CRM owner).
Calls, emails and meetings are read the same way, with their contacts (`objects`, `associated`:
hubspot_activity.py).

A failure never loses the lead: its record keeps a problem that says what HubSpot answered, so
it is held in the quarantine and `leadbot quarantine retry` reads it again.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from bot.config.sources import Source
from bot.sources.shapes import Record, flat

PROPERTIES = ("email", "firstname", "lastname", "phone", "mobilephone", "company", "country",
              "state", "jobtitle", "lifecyclestage", "hs_lead_status", "hubspot_owner_id",
              "hs_analytics_source")  # fmt: skip
TIMEOUT = 5.0  # HubSpot gives a webhook 5 s: a slow API call is a held lead, not a lost one
OWNERS_FOR = 600.0  # seconds an owner list is used before it is read again


class ApiProblem(Exception):
    """HubSpot could not be asked or refused: the message is for the admins. `status`: HubSpot's
    HTTP status (None: no answer came); `retry_after`: seconds its 429 said to wait."""

    def __init__(self, message: str, status: int | None = None,
                 retry_after: float | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


class HubSpotApi:
    def __init__(self, base_url: str, token: str, timeout: float = TIMEOUT) -> None:
        self.base, self.token, self.timeout = base_url.rstrip("/"), token, timeout
        self._owners: tuple[float, dict[str, str]] | None = None
        self._lock = threading.Lock()

    def contacts(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """id -> properties of the contacts HubSpot has (a missing id is simply absent)."""
        return self.objects("contacts", ids, PROPERTIES)

    def objects(self, kind: str, ids: Sequence[str],
                properties: Sequence[str]) -> dict[str, dict[str, Any]]:  # fmt: skip
        """id -> properties of the `kind` objects HubSpot has ("contacts", "calls", "emails",
        "meetings"), in one batch call (a missing id is simply absent)."""
        body = {"properties": list(properties), "inputs": [{"id": i} for i in ids]}
        answer = self._call("POST", f"/crm/v3/objects/{kind}/batch/read", body)
        found: dict[str, dict[str, Any]] = {}
        for result in answer.get("results") or []:
            if isinstance(result, dict) and isinstance(result.get("properties"), dict):
                found[str(result.get("id"))] = result["properties"]
        return found

    def associated(self, kind: str, ids: Sequence[str], to: str) -> dict[str, list[str]]:
        """id -> the ids of the `to` objects each `kind` object is associated with, in one
        batch call (v4; an object with none is absent). The first page: a call or an email is
        about a handful of contacts, never hundreds."""
        body = {"inputs": [{"id": i} for i in ids]}
        answer = self._call("POST", f"/crm/v4/associations/{kind}/{to}/batch/read", body)
        found: dict[str, list[str]] = {}
        for result in answer.get("results") or []:
            if not isinstance(result, dict) or not isinstance(result.get("from"), dict):
                continue
            linked = [str(t.get("toObjectId")) for t in result.get("to") or []
                      if isinstance(t, dict) and t.get("toObjectId") is not None]  # fmt: skip
            found[str(result["from"].get("id"))] = linked
        return found

    def set_owner(self, contact_id: str, owner_id: str) -> None:
        """The contact's owner (`hubspot_owner_id`): the same value twice changes nothing."""
        body = {"properties": {"hubspot_owner_id": owner_id}}
        self._call("PATCH", f"/crm/v3/objects/contacts/{quote(contact_id, safe='')}", body)

    def owner_emails(self, *, fresh: bool = False) -> dict[str, str]:
        """owner id -> email, read at most every OWNERS_FOR seconds (`fresh`: read now)."""
        with self._lock:
            if self._owners and not fresh and time.monotonic() - self._owners[0] < OWNERS_FOR:
                return self._owners[1]
        emails: dict[str, str] = {}
        after = ""
        for _ in range(20):  # 20 pages of 500: HubSpot accounts have far fewer owners
            page = self._call("GET", f"/crm/v3/owners?limit=500{after}", None)
            for owner in page.get("results") or []:
                if isinstance(owner, dict) and owner.get("email"):
                    emails[str(owner.get("id"))] = str(owner["email"])
            cursor = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not cursor:
                break
            after = f"&after={cursor}"
        with self._lock:
            self._owners = (time.monotonic(), emails)
        return emails

    def _call(self, method: str, path: str, body: Any) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=headers)  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                parsed = json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as err:
            why = {401: "refused the token", 403: "refused: the token lacks a scope",
                   429: "is rate limiting"}.get(err.code, "answered with an error")  # fmt: skip
            wait = retry_after(err.headers.get("Retry-After") if err.headers else None)
            raise ApiProblem(f"HubSpot {why} ({err.code})", err.code, wait) from None
        except (OSError, ValueError) as err:  # unreachable, timed out, not JSON
            raise ApiProblem(f"HubSpot could not be reached ({type(err).__name__})") from None
        return parsed if isinstance(parsed, dict) else {}


def retry_after(value: str | None) -> float | None:
    """A Retry-After header's seconds (the HTTP-date form is not sent by these APIs)."""
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds <= 86_400 else None


def client(apis: dict[str, HubSpotApi], source: Source, token: str) -> HubSpotApi:
    """The source's client for `token`, kept in `apis` between requests: its owner list is
    cached there, so every part of leadbot that reads it shares one."""
    key = f"{source.api_url} {token}"
    if key not in apis:
        apis[key] = HubSpotApi(source.api_url, token)
    return apis[key]


def complete(found: list[Record], source: Source, secrets: Mapping[str, str],
             apis: dict[str, HubSpotApi]) -> None:  # fmt: skip
    """Fill in what the API knows: the values of events' contacts, and owners as emails.
    `apis` keeps one client per source between calls (its owner list is cached)."""
    token = source.api_token(secrets)
    if source.kind != "hubspot" or not token:
        return
    api = client(apis, source, token)
    try:
        _fetch(found, api)
        _owners(found, api)
    except ApiProblem as err:
        for record in found:
            if record.fetch:
                record.problem = f"{err}; `leadbot quarantine retry` reads the contact again"


def _fetch(found: list[Record], api: HubSpotApi) -> None:
    wanted = [record for record in found if record.fetch]
    if not wanted:
        return
    contacts = api.contacts([record.fetch for record in wanted if record.fetch])
    for record in wanted:
        properties = contacts.get(record.fetch or "")
        if properties is None:
            record.problem = f"HubSpot has no contact {record.fetch} (deleted or merged since?)"
            continue
        read = flat(properties, body={**record.body, "properties": properties})
        read.known.setdefault("external_id", record.fetch)
        record.body, record.fields, record.known = read.body, read.fields, read.known
        record.problem, record.fetch = None, None


def _owners(found: list[Record], api: HubSpotApi) -> None:
    """A contact's owner id as the owner's email: routing finds the rep by it."""
    owned = [r for r in found if r.fields.get("hubspot_owner_id") and "owner" not in r.known]
    if not owned:
        return
    emails = api.owner_emails()
    for record in owned:
        email = emails.get(str(record.fields["hubspot_owner_id"]))
        if email:
            record.known["owner"] = email
