"""The pure routing engine: rules, fallbacks, reasons, the backup, and fairness properties."""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config.routing import Routing
from bot.routing.engine import (
    Decision,
    LeadFacts,
    PoolState,
    RepState,
    backup,
    decide,
    first_rule,
    ineligible,
    pointer_steps,
)
from bot.routing.pools import ResolvedPool, find_pool, routes_for
from tests.routing.conftest import (
    EMEA_BIG,
    EVERYONE,
    NAMES,
    PLAIN,
    ROUTING,
    TEAMS,
    reps,
    route,
)


def test_first_matching_rule_wins() -> None:
    both = LeadFacts(region="EMEA", company_size=2000, source="partner")
    rule = first_rule(ROUTING, both)
    assert rule is not None and rule.name == "EMEA enterprise"
    assert first_rule(ROUTING, PLAIN) is None


# --- decisions and their reasons ---------------------------------------------------------------


def test_rule_pool_with_weighted_round_robin() -> None:
    reason = "EMEA enterprise rule · weighted round robin"
    assert route(EMEA_BIG) == Decision(
        "U0ANA", "team:emea", "EMEA enterprise", "weighted", reason, (), 1
    )


def test_reason_names_each_skipped_rep_and_why() -> None:
    states = reps(U0ANA={"away": True}, U0BO={"assigned_today": 20})
    decision = route(EMEA_BIG, states, {"team:emea": PoolState(pointer=8, served={"U0ANA": 4})})
    assert decision.owner_id == "U0DEV"
    assert decision.reason == (
        "EMEA enterprise rule · weighted round robin · Ana skipped (away), Bo skipped (cap 20/20)"
    )
    assert decision.skipped == (("U0ANA", "away"), ("U0BO", "cap 20/20"))
    assert decision.advance_pointer_to == 9


def test_fallbacks_in_order_then_default_then_queue() -> None:
    states = reps(U0ANA={"away": True}, U0BO={"assigned_today": 25}, U0DEV={"working_now": False})
    assert (route(EMEA_BIG, states).owner_id, route(EMEA_BIG, states).pool) == (
        "U0CHEN",
        "team:apac",
    )
    assert route(EMEA_BIG, states).reason == (
        "EMEA enterprise rule · fallback team apac · round robin · "
        "Ana skipped (away), Bo skipped (cap 25/20), Dev skipped (off hours)"
    )
    states["U0CHEN"] = RepState("U0CHEN", away=True)
    second = route(EMEA_BIG, states)
    assert (second.owner_id, second.pool) == ("U0EVE", "fallback2:rule:EMEA enterprise")
    assert second.reason.startswith("EMEA enterprise rule · fallback 2 · round robin · Ana skipped")
    states["U0EVE"] = RepState("U0EVE", away=True)
    third = route(EMEA_BIG, states, {"default": PoolState(pointer=5)})  # 5 % 5: Ana's turn
    # Bo is over the EMEA cap and Dev off hours, but the default pool has neither limit.
    assert (third.owner_id, third.pool, third.rule) == ("U0BO", "default", "EMEA enterprise")
    assert third.reason == (
        "EMEA enterprise rule · default pool · round robin · "
        "Ana skipped (away), Dev skipped (off hours), Chen skipped (away), Eve skipped (away)"
    )
    assert third.advance_pointer_to == 7


def test_queue_when_nobody_is_eligible() -> None:
    everyone_away = reps(**{rep: {"away": True} for rep in EVERYONE})
    assert route(EMEA_BIG, everyone_away) == Decision(
        None,
        "queue",
        "EMEA enterprise",
        "queue",
        "EMEA enterprise rule · nobody eligible · Ana skipped (away), Bo skipped (away), "
        "Dev skipped (away), Chen skipped (away), Eve skipped (away) · shared queue",
        tuple((rep, "away") for rep in ["U0ANA", "U0BO", "U0DEV", "U0CHEN", "U0EVE"]),
        None,
    )
    assert route(PLAIN, everyone_away).reason.startswith("default pool · nobody eligible · Ana")
    nobody = decide(PLAIN, Routing(), {}, {}, {}, NAMES)
    assert (nobody.owner_id, nobody.reason) == (
        None,
        "default pool · nobody eligible · shared queue",
    )


def test_existing_owner_first_when_eligible() -> None:
    assert route(EMEA_BIG, previous_owner="U0CHEN") == Decision(
        "U0CHEN", "owner", None, "existing_owner", "existing owner"
    )
    # Held to the limits of the pool the lead would go to (EMEA: cap 20, working hours).
    capped = route(EMEA_BIG, reps(U0CHEN={"assigned_today": 20}), previous_owner="U0CHEN")
    assert capped.owner_id == "U0ANA"
    assert capped.reason == (
        "EMEA enterprise rule · weighted round robin · Chen skipped (existing owner, cap 20/20)"
    )
    gone = route(PLAIN, previous_owner="U0GONE")
    assert gone.reason == "default pool · round robin · U0GONE skipped (existing owner, not a rep)"


