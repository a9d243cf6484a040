"""One error handler for every listener, instead of try/except in each."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

log = logging.getLogger("leadbot.handlers")


def register(app: App) -> None:
    app.error(handle_error)


def handle_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
    kind = body.get("type") or body.get("command") or "request"
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    # The body may hold lead details: log its kind and who, never the payload itself.
    log.error("listener failed for %s from %s: %r", kind, user, error, exc_info=error)
