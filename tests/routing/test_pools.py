"""Pools (bot/routing/pools.py): the default pool, and which pools share a rotation key."""

from __future__ import annotations

from bot.config.routing import Routing
from bot.routing.engine import Decision, LeadFacts, PoolState, decide
from tests.routing.conftest import NAMES, PLAIN, reps, route


def test_unmatched_leads_use_the_default_pool_and_its_pointer() -> None:
    decision = route(PLAIN, pools={"default": PoolState(pointer=12)})
    reason = "default pool · round robin"
    assert decision == Decision("U0CHEN", "default", None, "round_robin", reason, (), 13)
    # No `default:` configured: every rep, in config order.
    plain = decide(PLAIN, Routing(), {}, reps(), {"default": PoolState(pointer=1)}, NAMES)
    assert (plain.owner_id, plain.pool, plain.advance_pointer_to) == ("U0BO", "default", 2)


def test_inline_pools_and_overridden_teams_get_their_own_keys() -> None:
    partner = route(LeadFacts(source="PARTNER"))
    assert (partner.owner_id, partner.pool, partner.reason) == (
        "U0BO", "rule:Partners", "Partners rule · round robin"
    )  # fmt: skip
    loads = reps(U0ANA={"open_leads": 3}, U0BO={"open_leads": 1}, U0DEV={"open_leads": 1})
    utm = route(LeadFacts(fields={"utm_campaign": "q4-webinar"}), loads)
    assert (utm.owner_id, utm.pool, utm.strategy) == ("U0BO", "rule:UTM regex", "least_loaded")
    assert utm.reason == "UTM regex rule · least loaded"
