"""`/leads new`: a modal to enter a phone or walk-in lead, validated like intake.

The submission builds the dict intake would get and hands it to the one validator
(`bot.lead_input.parse_lead`); its problems go back next to the fields that hold them.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks.mrkdwn import escape_truncated, literal_truncated, truncate, user
from blocks.new_lead_modal import AUTO_TIER, FIELDS, NAME_BLOCK, NEW_LEAD_MODAL, new_lead_modal
from bot.leads.input import LeadIn, LeadInputError
from bot.leads.service import Received
from handlers.context import SlashCommand, services_of, tell_user
from handlers.payloads import BadPayload, clicker, open_modal, view_state

log = logging.getLogger("leadbot.handlers")

NOT_KNOWN = "Only people set up in leadbot.yml can add leads: ask your leadbot admin to add you."
STORE_FAILED = "leadbot could not store this lead just now: please submit again."
ERROR_LIMIT = 150  # Slack's limit for one `response_action: errors` message
EXTERNAL_ID_PREFIX = "slack-view:"
VIEW_ID_LIMIT = 100  # Slack's view ids are about 11 characters; external ids take 200
TEXT_FIELDS = ("name", "company", "email", "phone", "company_size", "product", "message")
SELECT_FIELDS = ("source", "tier")


def register(app: App) -> None:
    app.view(NEW_LEAD_MODAL)(submit_new_lead)


def open_form(cmd: SlashCommand) -> None:
    config = cmd.services.config
    if not config.is_known(cmd.user_id):
        cmd.answer(NOT_KNOWN)
        return
    view = new_lead_modal(cmd.channel_id, [tier.name for tier in config.tiers])
    try:
        open_modal(cmd.client, cmd.trigger_id, view)
    except BadPayload as err:
        cmd.answer(str(err))


def submit_new_lead(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient
) -> None:
    services = services_of(context)
    user_id = clicker(body)
    view = body["view"]
    if not services.config.is_known(user_id):
        ack(response_action="errors", errors={NAME_BLOCK: NOT_KNOWN})
        return
    try:
        data = form_data(view)
    except BadPayload as err:
        ack(response_action="errors", errors={NAME_BLOCK: str(err)[:ERROR_LIMIT]})
        return
    try:
        lead = services.leads.parse(data)
    except LeadInputError as err:
        ack(response_action="errors", errors=errors_by_block(err.problems, data))
        return
    # Stored before the modal closes (a few ms): if storing fails, what was typed is kept.
    try:
        result = services.leads.receive(lead, actor=user_id)
    except Exception:
        ack(response_action="errors", errors={NAME_BLOCK: STORE_FAILED})
        raise  # the app's error handler logs it
    ack()
    channel = _channel_of(view)
    outcome = "created" if result.created else "duplicate"
    services.metrics.lead_received(lead.source, outcome)
    log.info("lead %s %s from /leads new by %s", result.lead_id, outcome, user_id)
    tell_user(client, channel, user_id, confirmation(result, lead))


def form_data(view: dict[str, Any]) -> dict[str, Any]:
    """The dict intake would get: filled-in fields only, keyed by LeadIn's names.

    The external id comes from the view id, so submitting the same modal twice (a retry, a
    double click) finds the lead stored the first time instead of adding another."""
    view_id = view.get("id")
    if not isinstance(view_id, str) or not 0 < len(view_id) <= VIEW_ID_LIMIT:
        raise BadPayload("This form is out of date: close it and open it again.")
    data: dict[str, Any] = {"external_id": f"{EXTERNAL_ID_PREFIX}{view_id}"}
    for field in (*TEXT_FIELDS, *SELECT_FIELDS):
        block_id, action_id = FIELDS[field]
        try:
            value = _value_of(view_state(view, block_id, action_id))
        except BadPayload:
            continue  # an optional input left out, or a value Slack did not send: no value
        if value and not (field == "tier" and value == AUTO_TIER):
            data[field] = value
    return data


def _value_of(state: dict[str, Any]) -> str | None:
    selected = state.get("selected_option")
    raw = selected.get("value") if isinstance(selected, dict) else state.get("value")
    return (raw.strip() or None) if isinstance(raw, str) else None


def errors_by_block(problems: list[dict[str, str]], data: dict[str, Any]) -> dict[str, str]:
    """Each problem next to the input that holds its field; problems about the lead as a whole
    (or a field the form does not show) go on the name block. Every problem is kept: several on
    one block are joined, then cut to Slack's limit."""
    grouped: dict[str, list[str]] = {}
    for problem in problems:
        field = problem["field"].split(".")[0]
        block_id = FIELDS[field][0] if field in FIELDS else NAME_BLOCK
        grouped.setdefault(block_id, []).append(_wording(field, problem["message"], data))
    return {block: truncate("; ".join(found), ERROR_LIMIT) for block, found in grouped.items()}


def _wording(field: str, message: str, data: dict[str, Any]) -> str:
    if field == "company_size" and message.startswith("Input should be a valid integer"):
        given = str(data.get("company_size", ""))[:40]
        return f"'{given}' is not a whole number: enter the number of employees, e.g. 250"
    return message


def confirmation(result: Received, lead: LeadIn) -> str:
    """For the person who typed the lead in: where it went, and why. mrkdwn, escaped."""
    where = f"routed to {user(result.owner_id)}" if result.owner_id else "it is in the shared queue"
    why = f" ({escape_truncated(result.reason, 200)})" if result.reason else ""
    if result.created:
        return f"✅ Lead #{result.lead_id} {_who(lead)} added: {where}{why}."
    return f"Lead #{result.lead_id} {_who(lead)} was already added from this form: {where}{why}."


def _who(lead: LeadIn) -> str:
    return literal_truncated(lead.name or lead.email or lead.phone or "(no name)", 100)


def _channel_of(view: dict[str, Any]) -> str | None:
    try:
        channel = json.loads(view.get("private_metadata") or "{}").get("channel")
    except (json.JSONDecodeError, AttributeError):
        return None
    return channel if isinstance(channel, str) and channel else None
