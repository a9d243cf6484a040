"""How listeners reach the services: Bolt's per-request context, filled by one middleware.

Listeners never import the app; `bot/app.py` installs `services_middleware` when it wires Bolt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

if TYPE_CHECKING:
    from bot.services import Services

SERVICES_KEY = "leadbot_services"
log = logging.getLogger("leadbot.handlers")


def services_middleware(services: Services) -> Callable[..., Any]:
    def middleware(context: dict[str, Any], next: Callable[[], Any]) -> Any:
        context[SERVICES_KEY] = services
        return next()

    return middleware


def shared_client(client: WebClient) -> Callable[..., None]:
    """A Bolt middleware handing listeners the app's own client, which counts each call: Bolt
    would make them a fresh one per request (one token serves every request here)."""

    def middleware(context: dict[str, Any], next: Callable[[], None]) -> None:
        context["client"] = client
        next()

    return middleware


def services_of(context: dict[str, Any]) -> Services:
    return context[SERVICES_KEY]


def tell_user(client: WebClient, channel: str | None, user_id: str, text: str) -> None:
    """A note only `user_id` sees, in `channel`. Without a channel (a click on the App Home
    tab), or where leadbot may not post (a channel it is not in), a DM instead."""
    if channel:
        try:
            client.chat_postEphemeral(channel=channel, user=user_id, text=text)
            return
        except SlackApiError as err:
            error = err.response.get("error")
            log.warning("no ephemeral in %s (%s): telling %s in a DM", channel, error, user_id)
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as err:  # a note to one person: worth a warning, not a failed request
        log.warning("could not tell %s (%s)", user_id, err.response.get("error"))


@dataclass(frozen=True)
class SlashCommand:
    """One `/leads <subcommand> …`, already acknowledged: who asked, the words after the
    subcommand, and how to answer (only the caller sees the answer)."""

    user_id: str
    channel_id: str
    trigger_id: str
    words: list[str]
    services: Services
    respond: Respond
    client: WebClient

    def answer(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        if blocks is None:
            self.respond(response_type="ephemeral", text=text)
        else:
            self.respond(response_type="ephemeral", text=text, blocks=blocks)
