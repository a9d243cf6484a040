"""`leadbot serve`: load everything, fail in one line when something is missing, run."""

from __future__ import annotations

import logging
import sys

import uvicorn
from slack_bolt.error import BoltError

from bot.app import create_app
from bot.config import ConfigError, load_config
from bot.settings import SETUP_HINT, Settings

log = logging.getLogger("leadbot")


def serve(settings: Settings, host: str, port: int, *, socket_mode: bool) -> int:
    settings.require_for_serve(socket_mode)
    try:
        config = load_config(settings.config_path)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    try:
        app = create_app(settings, config)
    except BoltError as err:
        print(f"leadbot: Slack rejected SLACK_BOT_TOKEN ({err}): {SETUP_HINT}", file=sys.stderr)
        return 2
    if not settings.intake_token:
        log.warning("LEADBOT_INTAKE_TOKEN is not set: POST /api/leads answers 503")
    app.start_workers()
    socket_handler = None
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        socket_handler = SocketModeHandler(app.bolt, settings.slack_app_token)
        socket_handler.connect()
        log.info("connected to Slack in Socket Mode")
    log.info("leadbot listening on http://%s:%s", host, port)
    try:
        uvicorn.run(app.http, host=host, port=port, log_level="warning", lifespan="off")
    finally:
        if socket_handler is not None:
            socket_handler.close()
        app.stop()
    return 0
