"""The App Home tab: drawn fresh whenever the user opens it (and kept fresh by HomeRefresher)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from handlers.context import services_of
from handlers.payloads import is_user_id


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home)


def publish_home(event: dict[str, Any], context: dict[str, Any]) -> None:
    if event.get("tab") not in (None, "home") or not is_user_id(event.get("user")):
        return  # the Messages tab (nothing to draw), or not a person
    services_of(context).homes.opened(str(event["user"]))
