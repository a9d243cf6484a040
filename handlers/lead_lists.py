"""`/leads mine` and `/leads queue`: leads with their buttons, a page at a time. Previous/Next
redraw the same ephemeral message through its response_url."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from blocks import ids
from blocks.card import CardView
from blocks.lists import ROWS_PER_MESSAGE, clamp_page, list_blocks, place_of
from handlers.context import SlashCommand, services_of

if TYPE_CHECKING:
    from bot.leads.queries import LeadQueries
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
    if name not in LISTS or not (number.isascii() and number.isdigit() and len(number) < 10):
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
    if name not in LISTS:
        return
    text, blocks = draw_list(services_of(context), name, body["user"]["id"], number)
    respond(response_type="ephemeral", replace_original=True, text=text, blocks=blocks)


@dataclass(frozen=True)
class LeadList:
    """One of the lists a person pages through: how to count and read it, and its words."""

    title: str
    empty: str  # the whole answer when the list is empty
    count: Callable[[LeadQueries, str], int]  # (queries, user) -> total
    rows: Callable[[LeadQueries, str, int, int], list[CardView]]  # (…, limit, offset)
    summary: Callable[[int], str]  # fallback text for a total


LISTS: dict[str, LeadList] = {
    "mine": LeadList(
        "Your leads",
        EMPTY_MINE,
        lambda queries, user: queries.count_open_of(user),
        lambda queries, user, limit, offset: queries.open_leads_of(user, limit, offset),
        lambda total: (
            f"You have {total} lead(s) to work on." if total else "No leads waiting for you."
        ),
    ),
    "queue": LeadList(
        "Shared queue",
        EMPTY_QUEUE,
        lambda queries, _user: queries.count_queued(),
        lambda queries, _user, limit, offset: queries.queued_leads(limit, offset),
        lambda total: (
            f"{total} lead(s) in the shared queue." if total else "The shared queue is empty."
        ),
    ),
}


def draw_list(
    services: Services, name: str, user_id: str, number: int
) -> tuple[str, list[dict[str, Any]]]:
    shown, queries = LISTS[name], services.queries
    total = shown.count(queries, user_id)
    page = clamp_page(name, number, ROWS_PER_MESSAGE, total)
    cards = shown.rows(queries, user_id, page.size, page.offset)
    blocks = list_blocks(shown.title, shown.empty, cards, page, services.clock.now())
    return shown.summary(total), [block.to_dict() for block in blocks]
