"""Pure routing decisions: who gets a lead, from which pool, and a reason a person can trust.

No database and no clock: the caller loads the state (rep availability, today's counts, pool
pointers) inside its write transaction, calls ``decide``, and stores what the decision says.

Concurrency contract for the caller: a decision from a pool carries ``advance_pointer_to``, the
pool's pointer after this lead (pointers only ever grow). Store it with a compare-and-set,
``UPDATE route_pointers SET position = :new WHERE pool = :key AND position = :old`` (``:old`` is
the ``PoolState.pointer`` the decision saw; insert the row when missing). If no row changed, another
intake took that slot first: reload the state and decide again. Two concurrent intakes can then
never take the same slot, and since the value only grows, an old pointer can never match again.
Or, as intake on PostgreSQL does: move the pointer first, in one statement, by
``pointer_steps`` (how far the decision will move it, for each place it may stand), have that
statement return where it stood, and decide with that (routing.router).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.config.routing import Routing, Rule, Team
from bot.durations import format_duration
from bot.routing.decision import OWNER_POOL, QUEUE_POOL, Decision
from bot.routing.match import LeadFacts, condition_matches
from bot.routing.pools import ResolvedPool, find_pool, routes_for

__all__ = [
    "OWNER_POOL",
    "QUEUE_POOL",
    "Decision",
    "LeadFacts",
    "PoolState",
    "RepState",
    "backup",
    "decide",
    "first_rule",
    "ineligible",
    "pointer_steps",
]

STRATEGY_LABELS = {
    "round_robin": "round robin",
    "weighted": "weighted round robin",
    "least_loaded": "least loaded",
}


@dataclass(frozen=True)
class RepState:
    rep_id: str
    away: bool = False
    away_until: datetime | None = None
    working_now: bool = True  # inside the rep's working hours at the decision time
    assigned_today: int = 0  # leads assigned today, "today" in the rep's own time zone
    open_leads: int = 0


@dataclass(frozen=True)
class PoolState:
    pointer: int = 0  # how many leads the pool has placed: round robin starts at pointer % size
    served: Mapping[str, int] = field(default_factory=dict)  # leads per rep, for weighted


_EMPTY = PoolState()


class _Skips:
    """The reps passed over, each once, with the first reason found."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names
        self.why: dict[str, str] = {}

    def add(self, rep_id: str, why: str) -> None:
        self.why.setdefault(rep_id, why)

    def items(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.why.items())

    def text(self) -> str:
        return ", ".join(f"{self.names.get(r, r)} skipped ({w})" for r, w in self.why.items())


def _join(*parts: str) -> str:
    return " · ".join(part for part in parts if part)


def ineligible(rep_id: str, pool: ResolvedPool, reps: Mapping[str, RepState]) -> str | None:
    """Why the rep cannot take a lead from this pool now, or None if they can."""
    state = reps.get(rep_id)
    if state is None:
        return "not a rep"
    if state.away:
        return "away"
    if pool.daily_cap is not None and state.assigned_today >= pool.daily_cap:
        return f"cap {state.assigned_today}/{pool.daily_cap}"
    if pool.respect_working_hours and not state.working_now:
        return "off hours"
    return None


def first_rule(routing: Routing, lead: LeadFacts) -> Rule | None:
    return next((rule for rule in routing.rules if condition_matches(rule.when, lead)), None)


def decide(
    lead: LeadFacts,
    routing: Routing,
    teams: Mapping[str, Team],
    reps: Mapping[str, RepState],
    pools: Mapping[str, PoolState],
    names: Mapping[str, str],
    previous_owner: str | None = None,
    owner_label: str = "existing owner",
) -> Decision:
    """Existing owner if eligible; else the first matching rule's pool, its fallbacks, the
    default pool, and finally the shared queue. ``reps`` must list every rep in config order
    (it is also the default pool when ``routing.default`` is unset)."""
    rule = first_rule(routing, lead)
    rule_name = rule.name if rule else None
    routes = routes_for(rule, routing, teams, list(reps))
    skips = _Skips(names)
    if previous_owner is not None:
        # The owner is held to the settings (cap, hours) of the pool the lead would go to.
        why = ineligible(previous_owner, routes[0], reps)
        if why is None:
            return Decision(previous_owner, OWNER_POOL, None, "existing_owner", owner_label)
        skips.add(previous_owner, f"{owner_label}, {why}")
    for pool in routes:
        picked = _STRATEGIES[pool.strategy](pool, reps, pools.get(pool.key, _EMPTY), skips)
        if picked is not None:
            owner, pointer = picked
            skips.why.pop(owner, None)  # skipped by an earlier pool's limits, taken by this one
            reason = _join(pool.label, STRATEGY_LABELS[pool.strategy], skips.text())
            return Decision(
                owner, pool.key, rule_name, pool.strategy, reason, skips.items(), pointer
            )
    head = f"{rule_name} rule" if rule_name else "default pool"
    reason = _join(head, "nobody eligible", skips.text(), "shared queue")
    return Decision(None, QUEUE_POOL, rule_name, "queue", reason, skips.items())


