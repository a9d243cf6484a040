"""The snooze modal's submission."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from blocks import ids
from bot.hours import snooze_until
from handlers.context import services_of


def register(app: App) -> None:
    app.view(ids.SNOOZE_MODAL)(submit_snooze)


def submit_snooze(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    services = services_of(context)
    view = body["view"]
    user_id = body["user"]["id"]
    choice = view["state"]["values"][ids.SNOOZE_CHOICE_BLOCK][ids.SNOOZE_CHOICE]["selected_option"]
    until = snooze_until(choice["value"], services.clock.now(), services.config.tz_for(user_id))
    outcome = services.leads.snooze(int(view["private_metadata"]), user_id, until)
    if outcome.ok:
        ack()
    else:
        # Keep the modal open and say why, next to the choice.
        ack(response_action="errors", errors={ids.SNOOZE_CHOICE_BLOCK: outcome.message[:150]})
