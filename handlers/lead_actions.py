"""The card's buttons: Claim, Log contact, Snooze, Pass and its links. A click that changes a
lead is acknowledged once its one service call has committed (`acked_after`); the rest ack
first."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from blocks import ids
from blocks.modals import snooze_modal
from handlers.context import services_of, tell_user
from handlers.lead_lists import redraw_after_click
from handlers.payloads import (
    acked_after,
    clicker,
    explained,
    first_action,
    lead_ref,
    open_modal,
    selected_value,
    trigger_id,
)


def register(app: App) -> None:
    app.action(ids.CLAIM)(claim)
    app.action(ids.PASS)(pass_lead)
    app.action(ids.SNOOZE)(open_snooze)
    app.action(re.compile(f"^{re.escape(ids.LINK_PREFIX)}"))(open_link)
    app.action(ids.LOG_CONTACT)(log_contact)


def claim(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    with explained(client, body):
        with acked_after(ack):
            lead_id = lead_ref(first_action(body).get("value"))
            outcome = services_of(context).leads.claim(lead_id, clicker(body))
        if not outcome.ok:
            tell(client, body, outcome.message)
        redraw_after_click(body, context, respond)


def pass_lead(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    with explained(client, body):
        with acked_after(ack):
            lead_id = lead_ref(first_action(body).get("value"))
            outcome = services_of(context).leads.pass_lead(lead_id, clicker(body))
        if not outcome.ok:
            tell(client, body, outcome.message)
        redraw_after_click(body, context, respond)


def open_snooze(ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
    ack()
    with explained(client, body):
        lead_id = lead_ref(first_action(body).get("value"))
        services = services_of(context)
        snooze = services.config.snooze
        view = snooze_modal(
            lead_id, services.queries.lead_name(lead_id), snooze.choices, snooze.reasons
        )
        open_modal(client, trigger_id(body), view)


def log_contact(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    with explained(client, body):
        with acked_after(ack):
            picked = selected_value(first_action(body))
            if picked is None:
                return  # the select was cleared: nothing to log
            lead, _, outcome = picked.partition(":")
            result = services_of(context).contacts.log(lead_ref(lead), clicker(body), outcome)
        if not result.ok:
            tell(client, body, result.message)
        redraw_after_click(body, context, respond)


def open_link(ack: Ack) -> None:
    # A URL button (Open in CRM, …) still sends an action; Slack shows an error icon unless it
    # is acknowledged.
    ack()


def tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    """An answer only the clicker sees, in the conversation the click came from."""
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    tell_user(client, channel.get("id"), clicker(body), text)
