"""Making the Slack call a `Send` asks for (asynchronously, many in flight on kept-alive
connections), and reading Slack's answer as a retry decision.

Every post carries Slack message metadata naming its outbox row, because chat.postMessage has no
idempotency key: a row that may have been posted already (its sender died, or the answer was
lost) is looked up in the channel's recent history first, and posted only if it is not there
(history.py).

DM copies are addressed to a user; Slack needs the DM channel id, which `conversations.open`
gives (Tier 3), so it is remembered in memory and in `dm_channels`.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bot.delivery.history import EVENT_TYPE, History
from bot.delivery.outbox import PERMANENT_ERRORS, DeliveryError
from bot.delivery.pacing import Pacer
from bot.delivery.plan import Send
from bot.vocabulary import CopyKind
from storage.db import Database
from storage.models import DmChannel

log = logging.getLogger(__name__)
FILE_METHODS = ("files.getUploadURLExternal", "files.completeUploadExternal")
CLIENT_METHODS = {
    "chat.postMessage": "chat_postMessage",
    "chat.update": "chat_update",
    "conversations.open": "conversations_open",
    "conversations.history": "conversations_history",
}


@dataclass(frozen=True)
class Sent:
    channel: str  # the channel id the message is in (a DM's resolved id)
    ts: str
    found: bool = False  # it was already in Slack: found in history, not posted again


class SlackSender:
    def __init__(self, db: Database, client: AsyncWebClient, pacer: Pacer) -> None:
        self.db = db
        self.client = client
        self.pacer = pacer
        self._dm_cache: dict[str, str] = {}
        self._opening: dict[str, asyncio.Lock] = {}
        self.history = History(lambda args: self._call("conversations.history", None, args))

    def direct(self, send: Send) -> bool:
        """True when the call needs no other call first (a DM to open, a history to read): its
        moment can be booked in the pace ahead of time. Otherwise the first call would push
        the booked one late, bunching it with the next, and Slack would answer 429."""
        if send.ts is not None:
            return True
        known = send.copy_kind != CopyKind.DM or send.channel in self._dm_cache
        return known and not send.maybe_sent

    async def send(self, send: Send, *, booked: bool = False) -> Sent:
        """One chat.postMessage or chat.update; a DeliveryError names the channel it was for.
        `booked`: the dispatcher already booked this call's moment in the pace."""
        channel = send.channel
        try:
            if send.ts is not None:
                args = self._update_args(send)
                await self._call("chat.update", send.lane, args, booked=booked)
                return Sent(channel, send.ts)
            channel = await self._resolve_channel(send.copy_kind, send.channel)
            if send.file is not None:
                return await self._share_file(send, channel)
            if send.looked_up_first:
                found = await self.history.find_posted(send, channel)
                if found is not None:
                    return Sent(channel, found, found=True)
            args = self._post_args(send, channel)
            response = await self._call("chat.postMessage", send.lane, args, booked=booked)
            return Sent(channel, str(response.get("ts")))
        except DeliveryError as err:
            err.channel = channel
            raise

    async def _share_file(self, send: Send, channel: str) -> Sent:
        """Slack's three-step upload (files_upload_v2), shared into `channel`. A file has no
        metadata to look for in history, so one that may have been shared is not sent again:
        at most once (a missing chart is better than two)."""
        assert send.file is not None
        if send.maybe_sent:
            log.warning("outbox row %s: a file that may have been shared already is not sent "
                        "again (at most once)", send.row_id)  # fmt: skip
            return Sent(channel, "", found=True)
        wait = max(self.pacer.reserve(m, None) for m in FILE_METHODS)
        await asyncio.sleep(wait)
        content = base64.b64decode(send.file.get("png", ""))
        await _guarded(lambda: self.client.files_upload_v2(
            channel=channel, content=content, filename=send.file.get("name") or "chart.png",
            title=send.file.get("title") or send.rendered.text,
        ))  # fmt: skip
        return Sent(channel, "")

    def _post_args(self, send: Send, channel: str) -> dict[str, Any]:
        payload = {"outbox_id": send.row_id, "lead_id": send.lead_id}
        return {
            "channel": channel,
            "text": send.rendered.text,
            "blocks": send.rendered.blocks,
            "metadata": {"event_type": EVENT_TYPE, "event_payload": payload},
        }

    def _update_args(self, send: Send) -> dict[str, Any]:
        return {
            "channel": send.channel,
            "ts": send.ts,
            "text": send.rendered.text,
            "blocks": send.rendered.blocks,
        }

    async def _call(
        self, method: str, lane: str | None, args: dict[str, Any], *, booked: bool = False
    ) -> AsyncSlackResponse:
        if not booked:
            await asyncio.sleep(self.pacer.reserve(method, lane))
        spacing = self.pacer.gap(method, lane)
        if spacing:
            await asyncio.sleep(spacing)
        try:
            # The SDK's own method for each: it encodes the arguments as Slack expects them
            # (JSON for chat.*, a form or query for conversations.*).
            call = getattr(self.client, CLIENT_METHODS[method])
            return await _guarded(lambda: call(**args))
        except DeliveryError as err:
            if err.retry_after is not None:
                self.pacer.hold(method, lane, err.retry_after)
            raise

    async def _resolve_channel(self, copy_kind: str, target: str) -> str:
        if copy_kind != CopyKind.DM:
            return target
        if target in self._dm_cache:
            return self._dm_cache[target]
        # A burst sends many cards to one rep at once: one of them opens the DM, the others
        # wait for it (conversations.open is Tier 3, about 50 a minute).
        lock = self._opening.setdefault(target, asyncio.Lock())
        async with lock:
            if target not in self._dm_cache:
                self._dm_cache[target] = await self._open_dm(target)
        return self._dm_cache[target]

    async def _open_dm(self, target: str) -> str:
        cached = await asyncio.to_thread(self._stored_dm, target)
        if cached is None:
            response = await self._call("conversations.open", None, {"users": target})
            cached = str(response["channel"]["id"])
            await asyncio.to_thread(self._store_dm, target, cached)
        return cached

    async def load_known_dms(self) -> None:
        """The DM channels stored (one per person leadbot ever sent a card), so a restarted
        sender's first card to each rep needs no database hop, and the cards waiting for a
        history read reach it in the order they started (sending.start_order). A database
        that cannot answer now leaves them to be looked up one by one, as before."""
        try:
            known = await asyncio.to_thread(self._stored_dms)
        except SQLAlchemyError:
            return
        for user_id, channel_id in known:
            self._dm_cache.setdefault(user_id, channel_id)

    def _stored_dms(self) -> list[tuple[str, str]]:
        with self.db.read() as session:
            rows = session.execute(select(DmChannel.user_id, DmChannel.channel_id)).all()
            return [(user_id, channel_id) for user_id, channel_id in rows]

    def _stored_dm(self, user_id: str) -> str | None:
        with self.db.read() as session:
            found = session.get(DmChannel, user_id)
            return found.channel_id if found else None

    def _store_dm(self, user_id: str, channel_id: str) -> None:
        # An upsert: another sender (or instance) may have opened this DM meanwhile, and a
        # read-then-insert would then fail its whole send.
        remember = self.db.insert(DmChannel).values(user_id=user_id, channel_id=channel_id)
        with self.db.write() as session:
            session.execute(
                remember.on_conflict_do_update(
                    index_elements=[DmChannel.user_id], set_={"channel_id": channel_id}
                )
            )


async def _guarded(call: Callable[[], Awaitable[AsyncSlackResponse]]) -> AsyncSlackResponse:
    """Every failure of a Slack call as a DeliveryError (connection refused, timeouts, garbage
    from a proxy included): the dispatcher decides between retry and give up."""
    try:
        return await call()
    except SlackApiError as err:
        raise delivery_error(err) from err
    except aiohttp.ClientConnectorError as err:  # never connected: nothing reached Slack
        raise DeliveryError(f"{type(err.os_error).__name__}: {err}"[:300]) from err
    except Exception as err:  # no answer: the request may have reached Slack
        error = f"{type(err).__name__}: {err}"[:300]
        raise DeliveryError(error, maybe_sent=True) from err


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
        retry_after = _seconds(header)
        error = "ratelimited"
    return DeliveryError(
        error,
        retry_after=retry_after,
        permanent=error in PERMANENT_ERRORS,
        maybe_sent=status >= 500,
    )


def _seconds(header: object) -> float:
    """Retry-After as Slack sends it (whole seconds); anything else is read as one second."""
    try:
        value = float(str(header))
    except ValueError:
        return 1.0
    return min(max(value, 0.0), 3600.0) if math.isfinite(value) else 1.0
