"""Reading the parts of Slack's interaction payloads that leadbot uses, and nothing else.

A payload leadbot did not draw (a damaged or outdated button, a hand-made but signed request)
raises `BadPayload`, whose message is for the person who clicked; nothing changes state.
Payloads too broken to name a person never get here: `bot/http/envelope.py` answers them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot.config.errors import USER_ID
from handlers.context import tell_user

# leads.id is an INTEGER: a larger number cannot be a lead (and PostgreSQL would refuse it).
MAX_LEAD_ID = 2**31 - 1
OUTDATED = (
    "That button is out of date or damaged, so nothing was changed: open the lead again from "
    "`/leads mine` or `/leads queue`."
)


class BadPayload(ValueError):
    """Said to the person who clicked, as is."""


@contextmanager
def explained(client: WebClient, body: dict[str, Any]) -> Iterator[None]:
    """Around a click's decoding and service call: a BadPayload is told to the clicker."""
    try:
        yield
    except BadPayload as err:
        channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
        tell_user(client, channel.get("id"), clicker(body), str(err))


@contextmanager
def acked_after(ack: Ack) -> Iterator[None]:
    """Around a change a click or a command makes: Slack's 200 goes out once it is committed.
    Slack shows the person that their click worked, so a crash between the answer and the
    commit would lose a claim they were told happened. The change is one short transaction,
    well inside Slack's 3 s. A click leadbot cannot read is acknowledged (and explained); a
    change that failed (the database down) is not, so Slack shows the person it did not work."""
    try:
        yield
    except BadPayload:
        ack()
        raise
    ack()


def open_modal(client: WebClient, trigger: str, view: View) -> None:
    """views.open, which Slack refuses once a click is more than 3 seconds old."""
    try:
        client.views_open(trigger_id=trigger, view=view)
    except SlackApiError:
        raise BadPayload(
            "Slack could not open the form (a click can open one for 3 seconds): try again."
        ) from None


def clicker(body: dict[str, Any]) -> str:
    return str(body["user"]["id"])  # the envelope check made sure of it


def first_action(body: dict[str, Any]) -> dict[str, Any]:
    action: dict[str, Any] = body["actions"][0]  # the envelope check made sure of it
    return action


def lead_ref(value: object) -> int:
    """A lead id as leadbot writes it into a button or a modal: digits, a possible lead."""
    text = str(value).removeprefix("#") if isinstance(value, str | int) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        raise BadPayload(OUTDATED)
    if not 0 < int(text) <= MAX_LEAD_ID:
        raise BadPayload(OUTDATED)
    return int(text)


def selected_value(action: dict[str, Any]) -> str | None:
    """The picked option's value; None when the select was cleared (`selected_option: null`)."""
    option = action.get("selected_option")
    if option is None:
        return None
    value = option.get("value") if isinstance(option, dict) else None
    if not _is_text(value):
        raise BadPayload(OUTDATED)
    return str(value)


def trigger_id(body: dict[str, Any]) -> str:
    value = body.get("trigger_id")
    if not _is_text(value):
        raise BadPayload(OUTDATED)
    return str(value)


def view_state(view: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    """What the person entered in one input of a submitted modal."""
    values = view.get("state", {}).get("values") if isinstance(view.get("state"), dict) else None
    block = values.get(block_id) if isinstance(values, dict) else None
    state = block.get(action_id) if isinstance(block, dict) else None
    if not isinstance(state, dict):
        raise BadPayload("This form is out of date: close it and open it again.")
    return state


def is_user_id(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 21 and USER_ID.fullmatch(value) is not None


def _is_text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 3000


def _is_action(action: object) -> bool:
    return isinstance(action, dict) and _is_text(action.get("action_id"))
