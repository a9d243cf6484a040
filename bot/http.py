"""The HTTP surface: Slack events, lead intake, health and metrics (FastAPI on uvicorn).

Bolt's sync dispatch must not run on the event loop thread (docs/architecture.md): it is handed
to the thread pool, as is every database call.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App, BoltRequest
from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from starlette.concurrency import run_in_threadpool

from bot.leads.input import LeadInputError, decode_json
from storage.db import Database
from storage.models import SeenSlackRequest

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
MAX_SLACK_BODY = 1024 * 1024  # Slack's payloads are a few KiB; a view with 100 blocks, ~100 KiB
SLACK_WINDOW = 5 * 60  # Slack's replay window: a timestamp further from now is refused


def create_http_app(services: Services, bolt: App, *, slack_events: bool = True) -> FastAPI:
    """`slack_events` False (Socket Mode, or no signing secret): `/slack/events` is not served
    at all, so nothing can reach Bolt over HTTP."""
    api = FastAPI(title="leadbot", docs_url=None, redoc_url=None, openapi_url=None)
    if slack_events:
        _serve_slack_events(api, services, bolt)

    @api.post("/api/leads")
    async def intake(request: Request) -> JSONResponse:
        with services.metrics.intake_seconds.time():
            response = await _intake(request, services)
        if response.status_code >= 400:
            services.metrics.intake_rejected.labels(str(response.status_code)).inc()
        return response

    @api.get("/healthz")
    async def healthz() -> JSONResponse:
        ok = await run_in_threadpool(_database_ok, services)
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    @api.get("/metrics")
    async def metrics() -> Response:
        payload = await run_in_threadpool(generate_latest, services.metrics.registry)
        return Response(content=payload, media_type=CONTENT_TYPE_LATEST)

    return api


async def _intake(request: Request, services: Services) -> JSONResponse:
    if not services.settings.intake_token:
        return _error(503, "intake is disabled: set LEADBOT_INTAKE_TOKEN")
    if not _authorized(request.headers.get("authorization", ""), services.settings.intake_token):
        return _error(401, "missing or wrong bearer token")
    if _media_type(request.headers.get("content-type", "")) != "application/json":
        return _error(415, "send the lead as JSON, with Content-Type: application/json")
    if "content-length" in request.headers and "transfer-encoding" in request.headers:
        # Two framings of one body: proxies and servers may disagree on where it ends.
        return _error(400, "send Content-Length or Transfer-Encoding, not both")
    body = await _read_limited(request)
    if body is None:
        return _error(413, f"body over {MAX_BODY // 1024} KiB")
    try:
        lead = services.leads.parse(decode_json(body))
    except LeadInputError as err:
        return JSONResponse({"errors": err.problems}, status_code=422)
    result = await run_in_threadpool(services.leads.receive, lead)
    outcome = "created" if result.created else "duplicate"
    services.metrics.lead_received(lead.source, outcome)
    log.info("lead %s %s from %s -> %s", result.lead_id, outcome, lead.source, result.owner_id)
    payload = {
        "id": result.lead_id,
        "owner": result.owner_id,
        "reason": result.reason,
        "duplicate": not result.created,
    }
    return JSONResponse(payload, status_code=201 if result.created else 200)


def _serve_slack_events(api: FastAPI, services: Services, bolt: App) -> None:
    secret = services.settings.slack_signing_secret or ""

    @api.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        """Checked before Bolt sees it: a capped body, Slack's signature over the raw bytes
        (401 for anything unsigned, stale or malformed in its headers), then a payload Bolt
        can read (400 when a signed request is malformed). Bolt checks the signature again."""
        body = await _read_limited(request, MAX_SLACK_BODY)
        if body is None:
            return Response("body too large", status_code=413)
        if not _signed_by_slack(request.headers, body, secret, time.time()):
            return Response("invalid request signature", status_code=401)
        signature = request.headers["x-slack-signature"]
        if not await run_in_threadpool(_first_time, services.db, signature):
            # Slack signs every delivery anew, retries included: the same signature twice is a
            # replay by someone who saw the first one. Answered, and ignored.
            return Response(status_code=200)
        try:
            bolt_request = BoltRequest(
                body=body.decode("utf-8"), query=request.url.query, headers=dict(request.headers)
            )
        except ValueError:  # not UTF-8, or a payload that is not JSON
            return Response("malformed Slack request", status_code=400)
        answer = await run_in_threadpool(bolt.dispatch, bolt_request)
        headers = {
            k: v[0] for k, v in answer.headers.items() if v and k.lower() != "content-length"
        }
        return Response(content=answer.body, status_code=answer.status, headers=headers)


def _first_time(db: Database, signature: str) -> bool:
    """Remember a signed request for Slack's window; False when it was seen already."""
    now = datetime.now(UTC)
    insert = sqlite_insert if db.is_sqlite else postgresql_insert
    with db.write() as session:
        session.execute(
            delete(SeenSlackRequest).where(
                SeenSlackRequest.seen_at < now - timedelta(seconds=2 * SLACK_WINDOW)
            )
        )
        added = session.scalar(
            insert(SeenSlackRequest)
            .values(signature=signature[:80], seen_at=now)
            .on_conflict_do_nothing()
            .returning(SeenSlackRequest.signature)
        )
    return added is not None


def _signed_by_slack(headers: Mapping[str, str], body: bytes, secret: str, now: float) -> bool:
    """`v0=` + HMAC-SHA256(secret, `v0:{timestamp}:{body}`), with a timestamp within 5 minutes."""
    stamp = headers.get("x-slack-request-timestamp", "")
    if not secret or not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        return False
    if abs(now - int(stamp)) > SLACK_WINDOW:
        return False
    mac = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest("v0=" + mac.hexdigest(), headers.get("x-slack-signature", ""))


def _authorized(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    # Constant-time comparison: the token must not leak through response timing.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


async def _read_limited(request: Request, limit: int = MAX_BODY) -> bytes | None:
    """Stop reading as soon as the body is over the limit (chunked bodies have no length)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(header: str) -> str:
    return header.partition(";")[0].strip().lower()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"field": "(request)", "message": message}]}, status)


def _database_ok(services: Services) -> bool:
    try:
        with services.db.read() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # health checks answer, they do not raise
        log.exception("health check: database unreachable")
        return False
    return True
