"""Modals: pure builders returning slack_sdk View objects."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks import ids
from blocks.mrkdwn import escape_truncated


def snooze_modal(lead_id: int, lead_name: str | None, choices: tuple[tuple[str, str], ...]) -> View:
    options = [Option(value=value, text=label) for value, label in choices]
    name = escape_truncated(lead_name or f"lead #{lead_id}", 200)
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
                    action_id=ids.SNOOZE_CHOICE, options=options, initial_option=options[1]
                ),
            ),
        ],
    )
