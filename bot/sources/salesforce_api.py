"""Salesforce's REST API, for writing a lead's owner back: the user a rep is (by email, a SOQL
query of active users, answers cached 10 minutes) and the record's `OwnerId` (a PATCH of the
Lead or Contact, which answers 204). The token is an access token from `token_env`; the URL is
the org's instance (`api_url`, https://acme.my.salesforce.com).

Salesforce answers an error with a list of `{"message", "errorCode"}`: the first is kept, so
the admins read what Salesforce said and the writer can tell a locked row (try again) from a
refused one.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from bot.sources.hubspot import retry_after

API_VERSION = "v60.0"  # Spring '24: every org on a supported release answers it
TIMEOUT = 10.0
USERS_FOR = 600.0  # seconds a user id found by email is used before it is asked again
SOQL_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t",
                "\b": "\\b", "\f": "\\f"}  # fmt: skip


class SalesforceProblem(Exception):
    """Salesforce could not be asked or refused. `status`: its HTTP status (None: no answer
    came); `code`: its errorCode (INVALID_SESSION_ID, UNABLE_TO_LOCK_ROW, …)."""

    def __init__(self, message: str, status: int | None = None, code: str = "",
                 retry_after: float | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.code, self.retry_after = status, code, retry_after


def soql_string(value: str) -> str:
    """`value` as a SOQL string literal: quoted, its quotes and backslashes escaped."""
    return "'" + "".join(SOQL_ESCAPES.get(char, char) for char in value) + "'"


class SalesforceApi:
    def __init__(self, base_url: str, token: str, timeout: float = TIMEOUT) -> None:
        self.base, self.token, self.timeout = base_url.rstrip("/"), token, timeout
        self._users: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def user_id(self, email: str) -> str | None:
        """The active user with this email (any case), or None."""
        key = email.strip().casefold()
        with self._lock:
            cached = self._users.get(key)
            if cached and time.monotonic() - cached[0] < USERS_FOR:
                return cached[1]
        soql = f"SELECT Id FROM User WHERE Email = {soql_string(email.strip())} AND IsActive = true"
        answer = self._call("GET", f"/services/data/{API_VERSION}/query?q={quote(soql)}", None)
        records = answer.get("records") if isinstance(answer, dict) else None
        found = [r.get("Id") for r in records or [] if isinstance(r, dict) and r.get("Id")]
        if not found:
            return None  # not cached: a user added in Salesforce is found at the next write
        with self._lock:
            self._users[key] = (time.monotonic(), str(found[0]))
        return str(found[0])

    def set_owner(self, sobject: str, record_id: str, user_id: str) -> None:
        """The record's OwnerId: the same value twice changes nothing."""
        path = f"/services/data/{API_VERSION}/sobjects/{quote(sobject)}/{quote(record_id, safe='')}"
        self._call("PATCH", path, {"OwnerId": user_id})

    def _call(self, method: str, path: str, body: Any) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                   "Accept": "application/json"}  # fmt: skip
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=headers)  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                text = answer.read()
                return json.loads(text) if text else {}
        except urllib.error.HTTPError as err:
            raise _problem(err) from None
        except (OSError, ValueError) as err:  # unreachable, timed out, not JSON
            raise SalesforceProblem(
                f"Salesforce could not be reached ({type(err).__name__})"
            ) from None


def _problem(err: urllib.error.HTTPError) -> SalesforceProblem:
    """What Salesforce said: its first error's code and message, shortened."""
    try:
        said = json.loads(err.read() or b"[]")
    except (OSError, ValueError):
        said = []
    first = said[0] if isinstance(said, list) and said and isinstance(said[0], dict) else {}
    code = str(first.get("errorCode") or "")[:64]
    message = " ".join(str(first.get("message") or "").split())[:200]
    words = f"{code}: {message}" if code and message else (code or message or "no details")
    wait = retry_after(err.headers.get("Retry-After") if err.headers else None)
    return SalesforceProblem(f"Salesforce answered {err.code} ({words})", err.code, code, wait)
