"""The ``teams:`` and ``routing:`` sections: valid shapes, and every mistake named by its path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.config.errors import format_path, problems_from
from bot.config.routing import Pool, Routing, Team
from bot.config.routing_checks import check_routing

REP_IDS = ["U0ALICE", "U0BO", "U0CHEN"]

EXAMPLE = """
teams:
  emea: {reps: [U0ALICE, U0BO], strategy: weighted, weights: {U0ALICE: 2, U0BO: 1},
         respect_working_hours: true, daily_cap: 20}
  apac: {reps: [U0CHEN]}
routing:
  owner_memory: 90d
  match_owner_by: email
  ack_timeout: 15m
  default: {reps: [U0ALICE, U0BO, U0CHEN], strategy: round_robin}
  rules:
    - name: EMEA enterprise
      when: {all: [{field: region, in: [EMEA]}, {field: company_size, op: ">=", value: 1000}]}
      pool: {team: emea}
      fallback: [{team: apac}, {reps: [U0CHEN]}]
    - name: Partners
      when: {field: source, equals: partner}
      pool: {reps: [U0BO]}
    - name: UTM regex
      when: {any: [{field: "fields.utm_campaign", regex: "^q4-"},
                   {field: product, in: [Enterprise, Pro]}]}
      pool: {team: emea, strategy: least_loaded}
