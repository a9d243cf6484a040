"""How listeners reach the services: Bolt's per-request context, filled by one middleware.

Listeners never import the app; `bot/app.py` installs `services_middleware` when it wires Bolt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.app import Services

SERVICES_KEY = "leadbot_services"


def services_middleware(services: Services) -> Callable[..., Any]:
    def middleware(context: dict[str, Any], next: Callable[[], Any]) -> Any:
        context[SERVICES_KEY] = services
        return next()

    return middleware


def services_of(context: dict[str, Any]) -> Services:
    return context[SERVICES_KEY]


def lead_id_of(body: dict[str, Any]) -> int:
    """Card buttons carry the lead id as their value."""
    return int(body["actions"][0]["value"])
