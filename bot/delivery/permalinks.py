"""Links from a burst summary's lines to each lead's card in its owner's DM (#11: "each with its
owner and a link to its DM card"), so the rep named in `#leads` opens the card and its buttons in
one click. Only that rep can open it: a DM is theirs and the bot's.

A message's permalink is the workspace's address, the channel and the message's `ts` without its
dot (`https://acme.slack.com/archives/D0123/p1700000000000100`), as `chat.getPermalink` answers.
Asking that method for each of a summary's 45 leads would be 45 calls queued behind the very
backlog the summary is there to cut; the address is asked once a process (`auth.test`), and the
links are built from the card copies already stored. Without an address (Slack did not answer),
a line keeps its owner and has no link: a summary is never held back for one.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.vocabulary import CopyKind
from storage.models import CardCopy

log = logging.getLogger(__name__)

RETRY_AFTER = 60.0  # seconds before asking auth.test again after it failed
# What goes into a link must not end it: Slack's ids and ts are plain, and the address is
# Slack's own, but a mrkdwn link `<url|text>` breaks on `|` or `>`, so each part is checked.
_ADDRESS = re.compile(r"https://[A-Za-z0-9.-]+/")
_CHANNEL = re.compile(r"[A-Z0-9]{2,32}")
_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")


def permalink(address: str, channel: str, ts: str) -> str | None:
    """The message's link, or None when a part is not what Slack gives."""
    if not (_ADDRESS.fullmatch(address) and _CHANNEL.fullmatch(channel) and _TS.fullmatch(ts)):
        return None
    return f"{address}archives/{channel}/p{ts.replace('.', '')}"


class Workspace:
    """The workspace's address from `auth.test`, asked once a process (and again a minute after
    a failure, not on every summary)."""

    def __init__(self, client: WebClient, monotonic: Callable[[], float] = time.monotonic):
        self.client, self.monotonic = client, monotonic
        self._lock = threading.Lock()
        self._address: str | None = None
        self._failed_at = -float("inf")

    def address(self) -> str | None:
        with self._lock:
            if self._address is None and self.monotonic() - self._failed_at >= RETRY_AFTER:
                self._address = self._ask()
                if self._address is None:
                    self._failed_at = self.monotonic()
            return self._address

    def _ask(self) -> str | None:
        try:
            url = self.client.auth_test().get("url")
        except Exception as err:  # any failure: the summary goes out without links
            log.warning("summary links: auth.test failed (%s); lines go without links",
                        type(err).__name__)  # fmt: skip
            return None
        address = str(url or "")
        address = address if address.endswith("/") else f"{address}/"
        return address if _ADDRESS.fullmatch(address) else None


def with_card_links(
    session: Session, items: Iterable[Mapping[str, Any]], address: str | None
) -> list[dict[str, Any]]:
    """The summary's items, each with `card`: the link to its card in its owner's DM, where
    that card is posted already (DM cards go before channel copies, so it mostly is)."""
    linked = [dict(item) for item in items]
    owned = {int(item["lead_id"]): item["owner"] for item in linked if item.get("owner")}
    if address is None or not owned:
        return linked
    copies = session.execute(
        select(CardCopy.lead_id, CardCopy.recipient, CardCopy.channel, CardCopy.ts).where(
            CardCopy.lead_id.in_(list(owned)), CardCopy.kind == CopyKind.DM
        )
    )
    links = {
        lead_id: permalink(address, channel, ts)
        for lead_id, recipient, channel, ts in copies
        if recipient == owned.get(lead_id)
    }
    for item in linked:
        link = links.get(int(item["lead_id"]))
        if link:
            item["card"] = link
    return linked
