"""Pure policy: tiers, step times in business time, snooze caps. Exact times, no fuzz."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config.load import parse_config
from bot.config.policy import TierMatch
from bot.escalation.policy import (
    ChainStep,
    chain_for,
    next_step,
    sla_due_at,
    snapshot_chain,
    step_due,
    tier_for,
)
from bot.hours import business_calendar
from bot.routing.match import LeadFacts, condition_matches, size_matches
from bot.vocabulary import Action, Tone
from tests.conftest import BASE_CONFIG, make_config

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
HOURS = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:30",
         "holidays": ["2026-11-26", "2026-12-25"]}  # fmt: skip


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)  # type: ignore[misc]


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


def config(**overrides: object):
    return parse_config({**BASE_CONFIG, **overrides}, source="test")


TIERS = [
    {"name": "hot", "respond_within": "5m", "match": {"company_size": ">=1000"}},
    {"name": "warm", "respond_within": "1h", "match": {"source": ["webinar", "website"]}},
    {"name": "cold", "respond_within": "24h"},
    {"name": "partner", "respond_within": "30m", "match": {"source": "partner", "country": "DE"}},
]


@pytest.mark.parametrize(
    ("explicit", "facts", "expected"),
    [
        (None, {"company_size": 5000, "source": "webinar"}, "hot"),
        (None, {"company_size": 20, "source": "webinar"}, "warm"),
        (None, {"company_size": None, "source": "WEBSITE"}, "warm"),
        (None, {"source": "partner", "country": "de"}, "partner"),
        (None, {"source": "partner", "country": "FR"}, "cold"),
        ("partner", {"company_size": 5000}, "partner"),  # an explicit tier wins
        ("unknown", {"source": "ads"}, "cold"),
    ],
)
def test_tiers_first_match_wins(explicit: str | None, facts: dict, expected: str) -> None:
    cfg = config(tiers=TIERS, default_tier="cold")
    lead = LeadFacts(tier=explicit, **facts)
    assert tier_for(lead, cfg.tiers, cfg.default_tier).name == expected


@pytest.mark.parametrize(
    ("rule", "size", "ok"),
    [(">=1000", 1000, True), (">=1000", 999, False), ("50-999", 50, True), ("50-999", 1000, False),
     ("<50", 49, True), ("<50", 50, False), (">10", 11, True), ("<=10", 10, True)],
)  # fmt: skip
def test_company_size_rules(rule: str, size: int, ok: bool) -> None:
    tiers = [
        {"name": "t", "respond_within": "1h", "match": {"company_size": rule}},
        {"name": "other", "respond_within": "1h"},
    ]
    cfg = config(tiers=tiers, default_tier="other")
    assert (tier_for(LeadFacts(company_size=size), cfg.tiers, "other").name == "t") is ok


def test_hot_lead_on_friday_night_is_due_monday_0905() -> None:
    cfg = config(business_hours=HOURS, timezone="America/New_York")
    hot = cfg.tier("hot")
    assert hot is not None
    assert sla_due_at(hot, ny(2026, 11, 20, 23, 0), business_calendar(cfg)) == ny(
        2026, 11, 23, 9, 5
    )


def test_default_chain_in_business_time_across_thanksgiving() -> None:
    cfg = config(business_hours=HOURS, timezone="America/New_York")
    calendar = business_calendar(cfg)
    warm = cfg.tier("warm")
    assert warm is not None
    chain = chain_for(warm, cfg.escalation)
    start = ny(2026, 11, 25, 15, 0)  # Wednesday 15:00; Thursday is a holiday
    due = [step_due(step, start, calendar, None, cfg.snooze.max_delay) for step in chain]
    assert due == [
        ny(2026, 11, 25, 15, 30),
        ny(2026, 11, 25, 17, 0),
        ny(2026, 11, 27, 10, 30),  # 2h30 left Wednesday, the rest on Friday morning
    ]


@pytest.mark.parametrize(
    ("zone", "friday", "monday_due"),
    [
        # Spring forward: Sunday 2026-03-08 in New York, 2026-03-29 in Berlin.
        ("America/New_York", (2026, 3, 6, 17, 0), (2026, 3, 9, 12, 30)),
        ("Europe/Berlin", (2026, 3, 27, 17, 0), (2026, 3, 30, 12, 30)),
        # Fall back: Sunday 2026-11-01 in New York, 2026-10-25 in Berlin.
        ("America/New_York", (2026, 10, 30, 17, 0), (2026, 11, 2, 12, 30)),
        ("Europe/Berlin", (2026, 10, 23, 17, 0), (2026, 10, 26, 12, 30)),
    ],
)
def test_manager_step_over_a_dst_weekend_keeps_local_hours(
    zone: str, friday: tuple[int, ...], monday_due: tuple[int, ...]
) -> None:
    cfg = config(business_hours={**HOURS, "timezone": zone}, timezone=zone)
    tz = ZoneInfo(zone)
    start = datetime(*friday, tzinfo=tz).astimezone(UTC)  # type: ignore[misc]
    manager_step = chain_for(cfg.tiers[1], cfg.escalation)[2]  # after 4h
    due = step_due(manager_step, start, business_calendar(cfg), None, timedelta(hours=2))
    assert due == datetime(*monday_due, tzinfo=tz).astimezone(UTC)  # type: ignore[misc]


def test_snooze_pushes_owner_reminders_but_caps_the_manager_step() -> None:
    cfg = config()
    chain = chain_for(cfg.tiers[1], cfg.escalation)
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    snoozed = start + timedelta(hours=9)
    gentle, direct, manager = (
        step_due(step, start, None, snoozed, timedelta(hours=2)) for step in chain
    )
    assert gentle == direct == snoozed
    assert manager == start + timedelta(hours=4) + timedelta(hours=2)  # never later than max_delay
    short = start + timedelta(hours=4, minutes=30)
    assert step_due(chain[2], start, None, short, timedelta(hours=2)) == short
    early = start + timedelta(minutes=10)  # a snooze that ends before a step changes nothing
    assert step_due(chain[0], start, None, early, timedelta(hours=2)) == start + timedelta(
        minutes=30
    )


def test_repeat_on_the_queue_step_flattens_into_reminders() -> None:
    cfg = config(escalation=[
        {"after": "30m", "do": ["remind_owner"]},
        {"after": "4h", "do": ["notify_manager", "move_to_queue"], "repeat": 2, "every": "2h"},
    ])  # fmt: skip
    chain = snapshot_chain(cfg.escalation.steps)
    assert [(s.after, s.actions) for s in chain] == [
        (timedelta(minutes=30), ("remind_owner",)),
        (timedelta(hours=4), ("notify_manager", "move_to_queue")),
        (timedelta(hours=6), ("queue_reminder",)),
        (timedelta(hours=8), ("queue_reminder",)),
    ]


def test_a_tier_may_carry_its_own_chain() -> None:
    cfg = config(tiers=[
        {"name": "hot", "respond_within": "5m", "urgent": True,
         "escalation": [{"after": "5m", "do": ["remind_owner"], "tone": "urgent"},
                        {"after": "15m", "do": ["reassign"]}]},
        {"name": "warm", "respond_within": "1h"},
    ])  # fmt: skip
    hot, warm = cfg.tiers
    assert [s.actions for s in chain_for(hot, cfg.escalation)] == [("remind_owner",), ("reassign",)]
    assert len(chain_for(warm, cfg.escalation)) == 3


def test_a_long_snooze_lets_the_manager_step_overtake_the_reminders() -> None:
    cfg = config()
    chain = chain_for(cfg.tiers[1], cfg.escalation)
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    snoozed = start + timedelta(days=2)
    assert next_step(chain, 0, start, None, snoozed, timedelta(hours=2)) == (
        2,
        start + timedelta(hours=6),
    )
    assert next_step(chain, 0, start, None, None, timedelta(hours=2)) == (
        0,
        start + timedelta(minutes=30),
    )
    assert next_step(chain, 3, start, None, None, timedelta(hours=2)) is None


@pytest.mark.parametrize(
    ("tier", "due"),
    [
        ("hot", (2026, 11, 20, 16, 5)),
        ("warm", (2026, 11, 20, 17, 0)),
        # 24h of business time: 1h30 Friday, 8h30 Monday and Tuesday, 5h30 into Wednesday.
        ("cold", (2026, 11, 25, 14, 30)),
    ],
)
def test_sla_deadline_for_each_tier_in_business_time(tier: str, due: tuple[int, ...]) -> None:
    cfg = config(business_hours=HOURS, timezone="America/New_York")
    chosen = cfg.tier(tier)
    assert chosen is not None
    friday_4pm = ny(2026, 11, 20, 16, 0)
    assert sla_due_at(chosen, friday_4pm, business_calendar(cfg)) == ny(*due)


def test_ack_timeout_after_the_queue_step_is_not_added() -> None:
    cfg = make_config(routing={"ack_timeout": "5h"})
    warm = cfg.tier("warm")
    assert warm is not None
    chain = chain_for(warm, cfg.escalation, cfg.routing.ack_timeout)
    assert all("backup" not in step.actions for step in chain)
    short = chain_for(warm, cfg.escalation, timedelta(minutes=15))
    assert [step.actions for step in short][:2] == [("backup",), ("remind_owner",)]


# -- tiers match through the routing rules' matcher (one grammar), as they matched before --

# Rules may hold any text; a lead's source, product, country and tier are never empty (LeadIn).
WORDS = st.sampled_from(["website", "Webinar", "partner", "DE", "de", "fr", "Analytics"])
RULE_WORDS = WORDS | st.just("")
SIZES = st.sampled_from([">=1000", "<50", "50-999", ">10", "<=10"])


def old_matches(rule: TierMatch, explicit: str | None, facts: Mapping[str, Any]) -> bool:
    """The tier matcher as it was before tiers used the routing rules' grammar (the oracle)."""
    checks = {
        "source": facts.get("source"),
        "product": facts.get("product"),
        "country": facts.get("country"),
        "tier": explicit,
    }
    for key, value in checks.items():
        allowed = getattr(rule, key)
        if allowed is not None and (
            value is None or str(value).lower() not in {str(v).lower() for v in allowed}
        ):
            return False
    size = facts.get("company_size")
    if rule.company_size is None:
        return True
    return isinstance(size, int) and size_matches(rule.company_size, size)


