"""The HTTP app: its routes, health and metrics. See the package docstring."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App
from slack_sdk import WebClient
from starlette.concurrency import run_in_threadpool

from bot.delivery.slack_calls import CountedWebClient
from bot.http.health import SLACK_TIMEOUT, DatabaseHealth, Readiness, SlackProbe
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
    readiness = Readiness(
        health, SlackProbe(_probe_client(services)), services.config.scheduler.tick
    )
    api.state.readiness = readiness  # what /readyz asks (tests set its clocks)
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

    _serve_health(api, services, readiness)
    _serve_dashboard(api, services)
    return api


def _serve_health(api: FastAPI, services: Services, readiness: Readiness) -> None:
    """`/healthz` (alive), `/readyz` (able to work) and `/metrics`."""

    @api.get("/healthz")
    async def healthz() -> JSONResponse:
        """Liveness: the process answers. Nothing else: see bot/http/health.py."""
        return JSONResponse({"ok": True})

    @api.get("/readyz")
    async def readyz() -> JSONResponse:
        """Ready: the database takes a write, Slack answers, the scheduler ticks and, under
        `leadbot serve`, the delivery worker runs (bot/http/health.py)."""
        ticks, worker = getattr(api.state, "ticks", None), getattr(api.state, "worker", None)
        problems = await run_in_threadpool(readiness.problems, ticks, worker)
        if not problems:
            return JSONResponse({"ok": True})
        return JSONResponse({"ok": False, **problems}, status_code=503)

    @api.get("/metrics")
    async def metrics() -> Response:
        """This process's metrics and, under `leadbot serve`, the delivery worker's added to
        them (bot/ops/worker_reports.py)."""
        registry: Any = services.metrics.registry
        reports = getattr(getattr(api.state, "worker", None), "reports", None)
        if reports is not None:
            registry = reports.merged(registry)
        payload = await run_in_threadpool(generate_latest, registry)
        return Response(content=payload, media_type=CONTENT_TYPE_LATEST)


def _serve_dashboard(api: FastAPI, services: Services) -> None:
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


def _probe_client(services: Services) -> WebClient:
    """The readiness probe's own client: a short timeout and no retry, so `/readyz` answers
    before an orchestrator's probe gives up; its calls are counted like any other."""
    client = services.client
    return CountedWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=SLACK_TIMEOUT,
        retry_handlers=[],
        on_call=services.metrics.slack_called,
    )
