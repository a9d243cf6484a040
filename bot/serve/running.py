"""`leadbot serve` once its worker is forked (bot/serve/): the schema and the token checked,
"begin" sent, the web app built, then served until a signal, leadbot.yml reloaded meanwhile."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING
from urllib.error import URLError

from aiohttp import ClientError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.mrkdwn import escape
from bot.config.reload import ConfigWatch, Reloaded
from bot.config.schema import Config
from bot.config.sources import unset_secrets
from bot.delivery.alerts import tell_admins
from bot.ops.heap import loading
from bot.settings import SETUP_HINT, Settings
from bot.worker.delivery_worker import DeliveryWorker
from bot.worker.launch import Launched
from storage.db import Database

if TYPE_CHECKING:
    from bot.app import LeadbotApp
    from bot.socket_mode import SocketMode

log = logging.getLogger("leadbot")
RELOAD_POLL = 2.0  # seconds between looks at leadbot.yml (SIGHUP does not wait for one)


def run_server(
    settings: Settings,
    config: Config,
    watch: ConfigWatch,
    launched: Launched | None,
    host: str,
    port: int,
    *,
    socket_mode: bool,
    setup_logging: Callable[[], None] | None = None,
) -> int:
    """`launched`: the delivery worker `serve` forked (None: `LEADBOT_DELIVERY_PROCESS=inline`).
    `setup_logging`: how `leadbot` configured logging, for a delivery worker spawned anew."""
    worker = None if launched is None else DeliveryWorker(settings, config, setup_logging, launched)
    try:
        if worker is not None:
            _ready_to_deliver(settings)
            worker.begin()
        app = _web_app(settings, config, socket_mode, worker)
    except TokenRejected as err:
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
    running = _Running(app, settings, socket_mode, setup_logging)
    try:
        return _run(running, watch, host, port)
    finally:
        running.app.stop()


@dataclass
class _Running:
    """What `leadbot serve` runs now: a reloaded leadbot.yml replaces `app`."""

    app: LeadbotApp
    settings: Settings
    socket_mode: bool
    setup_logging: Callable[[], None] | None
    connection: SocketMode | None = None


def _run(running: _Running, watch: ConfigWatch, host: str, port: int) -> int:
    stop, poke, asked = threading.Event(), threading.Event(), threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing in-flight work and stopping", signal.Signals(signum).name)
        if running.app.worker is not None:
            running.app.worker.expect_exit()
        stop.set()
        poke.set()

    def on_hangup(_signum: int, _frame: FrameType | None) -> None:
        asked.set()  # `systemctl reload`: read leadbot.yml again
        poke.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_hangup)
    failure = _start(running, host, port)
    if failure:
        return _fail(failure)
    while not stop.is_set():
        poke.wait(RELOAD_POLL)
        poke.clear()
        hangup, _ = asked.is_set(), asked.clear()
        if not stop.is_set() and (hangup or watch.changed()):
            _reload(running, watch.read())
    if running.connection is not None:
        running.connection.close()
    return 0


def _start(running: _Running, host: str, port: int) -> str | None:
    """Listen, start the background work and Socket Mode; the one line to fail with, if any."""
    app, settings = running.app, running.settings
    try:
        bound = app.serve_in_thread(host, port)
    except RuntimeError:
        return f"cannot listen on {host}:{port} (is another process using the port?)"
    app.start_workers()
    if running.socket_mode:
        from bot.socket_mode import SocketMode  # only here: it adds ~0.3 s to every start

        running.connection = SocketMode(
            app.bolt, str(settings.slack_app_token), settings.slack_api_url
        )
        failure = _connect(running.connection, settings)
        if failure:
            return failure
        log.info("connected to Slack in Socket Mode")
    log.info("leadbot listening on http://%s:%s", host, bound)
    return None


def _reload(running: _Running, reloaded: Reloaded) -> None:
    """The new leadbot.yml takes over without a restart: the listening socket and the Socket
    Mode connection stay open, a new delivery worker replaces the old one once the old one has
    finished what it holds. A file that fails `leadbot config check`, or a new app that cannot
    start, leaves the running one as it is, and the admins are told."""
    path = running.settings.config_path
    if reloaded.config is None:
        _refused(running, f"{path} changed but was not loaded", reloaded.problem or "")
        return
    settings, config = running.settings, reloaded.config
    worker = None
    if settings.delivery_process == "separate":
        worker = DeliveryWorker(settings, config, running.setup_logging)
        worker.start(threads_running=True)
    from slack_bolt.error import BoltError  # both loaded at the start already

    from bot.app import create_app

    try:
        successor = create_app(
            settings, config, socket_mode=running.socket_mode, worker=worker, migrate=False
        )
    except (BoltError, URLError, OSError) as err:
        if worker is not None:
            worker.stop()
        _refused(running, f"{path} is valid but leadbot could not start with it", str(err))
        return
    running.app.hand_over(successor)
    if running.connection is not None:
        running.connection.use(successor.bolt)
    running.app = successor
    log.info("%s reloaded: %d reps, %d managers", path, len(config.reps), len(config.managers))


def _refused(running: _Running, what: str, why: str) -> None:
    """Logged, and the admins told in Slack: the file on disk would also stop the next start."""
    keeping = "leadbot keeps running with the configuration it had"
    log.error("%s; %s: %s", what, keeping, why)
    services = running.app.services
    text = f":warning: *{escape(what)}*; {keeping}.\n```{escape(why[:2500])}```\n" + (
        "Fix it (`leadbot config check` lists every problem) before leadbot next restarts."
    )
    with services.db.write() as session:
        tell_admins(session, services.config, None, text, services.clock.now())
    services.escalator.wake()  # any service's wake: the dispatcher, here or in the worker


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


class TokenRejected(Exception):
    """auth.test refused SLACK_BOT_TOKEN (as Bolt words it when it checks the token itself)."""


def _web_app(
    settings: Settings, config: Config, socket_mode: bool, worker: DeliveryWorker | None
) -> LeadbotApp:
    # The web stack (FastAPI, uvicorn, Bolt, the listeners: a third of the start's imports)
    # loads only now, while the worker, forked without it, already sends what is due.
    with loading():
        from slack_bolt.error import BoltError

        from bot.app import create_app

    try:
        # With a worker, `_ready_to_deliver` has migrated already.
        return create_app(
            settings, config, socket_mode=socket_mode, worker=worker, migrate=worker is None
        )
    except BoltError as err:
        raise TokenRejected(str(err)) from None


def _ready_to_deliver(settings: Settings) -> None:
    """What the worker's "begin" waits for: the schema at the newest migration, and a bot
    token that Slack accepts (with a revoked one every card would fail for good, so no card is
    tried before it is checked). Bolt checks the token again as it is built, after "begin"."""
    database = Database(settings.database_url)
    try:
        database.upgrade()
    finally:
        database.dispose()
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    try:
        client.auth_test()
    except SlackApiError as err:
        raise TokenRejected(f"`token` is invalid (auth.test result: {err.response})") from None


def _stopped(worker: DeliveryWorker | None, message: str) -> int:
    if worker is not None:
        worker.stop()
    return _fail(message)


def _fail(message: str) -> int:
    print(f"leadbot: {message}", file=sys.stderr)
    return 2
