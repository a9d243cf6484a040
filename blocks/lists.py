"""Lists of leads (`/leads mine`, `/leads queue`, the App Home): one compact row per lead with
the card's own buttons, paged so a message never passes Slack's 50 blocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)

from blocks import ids
from blocks.card import TIER_BADGES, CardView, lead_buttons
from blocks.mrkdwn import date, literal_truncated, user
from bot.durations import format_duration
from bot.vocabulary import LeadStatus, outcome_label

BLOCKS_PER_ROW = 3  # section, buttons, divider
# 15 rows (45 blocks) + a title and two paging blocks stay under the 50-block message limit.
ROWS_PER_MESSAGE = 15


@dataclass(frozen=True)
class ListPage:
    """Page `number` (1-based) of `size` rows out of `total`, for the list called `name`."""

    name: str
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def place_of(block_id: str) -> tuple[str, int] | None:
    """The list and page a row's buttons were drawn in ("lead_card:42:mine.2"), if any."""
    _, _, place = block_id.partition(":")[2].partition(":")
    name, _, number = place.partition(".")
    digits = number.isascii() and number.isdigit() and len(number) < 10
    return (name, int(number)) if name and digits else None


def clamp_page(name: str, number: int, size: int, total: int) -> ListPage:
    """A page that exists: a stale "Next" on a list that shrank lands on its last page."""
    last = max(1, -(-total // size))
    return ListPage(name, min(max(number, 1), last), size, total)


def lead_row(card: CardView, now: datetime, place: str | None = None) -> list[Block]:
    """`place` ("mine.2": the list and page) rides in the buttons' block id, so a click can
    redraw the list it came from."""
    name = literal_truncated(card.name or card.email or card.phone or "Unnamed lead", 200)
    company = f" · {literal_truncated(card.company, 200)}" if card.company else ""
    text = f"*{name}*{company}  (#{card.lead_id})\n{row_status(card, now)}"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    buttons = lead_buttons(card)
    if buttons:
        block_id = f"{ids.LEAD_BLOCK_PREFIX}:{card.lead_id}" + (f":{place}" if place else "")
        blocks.append(ActionsBlock(block_id=block_id, elements=buttons))
    blocks.append(DividerBlock())
    return blocks


def row_status(card: CardView, now: datetime) -> str:
    """Tier, source, age and where the lead stands: "🔥 Hot · webform · arrived 2h ago · …"."""
    tier = TIER_BADGES.get(card.tier, card.tier.title())
    source = literal_truncated(card.source, 200)
    age = format_duration(now - card.received_at)
    parts = [tier, source, f"arrived {age} ago", _standing(card, now)]
    return " · ".join(part for part in parts if part)


def _standing(card: CardView, now: datetime) -> str:
    if card.status == LeadStatus.CLAIMED:
        if card.last_contact_outcome:
            return f"✅ claimed · {outcome_label(card.last_contact_outcome)}"
        return "✅ claimed · 📞 no contact logged yet"
    if card.status == LeadStatus.CLOSED:
        return f"closed: {outcome_label(card.last_contact_outcome) or 'closed'}"
    parts: list[str] = []
    if card.sla_due_at is not None:
        left = card.sla_due_at - now
        if left.total_seconds() >= 0:
            parts.append(f"⏳ SLA in {format_duration(left)}")
        else:
            parts.append(f"⚠️ SLA breached {format_duration(-left)} ago")
    if card.snoozed_until and card.snoozed_until > now:
        until = date(card.snoozed_until, "{time}", card.snoozed_until.strftime("%H:%M UTC"))
        parts.append(f"💤 until {until}")
    if card.status == LeadStatus.QUEUED:
        parts.append("📥 in the shared queue")
    elif card.owner_id and card.recipient != card.owner_id:
        parts.append(f"with {user(card.owner_id)}")
    return " · ".join(parts)


def list_blocks(
    title: str, empty: str, cards: Sequence[CardView], page: ListPage, now: datetime
) -> list[Block]:
    """A titled page of rows, with Previous/Next when there is more than one page."""
    if page.total == 0:
        return [SectionBlock(text=MarkdownTextObject(text=empty))]
    first = page.offset + 1
    last = page.offset + len(cards)
    header = f"*{title}*: {page.total} lead{'s' if page.total != 1 else ''}, oldest first"
    if page.pages > 1:
        header += f" (showing {first}–{last}, page {page.number} of {page.pages})"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=header))]
    for card in cards:
        blocks.extend(lead_row(card, now, f"{page.name}.{page.number}"))
    blocks.extend(paging_blocks(page))
    return blocks


def paging_blocks(page: ListPage) -> list[Block]:
    if page.pages <= 1:
        return []
    buttons: list[ButtonElement] = []
    if page.number > 1:
        value = f"{page.name}:{page.number - 1}"
        buttons.append(ButtonElement(text="‹ Previous", action_id=ids.PAGE_PREVIOUS, value=value))
    if page.number < page.pages:
        value = f"{page.name}:{page.number + 1}"
        buttons.append(ButtonElement(text="Next ›", action_id=ids.PAGE_NEXT, value=value))
    return [ActionsBlock(block_id=f"list_pages:{page.name}", elements=buttons)]


def more_line(shown: int, total: int, command: str) -> list[Block]:
    """Under a shortened list (the App Home): how many are not shown, and where to see them."""
    if total <= shown:
        return []
    text = f"…and {total - shown} more: `{command}` lists them all."
    return [ContextBlock(elements=[MarkdownTextObject(text=text)])]
