"""Telling the admins in Slack that delivery itself has stopped.

Every other alert goes through the outbox. This one cannot: it is about the process that sends
the outbox (the delivery worker, bot/worker/). So the HTTP process posts it directly, with a
client of its own and a short timeout, to `Config.alert_targets()`. A log line alone is read by
nobody at 3 a.m.; a silent outage is exactly what leadbot exists to prevent.

A worker that keeps dying must not flood the channel: one "down" an hour at most, each saying
how many restarts there were since the last one, and one "running again" after an announced
"down", once the new worker has lived a while.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config.schema import Config
from bot.settings import Settings
from bot.vocabulary import CopyKind

log = logging.getLogger(__name__)
# The SDK logs a failed request at ERROR with its own words; `_send` says it once, as a warning
# naming whom leadbot could not tell (the outage itself is already an ERROR of the watcher's).
_sdk_log = logging.getLogger(f"{__name__}.sdk")
_sdk_log.setLevel(logging.CRITICAL)

EVERY = 3600.0  # seconds between two "down" messages
TIMEOUT = 5  # seconds per Slack call: the watcher must not hang on an unreachable Slack


class WorkerAlarm:
    def __init__(
        self,
        client: WebClient,
        config: Config,
        *,
        every: float = EVERY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client, self.config, self.every, self.monotonic = client, config, every, monotonic
        self._last_down: float | None = None
        self._deaths = 0  # since the last "down" message
        self._announced = False  # a "down" went out and no "running again" since
        # One thread, started at the first message: the watcher restarts the worker meanwhile,
        # whatever Slack does, and the messages keep their order.
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadbot-alarm")

    @classmethod
    def for_settings(cls, settings: Settings, config: Config) -> WorkerAlarm:
        client = WebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            timeout=TIMEOUT,
            logger=_sdk_log,
        )
        return cls(client, config)

    def down(self, exitcode: int | None, restart_in: float) -> bool:
        """The worker died. True: the admins are being told (else it is too soon again)."""
        self._deaths += 1
        now = self.monotonic()
        if self._last_down is not None and now - self._last_down < self.every:
            return False
        deaths, self._deaths, self._last_down, self._announced = self._deaths, 0, now, True
        again = f" ({deaths} times since the last message)" if deaths > 1 else ""
        self._post(
            f"🚨 leadbot's delivery worker stopped (exit code {exitcode}){again}. "
            "Leads are still received and stored, but no card, reminder or alert goes out "
            f"until it runs again; leadbot restarts it in {restart_in:.1f} s. "
            "If this repeats, read the server's log."
        )
        return True

    def up(self) -> bool:
        """A restarted worker has stayed up. True: the admins are being told it recovered."""
        if not self._announced:
            return False
        self._announced = False
        self._post(
            "✅ leadbot's delivery worker is running again: the cards and reminders that "
            "waited are going out now."
        )
        return True

    def _post(self, text: str) -> None:
        self._sender.submit(self._send, self.config.alert_targets(), text)

    def _send(self, targets: list[tuple[CopyKind, str]], text: str) -> None:
        for kind, target in targets:
            try:
                channel = target
                if kind is CopyKind.DM:
                    opened = self.client.conversations_open(users=target)
                    channel = opened["channel"]["id"]
                self.client.chat_postMessage(channel=channel, text=text)
            except (SlackApiError, SlackClientError, OSError) as err:
                reason = err.response.get("error") if isinstance(err, SlackApiError) else err
                log.warning("could not tell %s that delivery stopped: %s", target, reason)
