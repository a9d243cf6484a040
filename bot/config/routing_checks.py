"""Checks of ``teams:`` and ``routing:`` against each other and the ``reps:`` list.

They run on validated models and return problems with their paths (``routing.rules[2].pool:
unknown team 'emea'``), so ``bot.config`` can report them next to its own.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from bot.config.errors import Problem
from bot.config.routing import Pool, Routing, Team

__all__ = ["check_routing"]

Loc = tuple[int | str, ...]


def check_routing(
    routing: Routing, teams: Mapping[str, Team], rep_ids: Sequence[str]
) -> list[Problem]:
    """Unknown teams and reps, weights for reps outside their pool, duplicate rule names."""
    known = set(rep_ids)
    problems: list[Problem] = []
    for name, team in teams.items():
        loc = ("teams", name)
        if len(name) > 40:
            problems.append((loc, "team names must be at most 40 characters"))
        problems += _check_reps(team.reps, (*loc, "reps"), known)
        problems += _check_weights(team.weights, team.reps, team.strategy, (*loc, "weights"))
    for loc, pool in _pools_with_locs(routing):
        problems += _check_pool(pool, loc, teams, known)
    first_seen: dict[str, int] = {}
    for i, rule in enumerate(routing.rules):
        if rule.name.lower() in first_seen:
            msg = f"duplicate rule name {rule.name!r} (also rules[{first_seen[rule.name.lower()]}])"
            problems.append((("routing", "rules", i, "name"), msg))
        first_seen.setdefault(rule.name.lower(), i)
    return problems


def _pools_with_locs(routing: Routing) -> list[tuple[Loc, Pool]]:
    found: list[tuple[Loc, Pool]] = []
    if routing.default is not None:
        found.append((("routing", "default"), routing.default))
    for i, rule in enumerate(routing.rules):
        found.append((("routing", "rules", i, "pool"), rule.pool))
        found += [(("routing", "rules", i, "fallback", j), p) for j, p in enumerate(rule.fallback)]
    return found


def _check_pool(pool: Pool, loc: Loc, teams: Mapping[str, Team], known: set[str]) -> list[Problem]:
    if pool.reps is not None:
        strategy = pool.strategy or "round_robin"
        problems = _check_reps(pool.reps, (*loc, "reps"), known)
        return problems + _check_weights(pool.weights or {}, pool.reps, strategy, (*loc, "weights"))
    team = teams.get(pool.team or "")
    if team is None:
        close = difflib.get_close_matches(pool.team or "", list(teams), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return [(loc, f"unknown team {pool.team!r}{hint}")]
    strategy = pool.strategy or team.strategy
    return _check_weights(pool.weights or {}, team.reps, strategy, (*loc, "weights"))


def _check_reps(reps: Sequence[str], loc: Loc, known: set[str]) -> list[Problem]:
    return [
        ((*loc, i), f"{rep!r} is not listed under reps")
        for i, rep in enumerate(reps)
        if rep not in known
    ]


def _check_weights(
    weights: Mapping[str, int], reps: Sequence[str], strategy: str, loc: Loc
) -> list[Problem]:
    if weights and strategy != "weighted":
        return [(loc, f"weights are only used with strategy: weighted (this pool uses {strategy})")]
    return [
        ((*loc, rep), f"{rep!r} is not one of this pool's reps")
        for rep in weights
        if rep not in reps
    ]
