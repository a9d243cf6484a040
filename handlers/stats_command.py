"""`/leads stats [today|week|month] [@rep|#source]`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient


def show_stats(
    command: dict[str, Any],
    words: list[str],
    context: dict[str, Any],
    respond: Respond,
    client: WebClient,
) -> None:
    respond(response_type="ephemeral", text="Stats are being built.")