"""


class Doc(BaseModel):
    """The two sections as bot.config will hold them (fields ``teams`` and ``routing``)."""

    model_config = ConfigDict(extra="forbid")
    teams: dict[str, Team] = {}
    routing: Routing = Field(default_factory=Routing)


def errors_of(data: dict[str, Any], rep_ids: list[str] = REP_IDS) -> list[str]:
    """``path: message`` lines, as parse_config prints them: field errors, else cross-checks."""
    try:
        doc = Doc.model_validate(data)
    except ValidationError as exc:
        problems = problems_from(exc, Doc)
    else:
        problems = check_routing(doc.routing, doc.teams, rep_ids)
    return [f"{format_path(loc)}: {message}" for loc, message in problems]


def rule(when: object, pool: object = ("U0BO",), **extra: object) -> dict[str, Any]:
    pool_value = list(pool) if isinstance(pool, tuple) else pool
    return {"routing": {"rules": [{"name": "r", "when": when, "pool": pool_value, **extra}]}}


# --- valid configs ---------------------------------------------------------------------------


def test_the_example_parses_without_problems() -> None:
    data = yaml.safe_load(EXAMPLE)
    assert errors_of(data) == []
    doc = Doc.model_validate(data)
    assert doc.teams["emea"].weights == {"U0ALICE": 2, "U0BO": 1}
    assert doc.teams["apac"].strategy == "round_robin"
    assert doc.routing.owner_memory == timedelta(days=90)
    assert doc.routing.ack_timeout == timedelta(minutes=15)
    first = doc.routing.rules[0]
    assert first.when.all is not None and first.when.all[1].op == ">="
    assert [p.team or p.reps for p in first.fallback] == ["apac", ["U0CHEN"]]
    assert doc.routing.rules[2].when.any is not None
    assert doc.routing.rules[2].pool.strategy == "least_loaded"


def test_defaults_keep_plain_round_robin_over_everyone() -> None:
    routing = Routing()
    assert routing.default is None and routing.rules == []
    assert routing.owner_memory == timedelta(days=90)
    assert routing.match_owner_by == "email" and routing.ack_timeout is None


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("emea", Pool(team="emea")),
        (["U0BO", "U0CHEN"], Pool(reps=["U0BO", "U0CHEN"])),
        ({"team": "emea", "daily_cap": 5}, Pool(team="emea", daily_cap=5)),
    ],
)
def test_pool_shorthands(written: object, expected: Pool) -> None:
    data = {"teams": {"emea": {"reps": ["U0ALICE"]}}, **rule({"field": "region", "equals": "x"})}
    data["routing"]["rules"][0]["pool"] = written
    assert errors_of(data) == []
    assert Doc.model_validate(data).routing.rules[0].pool == expected


def test_in_accepts_a_single_value_and_not_nests() -> None:
    when = {"not": {"any": [{"field": "country", "in": "DE"}, {"field": "tier", "equals": "hot"}]}}
    data = rule(when)
    assert errors_of(data) == []
    inner = Doc.model_validate(data).routing.rules[0].when.not_
    assert inner is not None and inner.any is not None and inner.any[0].in_ == ["DE"]


# --- mistakes, each reported at its path -------------------------------------------------------

W = "routing.rules[0].when"
BAD_CONDITIONS = [
    ({"field": "region", "contains": "x"}, f"{W}.contains: unknown key"),
    ({"field": "region", "equal": "x"}, f"{W}.equal: unknown key (did you mean 'equals'?)"),
    (
        {"field": "company_size", "op": "=>", "value": 3},
        f"{W}.op: expected '>=', '<=', '>', '<' or '==', got the text '=>'",
    ),
    (
        {"field": "company_size", "op": ">=", "value": "big"},
        f"{W}: op '>=' compares numbers: 'value' must be a number",
    ),
    ({"field": "company_size", "op": ">="}, f"{W}: op '>=' needs a 'value' to compare with"),
    (
        {"field": "company_size", "value": 3},
        f"{W}: the condition on 'company_size' needs one of equals, in, regex, op or range",
    ),
    (
        {"any": [{"field": "region", "equals": "x"}, {"field": "fields.utm", "regex": "^(q4"}]},
        f"{W}.any[1].regex: bad regex '^(q4': missing ), unterminated subpattern at position 1",
    ),
    (
        {"field": "regoin", "in": ["EMEA"]},
        f"{W}.field: unknown field 'regoin' (did you mean 'region'?): use country, region, "
        "company_size, product, source, tier, email, domain or fields.<key>",
    ),
    (
        {"field": "fields.", "equals": "x"},
        f"{W}.field: unknown field 'fields.': use country, region, company_size, product, "
        "source, tier, email, domain or fields.<key>",
    ),
    (
        {"field": "region", "equals": ["a", "b"]},
        f"{W}.equals: expected text or a number, got a list (use 'in' for several values)",
    ),
    ({"field": "region", "in": []}, f"{W}.in: must not be empty"),
    (
        {"field": "region"},
        f"{W}: the condition on 'region' needs one of equals, in, regex, op or range",
    ),
    (
        {"field": "region", "equals": "x", "in": ["y"]},
        f"{W}: use one of equals, in, regex, op or range per condition (got equals and in); "
        "combine conditions with all or any",
    ),
    (
        {"field": "company_size", "range": "lots"},
        f"{W}.range: 'lots' is not a size rule: use '>=1000', '<50' or '50-999'",
    ),
    (
        {"field": "company_size", "range": "1000-50"},
        f"{W}.range: '1000-50' is empty: write the smaller number first",
    ),
    ({"all": []}, f"{W}.all: must not be empty"),
    (
        {"all": [{"field": "region", "equals": "x"}], "field": "region"},
        f"{W}: use one of all, any or not per condition; nest them to combine",
    ),
    (
        {"not": {"all": [{"field": "region", "op": "~", "value": 1}]}},
        f"{W}.not.all[0].op: expected '>=', '<=', '>', '<' or '==', got the text '~'",
    ),
    (
        {},
        f"{W}: a condition needs 'field' and one of equals, in, regex, op or range "
        "(or all, any, not)",
    ),
]


@pytest.mark.parametrize(("when", "expected"), BAD_CONDITIONS)
def test_bad_conditions(when: object, expected: str) -> None:
    assert errors_of(rule(when)) == [expected]


OK_WHEN = {"field": "region", "equals": "EMEA"}
P = "routing.rules[0].pool"
BAD_POOLS = [
    ({"team": "emea"}, [f"{P}: unknown team 'emea'"]),
    ({"team": "apca"}, [f"{P}: unknown team 'apca' (did you mean 'apac'?)"]),
    ({}, [f"{P}: a pool needs 'reps' (a list of rep ids) or 'team' (a name under teams)"]),
    ({"team": "apac", "reps": ["U0BO"]}, [f"{P}: a pool takes 'reps' or 'team', not both"]),
    (
        {"team": "apac", "strategy": "random"},
        [
            f"{P}.strategy: expected 'round_robin', 'weighted' or 'least_loaded', "
            "got the text 'random'"
        ],
    ),
    ({"reps": ["U0BO", "U0ZED"]}, [f"{P}.reps[1]: 'U0ZED' is not listed under reps"]),
    ({"reps": ["U0BO", "U0BO"]}, [f"{P}.reps: 'U0BO' is listed twice"]),
    ({"reps": []}, [f"{P}.reps: must not be empty"]),
    (
        {"reps": ["alice"]},
        [f"{P}.reps[0]: 'alice' is not a Slack user id: use a member id such as U0123ABCD"],
    ),
    (
        {"reps": ["U0BO"], "strategy": "weighted", "weights": {"U0CHEN": 2}},
        [f"{P}.weights.U0CHEN: 'U0CHEN' is not one of this pool's reps"],
    ),
    (
        {"team": "apac", "strategy": "weighted", "weights": {"U0BO": 2}},
        [f"{P}.weights.U0BO: 'U0BO' is not one of this pool's reps"],
    ),
    (
        {"reps": ["U0BO"], "weights": {"U0BO": 2}},
        [
            f"{P}.weights: weights are only used with strategy: weighted "
            "(this pool uses round_robin)"
        ],
    ),
    ({"team": "apac", "daily_cap": 0}, [f"{P}.daily_cap: must be at least 1, got 0"]),
]


@pytest.mark.parametrize(("pool", "expected"), BAD_POOLS)
def test_bad_pools(pool: object, expected: list[str]) -> None:
    data = {"teams": {"apac": {"reps": ["U0CHEN"]}}, **rule(OK_WHEN, pool)}
    assert errors_of(data) == expected


def test_bad_fallbacks_and_default_name_their_place() -> None:
    data = rule(OK_WHEN, fallback=[{"reps": ["U0CHEN"]}, {"team": "nowhere"}])
    data["routing"]["default"] = {"team": "everyone"}
    assert errors_of(data) == [
        "routing.default: unknown team 'everyone'",
        "routing.rules[0].fallback[1]: unknown team 'nowhere'",
    ]


def test_bad_teams() -> None:
    data = {
        "teams": {
            "emea": {"reps": ["U0ALICE", "U0ZED"], "strategy": "weighted", "weights": {"U0BO": 2}},
            "apac": {"reps": ["U0CHEN"], "strategy": "weighted", "weights": {"U0CHEN": 0}},
        }
    }
    assert errors_of(data) == [
        "teams.apac.weights: the weight of 'U0CHEN' must be a whole number of at least 1"
    ]
    del data["teams"]["apac"]
    assert errors_of(data) == [
        "teams.emea.reps[1]: 'U0ZED' is not listed under reps",
        "teams.emea.weights.U0BO: 'U0BO' is not one of this pool's reps",
    ]
    assert errors_of({"teams": {"x" * 41: {"reps": ["U0BO"]}}}) == [
        f"teams.{'x' * 41}: team names must be at most 40 characters"
    ]


def test_bad_rules_and_settings() -> None:
    two = {"name": "EMEA", "when": OK_WHEN, "pool": ["U0BO"]}
    data = {"routing": {"rules": [two, {**two, "name": "emea"}]}}
    assert errors_of(data) == ["routing.rules[1].name: duplicate rule name 'emea' (also rules[0])"]
    assert errors_of({"routing": {"rules": [{"when": OK_WHEN, "pool": ["U0BO"]}]}}) == [
        "routing.rules[0].name: required key is missing"
    ]
    settings = {"owner_memory": 90, "match_owner_by": "phone", "ack_timeout": "30s", "rule": []}
    assert errors_of({"routing": settings}) == [
        "routing.owner_memory: '90' is not a duration: add a unit s, m, h or d, e.g. 90s or 90m",
        "routing.match_owner_by: expected 'email' or 'domain', got the text 'phone'",
        "routing.ack_timeout: must be at least 1m",
        "routing.rule: unknown key (did you mean 'rules'?)",
    ]
