"""Database trouble, answered and reported: a request that meets a database which cannot take
writes (a read-only file, a full disk, a server gone) gets 503 with `Retry-After` and a JSON
reason, never a bare 500, and `/healthz` says not ready until a write works again.

Senders that retry at all retry a 503 (Slack does, and HubSpot's webhooks), so the lead is not
lost; a 500 with a traceback told nobody what to do.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError

from storage.db import TROUBLE, Database
from storage.models import SeenSlackRequest

log = logging.getLogger(__name__)
RETRY_AFTER_S = 30
PROBE = "leadbot-health-probe"  # never a real signature: those start with "v0="


class DatabaseHealth:
    """Whether the database takes writes: a probe write (rolled back) on each `/healthz`, and
    not ready for RETRY_AFTER_S after a request met database trouble."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._failed_at = -float("inf")
        self._reason = ""

    def failed(self, err: DBAPIError) -> None:
        with self._lock:
            self._failed_at, self._reason = time.monotonic(), describe(err)
        # Pooled connections may be stuck as they were opened (SQLite opens a read-only file
        # read-only, for good): the next use opens fresh ones, so a fixed disk is seen at once.
        self.db.dispose()

    def check(self) -> tuple[bool, str]:
        """(ready, why not). Probes a write; a failure within RETRY_AFTER_S still counts (a
        full disk lets the tiny probe through)."""
        try:
            with self.db.scratch() as session:
                session.execute(delete(SeenSlackRequest).where(SeenSlackRequest.signature == PROBE))
                session.add(SeenSlackRequest(signature=PROBE, seen_at=datetime.now(UTC)))
                session.flush()
        except TROUBLE as err:
            self.failed(err)
            return False, describe(err)
        with self._lock:
            if time.monotonic() - self._failed_at < RETRY_AFTER_S:
                return False, self._reason
        return True, ""

    def answer(self, request: Request, err: Exception) -> JSONResponse:
        """The exception handler for database errors on any route."""
        assert isinstance(err, DBAPIError)
        self.failed(err)
        log.error("database trouble on %s %s: %s", request.method, request.url.path, describe(err))
        message = "the database cannot take writes right now; nothing was stored: retry later"
        return JSONResponse(
            {"errors": [{"field": "(server)", "message": message}]},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )


def describe(err: DBAPIError) -> str:
    """The driver's own words, first line only: the full message carries the statement and
    its parameters, which hold a lead's email and phone."""
    original = err.orig if err.orig is not None else err
    first_line = (str(original).strip().splitlines() or [""])[0]
    return f"{type(original).__name__}: {first_line[:200]}"
