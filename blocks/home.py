"""App Home and `/leads mine`: a rep's open leads, drawn by the same card builder."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock
from slack_sdk.models.views import View

from blocks.card import CardView, lead_card

# Each card is at most 9 blocks; keep well inside the 100-block view and 50-block message limits.
MAX_CARDS_IN_VIEW = 10
MAX_CARDS_IN_MESSAGE = 5


def my_leads_blocks(
    cards: Sequence[CardView], now: datetime, limit: int, total: int | None = None
) -> list[Block]:
    if not cards:
        return [SectionBlock(text="Nothing waiting for you right now. Nice work! 🎉")]
    blocks: list[Block] = []
    for card in cards[:limit]:
        blocks.extend(lead_card(card, now))
        blocks.append(DividerBlock())
    more = (total if total is not None else len(cards)) - min(len(cards), limit)
    if more > 0:
        blocks.append(ContextBlock(elements=[f"…and {more} more waiting: the oldest are shown."]))
    return blocks


def home_view(cards: Sequence[CardView], now: datetime, total: int) -> View:
    header: list[Block] = [HeaderBlock(text="Your open leads")]
    blocks = my_leads_blocks(cards, now, MAX_CARDS_IN_VIEW, total)
    return View(type="home", blocks=header + blocks)
