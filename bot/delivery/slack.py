"""Making the Slack call a `Send` asks for, and reading Slack's answer as a retry decision.

DM copies are addressed to a user; Slack needs the DM channel id, which `conversations.open`
gives (Tier 3), so it is remembered in memory and in `dm_channels`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.delivery.outbox import PERMANENT_ERRORS, DeliveryError
from bot.delivery.plan import Send
from bot.vocabulary import CopyKind
from storage.db import Database
from storage.models import DmChannel


@dataclass(frozen=True)
class Sent:
    channel: str  # the channel id the message is in (a DM's resolved id)
    ts: str


class SlackSender:
    def __init__(self, db: Database, client: WebClient) -> None:
        self.db = db
        self.client = client
        self._dm_cache: dict[str, str] = {}

    def send(self, send: Send) -> Sent:
        """One chat.postMessage or chat.update; a DeliveryError names the channel it was for."""
        channel = send.channel
        try:
            if send.ts is None:
                channel = self._resolve_channel(send.copy_kind, send.channel)
                return Sent(channel, self._call("chat_postMessage", send, channel))
            return Sent(channel, self._call("chat_update", send, channel))
        except DeliveryError as err:
            err.channel = channel
            raise

    def _call(self, method: str, send: Send, channel: str) -> str:
        kwargs = {"channel": channel, "text": send.rendered.text, "blocks": send.rendered.blocks}
        if send.ts is not None:
            kwargs["ts"] = send.ts
        response = _guarded(lambda: getattr(self.client, method)(**kwargs))
        return str(response.get("ts") or send.ts)

    def _resolve_channel(self, copy_kind: str, target: str) -> str:
        if copy_kind != CopyKind.DM:
            return target
        if target in self._dm_cache:
            return self._dm_cache[target]
        with self.db.read() as session:
            cached = session.get(DmChannel, target)
            if cached:
                self._dm_cache[target] = cached.channel_id
                return cached.channel_id
        response = _guarded(lambda: self.client.conversations_open(users=target))
        channel_id = str(response["channel"]["id"])
        # An upsert: another sender (or instance) may have opened this DM meanwhile, and a
        # read-then-insert would then fail its whole send.
        remember = self.db.insert(DmChannel).values(user_id=target, channel_id=channel_id)
        with self.db.write() as session:
            session.execute(
                remember.on_conflict_do_update(
                    index_elements=[DmChannel.user_id], set_={"channel_id": channel_id}
                )
            )
        self._dm_cache[target] = channel_id
        return channel_id


def _guarded(call: Callable[[], SlackResponse]) -> SlackResponse:
    """Every failure of a Slack call as a DeliveryError (connection refused, timeouts, garbage
    from a proxy included): the dispatcher decides between retry and give up."""
    try:
        return call()
    except SlackApiError as err:
        raise delivery_error(err) from err
    except Exception as err:
        raise DeliveryError(f"{type(err).__name__}: {err}"[:300]) from err


def delivery_error(err: SlackApiError) -> DeliveryError:
    """Slack's answer as a retry decision: outage (5xx), 429 with Retry-After, or permanent."""
    response = err.response
    status = getattr(response, "status_code", 200)
    error = str(response.get("error") if hasattr(response, "get") else "") or f"http_{status}"
    retry_after: float | None = None
    if status >= 500:
        error = f"http_{status}"  # an outage page, not a Slack error code
    if status == 429:
        headers = response.headers or {}
        header = headers.get("Retry-After") or headers.get("retry-after")
        retry_after = float(header) if header else 1.0
        error = "ratelimited"
    return DeliveryError(error, retry_after=retry_after, permanent=error in PERMANENT_ERRORS)