def pointer_steps(pool: ResolvedPool, reps: Mapping[str, RepState]) -> tuple[int, ...]:
    """How far ``decide`` moves this pool's pointer when the pool places a lead, for each value
    of the pointer modulo the number of steps: round robin moves it just past the first eligible
    rep from where it stands, the other strategies one step wherever it stands (it counts the
    pool's leads). For a pool ``decide`` picked from, so with an eligible rep."""
    if pool.strategy != "round_robin":
        return (1,)
    size = len(pool.reps)
    free = [ineligible(rep_id, pool, reps) is None for rep_id in pool.reps]
    return tuple(
        next(offset + 1 for offset in range(size) if free[(start + offset) % size])
        for start in range(size)
    )


Pick = tuple[str, int] | None
Strategy = Callable[[ResolvedPool, Mapping[str, RepState], PoolState, _Skips], Pick]


def _round_robin(
    pool: ResolvedPool, reps: Mapping[str, RepState], state: PoolState, skips: _Skips
) -> Pick:
    # Only the reps passed over on the way to the pick are "skipped": those after it were not.
    for offset in range(len(pool.reps)):
        rep_id = pool.reps[(state.pointer + offset) % len(pool.reps)]
        why = ineligible(rep_id, pool, reps)
        if why is None:
            return rep_id, state.pointer + offset + 1
        skips.add(rep_id, why)
    return None


def _eligible(pool: ResolvedPool, reps: Mapping[str, RepState], skips: _Skips) -> list[str]:
    eligible = []
    for rep_id in pool.reps:
        why = ineligible(rep_id, pool, reps)
        if why is None:
            eligible.append(rep_id)
        else:
            skips.add(rep_id, why)
    return eligible


def _weighted(
    pool: ResolvedPool, reps: Mapping[str, RepState], state: PoolState, skips: _Skips
) -> Pick:
    """The eligible rep furthest below their share: weight * (leads so far + 1) / total weight.

    Compared in integers (both sides times the total weight) so ties are exact and go to the
    earlier rep in the pool. Over any run of leads each rep stays within a lead or two of their
    share, so counts follow the weights; ``served`` may be a sliding window (see the notes).
    """
    eligible = _eligible(pool, reps, skips)
    if not eligible:
        return None
    total_weight = sum(pool.weight(rep_id) for rep_id in pool.reps)
    placed = sum(state.served.get(rep_id, 0) for rep_id in pool.reps) + 1

    def deficit(rep_id: str) -> int:
        return pool.weight(rep_id) * placed - state.served.get(rep_id, 0) * total_weight

    return max(eligible, key=deficit), state.pointer + 1


def _least_loaded(
    pool: ResolvedPool, reps: Mapping[str, RepState], state: PoolState, skips: _Skips
) -> Pick:
    eligible = _eligible(pool, reps, skips)
    if not eligible:
        return None
    # min() keeps the first of equal values: ties go to the earlier rep in the pool.
    return min(eligible, key=lambda rep_id: reps[rep_id].open_leads), state.pointer + 1


_STRATEGIES: dict[str, Strategy] = {
    "round_robin": _round_robin,
    "weighted": _weighted,
    "least_loaded": _least_loaded,
}


def backup(
    pool_key: str,
    current_owner: str,
    routing: Routing,
    teams: Mapping[str, Team],
    reps: Mapping[str, RepState],
    names: Mapping[str, str],
    passed: Collection[str] = (),
) -> Decision | None:
    """The ack-timeout backup: the next eligible rep after ``current_owner`` in the lead's pool.

    None when nobody else is eligible: the lead stays put and the escalation chain goes on. The
    pool pointer does not move: this is a second chance for the same lead, not a new lead.
    """
    pool = find_pool(pool_key, routing, teams, list(reps))
    if pool is None or not pool.reps:
        return None
    after = format_duration(routing.ack_timeout) if routing.ack_timeout else None
    head = f"reassigned after {after} without a claim" if after else "reassigned without a claim"
    skips = _Skips(names)
    start = pool.reps.index(current_owner) + 1 if current_owner in pool.reps else 0
    for offset in range(len(pool.reps)):
        rep_id = pool.reps[(start + offset) % len(pool.reps)]
        if rep_id == current_owner or rep_id in passed:
            continue
        why = ineligible(rep_id, pool, reps)
        if why is None:
            reason = _join(head, skips.text())
            return Decision(rep_id, pool.key, None, "backup", reason, skips.items())
        skips.add(rep_id, why)
    return None
