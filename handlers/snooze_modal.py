"""The snooze modal's submission."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from blocks import ids
from bot.hours import snooze_until
from handlers.context import services_of
from handlers.payloads import BadPayload, clicker, lead_ref, selected_value, view_state


def register(app: App) -> None:
    app.view(ids.SNOOZE_MODAL)(submit_snooze)


def submit_snooze(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    services = services_of(context)
    view, user_id = body["view"], clicker(body)
    try:
        lead_id = lead_ref(view.get("private_metadata"))
        choice = selected_value(view_state(view, ids.SNOOZE_CHOICE_BLOCK, ids.SNOOZE_CHOICE))
        if choice not in services.config.snooze.choices:  # only the choices leadbot offered
            raise BadPayload("Pick one of the choices in the list.")
    except BadPayload as err:
        ack(response_action="errors", errors={ids.SNOOZE_CHOICE_BLOCK: str(err)[:150]})
        return
    try:
        reason = given_reason(view, services.config.snooze.reasons)
    except BadPayload as err:
        ack(response_action="errors", errors={ids.SNOOZE_REASON_BLOCK: str(err)})
        return
    until = snooze_until(choice, services.clock.now(), services.config.tz_for(user_id))
    outcome = services.leads.snooze(lead_id, user_id, until, reason=reason)
    if outcome.ok:
        ack()
    else:
        # Keep the modal open and say why, next to the choice.
        ack(response_action="errors", errors={ids.SNOOZE_CHOICE_BLOCK: outcome.message[:150]})


def given_reason(view: dict[str, Any], reasons: list[str]) -> str | None:
    """The reason picked; None when the form had none (one opened before reasons were asked
    for, or none configured). BadPayload when it is not one of the reasons offered."""
    try:
        picked = selected_value(view_state(view, ids.SNOOZE_REASON_BLOCK, ids.SNOOZE_REASON))
    except BadPayload:
        return None
    if picked is not None and picked not in reasons:
        raise BadPayload("Pick one of the reasons.")
    return picked