matches = st.builds(
    TierMatch,
    source=st.none() | st.lists(RULE_WORDS, max_size=3),
    product=st.none() | st.lists(RULE_WORDS, max_size=3),
    country=st.none() | st.lists(RULE_WORDS, max_size=3),
    tier=st.none() | st.lists(RULE_WORDS, max_size=2),
    company_size=st.none() | SIZES,
)
leads = st.fixed_dictionaries(
    {
        "source": WORDS,
        "product": st.none() | WORDS,
        "country": st.none() | WORDS,
        "company_size": st.none() | st.integers(0, 5000),
    }
)


@settings(max_examples=500, deadline=None)
@given(rule=matches, explicit=st.none() | WORDS, lead=leads)
def test_a_tier_match_decides_as_before(
    rule: TierMatch, explicit: str | None, lead: dict[str, Any]
) -> None:
    condition = rule.condition()
    new = condition is None or condition_matches(condition, LeadFacts(tier=explicit, **lead))
    assert new == old_matches(rule, explicit, lead)


def test_an_empty_list_matches_nothing_and_does_not_fail() -> None:
    config = make_config(
        tiers=[
            {"name": "never", "respond_within": "5m", "match": {"source": []}},
            {"name": "warm", "respond_within": "1h"},
        ]
    )
    assert tier_for(LeadFacts(source="website"), config.tiers, "warm").name == "warm"


def test_an_empty_match_matches_every_lead() -> None:
    config = make_config(
        tiers=[
            {"name": "all", "respond_within": "5m", "match": {}},
            {"name": "warm", "respond_within": "1h"},
        ]
    )
    assert tier_for(LeadFacts(source="website"), config.tiers, "warm").name == "all"


@given(
    after=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    actions=st.lists(st.sampled_from([a.value for a in Action]), min_size=1, max_size=4),
    tone=st.sampled_from([t.value for t in Tone]),
    channel=st.none() | st.text(min_size=1, max_size=12),
)
def test_a_chain_step_survives_its_snapshot(
    after: float, actions: list[str], tone: str, channel: str | None
) -> None:
    """The snapshot stored on every lead: every field written, and read back as it was."""
    step = ChainStep(after, tuple(actions), tone, channel)
    stored = step.to_json()
    assert set(stored) == {f.name for f in dataclasses.fields(ChainStep)}
    assert ChainStep.from_json(json.loads(json.dumps(stored))) == step
