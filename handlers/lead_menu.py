"""The lead card's ⋯ menu: Reassign… (managers), Stop follow-up (managers), Won… and Lost…
(the owner or a manager); Won and Lost are modals submitted here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.views import View

from blocks import ids
from blocks.modals import reassign_modal
from blocks.outcome import NOTE_LIMIT, lost_modal, won_modal
from bot.leads.closing import Closing, parse_amount
from bot.services import Services
from bot.vocabulary import LeadOutcome
from handlers.context import services_of
from handlers.lead_actions import tell
from handlers.payloads import (
    BadPayload,
    clicker,
    explained,
    first_action,
    lead_ref,
    open_modal,
    selected_value,
    trigger_id,
    view_state,
)


def register(app: App) -> None:
    app.action(ids.LEAD_MENU)(open_menu_choice)
    app.view(ids.WON_MODAL)(submit_won)
    app.view(ids.LOST_MODAL)(submit_lost)


def open_menu_choice(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient
) -> None:
    ack()
    services = services_of(context)
    with explained(client, body):
        kind, _, lead = (selected_value(first_action(body)) or "").partition(":")
        if kind == "stop_followup":
            outcome = services.tasks.stop(lead_ref(lead), clicker(body))
            tell(client, body, outcome.message)
        elif kind in ("reassign", "won", "lost"):
            refusal = _refusal(services, kind, lead_ref(lead), clicker(body))
            if refusal:
                tell(client, body, refusal)
            else:
                open_modal(client, trigger_id(body), _modal(services, kind, lead_ref(lead)))
        # else: cleared, or a choice of a menu a later leadbot may add


def _refusal(services: Services, kind: str, lead_id: int, user_id: str) -> str | None:
    if kind == "reassign":
        return None if services.config.can_manage(user_id) else "Only managers can reassign leads."
    return services.closing.refusal(lead_id, user_id)


def _modal(services: Services, kind: str, lead_id: int) -> View:
    name = services.queries.lead_name(lead_id)
    settings = services.config.followup
    if kind == "won":
        return won_modal(lead_id, name, settings.currency)
    if kind == "lost":
        return lost_modal(lead_id, name, settings.lost_reasons)
    return reassign_modal(lead_id, name)


def _note(view: dict[str, Any]) -> str | None:
    try:
        value = view_state(view, ids.OUTCOME_NOTE_BLOCK, ids.OUTCOME_NOTE).get("value")
    except BadPayload:
        return None  # optional: an empty note may be left out of the state
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:NOTE_LIMIT]


def _amount(view: dict[str, Any]) -> Decimal:
    parsed = parse_amount(
        view_state(view, ids.OUTCOME_AMOUNT_BLOCK, ids.OUTCOME_AMOUNT).get("value")
    )
    if isinstance(parsed, str):
        raise BadPayload(parsed)
    return parsed


def submit_won(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    view = body["view"]
    try:
        lead_id = lead_ref(view.get("private_metadata"))
        closing = Closing(LeadOutcome.WON, amount=_amount(view), note=_note(view))
    except BadPayload as err:
        ack(response_action="errors", errors={ids.OUTCOME_AMOUNT_BLOCK: str(err)[:150]})
        return
    _submit(ack, context, lead_id, clicker(body), closing, ids.OUTCOME_AMOUNT_BLOCK)


def submit_lost(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    view = body["view"]
    block = ids.OUTCOME_REASON_BLOCK
    try:
        lead_id = lead_ref(view.get("private_metadata"))
        picked = view_state(view, block, ids.OUTCOME_REASON).get("selected_option")
        reason = picked.get("value") if isinstance(picked, dict) else None
        if not isinstance(reason, str):
            raise BadPayload("Pick a reason.")
        closing = Closing(LeadOutcome.LOST, reason=reason, note=_note(view))
    except BadPayload as err:
        ack(response_action="errors", errors={block: str(err)[:150]})
        return
    _submit(ack, context, lead_id, clicker(body), closing, block)


def _submit(
    ack: Ack, context: dict[str, Any], lead_id: int, user_id: str, closing: Closing, block: str
) -> None:
    outcome = services_of(context).closing.close(lead_id, user_id, closing)
    if outcome.ok:
        ack()
    else:
        ack(response_action="errors", errors={block: outcome.message[:150]})
