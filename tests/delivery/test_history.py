"""delivery.history: one read of a channel answers for every row whose earlier attempts had all
stopped before it began (`Send.unsure_since`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.delivery.history import EVENT_TYPE, History
from bot.delivery.outbox import DeliveryError, RenderedMessage
from bot.delivery.plan import Send
from tests.strategies import json_values

CREATED = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def send(row_id: int, lead_id: int | None = 7) -> Send:
    rendered = RenderedMessage(text="t", blocks=[], lead_version=1)
    return Send(row_id, "post_card", rendered, "C1", None, "channel", None, lead_id, None,
                maybe_sent=True, created_at=CREATED)  # fmt: skip


def message(ts: str, row_id: object, lead_id: object = 7, event: str = EVENT_TYPE) -> dict:
    payload = {"outbox_id": row_id, "lead_id": lead_id}
    return {"ts": ts, "metadata": {"event_type": event, "event_payload": payload}}


class Channel:
    """conversations.history over a list of messages, two to a page, counting reads."""

    def __init__(self, messages: list[dict[str, Any]], fail: DeliveryError | None = None):
        self.messages, self.fail, self.pages = messages, fail, 0

    async def read_page(self, args: dict[str, Any]) -> dict[str, Any]:
        self.pages += 1
        await asyncio.sleep(0.01)  # concurrent lookups arrive while the read is under way
        if self.fail is not None:
            raise self.fail
        start = int(args.get("cursor") or 0)
        more = start + 2 < len(self.messages)
        return {
            "messages": self.messages[start : start + 2],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + 2) if more else ""},
        }


def test_rows_unsure_since_before_a_read_share_it() -> None:
    channel = Channel([message("1.1", 1), message("1.2", 2, event="other"), message("1.3", 3),
                       message("1.4", 4, lead_id=8), message("1.5", "5")])  # fmt: skip
    history = History(channel.read_page)
    rows = [send(n) for n in (1, 2, 3, 4, 5)]

    async def look() -> list[str | None]:
        return list(await asyncio.gather(*(history.find_posted(r, "C1") for r in rows)))

    assert asyncio.run(look()) == ["1.1", None, "1.3", None, None]
    assert channel.pages == 3  # one read of the whole channel, three pages


def test_a_row_unsure_since_after_a_read_began_reads_again() -> None:
    """Its earlier attempt may have posted after the first read looked."""
    channel = Channel([message("1.1", 1)])
    history = History(channel.read_page)
    first = send(1)

    async def look() -> tuple[str | None, str | None]:
        found = await history.find_posted(first, "C1")
        channel.messages.append(message("1.2", 2))
        return found, await history.find_posted(send(2), "C1")

    assert asyncio.run(look()) == ("1.1", "1.2")
    assert channel.pages == 2


def test_a_failed_read_fails_every_row_waiting_on_it() -> None:
    history = History(Channel([], fail=DeliveryError("ratelimited", retry_after=3)).read_page)

    async def look() -> list[object]:
        lookups = (history.find_posted(send(n), "C1") for n in (1, 2))
        return list(await asyncio.gather(*lookups, return_exceptions=True))

    errors = asyncio.run(look())
    assert [getattr(e, "error", None) for e in errors] == ["ratelimited", "ratelimited"]


@pytest.mark.parametrize(
    "metadata",
    [None, "x", {"event_type": EVENT_TYPE}, {"event_type": EVENT_TYPE, "event_payload": [1]}],
)
def test_posts_without_leadbots_metadata_name_no_row(metadata: object) -> None:
    channel = Channel([{"ts": "1.1", "metadata": metadata}, message("1.2", 1)])
    assert asyncio.run(History(channel.read_page).find_posted(send(1), "C1")) == "1.2"


@given(st.lists(json_values, max_size=6))
def test_any_metadata_in_a_channel_names_no_row_but_leadbots(metadata: list[object]) -> None:
    """Whatever other apps (or a damaged post) put in metadata, the read neither fails nor
    mistakes it for this row's post."""
    assume(not any(isinstance(m, dict) and m.get("outbox_id") == 1 for m in metadata))
    messages = [{"ts": f"1.{n}", "metadata": m} for n, m in enumerate(metadata)]
    messages += [{"ts": "2.0", "metadata": {"event_type": EVENT_TYPE, "event_payload": m}}
                 for m in metadata]  # fmt: skip
    history = History(Channel(messages).read_page)
    assert asyncio.run(history.find_posted(send(1), "C1")) is None
