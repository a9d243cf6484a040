"""Reminder and escalation messages: the words come from templates, the buttons from state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock

from blocks import ids
from blocks.mrkdwn import truncate_mrkdwn
from blocks.summary import summary_blocks
from blocks.wire import wire

TEXT_LIMIT = 2900
EMPTY = "…"  # Slack refuses an empty section; a template may render nothing


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=truncate_mrkdwn(text, TEXT_LIMIT) if text.strip() else EMPTY)


def nudge_blocks(text: str, lead_id: int, *, offer_claim: bool, offer_snooze: bool) -> list[Block]:
    """`text` is mrkdwn already escaped by the template renderer."""
    blocks: list[Block] = [_section(text)]
    buttons = []
    value = str(lead_id)
    if offer_claim:
        buttons.append(
            ButtonElement(text="Claim", action_id=ids.CLAIM, value=value, style="primary")
        )
    if offer_snooze:
        buttons.append(ButtonElement(text="Snooze", action_id=ids.SNOOZE, value=value))
    if buttons:
        blocks.append(
            ActionsBlock(block_id=f"{ids.NUDGE_BLOCK_PREFIX}:{lead_id}", elements=buttons)
        )
    return blocks


def digest_blocks(header: str, lines: list[str]) -> list[Block]:
    """Several held reminders merged into one message at the end of quiet hours."""
    body = "\n".join(f"• {line}" for line in lines)
    return [_section(header), _section(body)]


def message_blocks(payload: Mapping[str, Any], lead_id: int | None) -> list[dict[str, Any]]:
    """An outbox message payload (`bot.delivery.outbox.enqueue_message`) drawn as blocks at
    send time."""
    if isinstance(payload.get("blocks"), list):  # drawn when it was queued (an agenda)
        return list(payload["blocks"])
    buttons = set(payload.get("buttons") or ())
    if payload.get("summary"):
        blocks = summary_blocks(str(payload["text"]), list(payload["summary"]))
    elif payload.get("lines"):
        blocks = digest_blocks(str(payload["text"]), list(payload["lines"]))
    elif lead_id is not None:
        blocks = nudge_blocks(
            str(payload["text"]),
            lead_id,
            offer_claim="claim" in buttons,
            offer_snooze="snooze" in buttons,
        )
    else:
        blocks = [_section(str(payload["text"]))]
    return wire(blocks)
