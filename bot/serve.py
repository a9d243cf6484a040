"""`leadbot serve`: load everything, fail in one line when something is missing, run."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING
from urllib.error import URLError

from aiohttp import ClientError
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.app import LeadbotApp, create_app
from bot.config.errors import ConfigError
from bot.config.load import load_config
from bot.config.sources import unset_secrets
from bot.settings import SETUP_HINT, Settings
from bot.worker import DeliveryWorker

if TYPE_CHECKING:
    from bot.socket_mode import SocketMode

log = logging.getLogger("leadbot")


def serve(
    settings: Settings,
    host: str,
    port: int,
    *,
    socket_mode: bool,
    setup_logging: Callable[[], None] | None = None,
) -> int:
    """`setup_logging`: how `leadbot` configured logging, for a delivery worker spawned anew."""
    settings.require_for_serve(socket_mode)
    try:
        config = load_config(settings.config_path)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    worker = None
    if settings.delivery_process == "separate":
        worker = DeliveryWorker(settings, config, setup_logging)
        worker.start()  # before any thread starts here: see DeliveryWorker.start
    try:
        app = create_app(settings, config, socket_mode=socket_mode, worker=worker)
    except BoltError as err:
        return _stopped(worker, f"Slack rejected SLACK_BOT_TOKEN ({err}): {SETUP_HINT}")
    except (URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        return _stopped(worker, f"cannot reach Slack at {settings.slack_api_url} ({reason})")
    except BaseException:
        if worker is not None:
            worker.stop()
        raise
    if not settings.intake_token:
        log.warning("LEADBOT_INTAKE_TOKEN is not set: POST /api/leads answers 503")
    for line in unset_secrets(config.sources, settings.source_secrets):
        log.warning("%s", line)
    try:
        return _run(app, settings, host, port, socket_mode=socket_mode)
    finally:
        app.stop()


def _run(app: LeadbotApp, settings: Settings, host: str, port: int, *, socket_mode: bool) -> int:
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing in-flight work and stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        bound = app.serve_in_thread(host, port)
    except RuntimeError:
        return _fail(f"cannot listen on {host}:{port} (is another process using the port?)")
    app.start_workers()
    connection = None
    if socket_mode:
        from bot.socket_mode import SocketMode  # only here: it adds ~0.3 s to every start

        connection = SocketMode(app.bolt, str(settings.slack_app_token), settings.slack_api_url)
        failure = _connect(connection, settings)
        if failure:
            return _fail(failure)
        log.info("connected to Slack in Socket Mode")
    log.info("leadbot listening on http://%s:%s", host, bound)
    stop.wait()
    if connection is not None:
        connection.close()
    return 0


def _connect(connection: SocketMode, settings: Settings) -> str | None:
    """Open the Socket Mode connection; the one line to fail with when it cannot be."""
    try:
        connection.connect()
    except SlackApiError as err:
        error = err.response.get("error")
        return f"Socket Mode refused SLACK_APP_TOKEN ({error}): {SETUP_HINT}"
    except (ClientError, OSError) as err:  # TimeoutError is an OSError
        reason = str(err) or type(err).__name__
        return f"cannot reach Slack at {settings.slack_api_url} for Socket Mode ({reason})"
    return None


def _stopped(worker: DeliveryWorker | None, message: str) -> int:
    if worker is not None:
        worker.stop()
    return _fail(message)


def _fail(message: str) -> int:
    print(f"leadbot: {message}", file=sys.stderr)
    return 2
