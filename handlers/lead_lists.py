"""`/leads mine` and `/leads queue`: leads with their buttons, a page at a time. Previous/Next
redraw the same ephemeral message through its response_url."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from blocks import ids
from blocks.lists import ROWS_PER_MESSAGE, clamp_page, list_blocks, place_of
from bot.delivery.cards import card_view
from handlers.context import SlashCommand, services_of

if TYPE_CHECKING:
    from bot.services import Services

EMPTY_MINE = (
    "Nothing waiting for you right now: no unclaimed leads, no claims without a contact. 🎉"
)
EMPTY_QUEUE = "The shared queue is empty. 🎉"


def register(app: App) -> None:
    app.action(ids.PAGE_PREVIOUS)(turn_page)
    app.action(ids.PAGE_NEXT)(turn_page)


def show_mine(cmd: SlashCommand) -> None:
    cmd.answer(*draw_list(cmd.services, "mine", cmd.user_id, 1))


def show_queue(cmd: SlashCommand) -> None:
    cmd.answer(*draw_list(cmd.services, "queue", cmd.user_id, 1))


def turn_page(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Respond) -> None:
    ack()
    name, _, number = str(body["actions"][0].get("value", "")).partition(":")
    if name not in ("mine", "queue") or not number.isdigit():
        return  # not a value leadbot drew
    text, blocks = draw_list(services_of(context), name, body["user"]["id"], int(number))
    respond(response_type="ephemeral", replace_original=True, text=text, blocks=blocks)


def redraw_after_click(body: dict[str, Any], context: dict[str, Any], respond: Respond) -> None:
    """A click on a row of `/leads mine` or `/leads queue`: redraw that page, so the row shows
    the lead's new state (the list is an ephemeral message: nothing else updates it)."""
    place = place_of(str(body["actions"][0].get("block_id", "")))
    if place is None or not body.get("response_url"):
        return
    name, number = place
    if name not in ("mine", "queue"):
        return
    text, blocks = draw_list(services_of(context), name, body["user"]["id"], number)
    respond(response_type="ephemeral", replace_original=True, text=text, blocks=blocks)


def draw_list(
    services: Services, name: str, user_id: str, number: int
) -> tuple[str, list[dict[str, Any]]]:
    queries = services.queries
    if name == "mine":
        total = queries.count_open_of(user_id)
        page = clamp_page(name, number, ROWS_PER_MESSAGE, total)
        leads = queries.open_leads_of(user_id, limit=page.size, offset=page.offset)
        title, empty = "Your leads", EMPTY_MINE
        text = f"You have {total} lead(s) to work on." if total else "No leads waiting for you."
    else:
        total = queries.count_queued()
        page = clamp_page(name, number, ROWS_PER_MESSAGE, total)
        leads = queries.queued_leads(limit=page.size, offset=page.offset)
        title, empty = "Shared queue", EMPTY_QUEUE
        text = f"{total} lead(s) in the shared queue." if total else "The shared queue is empty."
    # Queue rows are drawn like the queue channel's copy: offered to whoever may claim.
    cards = [
        card_view(lead, "dm", user_id) if name == "mine" else card_view(lead, "list")
        for lead in leads
    ]
    blocks = list_blocks(title, empty, cards, page, services.clock.now())
    return text, [block.to_dict() for block in blocks]