def test_round_robin_skips_from_the_pointer_and_advances_past_the_pick() -> None:
    states = reps(U0CHEN={"away": True}, U0DEV={"away": True})
    decision = route(PLAIN, states, {"default": PoolState(pointer=7)})  # 7 % 5 = Chen
    assert (decision.owner_id, decision.advance_pointer_to) == ("U0EVE", 10)
    assert decision.reason == "default pool · round robin · Chen skipped (away), Dev skipped (away)"


def test_backup_after_ack_timeout() -> None:
    states = reps(U0DEV={"away": True})
    decision = backup("team:emea", "U0BO", ROUTING, TEAMS, states, NAMES)
    assert decision == Decision(
        "U0ANA", "team:emea", None, "backup",
        "reassigned after 15m without a claim · Dev skipped (away)", (("U0DEV", "away"),), None,
    )  # fmt: skip
    assert backup("team:emea", "U0BO", ROUTING, TEAMS, states, NAMES, passed={"U0ANA"}) is None
    assert backup("rule:Gone", "U0BO", ROUTING, TEAMS, states, NAMES) is None
    assert find_pool("fallback2:rule:EMEA enterprise", ROUTING, TEAMS, EVERYONE) is not None


# --- properties ---------------------------------------------------------------------------------

rep_states = st.builds(
    RepState,
    rep_id=st.just(""),
    away=st.booleans(),
    working_now=st.booleans(),
    assigned_today=st.integers(0, 25),
    open_leads=st.integers(0, 5),
)
leads = st.builds(
    LeadFacts,
    region=st.sampled_from(["EMEA", "NA", None]),
    company_size=st.sampled_from([10, 1000, None]),
    source=st.sampled_from(["partner", "web"]),
    fields=st.fixed_dictionaries({"utm_campaign": st.sampled_from(["q4-x", "other"])}),
)


@settings(max_examples=300, deadline=None)
@given(
    lead=leads,
    states=st.lists(rep_states, min_size=5, max_size=5),
    pointers=st.dictionaries(st.sampled_from(["default", "team:emea", "team:apac"]),
                             st.integers(0, 50)),
    previous=st.sampled_from([None, *EVERYONE]),
)  # fmt: skip
def test_never_assigns_to_an_away_or_capped_rep(
    lead: LeadFacts, states: list[RepState], pointers: dict[str, int], previous: str | None
) -> None:
    table = {rep: RepState(rep, s.away, None, s.working_now, s.assigned_today, s.open_leads)
             for rep, s in zip(EVERYONE, states, strict=True)}  # fmt: skip
    pools = {key: PoolState(pointer=p) for key, p in pointers.items()}
    decision = route(lead, table, pools, previous)
    routes = routes_for(first_rule(ROUTING, lead), ROUTING, TEAMS, EVERYONE)
    if decision.owner_id is None:
        # The queue only when truly nobody in any pool could take it.
        assert all(ineligible(r, p, table) for p in routes for r in p.reps)
        return
    pool = routes[0] if decision.pool == "owner" else _by_key(routes, decision.pool)
    assert not table[decision.owner_id].away
    assert ineligible(decision.owner_id, pool, table) is None
    assert decision.owner_id not in dict(decision.skipped)


@settings(max_examples=300, deadline=None)
@given(
    lead=leads,
    states=st.lists(rep_states, min_size=5, max_size=5),
    pointer=st.integers(0, 60),
    previous=st.sampled_from([None, *EVERYONE]),
)  # fmt: skip
def test_pointer_steps_say_how_far_the_decision_moves_the_pointer_from_anywhere(
    lead: LeadFacts, states: list[RepState], pointer: int, previous: str | None
) -> None:
    """What intake on PostgreSQL relies on to move a pointer before deciding (routing.router):
    the pool and the rep's eligibility do not depend on the pointer, and from wherever it
    stands the decision moves it by `pointer_steps`."""
    table = {rep: RepState(rep, s.away, None, s.working_now, s.assigned_today, s.open_leads)
             for rep, s in zip(EVERYONE, states, strict=True)}  # fmt: skip
    draft = route(lead, table, {}, previous)
    if draft.advance_pointer_to is None:  # an owner or the queue: no pointer moves
        return
    routes = routes_for(first_rule(ROUTING, lead), ROUTING, TEAMS, EVERYONE)
    steps = pointer_steps(_by_key(routes, draft.pool), table)
    decision = route(lead, table, {draft.pool: PoolState(pointer=pointer)}, previous)
    assert decision.pool == draft.pool
    assert decision.advance_pointer_to == pointer + steps[pointer % len(steps)]


def _by_key(routes: list[ResolvedPool], key: str) -> ResolvedPool:
    return next(pool for pool in routes if pool.key == key)


