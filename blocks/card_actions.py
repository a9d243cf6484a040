"""A lead card's controls, chosen by the lead's state and by which copy is drawn: Claim, Log
contact, Snooze, Pass (lists use these too), Open in CRM, and the ⋯ menu (Reassign…, Stop
follow-up, Won…, Lost…). Pure, like blocks/card.py, which draws the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.models.blocks import (
    ButtonElement,
    Option,
    OverflowMenuElement,
    StaticSelectElement,
)

from blocks import ids
from blocks.outcome import outcome_options
from bot.vocabulary import CONTACT_LABELS, CopyKind, LeadStatus

if TYPE_CHECKING:
    from blocks.card import CardView


def passed_on(card: CardView) -> bool:
    """A DM copy whose rep is no longer the owner: that rep has nothing left to do here."""
    return (
        card.copy_kind == CopyKind.DM
        and card.recipient is not None
        and card.recipient != card.owner_id
    )


CardElement = ButtonElement | OverflowMenuElement | StaticSelectElement


def log_contact_menu(lead_id: int) -> StaticSelectElement:
    """One pick logs the contact: the option value carries the lead ("42:call")."""
    options = [
        Option(value=f"{lead_id}:{key}", text=label) for key, label in CONTACT_LABELS.items()
    ]
    return StaticSelectElement(
        action_id=ids.LOG_CONTACT, placeholder="Log contact…", options=options
    )


def lead_buttons(card: CardView) -> list[CardElement]:
    """Claim, Log contact, Snooze, Pass: what the lead's state allows (lists use these too)."""
    value = str(card.lead_id)
    buttons: list[CardElement] = []
    if passed_on(card) or card.status == LeadStatus.CLOSED:
        return buttons
    if card.status in LeadStatus.OPEN:
        buttons.append(
            ButtonElement(text="Claim", action_id=ids.CLAIM, value=value, style="primary")
        )
    buttons.append(log_contact_menu(card.lead_id))
    if card.status in LeadStatus.OPEN or card.status == LeadStatus.CLAIMED:
        # On a claimed lead, a snooze ("call me after the 15th") pauses its follow-up.
        buttons.append(ButtonElement(text="Snooze", action_id=ids.SNOOZE, value=value))
    if card.status == LeadStatus.ASSIGNED:
        buttons.append(ButtonElement(text="Pass", action_id=ids.PASS, value=value))
    return buttons


def card_actions(card: CardView) -> list[CardElement]:
    value = str(card.lead_id)
    buttons = lead_buttons(card)
    if card.crm_url:
        buttons.append(
            ButtonElement(text="Open in CRM", action_id=ids.OPEN_CRM, url=card.crm_url, value=value)
        )
    if card.status in LeadStatus.OPEN and not passed_on(card):
        # For managers; anyone else who picks it is told so.
        option = Option(value=f"reassign:{card.lead_id}", text="Reassign…")
        buttons.append(OverflowMenuElement(action_id=ids.LEAD_MENU, options=[option]))
    elif card.status == LeadStatus.CLAIMED and card.copy_kind != CopyKind.DM:
        # Managers watch the channel copy: they may hand the lead (and its follow-up) to
        # another rep, end a follow-up that should not go on, or record how it ended.
        options = [
            Option(value=f"reassign:{card.lead_id}", text="Reassign…"),
            Option(value=f"stop_followup:{card.lead_id}", text="Stop follow-up"),
            *outcome_options(card.lead_id),
        ]
        buttons.append(OverflowMenuElement(action_id=ids.LEAD_MENU, options=options))
    elif card.status == LeadStatus.CLAIMED and not passed_on(card):
        options = outcome_options(card.lead_id)
        buttons.append(OverflowMenuElement(action_id=ids.LEAD_MENU, options=options))
    return buttons
