"""Looking for posts that may have happened: a row whose earlier attempt may have reached Slack
(its sender died, or the answer was lost) is searched for in its channel's recent history by
the metadata every post carries (see slack.py), and posted only if it is not there.

After a crash many such rows wait in one channel at once (a burst's channel copies, a rep's DM
cards). conversations.history is Tier 3, about 50 calls a minute for the whole workspace, so one
read per row would hold recovery to that pace; one read of the channel answers for every row
whose earlier attempts had all stopped before the read began (Send.unsure_since: for a row a
stopped process leased, when this one started or took its rows over). A read that began earlier
cannot answer for a row: the row's post could have gone out after it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.delivery.plan import Send

EVENT_TYPE = "leadbot_outbox"
HISTORY_PAGES = 5  # 1,000 messages back: further than any retry can be behind
HISTORY_SLACK = 60.0  # seconds before the row was written: clocks differ a little
KEEP_READS = 120.0  # seconds a channel's read stays in memory for the rows it answers for

ReadPage = Callable[[dict[str, Any]], Awaitable[Any]]  # conversations.history, paced


@dataclass
class _Read:
    began: float  # time.monotonic()
    oldest: float  # the Unix time it read back to
    done: asyncio.Future[dict[tuple[int, int | None], str]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class History:
    def __init__(self, read_page: ReadPage) -> None:
        self._read_page = read_page
        self._reads: dict[str, _Read] = {}

    async def find_posted(self, send: Send, channel: str) -> str | None:
        """The ts of this row's post if Slack has it. Raises what the read raised."""
        oldest = send.created_at.timestamp() - HISTORY_SLACK if send.created_at else 0.0
        read = self._reads.get(channel)
        if read is None or read.began < send.unsure_since or read.oldest > oldest:
            read = self._start(channel, oldest)
        posted = await asyncio.shield(read.done)
        return posted.get((send.row_id, send.lead_id))

    def _start(self, channel: str, oldest: float) -> _Read:
        now = time.monotonic()
        for name, old in list(self._reads.items()):
            if now - old.began > KEEP_READS and old.done.done():
                del self._reads[name]
        read = self._reads[channel] = _Read(began=now, oldest=oldest)
        task = asyncio.ensure_future(self._read(channel, oldest))
        task.add_done_callback(lambda done: _settle(read.done, done))
        return read

    async def _read(self, channel: str, oldest: float) -> dict[tuple[int, int | None], str]:
        posted: dict[tuple[int, int | None], str] = {}
        cursor = None
        for _ in range(HISTORY_PAGES):
            args: dict[str, Any] = {
                "channel": channel,
                "oldest": f"{oldest:.6f}",
                "limit": 200,
                "include_all_metadata": True,
            }
            if cursor:
                args["cursor"] = cursor
            page = await self._read_page(args)
            for message in page.get("messages") or []:
                if (row := _row_named(message.get("metadata"))) is not None:
                    posted.setdefault(row, str(message.get("ts")))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                break
        return posted


def _settle(future: asyncio.Future[Any], task: asyncio.Future[Any]) -> None:
    if future.done():
        return
    if task.cancelled():
        future.cancel()
    elif (error := task.exception()) is not None:
        future.set_exception(error)
    else:
        future.set_result(task.result())


def _row_named(metadata: object) -> tuple[int, int | None] | None:
    """(outbox id, lead id) from a post's metadata, if leadbot wrote it."""
    if not isinstance(metadata, dict) or metadata.get("event_type") != EVENT_TYPE:
        return None
    payload = metadata.get("event_payload")
    if not isinstance(payload, dict):
        return None
    row_id, lead_id = payload.get("outbox_id"), payload.get("lead_id")
    if not isinstance(row_id, int) or not (lead_id is None or isinstance(lead_id, int)):
        return None
    return row_id, lead_id
