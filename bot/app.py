"""create_app(settings) wires everything: a factory, no module-level app or globals."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI
from slack_bolt import App

from bot.assemble import create_services
from bot.clock import Clock
from bot.config.schema import Config
from bot.delivery.outbox import RetryPolicy
from bot.http.app import create_http_app
from bot.http.switch import Switchboard
from bot.http.timeouts import Patience, guarded
from bot.ops.heap import freeze_the_heap
from bot.services import Services
from bot.settings import Settings
from bot.worker.background import Background
from bot.worker.delivery_worker import DeliveryWorker
from handlers import LISTENER_MODULES
from handlers.context import services_middleware, shared_client

log = logging.getLogger(__name__)


def create_bolt_app(services: Services, *, verify_token: bool = True) -> App:
    bolt = App(
        client=services.client,
        signing_secret=services.settings.slack_signing_secret,
        token_verification_enabled=verify_token,
        logger=_bolt_logger(),
    )
    bolt.use(services_middleware(services))
    bolt.use(shared_client(services.client))  # listeners' Slack calls are counted too
    for module in LISTENER_MODULES:
        module.register(bolt)
    return bolt


class _TokenFromClient(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused when given a client; the client holds it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("leadbot.bolt")
    if not any(isinstance(f, _TokenFromClient) for f in logger.filters):
        logger.addFilter(_TokenFromClient())
    return logger


@dataclass
class LeadbotApp:
    services: Services
    bolt: App
    http: FastAPI
    worker: DeliveryWorker | None = None  # set: the background work runs in that process
    _background: Background | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _switch: Switchboard | None = None
    port: int = field(default=0)

    def start_workers(self) -> None:
        """The dispatcher, the App Home refresher and the scheduler: here, or in the worker
        process (told to begin now that the database is migrated)."""
        self.services.db.checkpoint_in_background()  # SQLite: this process's commits too
        if self.worker is not None:
            self.http.state.ticks = self.worker.reports.ticks  # /readyz: the worker's scheduler
            self.worker.begin()
            freeze_the_heap()  # after: this process's collector is none of the worker's wait
            return
        self._background = Background(self.services)
        self.http.state.ticks = self._background.ticks
        self._background.start()

    def serve_in_thread(
        self, host: str = "127.0.0.1", port: int = 0, patience: Patience | None = None
    ) -> int:
        """Run uvicorn in a background thread; returns the bound port (tests, demo, bench).
        `patience` bounds how long a slow client may take to send its request."""
        patience = patience or Patience()
        self.http.state.patience = patience
        self._switch = Switchboard(self.http)
        config = uvicorn.Config(
            self._switch,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            interface="asgi3",
            http=guarded(patience),
            loop="uvloop",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="leadbot-http", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"HTTP server failed to start on {host}:{port}")
            threading.Event().wait(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self.port

    def hand_over(self, successor: LeadbotApp) -> None:
        """`successor` (built from a reloaded leadbot.yml) takes this app's HTTP server: the
        next request reaches it. This app's background work then stops (its worker finishes
        what is in flight) before the successor's starts, so no row is worked by both."""
        successor.http.state.patience = self.http.state.patience
        successor._server, successor._thread, successor.port = self._server, self._thread, self.port
        successor._switch = self._switch
        if self._switch is not None:
            self._switch.app = successor.http
        self._server = self._thread = self._switch = None
        self.stop()
        successor.start_workers()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        # Background.stop, and the dispatcher and refresher whoever started them (a test may
        # start one alone); each stop is a no-op when there is nothing to stop.
        background = self._background or Background(self.services)
        background.stop()
        if self.worker is not None:
            self.worker.stop()
        self.services.db.dispose()


def create_app(
    settings: Settings,
    config: Config,
    *,
    clock: Clock | None = None,
    retry: RetryPolicy | None = None,
    verify_token: bool = True,
    migrate: bool = True,
    socket_mode: bool = False,
    worker: DeliveryWorker | None = None,
) -> LeadbotApp:
    """`socket_mode`: Slack reaches leadbot over its websocket, so `/slack/events` is not
    served; nor is it without a signing secret (a request could be signed with an empty key)."""
    wake = worker.wake if worker is not None else None
    services = create_services(settings, config, clock, retry, wake)
    if migrate:
        services.db.upgrade()
    bolt = create_bolt_app(services, verify_token=verify_token)
    slack_events = not socket_mode and bool(settings.slack_signing_secret)
    http = create_http_app(services, bolt, slack_events=slack_events)
    if worker is not None:
        http.state.worker = worker  # /readyz: not ready while the worker is down; /metrics
    return LeadbotApp(services=services, bolt=bolt, http=http, worker=worker)
