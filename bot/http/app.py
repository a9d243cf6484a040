"""The HTTP app: its routes, health and metrics. See the package docstring."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App
from starlette.concurrency import run_in_threadpool

from bot.http.health import DatabaseHealth
from bot.http.intake import intake as intake_lead
from bot.http.slack import serve_slack_events
from bot.http.sources import take_from_source
from bot.http.timeouts import Patience
from bot.review.dashboard import content_security_policy
from storage.db import TROUBLE

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


def create_http_app(services: Services, bolt: App, *, slack_events: bool = True) -> FastAPI:
    """`slack_events` False (Socket Mode, or no signing secret): `/slack/events` is not served
    at all, so nothing can reach Bolt over HTTP."""
    api = FastAPI(title="leadbot", docs_url=None, redoc_url=None, openapi_url=None)
    api.state.patience = Patience()  # LeadbotApp.serve_in_thread may set its own
    health = DatabaseHealth(services.db)
    for trouble in TROUBLE:
        api.add_exception_handler(trouble, health.answer)
    if slack_events:
        serve_slack_events(api, services, bolt)

    @api.post("/api/leads")
    async def intake(request: Request) -> Response:
        with services.metrics.intake_seconds.time():
            response = await intake_lead(request, services)
        if response.status_code >= 400:
            services.metrics.intake_rejected.labels(str(response.status_code)).inc()
        return response

    @api.post("/api/sources/{name}")
    async def source(name: str, request: Request) -> Response:
        return await take_from_source(request, name, services)

    @api.get("/healthz")
    async def healthz() -> JSONResponse:
        """Ready when the database takes a write (see bot/http/health.py) and, under
        `leadbot serve`, the delivery worker runs (bot/worker.py)."""
        ok, reason = await run_in_threadpool(health.check)
        worker = getattr(api.state, "worker", None)
        if ok and (worker is None or worker.running):
            return JSONResponse({"ok": True})
        problems = {"database": reason} if not ok else {}
        if worker is not None and not worker.running:
            problems["delivery"] = "the delivery worker is down; it is being restarted"
        return JSONResponse({"ok": False, **problems}, status_code=503)

    @api.get("/dashboard")
    async def dashboard(request: Request) -> Response:
        """The sales floor's screen. Off unless LEADBOT_DASHBOARD_TOKEN is set; then only with
        `?token=` (compared in constant time). The token is in the URL, so the page asks
        browsers not to pass it on (no-referrer) and nobody to keep a copy (no-store). Its
        policy lets only its own inline style and script run, by a nonce new to each answer."""
        expected = services.settings.dashboard_token
        if expected is None:
            return PlainTextResponse("Not found", status_code=404)
        given = request.query_params.get("token", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return PlainTextResponse("Wrong or missing ?token= for the dashboard.", 403)
        tv = request.query_params.get("tv", "") in ("1", "true", "yes")
        nonce = secrets.token_urlsafe(16)
        page = await run_in_threadpool(services.dashboard.page, nonce, tv)
        headers = {
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": content_security_policy(nonce),
            "X-Content-Type-Options": "nosniff",
        }
        return HTMLResponse(page, headers=headers)

    @api.get("/metrics")
    async def metrics() -> Response:
        payload = await run_in_threadpool(generate_latest, services.metrics.registry)
        return Response(content=payload, media_type=CONTENT_TYPE_LATEST)

    return api
