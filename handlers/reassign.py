"""A manager reassigns a lead from the card's overflow menu, picking the rep in a modal; a
claimed lead takes its open follow-up tasks along."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from blocks import ids
from handlers.context import services_of
from handlers.payloads import (
    BadPayload,
    clicker,
    is_user_id,
    lead_ref,
    view_state,
)


def register(app: App) -> None:
    # The menu item that opens this modal is in handlers/lead_menu.py.
    app.view(ids.REASSIGN_MODAL)(submit_reassign)


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
