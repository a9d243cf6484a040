"""A manager reassigns a lead from the card's overflow menu, picking the rep in a modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks import ids
from blocks.modals import reassign_modal
from handlers.context import services_of
from handlers.lead_actions import tell


def register(app: App) -> None:
    app.action(ids.LEAD_MENU)(open_menu_choice)
    app.view(ids.REASSIGN_MODAL)(submit_reassign)


def open_menu_choice(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient
) -> None:
    ack()
    services = services_of(context)
    kind, _, lead_ref = body["actions"][0]["selected_option"]["value"].partition(":")
    if kind != "reassign" or not lead_ref.isdigit():
        return
    if not services.config.can_manage(body["user"]["id"]):
        tell(client, body, "Only managers can reassign leads.")
        return
    name = services.queries.lead_name(int(lead_ref))
    client.views_open(trigger_id=body["trigger_id"], view=reassign_modal(int(lead_ref), name))


def submit_reassign(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    view = body["view"]
    picked = view["state"]["values"][ids.REASSIGN_USER_BLOCK][ids.REASSIGN_USER]["selected_user"]
    outcome = services_of(context).leads.reassign(
        int(view["private_metadata"]), body["user"]["id"], str(picked)
    )
    if outcome.ok:
        ack()
    else:
        ack(response_action="errors", errors={ids.REASSIGN_USER_BLOCK: outcome.message[:150]})
