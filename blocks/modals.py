"""Modals: pure builders returning slack_sdk View objects."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    RadioButtonsElement,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from blocks import ids
from blocks.mrkdwn import literal_truncated
from bot.durations import parse_duration


def snooze_label(choice: str) -> str:
    """ "15m" -> "15 minutes"; "tomorrow" -> "Tomorrow 9:00 (my time)"."""
    if choice == "tomorrow":
        return "Tomorrow 9:00 (my time)"
    seconds = int(parse_duration(choice).total_seconds())
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return choice


def snooze_modal(
    lead_id: int, lead_name: str | None, choices: Sequence[str], reasons: Sequence[str] = ()
) -> View:
    """`reasons`: asked for as well (the weekly digest counts them); none: not asked."""
    options = [Option(value=choice, text=snooze_label(choice)) for choice in choices]
    name = literal_truncated(lead_name or f"lead #{lead_id}", 200)
    why = [
        InputBlock(
            block_id=ids.SNOOZE_REASON_BLOCK,
            label="Why",
            element=RadioButtonsElement(
                action_id=ids.SNOOZE_REASON,
                options=[Option(value=reason, text=reason) for reason in reasons],
            ),
        )
    ]
    return View(
        type="modal",
        callback_id=ids.SNOOZE_MODAL,
        private_metadata=str(lead_id),
        title="Snooze lead",
        submit="Snooze",
        close="Cancel",
        blocks=[
            SectionBlock(
                text=f"Reminders about *{name}* pause until then. Snoozing is not claiming."
            ),
            InputBlock(
                block_id=ids.SNOOZE_CHOICE_BLOCK,
                label="Snooze for",
                element=RadioButtonsElement(
                    action_id=ids.SNOOZE_CHOICE,
                    options=options,
                    initial_option=options[min(1, len(options) - 1)],
                ),
            ),
            *(why if reasons else []),
        ],
    )


def reassign_modal(lead_id: int, lead_name: str | None) -> View:
    name = literal_truncated(lead_name or f"lead #{lead_id}", 200)
    return View(
        type="modal",
        callback_id=ids.REASSIGN_MODAL,
        private_metadata=str(lead_id),
        title="Reassign lead",
        submit="Reassign",
        close="Cancel",
        blocks=[
            SectionBlock(text=f"Who should take *{name}*? They get a fresh card now."),
            InputBlock(
                block_id=ids.REASSIGN_USER_BLOCK,
                label="New owner",
                element=UserSelectElement(action_id=ids.REASSIGN_USER, placeholder="Pick a rep"),
            ),
        ],
    )
