"""`POST /api/sources/<name>`: a lead from a configured sender (leadbot.yml `sources:`). The
sender's signature is checked on the raw bytes before anything else is read; a request that is
not provably theirs gets 401 and nothing is kept. An authentic payload always gets a 2xx:
201 (a lead), 200 (seen before), or 202 (held in the quarantine, the admins told), since a
sender that does not retry a 4xx would otherwise lose the lead without anyone knowing. A CRM's
calls and emails in it are answered under `activities` (bot/sources/activity_intake.py); the one
non-2xx for an authentic payload is a 503 when the CRM's API failed a moment while reading a
request of activities only, and nothing was kept: HubSpot sends it again, and Salesforce, which
gets a SOAP fault instead of its acknowledgement, too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.http.intake import BodyNotRead, read_limited
from bot.sources.signatures import Forged, verify
from bot.sources.soap import ACK, fault

if TYPE_CHECKING:
    from bot.services import Services

MAX_SOURCE_BODY = 1024 * 1024  # a HubSpot batch or a long form; far over any one lead


async def take_from_source(request: Request, name: str, services: Services) -> Response:
    source = services.config.sources.get(name)
    if source is None:
        return _error(404, f"no source named {name[:40]!r} in leadbot.yml")
    secret = services.settings.source_secrets.get(source.secret_env, "").strip()
    if not secret:
        return _error(503, f"the source {name!r} is not ready: set {source.secret_env}")
    try:
        body = await read_limited(request, MAX_SOURCE_BODY, request.app.state.patience.body)
    except BodyNotRead as err:
        return err.response
    if body is None:
        return _error(413, f"body over {MAX_SOURCE_BODY // 1024} KiB")
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        verify(source.kind, secret, headers, body, method=request.method,
               uri=_signed_uri(request, services.settings.public_url),
               now=services.clock.now())  # fmt: skip
    except Forged as err:
        return _error(401, str(err))
    try:
        batch = await run_in_threadpool(services.sources.take_all, name, body)
    except Forged as err:  # a Salesforce message from another organisation
        return _error(401, str(err))
    if batch.retry_after is not None:  # the CRM's API failed a moment, nothing kept: again
        return _again(source.kind, batch.retry_after)
    taken = batch.leads
    for one in taken:
        services.metrics.lead_received(source.lead_source(name), one.outcome)
    if source.kind == "salesforce":  # anything but its acknowledgement: sent again for 24 h
        return Response(ACK, media_type="text/xml; charset=utf-8")
    held = any(one.outcome == "quarantined" for one in [*taken, *batch.activities])
    created = any(one.outcome == "created" for one in taken)
    status = 202 if held else 201 if created else 200
    answer: dict[str, Any] = {"results": [one.as_json() for one in taken]}
    if batch.activities:
        answer["activities"] = [one.as_json() for one in batch.activities]
    return JSONResponse(answer, status_code=status)


def _signed_uri(request: Request, public_url: str | None) -> str:
    """The URL the sender called: behind a proxy that is LEADBOT_PUBLIC_URL's, not ours."""
    if not public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return public_url.rstrip("/") + request.url.path + query


def _again(kind: str, seconds: int) -> Response:
    """503, nothing kept: HubSpot retries a 5xx; Salesforce anything but its acknowledgement,
    and its Outbound Message queue shows a SOAP fault's words as the failure reason."""
    said = "the CRM's API could not be asked about an activity: nothing was kept, send it again"
    headers = {"Retry-After": str(seconds)}
    if kind == "salesforce":
        return Response(fault(said), 503, headers, media_type="text/xml; charset=utf-8")
    return _error(503, said, headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"field": "(request)", "message": message}]}, status,
                        headers=headers)  # fmt: skip
