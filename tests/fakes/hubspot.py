"""A stand-in for HubSpot's CRM API over real HTTP, for the sources' tests: contacts' batch read
and the owners list, calls', emails' and meetings' batch reads and their contacts (v4
associations), shaped as HubSpot answers them (a 207 with `errors` when some ids are not
found), a private app token checked, and failures on demand."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.fakes.json_api import JsonApiFake

# (status, body) or (status, body, headers)
Answer = tuple[int, Any] | tuple[int, Any, dict[str, str]]
STAMP = "2026-11-26T10:00:00.000Z"
ENGAGEMENTS = {"calls": "CALL", "emails": "EMAIL", "meetings": "MEETING"}
NOT_FOUND = ("Could not get some CONTACT objects, they may be deleted or not exist. Check that "
             "ids are valid.")  # fmt: skip


class FakeHubSpot(JsonApiFake):
    def __init__(self, token: str = "pat-na1-test") -> None:
        self.token = token
        self.contacts: dict[str, dict[str, Any]] = {}
        self.owners: list[dict[str, Any]] = []
        # Calls, emails and meetings: id -> properties, and id -> the contact ids it is with.
        self.engagements: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in ENGAGEMENTS}
        self.engaged: dict[str, list[str]] = {}
        self.failing: int | None = None  # answer every call with this status
        # The next owner writes' answers, in turn (status, Retry-After or None), then normal.
        self.write_script: list[tuple[int, str | None]] = []
        self.calls: list[tuple[str, str, Any]] = []
        super().__init__()

    def answer(self, method: str, path: str, auth: str, body: Any) -> Answer:
        self.calls.append((method, path, body))
        if auth != f"Bearer {self.token}":
            return 401, {"status": "error", "category": "INVALID_AUTHENTICATION",
                         "message": "Authentication credentials not found."}  # fmt: skip
        if self.failing is not None:
            return self.failing, {"status": "error", "message": "internal error"}
        route = urlsplit(path).path
        if method == "POST" and route == "/crm/v3/objects/contacts/batch/read":
            return self._batch_read(body)
        if method == "GET" and route == "/crm/v3/owners":
            return 200, {"results": self.owners}
        kind = route.split("/")[4] if route.count("/") >= 5 else ""
        if method == "POST" and kind in ENGAGEMENTS:
            if route == f"/crm/v3/objects/{kind}/batch/read":
                return self._engagements_read(kind, body)
            if route == f"/crm/v4/associations/{kind}/contacts/batch/read":
                return self._associations_read(kind, body)
        if method == "PATCH" and route.startswith("/crm/v3/objects/contacts/"):
            return self._patch(route.rsplit("/", 1)[1], body)
        return 404, {"status": "error", "message": f"no route {route}"}

    def _batch_read(self, body: Any) -> tuple[int, Any]:
        wanted = [str(i["id"]) for i in body.get("inputs", [])]
        names = body.get("properties", [])
        stamp = "2026-11-26T10:00:00.000Z"
        results = [
            {"id": i, "properties": {k: v for k, v in self.contacts[i].items() if k in names},
             "createdAt": stamp, "updatedAt": stamp, "archived": False}
            for i in wanted if i in self.contacts
        ]  # fmt: skip
        missing = [i for i in wanted if i not in self.contacts]
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results,
                                  "startedAt": "2026-11-26T10:00:00.000Z",
                                  "completedAt": "2026-11-26T10:00:00.100Z"}  # fmt: skip
        if missing:
            answer["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                                 "message": NOT_FOUND, "context": {"ids": missing}}]  # fmt: skip
            answer["numErrors"] = 1
        return (207 if missing else 200), answer

    def _patch(self, contact_id: str, body: Any) -> Answer:
        """`PATCH /crm/v3/objects/contacts/{id}`, as HubSpot answers it (the contact), after any
        scripted failure; an owner id no owner has is refused as HubSpot refuses it."""
        if self.write_script:
            status, wait = self.write_script.pop(0)
            said = {"status": "error", "message": "You have reached your ten_secondly_rolling "
                    "limit.", "errorType": "RATE_LIMIT"} if status == 429 else {
                    "status": "error", "message": "internal error"}  # fmt: skip
            return status, said, ({"Retry-After": wait} if wait else {})
        if contact_id not in self.contacts:
            return 404, {"status": "error", "message": "resource not found",
                         "category": "OBJECT_NOT_FOUND"}  # fmt: skip
        owner = str((body.get("properties") or {}).get("hubspot_owner_id", ""))
        if owner and owner not in {str(o["id"]) for o in self.owners}:
            return 400, {"status": "error", "category": "VALIDATION_ERROR",
                         "message": f"Property values were not valid: {owner} is not a valid "
                         "owner id"}  # fmt: skip
        self.contacts[contact_id]["hubspot_owner_id"] = owner
        stamp = "2026-11-26T10:00:00.000Z"
        return 200, {"id": contact_id, "properties": dict(self.contacts[contact_id]),
                     "createdAt": stamp, "updatedAt": stamp, "archived": False}  # fmt: skip

    def _engagements_read(self, kind: str, body: Any) -> tuple[int, Any]:
        """`POST /crm/v3/objects/{calls,emails,meetings}/batch/read`: the asked properties and
        the three HubSpot always adds; a 207 naming the ids it does not have."""
        store, names = self.engagements[kind], body.get("properties", [])
        wanted = [str(i["id"]) for i in body.get("inputs", [])]
        results = [{"id": i, "properties": {k: v for k, v in store[i].items() if k in names}
                    | {"hs_object_id": i, "hs_createdate": store[i].get("hs_createdate", STAMP),
                       "hs_lastmodifieddate": STAMP},
                    "createdAt": STAMP, "updatedAt": STAMP, "archived": False}
                   for i in wanted if i in store]  # fmt: skip
        missing = [i for i in wanted if i not in store]
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": STAMP,
                                  "completedAt": STAMP}  # fmt: skip
        if missing:
            what = ENGAGEMENTS[kind]
            answer["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                                 "message": f"Could not get some {what} objects, they may be "
                                 "deleted or not exist. Check that ids are valid.",
                                 "context": {"ids": missing}}]  # fmt: skip
            answer["numErrors"] = 1
        return (207 if missing else 200), answer

    def _associations_read(self, kind: str, body: Any) -> tuple[int, Any]:
        """`POST /crm/v4/associations/{kind}/contacts/batch/read`, shaped as v4 answers: each
        object's contacts with the association's HUBSPOT_DEFINED type."""
        type_id = {"calls": 194, "emails": 198, "meetings": 200}.get(kind, 1)
        wanted = [str(i["id"]) for i in body.get("inputs", [])]
        results = [{"from": {"id": i}, "to": [
            {"toObjectId": int(c), "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]}
            for c in self.engaged[i]]} for i in wanted if self.engaged.get(i)]  # fmt: skip
        none = [i for i in wanted if not self.engaged.get(i)]
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": STAMP,
                                  "completedAt": STAMP}  # fmt: skip
        if none:
            answer["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                                 "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                                 "message": f"No {kind} is associated with contacts.",
                                 "context": {"fromObjectId": none}}]  # fmt: skip
            answer["numErrors"] = 1
        return (207 if none else 200), answer
