"""`POST /api/leads`: a bearer token compared in constant time, JSON only, a capped body, then
the one validation of a lead; every refusal names its reason, nothing is stored for it."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import TYPE_CHECKING

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from bot.http.timeouts import Patience
from bot.leads.input import LeadInputError, decode_json

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024


async def intake(request: Request, services: Services) -> Response:
    if not services.settings.intake_token:
        return _error(503, "intake is disabled: set LEADBOT_INTAKE_TOKEN")
    if not _authorized(request.headers.get("authorization", ""), services.settings.intake_token):
        return _error(401, "missing or wrong bearer token")
    if _media_type(request.headers.get("content-type", "")) != "application/json":
        return _error(415, "send the lead as JSON, with Content-Type: application/json")
    if "content-length" in request.headers and "transfer-encoding" in request.headers:
        # Two framings of one body: proxies and servers may disagree on where it ends.
        return _error(400, "send Content-Length or Transfer-Encoding, not both")
    try:
        body = await read_limited(request, seconds=request.app.state.patience.body)
    except BodyNotRead as err:
        return err.response
    if body is None:
        return _error(413, f"body over {MAX_BODY // 1024} KiB")
    try:
        lead = services.leads.parse(decode_json(body))
    except LeadInputError as err:
        return JSONResponse({"errors": err.problems}, status_code=422)
    result = await run_in_threadpool(services.intake.receive, lead)
    outcome = "created" if result.created else "duplicate"
    services.metrics.lead_received(lead.source, outcome)
    # A new lead is logged once, by the change log after its commit ("received", "assigned":
    # bot/leads/changes.py); a duplicate changes nothing there, so it is said here.
    level = logging.DEBUG if result.created else logging.INFO
    log.log(level, "lead %s %s from %s -> %s", result.lead_id, outcome, lead.source,
            result.owner_id)  # fmt: skip
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


class BodyNotRead(Exception):
    """The client was too slow sending its body, or hung up half way: `response` answers it."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def read_limited(
    request: Request, limit: int = MAX_BODY, seconds: float = Patience.body
) -> bytes | None:
    """The body, or None when it is over `limit` (read no further than that: chunked bodies have
    no length); raises BodyNotRead for a client too slow or gone."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    return None
                chunks.append(chunk)
    except TimeoutError:
        raise BodyNotRead(Response("request body too slow", status_code=408)) from None
    except ClientDisconnect:  # nobody left to answer; nothing to log either
        raise BodyNotRead(Response(status_code=400)) from None
    return b"".join(chunks)


def _media_type(header: str) -> str:
    return header.partition(";")[0].strip().lower()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"field": "(request)", "message": message}]}, status)
