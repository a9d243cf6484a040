"""The task card's two forms: why a task is skipped, and which day it moves to."""

from __future__ import annotations

from datetime import date

from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks import ids
from blocks.mrkdwn import literal_truncated

MAX_REASON = 300


def skip_modal(task_id: int, what: str) -> View:
    return View(
        type="modal",
        callback_id=ids.TASK_SKIP_MODAL,
        private_metadata=str(task_id),
        title="Skip this step",
        submit="Skip",
        close="Cancel",
        blocks=[
            SectionBlock(
                text=f"*{literal_truncated(what, 200)}* is skipped and the cadence moves on. "
                "Your reason shows in the weekly review."
            ),
            InputBlock(
                block_id=ids.TASK_SKIP_REASON_BLOCK,
                label="Why skip it?",
                element=PlainTextInputElement(
                    action_id=ids.TASK_SKIP_REASON,
                    max_length=MAX_REASON,
                    placeholder="e.g. no phone number; they asked to wait until January",
                ),
            ),
        ],
    )


def reschedule_modal(task_id: int, what: str, earliest: date) -> View:
    return View(
        type="modal",
        callback_id=ids.TASK_RESCHEDULE_MODAL,
        private_metadata=str(task_id),
        title="Move this step",
        submit="Move",
        close="Cancel",
        blocks=[
            SectionBlock(
                text=f"*{literal_truncated(what, 200)}*: the card comes back on that day, at "
                "the start of your working day."
            ),
            InputBlock(
                block_id=ids.TASK_RESCHEDULE_DATE_BLOCK,
                label="Move to",
                element=DatePickerElement(
                    action_id=ids.TASK_RESCHEDULE_DATE, initial_date=earliest.isoformat()
                ),
            ),
        ],
    )
