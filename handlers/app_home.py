"""The App Home tab: republished whenever the user opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from blocks.home import MAX_CARDS_IN_VIEW, home_view
from blocks.render import card_view
from handlers.context import services_of


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home)


def publish_home(event: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
    if event.get("tab") not in (None, "home"):
        return  # the Messages tab: nothing to draw
    services = services_of(context)
    user_id = event["user"]
    leads = services.queries.open_leads_of(user_id, limit=MAX_CARDS_IN_VIEW)
    total = services.queries.count_open_of(user_id)
    cards = [card_view(lead, "dm", user_id) for lead in leads]
    client.views_publish(user_id=user_id, view=home_view(cards, services.clock.now(), total))
