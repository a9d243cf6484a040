"""`/leads new`: a modal to enter a phone or walk-in lead, validated like intake."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient


def register(app: App) -> None:
    pass


def open_form(
    command: dict[str, Any],
    words: list[str],
    context: dict[str, Any],
    respond: Respond,
    client: WebClient,
) -> None:
    respond(response_type="ephemeral", text="The new-lead form is being built.")