def _pool_routing(strategy: str, size: int, weights: dict[str, int] | None = None) -> Routing:
    pool: dict[str, Any] = {"reps": EVERYONE[:size], "strategy": strategy}
    if weights:
        pool["weights"] = weights
    return Routing.model_validate({"default": pool})


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(1, 5),
    away=st.sets(st.integers(0, 4)),
    start=st.integers(0, 1000),
    concurrency=st.lists(st.integers(1, 3), min_size=1, max_size=30),
)
def test_round_robin_never_skips_or_repeats_within_a_cycle(
    size: int, away: set[int], start: int, concurrency: list[int]
) -> None:
    """Intakes arrive in bursts of 1-3 that all read the same pointer; each stores its decision
    with a compare-and-set and, on conflict, reloads and decides again (the caller's contract)."""
    routing = _pool_routing("round_robin", size)
    states = reps(**{EVERYONE[i]: {"away": True} for i in away if i < size})
    eligible = [r for r in EVERYONE[:size] if not states[r].away]
    stored, order = start, []
    for burst in concurrency:
        pending = burst
        while pending:
            seen = stored  # every pending intake read this value
            decisions = [decide(PLAIN, routing, {}, states, {"default": PoolState(seen)}, NAMES)
                         for _ in range(pending)]  # fmt: skip
            for decision in decisions:  # in commit order: only the first CAS matches `seen`
                if decision.owner_id is None:
                    pending -= 1
                    continue
                if stored == seen:
                    assert decision.advance_pointer_to is not None
                    assert decision.advance_pointer_to > stored  # only grows: no ABA
                    stored = decision.advance_pointer_to
                    order.append(decision.owner_id)
                    pending -= 1
    if not eligible:
        assert order == []
        return
    for i in range(0, len(order) - len(eligible) + 1):
        assert sorted(order[i : i + len(eligible)]) == sorted(eligible)


def _run_weighted(weights: dict[str, int], leads: int) -> Counter[str]:
    routing = _pool_routing("weighted", len(weights), weights)
    served: Counter[str] = Counter()
    pointer, total = 0, sum(weights.values())
    for placed in range(1, leads + 1):
        pools = {"default": PoolState(pointer, served)}
        decision = decide(PLAIN, routing, {}, reps(), pools, NAMES)
        assert decision.owner_id is not None and decision.advance_pointer_to is not None
        served[decision.owner_id] += 1
        pointer = decision.advance_pointer_to
        # Not only in the long run: after every lead, each rep is within two leads of their share.
        assert all(abs(served[r] - placed * w / total) <= 2 for r, w in weights.items())
    return served


def test_weighted_2_1_1_converges_within_3_percent() -> None:
    served = _run_weighted({"U0ANA": 2, "U0BO": 1, "U0CHEN": 1}, 1000)
    assert abs(served["U0ANA"] - 500) <= 30
    assert abs(served["U0BO"] - 250) <= 30 and abs(served["U0CHEN"] - 250) <= 30
    assert served == Counter({"U0ANA": 500, "U0BO": 250, "U0CHEN": 250})  # in fact exactly
    smooth = _run_weighted({"U0ANA": 2, "U0BO": 1, "U0CHEN": 1}, 8)
    assert smooth == Counter({"U0ANA": 4, "U0BO": 2, "U0CHEN": 2})  # fair on short runs too


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 10), min_size=2, max_size=5))
def test_weighted_converges_for_any_weights(weights: list[int]) -> None:
    by_rep = dict(zip(EVERYONE, weights, strict=False))
    served = _run_weighted(by_rep, 1000)
    total = sum(weights)
    for rep, weight in by_rep.items():
        assert abs(served[rep] - 1000 * weight / total) <= 30


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.booleans()), min_size=5, max_size=5))
def test_least_loaded_picks_a_minimum(loads: list[tuple[int, bool]]) -> None:
    routing = _pool_routing("least_loaded", 5)
    states = reps(
        **{r: {"open_leads": n, "away": a} for r, (n, a) in zip(EVERYONE, loads, strict=True)}
    )
    decision = decide(PLAIN, routing, {}, states, {}, NAMES)
    available = [r for r in EVERYONE if not states[r].away]
    if not available:
        assert decision.owner_id is None
        return
    lowest = min(states[r].open_leads for r in available)
    assert decision.owner_id == next(r for r in available if states[r].open_leads == lowest)


def test_weighted_over_a_sliding_window_bounds_the_catch_up_after_away() -> None:
    """With ``served`` counted over the pool's last N leads (the recommended wiring), a rep back
    from two hundred leads away catches up for about N × their share, not two hundred leads."""
    routing = _pool_routing("weighted", 3, {"U0ANA": 2, "U0BO": 1, "U0CHEN": 1})
    window: deque[str] = deque(maxlen=20)
    owners = []
    for i in range(600):
        states = reps(U0BO={"away": 100 <= i < 300})
        pools = {"default": PoolState(i, Counter(window))}
        owner = decide(PLAIN, routing, {}, states, pools, NAMES).owner_id
        assert owner is not None
        window.append(owner)
        owners.append(owner)
    streak = next(i for i, owner in enumerate(owners[300:]) if owner != "U0BO")
    assert 1 <= streak <= 20 // 4 + 1
    tail = Counter(owners[400:])  # back to the weights once the window has turned over
    assert abs(tail["U0ANA"] - 100) <= 3 and abs(tail["U0BO"] - 50) <= 3
