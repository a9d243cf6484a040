"""A burst summary: many new leads in one channel post, when posting each card would take longer
than the channel's pace allows (bot/delivery/summaries.py). Queue leads keep a Claim button."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import Block, ButtonElement, SectionBlock

from blocks import ids
from blocks.mrkdwn import escape_truncated, truncate_mrkdwn, user

# Nothing in it can end the mrkdwn link it goes in.
_LINK = re.compile(r"https://[A-Za-z0-9./-]+")
MAX_LEADS = 45  # one section each and a header: under Slack's 50 blocks a message
NAME_LIMIT, COMPANY_LIMIT = 120, 120


def summary_blocks(header: str, items: Sequence[Mapping[str, Any]]) -> list[Block]:
    """`header` is leadbot's own mrkdwn; every item's strings come from leads and are escaped.
    At most MAX_LEADS leads: a longer burst is split over several posts."""
    blocks: list[Block] = [SectionBlock(text=truncate_mrkdwn(header, 2900))]
    blocks += [_lead_line(item) for item in items[:MAX_LEADS]]
    return blocks


def _lead_line(item: Mapping[str, Any]) -> SectionBlock:
    lead_id = int(item["lead_id"])
    name = escape_truncated(str(item.get("name") or "(no name)"), NAME_LIMIT)
    company = item.get("company")
    where = f" · {escape_truncated(str(company), COMPANY_LIMIT)}" if company else ""
    tier = escape_truncated(str(item.get("tier") or ""), 40)
    owner = item.get("owner")
    who = f"→ {user(str(owner))}" if owner else "in the queue"
    card = item.get("card")  # a link leadbot built from Slack's ids (bot/delivery/permalinks.py)
    link = (
        f" · <{card}|open card>"
        if owner and isinstance(card, str) and _LINK.fullmatch(card)
        else ""
    )
    text = f"*{name}*{where} · {tier} · #{lead_id} {who}{link}"
    if owner:
        return SectionBlock(text=text)
    claim = ButtonElement(text="Claim", action_id=ids.CLAIM, value=str(lead_id), style="primary")
    return SectionBlock(text=text, accessory=claim)
