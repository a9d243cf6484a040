"""Shared by the routing tests: five reps, two teams, three rules, and `route` to decide with
them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.config.routing import Routing, Team
from bot.routing.engine import Decision, LeadFacts, PoolState, RepState, decide

NAMES = {"U0ANA": "Ana", "U0BO": "Bo", "U0CHEN": "Chen", "U0DEV": "Dev", "U0EVE": "Eve"}
EVERYONE = list(NAMES)
TEAMS = {
    "emea": Team.model_validate(
        {
            "reps": ["U0ANA", "U0BO", "U0DEV"],
            "strategy": "weighted",
            "weights": {"U0ANA": 2},
            "respect_working_hours": True,
            "daily_cap": 20,
        }
    ),
    "apac": Team.model_validate({"reps": ["U0CHEN"]}),
}
ROUTING = Routing.model_validate(
    {
        "ack_timeout": "15m",
        "default": {"reps": EVERYONE},
        "rules": [
            {
                "name": "EMEA enterprise",
                "when": {
                    "all": [
                        {"field": "region", "in": ["EMEA"]},
                        {"field": "company_size", "op": ">=", "value": 1000},
                    ]
                },
                "pool": {"team": "emea"},
                "fallback": [{"team": "apac"}, {"reps": ["U0EVE"]}],
            },
            {
                "name": "Partners",
                "when": {"field": "source", "equals": "partner"},
                "pool": ["U0BO"],
            },
            {
                "name": "UTM regex",
                "when": {"field": "fields.utm_campaign", "regex": "^q4-"},
                "pool": {"team": "emea", "strategy": "least_loaded"},
            },
        ],
    }
)
EMEA_BIG = LeadFacts(email="dana@acme.io", region="emea", company_size=5000)
PLAIN = LeadFacts(email="sam@shop.com", region="NA", company_size=10)


def reps(**changes: dict[str, Any]) -> dict[str, RepState]:
    """Everyone available; ``reps(U0ANA={"away": True})`` changes one rep."""
    return {rep: RepState(rep, **changes.get(rep, {})) for rep in EVERYONE}


def route(
    lead: LeadFacts,
    states: Mapping[str, RepState] | None = None,
    pools: Mapping[str, PoolState] | None = None,
    previous_owner: str | None = None,
) -> Decision:
    states = reps() if states is None else states
    return decide(lead, ROUTING, TEAMS, states, pools or {}, NAMES, previous_owner)
