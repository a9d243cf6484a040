"""Pure routing decisions: who gets a lead, and a reason a person can read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    owner_id: str | None  # None: the lead goes to the shared queue
    reason: str


def round_robin(reps: Sequence[str], names: dict[str, str], slot: int) -> Decision:
    """`slot` is the pool's ever-increasing counter, taken atomically from the database."""
    if not reps:
        return Decision(None, "no reps configured · shared queue")
    owner = reps[slot % len(reps)]
    return Decision(owner, f"round robin · {names.get(owner, owner)}'s turn")


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
