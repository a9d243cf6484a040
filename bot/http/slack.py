"""`POST /slack/events`, checked before Bolt sees it: a capped body, Slack's signature on the raw
bytes, a replay ignored, a payload whose envelope Bolt can read (`envelope.py`)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response
from slack_bolt import App, BoltRequest
from slack_bolt.request.internals import parse_body
from sqlalchemy import delete
from starlette.concurrency import run_in_threadpool

from bot.http.envelope import nul_in, readable
from bot.http.intake import BodyNotRead, read_limited
from storage.db import Database
from storage.models import SeenSlackRequest

if TYPE_CHECKING:
    from bot.services import Services

MAX_SLACK_BODY = 1024 * 1024  # Slack's payloads are a few KiB; a view with 100 blocks, ~100 KiB
SLACK_WINDOW = 5 * 60  # Slack's replay window: a timestamp further from now is refused


def serve_slack_events(api: FastAPI, services: Services, bolt: App) -> None:
    secret = services.settings.slack_signing_secret or ""

    @api.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        """Checked before Bolt sees it: a capped body, Slack's signature over the raw bytes
        (401 for anything unsigned, stale or malformed in its headers), then a payload Bolt
        can read (400 when a signed request is malformed). Bolt checks the signature again."""
        try:
            body = await read_limited(request, MAX_SLACK_BODY, request.app.state.patience.body)
        except BodyNotRead as err:
            return err.response
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
            text = body.decode("utf-8")
            payload = parse_body(text, request.headers.get("content-type", "").partition(";")[0])
        except ValueError:  # not UTF-8, or a payload that is not JSON
            return Response("malformed Slack request", status_code=400)
        if nul_in(payload):
            return _nul_answer(payload)
        if not readable(payload):
            # Signed, but not a payload Slack sends leadbot: Bolt would fail reading it.
            return Response(status_code=200)
        bolt_request = BoltRequest(
            body=text, query=request.url.query, headers=dict(request.headers)
        )
        answer = await run_in_threadpool(bolt.dispatch, bolt_request)
        headers = {
            k: v[0] for k, v in answer.headers.items() if v and k.lower() != "content-length"
        }
        return Response(content=answer.body, status_code=answer.status, headers=headers)


def _nul_answer(payload: Any) -> Response:
    """A command's 200 body is shown to the person who typed it; other payloads' bodies are not
    read by Slack, so they are acknowledged and change nothing."""
    if isinstance(payload, dict) and "command" in payload:
        return Response(
            "leadbot cannot read a NUL character (U+0000) in the command's text, so nothing "
            "was changed: type the command again without it.",
            media_type="text/plain",
        )
    return Response(status_code=200)


def _first_time(db: Database, signature: str) -> bool:
    """Remember a signed request for Slack's window; False when it was seen already."""
    now = datetime.now(UTC)
    with db.write() as session:
        session.execute(
            delete(SeenSlackRequest).where(
                SeenSlackRequest.seen_at < now - timedelta(seconds=2 * SLACK_WINDOW)
            )
        )
        added = session.scalar(
            db.insert(SeenSlackRequest)
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
