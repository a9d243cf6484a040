"""A task card's controls: Done (a select of what happened), Skip (a form for why), Reschedule
(an overflow: +1 business day, tomorrow 9:00, or a date from a form). A change is acknowledged
once it has committed (`acked_after`); opening a form acks first."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from blocks import ids
from blocks.agenda import AGENDA_ROW_PREFIX
from blocks.task_modals import reschedule_modal, skip_modal
from handlers.context import services_of, tell_user
from handlers.payloads import (
    OUTDATED,
    BadPayload,
    acked_after,
    clicker,
    explained,
    first_action,
    open_modal,
    selected_value,
    trigger_id,
    view_state,
)

_TASK_REF = re.compile(r"[0-9]{1,10}")
RESCHEDULE_KEYS = ("next_day", "tomorrow", "pick")


def register(app: App) -> None:
    app.action(ids.TASK_DONE)(done)
    app.action(ids.TASK_SKIP)(open_skip)
    app.action(ids.TASK_RESCHEDULE)(reschedule)
    app.view(ids.TASK_SKIP_MODAL)(submit_skip)
    app.view(ids.TASK_RESCHEDULE_MODAL)(submit_reschedule)


def task_ref(value: object) -> int:
    """A task id as leadbot writes it into a card or a form."""
    text = str(value) if isinstance(value, str | int) else ""
    if not _TASK_REF.fullmatch(text) or int(text) == 0:
        raise BadPayload(OUTDATED)
    return int(text)


def _pair(value: str | None, keys: tuple[str, ...] | None = None) -> tuple[int, str]:
    task, _, choice = (value or "").partition(":")
    if keys is not None and choice not in keys:
        raise BadPayload(OUTDATED)
    return task_ref(task), choice


def done(
    ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    with explained(client, body):
        with acked_after(ack):
            picked = selected_value(first_action(body))
            if picked is None:
                return  # the select was cleared: nothing happened
            task_id, result = _pair(picked)
            outcome = services_of(context).tasks.done(task_id, clicker(body), result)
        if not outcome.ok:
            tell(client, body, outcome.message)
        elif _on_an_agenda(body) and body.get("response_url"):
            # The agenda (the morning DM, or `/leads today`) drops what was just done.
            text, blocks = services_of(context).tasks.today(clicker(body))
            respond(replace_original=True, text=text, blocks=blocks)


def _on_an_agenda(body: dict[str, Any]) -> bool:
    block = first_action(body).get("block_id")
    return isinstance(block, str) and block.startswith(AGENDA_ROW_PREFIX)


def open_skip(ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
    ack()
    with explained(client, body):
        task_id = task_ref(first_action(body).get("value"))
        what = services_of(context).tasks.describe(task_id)
        open_modal(client, trigger_id(body), skip_modal(task_id, what))


def reschedule(ack: Ack, body: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
    with explained(client, body):
        task_id, choice = _pair(selected_value(first_action(body)), RESCHEDULE_KEYS)
        services = services_of(context)
        if choice == "pick":
            ack()
            earliest = services.tasks.earliest_day(clicker(body))
            what = services.tasks.describe(task_id)
            open_modal(client, trigger_id(body), reschedule_modal(task_id, what, earliest))
            return
        with acked_after(ack):
            outcome = services.tasks.reschedule_choice(task_id, clicker(body), choice)
        if not outcome.ok:
            tell(client, body, outcome.message)


def submit_skip(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    view, user_id = body["view"], clicker(body)
    try:
        task_id = task_ref(view.get("private_metadata"))
        reason = view_state(view, ids.TASK_SKIP_REASON_BLOCK, ids.TASK_SKIP_REASON).get("value")
    except BadPayload as err:
        ack(response_action="errors", errors={ids.TASK_SKIP_REASON_BLOCK: str(err)[:150]})
        return
    outcome = services_of(context).tasks.skip(task_id, user_id, str(reason or ""))
    if outcome.ok:
        ack()
    else:
        ack(response_action="errors", errors={ids.TASK_SKIP_REASON_BLOCK: outcome.message[:150]})


def submit_reschedule(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    view, user_id = body["view"], clicker(body)
    block = ids.TASK_RESCHEDULE_DATE_BLOCK
    try:
        task_id = task_ref(view.get("private_metadata"))
        picked = view_state(view, block, ids.TASK_RESCHEDULE_DATE).get("selected_date")
        day = date.fromisoformat(picked) if isinstance(picked, str) and len(picked) == 10 else None
    except (BadPayload, ValueError) as err:
        ack(response_action="errors", errors={block: str(err)[:150]})
        return
    if day is None:
        ack(response_action="errors", errors={block: "Pick a day."})
        return
    outcome = services_of(context).tasks.reschedule_choice(task_id, user_id, day)
    if outcome.ok:
        ack()
    else:
        ack(response_action="errors", errors={block: outcome.message[:150]})


def tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    tell_user(client, channel.get("id"), clicker(body), text)
