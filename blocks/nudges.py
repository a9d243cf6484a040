"""Reminder and escalation messages: the words come from templates, the buttons from state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock

from blocks import ids

TEXT_LIMIT = 2900


def nudge_blocks(text: str, lead_id: int, *, offer_claim: bool, offer_snooze: bool) -> list[Block]:
    """`text` is mrkdwn already escaped by the template renderer."""
    blocks: list[Block] = [SectionBlock(text=text[:TEXT_LIMIT])]
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
    return [SectionBlock(text=header[:TEXT_LIMIT]), SectionBlock(text=body[:TEXT_LIMIT])]


def message_blocks(payload: Mapping[str, Any], lead_id: int | None) -> list[dict[str, Any]]:
    """An outbox message payload (`bot.delivery.outbox.enqueue_message`) drawn as blocks at
    send time."""
    buttons = set(payload.get("buttons") or ())
    if payload.get("lines"):
        blocks = digest_blocks(str(payload["text"]), list(payload["lines"]))
    elif lead_id is not None:
        blocks = nudge_blocks(
            str(payload["text"]),
            lead_id,
            offer_claim="claim" in buttons,
            offer_snooze="snooze" in buttons,
        )
    else:
        blocks = [SectionBlock(text=str(payload["text"])[:TEXT_LIMIT])]
    return [block.to_dict() for block in blocks]
