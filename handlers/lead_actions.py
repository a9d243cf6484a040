"""The card's buttons: Claim, Log contact, Snooze, Pass and its links. Ack first, one service
call."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from blocks import ids
from blocks.modals import snooze_modal
from handlers.context import lead_id_of, services_of, tell_user
from handlers.lead_lists import redraw_after_click


def register(app: App) -> None:
    app.action(ids.CLAIM)(claim)
    app.action(ids.PASS)(pass_lead)
    app.action(ids.SNOOZE)(open_snooze)
    app.action(re.compile(f"^{re.escape(ids.LINK_PREFIX)}"))(open_link)
    app.action(ids.LOG_CONTACT)(log_contact)


def claim(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    ack()
    outcome = services_of(context).leads.claim(lead_id_of(body), body["user"]["id"])
    if not outcome.ok:
        tell(client, body, outcome.message)
    redraw_after_click(body, context, respond)


def pass_lead(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    ack()
    outcome = services_of(context).leads.pass_lead(lead_id_of(body), body["user"]["id"])
    if not outcome.ok:
        tell(client, body, outcome.message)
    redraw_after_click(body, context, respond)


def open_snooze(ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
    ack()
    lead_id = lead_id_of(body)
    services = services_of(context)
    name = services.queries.lead_name(lead_id)
    view = snooze_modal(lead_id, name, services.config.snooze.choices)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def log_contact(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    ack()
    lead_ref, _, outcome = body["actions"][0]["selected_option"]["value"].partition(":")
    if not lead_ref.isdigit():
        return  # not a value leadbot drew
    result = services_of(context).contacts.log(int(lead_ref), body["user"]["id"], outcome)
    if not result.ok:
        tell(client, body, result.message)
    redraw_after_click(body, context, respond)


def open_link(ack: Ack) -> None:
    # A URL button (Open in CRM, …) still sends an action; Slack shows an error icon unless it
    # is acknowledged.
    ack()


def tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    """An answer only the clicker sees, in the conversation the click came from."""
    channel = (body.get("channel") or {}).get("id")
    tell_user(client, channel, body["user"]["id"], text)
