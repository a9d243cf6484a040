"""Salesforce's REST API, for writing a lead's owner back: the user a rep is (by email, a SOQL
query of active users, answers cached 10 minutes) and the record's `OwnerId` (a PATCH of the
Lead or Contact, which answers 204); and for a Task's owner, the users' emails by id (one SOQL
query for a request's owners, answers cached 10 minutes). The token is an access token from
`token_env`; the URL is the org's instance (`api_url`, https://acme.my.salesforce.com).

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
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from bot.config.sources import Source
from bot.sources.hubspot import retry_after

API_VERSION = "v60.0"  # Spring '24: every org on a supported release answers it
TIMEOUT = 10.0
USERS_FOR = 600.0  # seconds a user id found by email (or an email by id) is used before it is
# asked again: a rep's user changes seldom, and a request of 100 Tasks costs one query at most
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


def client(apis: dict[str, SalesforceApi], source: Source, token: str,
           now: Callable[[], float] = time.monotonic) -> SalesforceApi:  # fmt: skip
    """The source's client for `token`, kept in `apis` between requests (its caches too)."""
    key = f"{source.api_url} {token}"
    if key not in apis:
        apis[key] = SalesforceApi(source.api_url, token, now=now)
    return apis[key]


class SalesforceApi:
    def __init__(self, base_url: str, token: str, timeout: float = TIMEOUT,
                 now: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        """`now`: seconds on any steady clock, for the caches (a test's virtual one)."""
        self.base, self.token, self.timeout = base_url.rstrip("/"), token, timeout
        self.now = now
        self._users: dict[str, tuple[float, str]] = {}
        self._emails: dict[str, tuple[float, str]] = {}  # user id -> (when read, email)
        self._lock = threading.Lock()

    def user_id(self, email: str) -> str | None:
        """The active user with this email (any case), or None."""
        key = email.strip().casefold()
        with self._lock:
            cached = self._users.get(key)
            if cached and self.now() - cached[0] < USERS_FOR:
                return cached[1]
        soql = f"SELECT Id FROM User WHERE Email = {soql_string(email.strip())} AND IsActive = true"
        answer = self._call("GET", f"/services/data/{API_VERSION}/query?q={quote(soql)}", None)
        records = answer.get("records") if isinstance(answer, dict) else None
        found = [r.get("Id") for r in records or [] if isinstance(r, dict) and r.get("Id")]
        if not found:
            return None  # not cached: a user added in Salesforce is found at the next write
        with self._lock:
            self._users[key] = (self.now(), str(found[0]))
        return str(found[0])

    def user_emails(self, ids: Iterable[str]) -> dict[str, str]:
        """user id -> email, for the users Salesforce has (inactive ones too: a Task logged
        before a rep left is still theirs); one query for the ids not read in USERS_FOR. The
        ids must be Salesforce ids (the caller checks): they are quoted, not trusted."""
        wanted, found = sorted(set(ids)), {}
        with self._lock:
            for user in wanted:
                cached = self._emails.get(user)
                if cached and self.now() - cached[0] < USERS_FOR:
                    found[user] = cached[1]
        missing = [user for user in wanted if user not in found]
        if not missing:
            return found
        listed = ", ".join(soql_string(user) for user in missing)
        soql = f"SELECT Id, Email FROM User WHERE Id IN ({listed})"
        answer = self._call("GET", f"/services/data/{API_VERSION}/query?q={quote(soql)}", None)
        records = answer.get("records") if isinstance(answer, dict) else None
        read = {str(r["Id"]): str(r["Email"]) for r in records or []
                if isinstance(r, dict) and r.get("Id") and r.get("Email")}  # fmt: skip
        # Salesforce answers a 15-character id with its 18-character form: both name the user.
        fresh = {user: email for user in missing for key, email in read.items()
                 if key == user or key[:15] == user}  # fmt: skip
        with self._lock:  # a missing user is not cached: one added since is found next time
            self._emails.update({user: (self.now(), email) for user, email in fresh.items()})
        return found | fresh

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
