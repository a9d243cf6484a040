"""Socket Mode: Slack's websocket to leadbot, noticed dead within seconds and reopened.

slack_sdk's aiohttp client runs on an event loop of its own thread. aiohttp pings every
`PING_INTERVAL` seconds of silence and gives the connection up when no pong comes within half of
that, so a connection that died without a word (a lost route, a NAT entry gone, a proxy that
crashed) is noticed in a few seconds, at no CPU cost while waiting. The built-in client it
replaces took about a minute to notice (its stale check waits 4 pings of 10 s) and spun a core,
logging an ERROR every 10 s, when the stream ended without a close frame (bench/socket_bench.py).

Bolt's dispatch is sync and never runs on the event loop (docs/architecture.md: a listener may
wait on the database): each envelope goes to a worker thread, and its ack goes back over the
socket once Bolt has one. A drop logs one WARNING; the connection coming back logs one INFO.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("leadbot.socket_mode")
# Seconds of silence before a ping; no pong within half of it and the connection is given up.
# Slack answers pings in well under a second; 2 s notices a dead connection in 2-5 s.
PING_INTERVAL = 2.0
CONNECT_TIMEOUT = 30.0  # for the first connection, when `leadbot serve` starts
_BACKOFF_CAP = 30.0  # seconds between attempts while Slack cannot be reached
_GOODBYE = 2.0  # seconds to wait for Slack's answer to our close frame at shutdown


class _Client(SocketModeClient):
    """slack_sdk's aiohttp client, saying once that the connection was lost (not an ERROR every
    few seconds while Slack cannot be reached) and backing off between attempts meanwhile:
    `apps.connections.open` is a Tier 1 method."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lost_at: float | None = None  # when the connection was found gone; None: it is up
        self._failures = 0
        self._retry_at = 0.0

    async def issue_new_wss_url(self) -> str:
        # The SDK's own logs an ERROR for every refusal, and it is asked again and again while
        # Slack is down; a refusal here is handled (and said once) by connect_to_new_endpoint.
        response = await self.web_client.apps_connections_open(app_token=self.app_token)
        return str(response["url"])

    async def connect_to_new_endpoint(self, force: bool = False) -> None:
        # force: Slack sent `disconnect` to rotate the connection (routine, every few hours).
        # Otherwise the SDK found the connection closed, or silent for too long.
        if force:
            log.info("Slack is rotating the Socket Mode connection: reconnecting")
        elif self.lost_at is None and not self.closed:
            self.lost_at = time.monotonic()
            log.warning("Socket Mode connection to Slack lost: reconnecting")
        if not force and time.monotonic() < self._retry_at:
            return  # the SDK's monitor calls again every ping interval
        try:
            await super().connect_to_new_endpoint(force)
        except Exception as err:  # Slack or the network is down: the monitor tries again
            self._failures += 1
            pause = _pause_after(err, self._failures)
            self._retry_at = time.monotonic() + pause
            level = logging.ERROR if self._failures == 1 and _refused(err) else logging.INFO
            log.log(level, "cannot reopen Socket Mode (%s): next try in %.0f s", _why(err), pause)
        else:
            self._failures, self._retry_at = 0, 0.0


class SocketMode:
    """leadbot's Socket Mode connection: `connect()` once, `close()` at shutdown."""

    def __init__(
        self,
        bolt: App,
        app_token: str,
        api_url: str,
        *,
        ping_interval: float = PING_INTERVAL,
        workers: int = 10,
    ) -> None:
        self._bolt = bolt
        self._app_token = app_token
        self._api_url = api_url
        self._ping_interval = ping_interval
        self._workers = ThreadPoolExecutor(workers, thread_name_prefix="leadbot-socket-dispatch")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="leadbot-socket-mode", daemon=True
        )
        self._client: _Client | None = None

    def use(self, bolt: App) -> None:
        """Events from now on go to `bolt` (built from a reloaded leadbot.yml); the connection
        stays open, so nothing Slack sends meanwhile is missed."""
        self._bolt = bolt

    def connect(self, timeout: float = CONNECT_TIMEOUT) -> None:
        """Open the first connection. Raises SlackApiError when Slack refuses the app token,
        aiohttp.ClientError when Slack cannot be reached, TimeoutError after `timeout`."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._connect(), self._loop)
        try:
            future.result(timeout)
        except BaseException:
            future.cancel()
            self.close()
            raise

    def close(self) -> None:
        """Close the connection, stop the loop and its thread; safe to call twice."""
        if self._loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            try:
                future.result(10)
            except (TimeoutError, asyncio.CancelledError):
                log.info("Socket Mode did not close in time; leaving it to the exit")
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        if not self._loop.is_running():
            self._loop.close()
        self._workers.shutdown(wait=False, cancel_futures=True)

    async def _connect(self) -> None:
        sdk_log = logging.getLogger("leadbot.socket_mode.sdk")
        if sdk_log.level == logging.NOTSET:
            # Its INFO lines repeat every ping interval while Slack is away; leadbot's own lines
            # (lost, cannot reopen, reconnected) say it once. Its warnings and errors stay.
            sdk_log.setLevel(logging.WARNING)
        web = AsyncWebClient(base_url=self._api_url, timeout=10)
        client = _Client(
            app_token=self._app_token,
            logger=sdk_log,
            web_client=web,
            ping_interval=self._ping_interval,
        )
        self._client = client
        client.socket_mode_request_listeners.append(self._dispatch)
        client.message_listeners.append(self._on_message)
        # Asked here rather than inside connect(), which retries forever: a refused token must
        # fail `leadbot serve` at once, with serve.py's one line.
        client.wss_uri = await client.issue_new_wss_url()
        await client.connect()

    async def _dispatch(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        started = time.time()
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(self._workers, run_bolt_app, self._bolt, req)
        await send_async_response(client, req, response, started)

    async def _on_message(
        self, client: AsyncBaseSocketModeClient, message: dict[str, Any], _raw: str | None
    ) -> None:
        if message.get("type") != "hello" or self._client is None:
            return
        lost_at, self._client.lost_at = self._client.lost_at, None
        if lost_at is not None:
            waited = time.monotonic() - lost_at
            log.info("reconnected to Slack in Socket Mode, %.1f s after the loss", waited)

    async def _shutdown(self) -> None:
        client = self._client
        if client is not None:
            try:  # Slack answers a close frame at once; a dead connection never does
                await asyncio.wait_for(client.close(), _GOODBYE)
            except Exception as err:  # stop anyway, and release what close() did not reach
                log.info("Socket Mode closed without Slack's goodbye (%s)", _why(err))
                await client.aiohttp_client_session.close()
        current = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)


def _pause_after(err: BaseException, failures: int) -> float:
    """Seconds to wait before the next attempt: doubling up to a cap, or Slack's Retry-After."""
    pause = min(PING_INTERVAL * 2**failures, _BACKOFF_CAP)
    if isinstance(err, SlackApiError) and err.response.status_code == 429:
        pause = max(pause, float(err.response.headers.get("Retry-After", pause)))
    return pause


def _refused(err: BaseException) -> bool:
    """Slack answered, and no: a token revoked or disabled needs a person, not patience."""
    return isinstance(err, SlackApiError) and err.response.status_code == 200


def _why(err: BaseException) -> str:
    if isinstance(err, SlackApiError):
        return str(err.response.get("error") or f"HTTP {err.response.status_code}")
    return str(err) or type(err).__name__
