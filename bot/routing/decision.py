"""One routing outcome, whoever decides: where a lead goes, why, and what it took.

The engine decides for new leads and for the ack-timeout backup; a pass goes to the next rep in
rotation; a manager picks a rep by hand. All of them hand the lead on with a `Decision`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

OWNER_POOL = "owner"  # Decision.pool when owner memory decided
QUEUE_POOL = "queue"  # Decision.pool when nobody was eligible
PASS_STRATEGY = "rotation"  # a pass: the next rep in config order who has not passed yet
MANUAL_STRATEGY = "manual"  # a manager chose the rep


@dataclass(frozen=True)
class Decision:
    owner_id: str | None  # None: the shared queue
    pool: str | None  # the pool that decided, OWNER_POOL / QUEUE_POOL; None: not a pool's pick
    rule: str | None  # the rule that matched, if any (also when a fallback assigned)
    strategy: str  # round_robin | weighted | least_loaded | existing_owner | queue | backup | ...
    reason: str  # for people: shown on the card and in `leadbot route`
    skipped: tuple[tuple[str, str], ...] = ()  # (rep id, why), in the order they were passed
    advance_pointer_to: int | None = None  # compare-and-set the pool's pointer to this value


def by_hand(owner_id: str, reason: str) -> Decision:
    """A manager's pick: no pool, no rule."""
    return Decision(owner_id, None, None, MANUAL_STRATEGY, reason)


def next_after_pass(
    reps: Sequence[str], names: Mapping[str, str], current: str, passed: set[str]
) -> Decision:
    """The next rep after `current` in rotation order who has not passed on this lead yet."""
    by = names.get(current, current)
    start = reps.index(current) + 1 if current in reps else 0
    for offset in range(len(reps)):
        candidate = reps[(start + offset) % len(reps)]
        if candidate not in passed and candidate != current:
            reason = f"passed by {by} · next in rotation"
            return Decision(candidate, None, None, PASS_STRATEGY, reason)
    reason = f"passed by {by} · everyone passed · shared queue"
    return Decision(None, QUEUE_POOL, None, PASS_STRATEGY, reason)
