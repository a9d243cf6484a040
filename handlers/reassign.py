"""A manager reassigns a lead from the card's overflow menu, picking the rep in a modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks import ids
from blocks.modals import reassign_modal
from handlers.context import services_of
from handlers.lead_actions import tell
from handlers.payloads import (
    BadPayload,
    clicker,
    explained,
    first_action,
    is_user_id,
    lead_ref,
    open_modal,
    selected_value,
    trigger_id,
    view_state,
)


def register(app: App) -> None:
    app.action(ids.LEAD_MENU)(open_menu_choice)
    app.view(ids.REASSIGN_MODAL)(submit_reassign)


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
            return
        if kind != "reassign":
            return  # cleared, or another choice of a menu leadbot may add later
        lead_id = lead_ref(lead)
        if not services.config.can_manage(clicker(body)):
            tell(client, body, "Only managers can reassign leads.")
            return
        view = reassign_modal(lead_id, services.queries.lead_name(lead_id))
        open_modal(client, trigger_id(body), view)


def submit_reassign(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    view = body["view"]
    try:
        lead_id = lead_ref(view.get("private_metadata"))
        picked = view_state(view, ids.REASSIGN_USER_BLOCK, ids.REASSIGN_USER).get("selected_user")
        if not is_user_id(picked):
            raise BadPayload("Pick the rep who should take this lead.")
    except BadPayload as err:
        ack(response_action="errors", errors={ids.REASSIGN_USER_BLOCK: str(err)[:150]})
        return
    outcome = services_of(context).leads.reassign(lead_id, clicker(body), str(picked))
    if outcome.ok:
        ack()
    else:
        ack(response_action="errors", errors={ids.REASSIGN_USER_BLOCK: outcome.message[:150]})
