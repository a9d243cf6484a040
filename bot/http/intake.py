"""`POST /api/leads`: a bearer token compared in constant time, JSON only, a capped body, then
the one validation of a lead; every refusal names its reason, nothing is stored for it."""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.leads.input import LeadInputError, decode_json

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024


async def intake(request: Request, services: Services) -> JSONResponse:
    if not services.settings.intake_token:
        return _error(503, "intake is disabled: set LEADBOT_INTAKE_TOKEN")
    if not _authorized(request.headers.get("authorization", ""), services.settings.intake_token):
        return _error(401, "missing or wrong bearer token")
    if _media_type(request.headers.get("content-type", "")) != "application/json":
        return _error(415, "send the lead as JSON, with Content-Type: application/json")
    if "content-length" in request.headers and "transfer-encoding" in request.headers:
        # Two framings of one body: proxies and servers may disagree on where it ends.
        return _error(400, "send Content-Length or Transfer-Encoding, not both")
    body = await read_limited(request)
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


def _authorized(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    # Constant-time comparison: the token must not leak through response timing.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


async def read_limited(request: Request, limit: int = MAX_BODY) -> bytes | None:
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
