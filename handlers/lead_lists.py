"""`/leads mine` and `/leads queue`: lists of leads with their buttons, paged."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from blocks.home import MAX_CARDS_IN_MESSAGE, my_leads_blocks
from blocks.render import card_view
from handlers.context import services_of


def show_mine(
    command: dict[str, Any],
    words: list[str],
    context: dict[str, Any],
    respond: Respond,
    client: WebClient,
) -> None:
    services = services_of(context)
    user_id = command["user_id"]
    leads = services.queries.open_leads_of(user_id, limit=MAX_CARDS_IN_MESSAGE)
    total = services.queries.count_open_of(user_id)
    cards = [card_view(lead, "dm", user_id) for lead in leads]
    blocks = my_leads_blocks(cards, services.clock.now(), MAX_CARDS_IN_MESSAGE, total)
    text = f"You have {total} lead(s) waiting." if total else "No leads waiting for you."
    respond(response_type="ephemeral", text=text, blocks=[b.to_dict() for b in blocks])


def show_queue(
    command: dict[str, Any],
    words: list[str],
    context: dict[str, Any],
    respond: Respond,
    client: WebClient,
) -> None:
    respond(response_type="ephemeral", text="The queue list is being built.")
