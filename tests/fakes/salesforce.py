"""A stand-in for Salesforce's REST API over real HTTP, for the owner write-back's and the Task
owners' tests: SOQL queries of users by email and of emails by user ids (parsed strictly, so
an unescaped quote is a MALFORMED_QUERY as it would be) and a PATCH of a Lead's or Contact's
OwnerId answering 204, errors shaped as Salesforce's (`[{"message", "errorCode"}]`), an
access token checked, failures on demand."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.json_api import JsonApiFake

QUERY = re.compile(r"SELECT Id FROM User WHERE Email = '((?:[^'\\]|\\.)*)' AND IsActive = true")
LITERAL = r"'(?:[^'\\]|\\.)*'"
BY_ID = re.compile(rf"SELECT Id, Email FROM User WHERE Id IN \(({LITERAL}(?:, {LITERAL})*)\)")
SOBJECT = re.compile(r"/services/data/v\d+\.\d/sobjects/(\w+)/(\w+)")
UNESCAPE = {"\\\\": "\\", "\\'": "'", '\\"': '"', "\\n": "\n", "\\r": "\r", "\\t": "\t",
            "\\b": "\b", "\\f": "\f"}  # fmt: skip


def _error(code: str, message: str) -> list[dict[str, Any]]:
    return [{"message": message, "errorCode": code}]


class FakeSalesforce(JsonApiFake):
    content_type = "application/json;charset=UTF-8"

    def __init__(self, token: str = "00D5e000000KQ2e!AQ4AQtest") -> None:
        self.token = token
        self.users: list[dict[str, Any]] = []  # {"Id", "Email", "IsActive"}
        self.records: dict[tuple[str, str], dict[str, Any]] = {}  # (sObject, Id) -> fields
        self.write_script: list[tuple[int, str]] = []  # the next PATCHes: (status, errorCode)
        self.query_script: list[tuple[int, str]] = []  # the next queries: (status, errorCode)
        self.calls: list[tuple[str, str, Any]] = []
        super().__init__()

    def answer(self, method: str, path: str, auth: str, body: Any) -> tuple[int, Any]:
        self.calls.append((method, path, body))
        if auth != f"Bearer {self.token}":
            return 401, _error("INVALID_SESSION_ID", "Session expired or invalid")
        parts = urlsplit(path)
        if method == "GET" and re.fullmatch(r"/services/data/v\d+\.\d/query", parts.path):
            return self._query(parse_qs(parts.query).get("q", [""])[0])
        found = SOBJECT.fullmatch(parts.path)
        if method == "PATCH" and found:
            return self._patch(found.group(1), found.group(2), body)
        return 404, _error("NOT_FOUND", "The requested resource does not exist")

    def _query(self, soql: str) -> tuple[int, Any]:
        if self.query_script:
            status, code = self.query_script.pop(0)
            return status, _error(code, f"scripted {code}")
        listed = BY_ID.fullmatch(soql)
        if listed:
            return self._by_id(listed.group(1))
        found = QUERY.fullmatch(soql)
        if found is None:
            return 400, _error("MALFORMED_QUERY", f"unexpected token in: {soql[:80]}")
        email = re.sub(r"\\.", lambda m: UNESCAPE.get(m.group(0), m.group(0)), found.group(1))
        wanted = email.casefold()
        users = [u for u in self.users if u["Email"].casefold() == wanted and u.get("IsActive")]
        records = [{"attributes": {"type": "User", "url": f"/services/data/v60.0/sobjects/User/"
                                   f"{u['Id']}"}, "Id": u["Id"]} for u in users]  # fmt: skip
        return 200, {"totalSize": len(records), "done": True, "records": records}

    def _by_id(self, listed: str) -> tuple[int, Any]:
        """Any user, active or not; a 15-character id finds its 18-character user."""
        ids = {_unquote(one) for one in re.findall(LITERAL, listed)}
        users = [u for u in self.users if u["Id"] in ids or u["Id"][:15] in ids]
        records = [{"attributes": {"type": "User", "url": f"/services/data/v60.0/sobjects/User/"
                                   f"{u['Id']}"}, "Id": u["Id"], "Email": u["Email"]}
                   for u in users]  # fmt: skip
        return 200, {"totalSize": len(records), "done": True, "records": records}

    def _patch(self, sobject: str, record_id: str, body: Any) -> tuple[int, Any]:
        if self.write_script:
            status, code = self.write_script.pop(0)
            return status, _error(code, f"scripted {code}")
        record = self.records.get((sobject, record_id))
        if record is None:
            return 404, _error("NOT_FOUND", "The requested resource does not exist")
        owner = (body or {}).get("OwnerId")
        if owner not in {u["Id"] for u in self.users}:
            return 400, _error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        record["OwnerId"] = owner
        return 204, None


def _unquote(literal: str) -> str:
    return re.sub(r"\\.", lambda m: UNESCAPE.get(m.group(0), m.group(0)), literal[1:-1])
