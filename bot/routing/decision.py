"""Pure routing decisions: who gets a lead, and a reason a person can read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Placement(Protocol):
    """Where a lead goes and why: a pass (below) or an engine decision (routing_engine)."""

    @property
    def owner_id(self) -> str | None: ...

    @property
    def reason(self) -> str: ...


@dataclass(frozen=True)
class Decision:
    owner_id: str | None  # None: the lead goes to the shared queue
    reason: str


def next_after_pass(
    reps: Sequence[str], names: dict[str, str], current: str, passed: set[str]
) -> Decision:
    """The next rep after `current` in rotation order who has not passed on this lead yet."""
    start = reps.index(current) + 1 if current in reps else 0
    for offset in range(len(reps)):
        candidate = reps[(start + offset) % len(reps)]
        if candidate not in passed and candidate != current:
            return Decision(
                candidate, f"passed by {names.get(current, current)} · next in rotation"
            )
    return Decision(
        None, f"passed by {names.get(current, current)} · everyone passed · shared queue"
    )
