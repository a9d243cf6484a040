"""Every layer of checks on leadbot.yml, each run whatever the others found.

The schema (pydantic) runs the checks of a section across its own keys only once all of its
fields are valid, and the checks across sections (routing against teams and reps, cadences
against the template files, the default tier against the tiers) need a whole `Config`. Stopping
at the first layer with problems meant a file with four mistakes took four runs. So a section
with problems is set aside (its default, or a placeholder for a required one), the rest is
validated again, and each check across sections runs when the sections it reads were valid:
on a section replaced by its default it would report the default, not the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from bot.config.errors import USER_ID, Problem, problems_from
from bot.config.routing_checks import check_routing
from bot.config.schema import Config

__all__ = ["Checked", "check_layers", "cross_checks"]

# Stand-ins for required sections set aside: valid, and never reported (nothing reads them).
_PLACEHOLDERS: dict[str, object] = {
    "channels": {"queue": "C0PLACEHOLDER"},
    "reps": [{"id": "U0PLACEHOLDER", "name": "placeholder"}],
}
# Checked together by Config itself: one set aside sets aside the other, or the default of one
# would be checked against the file's other.
_TOGETHER = frozenset({"tiers", "default_tier"})
_ROUNDS = 4  # each round sets aside what the last one found; Config's own checks are one round
_NAMED = re.compile(r"(\w+): (.+)", re.DOTALL)


class Checked:
    """What the layers found: the problems, and the config when one could be built (with the
    sections in `set_aside` replaced), for the checks that read files."""

    def __init__(self, config: Config | None, problems: list[Problem], set_aside: set[str]):
        self.config, self.problems, self.set_aside = config, problems, set_aside

    def valid(self, *sections: str) -> bool:
        return self.config is not None and not self.set_aside.intersection(sections)


def check_layers(data: Mapping[str, Any]) -> Checked:
    """The schema, then the checks across keys (on the raw data: they need no valid model),
    then routing against the teams and reps."""
    checked = _validate_in_rounds(data)
    checked.problems += cross_checks(data)
    if checked.config is not None and checked.valid("routing", "teams"):
        config = checked.config
        rep_ids = _raw_rep_ids(data) if "reps" in checked.set_aside else config.rep_ids()
        checked.problems += check_routing(config.routing, config.teams, rep_ids)
    return checked


def cross_checks(data: Mapping[str, Any]) -> list[Problem]:
    """Duplicate rep ids and reps whose manager is not under ``managers``.

    Runs on the raw data, not the model, so these are reported together with field errors rather
    than only once every field is valid; malformed entries are skipped (field errors cover them).
    """
    reps = data.get("reps") if isinstance(data.get("reps"), list) else []
    raw_managers = data.get("managers") if isinstance(data.get("managers"), list) else []
    ids = [m.get("id") if isinstance(m, dict) else m for m in raw_managers]
    managers = {manager for manager in ids if isinstance(manager, str)}
    problems: list[Problem] = []
    first_seen: dict[str, int] = {}
    for i, rep in enumerate(reps):
        if not isinstance(rep, dict):
            continue
        rep_id, manager = rep.get("id"), rep.get("manager")
        if isinstance(rep_id, str) and rep_id in first_seen:
            msg = f"duplicate rep id {rep_id!r} (also reps[{first_seen[rep_id]}])"
            problems.append((("reps", i, "id"), msg))
        elif isinstance(rep_id, str):
            first_seen[rep_id] = i
        if isinstance(manager, str) and USER_ID.fullmatch(manager) and manager not in managers:
            problems.append((("reps", i, "manager"), f"{manager!r} is not listed under managers"))
    return problems


def _validate_in_rounds(data: Mapping[str, Any]) -> Checked:
    problems: list[Problem] = []
    set_aside: set[str] = set()
    for _ in range(_ROUNDS):
        current = {key: value for key, value in data.items() if key not in set_aside}
        current.update({key: _PLACEHOLDERS[key] for key in set_aside & _PLACEHOLDERS.keys()})
        try:
            return Checked(Config.model_validate(current), problems, set_aside)
        except ValidationError as exc:
            found = [_named(problem) for problem in problems_from(exc, Config)]
        problems += [problem for problem in found if problem not in problems]
        sections = {str(loc[0]) for loc, _ in found if loc} - set_aside
        if not sections:
            break  # nothing more to set aside: no config to check further
        set_aside |= sections | (_TOGETHER if sections & _TOGETHER else set())
    return Checked(None, problems, set_aside)


def _named(problem: Problem) -> Problem:
    """Config's own checks raise "tiers: duplicate tier name 'hot'" with no path: give the
    section named first its path back, so it is sorted, set aside and given its line."""
    loc, message = problem
    match = _NAMED.fullmatch(message) if not loc else None
    if match is None or match.group(1) not in Config.model_fields:
        return problem
    return (match.group(1),), match.group(2)


def _raw_rep_ids(data: Mapping[str, Any]) -> list[str]:
    """The ids the file gives its reps, valid or not: a routing rule naming one of them is not
    also "not listed under reps" (the rep's own problems are reported on the rep)."""
    reps = data.get("reps")
    entries = reps if isinstance(reps, list) else []
    ids = [rep.get("id") for rep in entries if isinstance(rep, dict)]
    return [rep_id for rep_id in ids if isinstance(rep_id, str)]
