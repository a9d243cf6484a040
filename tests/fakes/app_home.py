"""Verbs for the App Home tests (the tab's listener and its refresher): open a tab, read what was
published, add a lead straight through the service."""

from __future__ import annotations

import json

from bot.fakeslack.server import RecordedCall
from bot.leads.input import parse_lead
from tests.fakes.harness import Harness

LEAD = {"source": "website", "company": "Northwind"}


def open_home(bot: Harness, user_id: str, tab: str = "home") -> None:
    status, _ = bot.send_event({"type": "app_home_opened", "user": user_id, "tab": tab})
    assert status == 200


def publishes(bot: Harness, user_id: str) -> list[RecordedCall]:
    return [c for c in bot.fake.calls("views.publish") if c.args["user_id"] == user_id]


def published(bot: Harness, user_id: str, count: int = 1) -> str:
    calls = bot.fake.wait_for(
        "views.publish", count=count, where=lambda c: c.args["user_id"] == user_id
    )
    return json.dumps(calls[count - 1].args["view"], ensure_ascii=False)


def add_lead(bot: Harness, name: str) -> None:
    tiers = [tier.name for tier in bot.app.services.config.tiers]
    data = {**LEAD, "external_id": name, "name": name}
    bot.app.services.leads.receive(parse_lead(data, tiers))
