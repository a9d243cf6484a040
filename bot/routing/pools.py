"""Pure: turn the configured pools (a team, an inline reps list, overrides) into plain data.

Each resolved pool has a ``key`` under which the caller keeps its state (round-robin pointer,
served counts). A plain ``{team: emea}`` is keyed ``team:emea`` wherever it appears, so every rule
sending leads to that team shares one rotation; a pool with its own reps list or overrides gets
its own key (``rule:<name>``, ``fallback2:rule:<name>``, ``default``), so a key always means one
set of settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.config.routing import Pool, Routing, Rule, Team

__all__ = ["DEFAULT_KEY", "ResolvedPool", "find_pool", "routes_for"]

DEFAULT_KEY = "default"  # the same key the plain round robin used, so its pointer carries over


@dataclass(frozen=True)
class ResolvedPool:
    key: str
    label: str  # how the reason names this step, e.g. "EMEA rule · fallback team apac"
    reps: tuple[str, ...]
    strategy: str = "round_robin"
    weights: Mapping[str, int] = field(default_factory=dict)
    respect_working_hours: bool = False
    daily_cap: int | None = None

    def weight(self, rep_id: str) -> int:
        return self.weights.get(rep_id, 1)


def routes_for(
    rule: Rule | None, routing: Routing, teams: Mapping[str, Team], everyone: Sequence[str]
) -> list[ResolvedPool]:
    """The pools to try in order: the rule's pool, its fallbacks, then the default.

    A pool already tried (same key) is not tried again: it would only repeat the same skips.
    """
    routes: list[ResolvedPool] = []
    if rule is not None:
        head = f"{rule.name} rule"
        routes.append(_resolve(rule.pool, f"rule:{rule.name}", head, teams))
        for j, pool in enumerate(rule.fallback):
            name = f"team {pool.team}" if pool.team is not None else str(j + 1)
            key = f"fallback{j + 1}:rule:{rule.name}"  # never equal to another rule's key
            routes.append(_resolve(pool, key, f"{head} · fallback {name}", teams))
    label = f"{rule.name} rule · default pool" if rule is not None else "default pool"
    routes.append(_default(routing, label, teams, everyone))
    unique: dict[str, ResolvedPool] = {}
    for pool in routes:
        unique.setdefault(pool.key, pool)
    return list(unique.values())


def find_pool(
    key: str, routing: Routing, teams: Mapping[str, Team], everyone: Sequence[str]
) -> ResolvedPool | None:
    """The pool stored on a lead, for the ack-timeout backup; None if the config dropped it."""
    candidates = [_default(routing, "default pool", teams, everyone)]
    for rule in routing.rules:
        candidates += routes_for(rule, routing, teams, everyone)
    return next((pool for pool in candidates if pool.key == key), None)


def _default(
    routing: Routing, label: str, teams: Mapping[str, Team], everyone: Sequence[str]
) -> ResolvedPool:
    if routing.default is None:
        # No `default:` configured: every rep in config order, as before routing rules existed.
        return ResolvedPool(DEFAULT_KEY, label, tuple(everyone))
    return _resolve(routing.default, DEFAULT_KEY, label, teams)


def _resolve(pool: Pool, own_key: str, label: str, teams: Mapping[str, Team]) -> ResolvedPool:
    if pool.reps is not None:
        return ResolvedPool(
            own_key,
            label,
            tuple(pool.reps),
            pool.strategy or "round_robin",
            dict(pool.weights or {}),
            bool(pool.respect_working_hours),
            pool.daily_cap,
        )
    # check_routing reports unknown teams; should one slip through, it is a pool nobody is in.
    team = teams.get(pool.team or "") or Team.model_construct(reps=[])
    overridden = any(
        value is not None
        for value in (pool.strategy, pool.weights, pool.respect_working_hours, pool.daily_cap)
    )
    return ResolvedPool(
        own_key if overridden else f"team:{pool.team}",
        label,
        tuple(team.reps),
        pool.strategy or team.strategy,
        dict(team.weights if pool.weights is None else pool.weights),
        team.respect_working_hours
        if pool.respect_working_hours is None
        else pool.respect_working_hours,
        team.daily_cap if pool.daily_cap is None else pool.daily_cap,
    )
