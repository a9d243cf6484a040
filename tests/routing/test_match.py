"""The matcher (bot/routing/match.py): conditions on a lead's facts, and the key that remembers
a contact's owner."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config.routing import Condition, Routing
from bot.routing.match import LeadFacts, condition_matches, owner_key

# --- conditions ------------------------------------------------------------------------------

FIELDS = {"utm_campaign": "Q4-launch", "employees": "1,200", "paid": "True", "tags": ["a"]}
LEAD = LeadFacts(
    email="dana@acme.io",
    domain="acme.io",
    country="de",
    region="EMEA",
    company_size=1000,
    product="Pro",
    source="Partner",
    tier="hot",
    fields=FIELDS,
)


CONDITIONS: list[tuple[dict[str, Any], bool]] = [
    ({"field": "region", "equals": "emea"}, True),  # case-insensitive
    ({"field": "region", "equals": "APAC"}, False),
    ({"field": "company_size", "equals": 1000}, True),
    ({"field": "company_size", "equals": "1000"}, True),  # numbers compare as numbers
    ({"field": "fields.paid", "equals": True}, True),  # YAML true and the text "True" agree
    ({"field": "country", "in": ["DE", "FR"]}, True),
    ({"field": "country", "in": "US"}, False),
    ({"field": "source", "in": ["partner"]}, True),
    ({"field": "tier", "in": ["warm", "cold"]}, False),
    ({"field": "domain", "equals": "ACME.IO"}, True),
    ({"field": "email", "regex": r"@acme\.io$"}, True),
    ({"field": "fields.utm_campaign", "regex": "^q4-"}, True),
    ({"field": "fields.utm_campaign", "regex": "launch"}, True),  # search, not full match
    ({"field": "fields.utm_campaign", "regex": "^launch"}, False),
    ({"field": "company_size", "op": ">=", "value": 1000}, True),
    ({"field": "company_size", "op": ">", "value": 1000}, False),
    ({"field": "company_size", "op": "<=", "value": 1000}, True),
    ({"field": "company_size", "op": "<", "value": 1000}, False),
    ({"field": "company_size", "op": "==", "value": 1000}, True),
    ({"field": "product", "op": "==", "value": "PRO"}, True),
    ({"field": "fields.employees", "op": ">", "value": 1199.5}, True),  # "1,200" is a number
    ({"field": "product", "op": ">", "value": 3}, False),  # text is not ordered against numbers
    ({"field": "company_size", "range": "50-999"}, False),
    ({"field": "company_size", "range": "1000-5000"}, True),
    ({"field": "company_size", "range": ">=1000"}, True),
    ({"field": "company_size", "range": "<1000"}, False),
    ({"field": "fields.employees", "range": ">1000"}, True),
    ({"field": "fields.utm_campaign", "range": ">1000"}, False),
    ({"field": "fields.missing", "equals": "x"}, False),  # a missing field never matches
    ({"field": "fields.tags", "equals": "a"}, False),  # nor does a list
    ({"all": [{"field": "region", "equals": "EMEA"}, {"field": "tier", "equals": "hot"}]}, True),
    ({"all": [{"field": "region", "equals": "EMEA"}, {"field": "tier", "equals": "x"}]}, False),
    ({"any": [{"field": "region", "equals": "NA"}, {"field": "tier", "equals": "hot"}]}, True),
    ({"any": [{"field": "region", "equals": "NA"}, {"field": "tier", "equals": "x"}]}, False),
    ({"not": {"field": "region", "equals": "NA"}}, True),
    ({"not": {"any": [{"field": "country", "in": ["de"]}]}}, False),
    (
        {
            "any": [
                {"all": [{"field": "region", "equals": "NA"}, {"field": "tier", "equals": "hot"}]},
                {
                    "all": [
                        {"field": "product", "in": ["pro"]},
                        {"not": {"field": "source", "equals": "web"}},
                    ]
                },
            ]
        },
        True,
    ),
]


@pytest.mark.parametrize(("when", "expected"), CONDITIONS)
def test_condition(when: dict[str, Any], expected: bool) -> None:
    assert condition_matches(Condition.model_validate(when), LEAD) is expected


@pytest.mark.parametrize("field", ["country", "region", "company_size", "product", "source", "tier",
                                   "email", "domain", "fields.utm_campaign"])  # fmt: skip
def test_every_leaf_on_a_missing_field_is_false(field: str) -> None:
    empty = LeadFacts(region="", fields={"utm_campaign": None})
    for when in (
        {"field": field, "equals": "x"},
        {"field": field, "in": ["x"]},
        {"field": field, "regex": ".*"},
        {"field": field, "op": "<", "value": 10**9},
        {"field": field, "range": ">=0"},
    ):
        assert not condition_matches(Condition.model_validate(when), empty)
    # `not` only inverts: "not in EMEA" holds for a lead without a region.
    assert condition_matches(
        Condition.model_validate({"not": {"field": field, "equals": "x"}}), empty
    )


@pytest.mark.parametrize(
    ("match_by", "memory", "lead", "expected"),
    [
        ("email", "90d", LeadFacts(email=" Dana@Acme.io"), ("email", "dana@acme.io")),
        ("domain", "90d", LeadFacts(email="dana@acme.io"), ("domain", "acme.io")),
        ("domain", "90d", LeadFacts(email="x@y.com", domain="Acme.io"), ("domain", "acme.io")),
        ("domain", "90d", LeadFacts(email="dana@gmail.com"), ("email", "dana@gmail.com")),
        ("email", "90d", LeadFacts(), None),
        ("email", "0s", LeadFacts(email="dana@acme.io"), None),
    ],
)
def test_owner_memory_key(
    match_by: str, memory: str, lead: LeadFacts, expected: tuple[str, str] | None
) -> None:
    routing = Routing.model_validate({"match_owner_by": match_by, "owner_memory": memory})
    assert owner_key(lead, routing) == expected
