"""Health: `/healthz` says the process answers (liveness: restart it if not); `/readyz` says it
can do its work (readiness: send it traffic, or page someone): the database takes a write, Slack
answers `auth.test` with the bot's token (asked at most every `SLACK_EVERY` seconds), the
scheduler ticks, and under `leadbot serve` the delivery worker runs. Kept apart because a
database or Slack outage is not cured by restarting leadbot, and a liveness check that failed
on one made orchestrators restart every instance at once.

Database trouble, answered and reported: a request that meets a database which cannot take
writes (a read-only file, a full disk, a server gone) gets 503 with `Retry-After` and a JSON
reason, never a bare 500, and `/readyz` says not ready until a write works again.

Senders that retry at all retry a 503 (Slack does, and HubSpot's webhooks), so the lead is not
lost; a 500 with a traceback told nobody what to do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi import Request
from fastapi.responses import JSONResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError

from bot.delivery.slack_calls import result_of
from bot.ops.ticks import Ticks
from storage.db import TROUBLE, Database
from storage.models import SeenSlackRequest

log = logging.getLogger(__name__)
RETRY_AFTER_S = 30
SLACK_EVERY = 30.0  # seconds an auth.test answer stands for
SLACK_TIMEOUT = 5  # seconds: a readiness probe must answer before the orchestrator gives up
# The scheduler is silent too long after this many ticks (and never less than a minute: a
# sweep of a large backlog holds its job, not the others).
SILENT_TICKS, SILENT_AT_LEAST = 3, 60.0
PROBE = "leadbot-health-probe"  # never a real signature: those start with "v0="


class DatabaseHealth:
    """Whether the database takes writes: a probe write (rolled back) on each `/readyz`, and
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


class SlackProbe:
    """Whether Slack answers `auth.test` with the bot's token: asked at most every SLACK_EVERY
    seconds (Tier 4, and a probe every few seconds from each instance adds up), one call at a
    time however many probes arrive together."""

    def __init__(self, client: WebClient, monotonic: Callable[[], float] = time.monotonic):
        self.client, self.monotonic = client, monotonic
        self._lock = threading.Lock()
        self._asked_at = -float("inf")
        self._problem: str | None = None

    def check(self) -> str | None:
        """None: Slack answers; else why not, in a few words (never the token)."""
        with self._lock:
            if self.monotonic() - self._asked_at >= SLACK_EVERY:
                self._problem = self._ask()
                self._asked_at = self.monotonic()
            return self._problem

    def _ask(self) -> str | None:
        try:
            self.client.auth_test()
        except SlackApiError as err:
            result = result_of(err)
            if result == "429":
                return None  # Slack answered: it is there, only busy
            return f"Slack answered auth.test with {result}"
        except Exception as err:  # no answer: a timeout, a refused connection, DNS
            return f"cannot reach Slack at {self.client.base_url} ({type(err).__name__})"
        return None


class Readiness:
    """Everything `/readyz` checks, each problem under its own key."""

    def __init__(self, database: DatabaseHealth, slack: SlackProbe, tick: timedelta) -> None:
        self.database, self.slack = database, slack
        self.silent_after = max(SILENT_TICKS * tick.total_seconds(), SILENT_AT_LEAST)

    def problems(self, ticks: Ticks | None, worker: object | None) -> dict[str, str]:
        found: dict[str, str] = {}
        ok, reason = self.database.check()
        if not ok:
            found["database"] = reason
        slack = self.slack.check()
        if slack is not None:
            found["slack"] = slack
        silent = ticks.silent_for() if ticks is not None else None
        if silent is None:
            found["scheduler"] = "not started"
        elif silent > self.silent_after:
            found["scheduler"] = f"no job has run for {silent:.0f} s"
        if worker is not None and not getattr(worker, "running", True):
            found["delivery"] = "the delivery worker is down; it is being restarted"
        return found
