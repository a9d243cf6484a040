"""How leads ended in a period, for `/leads stats`: pure, from the event log.

An outcome counts in the period its event falls in: a `closed` event (won with its amount, lost
with its reason, not a fit) or a `cadence_stopped` event (replied, meeting booked, no response
after the final step, stopped by a manager). A lead counts once per outcome: a win that also
stopped the cadence is one win. Rows come per lead owner, so a rep sees their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.vocabulary import EventKind, LeadOutcome

# Outcomes that count as converted when speed is set beside results (the audit, the digest).
CONVERTED = frozenset({LeadOutcome.WON, LeadOutcome.MEETING_BOOKED})

# (owner, lead, event kind, event detail): one event that says how a lead ended.
OutcomeEvent = tuple[str | None, int, str, dict[str, Any]]


@dataclass(frozen=True)
class Outcomes:
    counts: dict[str, int] = field(default_factory=dict)  # LeadOutcome -> leads
    won_amount: Decimal = Decimal(0)
    lost_reasons: tuple[tuple[str, int], ...] = ()  # most frequent first

    @property
    def empty(self) -> bool:
        return not self.counts


NO_OUTCOMES = Outcomes()


def _outcome_of(kind: str, detail: dict[str, Any]) -> str | None:
    if kind == EventKind.CLOSED:
        # Before 0011 a close by "not a fit" wrote only its reason.
        value = detail.get("outcome") or detail.get("reason")
    else:
        value = detail.get("outcome")
    return str(value) if value in LeadOutcome.__members__.values() else None


def _amount(detail: dict[str, Any]) -> Decimal:
    try:
        amount = Decimal(str(detail.get("amount") or 0))
    except InvalidOperation:
        return Decimal(0)
    return amount if amount.is_finite() else Decimal(0)


def outcomes_of(events: Iterable[Sequence[Any]], owner: str | None = None) -> Outcomes:
    """The outcomes of `events` (OutcomeEvent rows); with `owner`, only that owner's leads."""
    seen: set[tuple[int, str]] = set()
    counts: Counter[str] = Counter()
    reasons: dict[int, str] = {}  # lead -> why it was lost
    amounts: dict[int, Decimal] = {}  # lead -> the amount won: its close's, not its cadence's
    for row_owner, lead, kind, detail in events:
        if owner is not None and row_owner != owner:
            continue
        outcome = _outcome_of(kind, detail or {})
        if outcome is None:
            continue
        if kind == EventKind.CLOSED and outcome == LeadOutcome.WON:
            amounts[lead] = _amount(detail)
        if kind == EventKind.CLOSED and outcome == LeadOutcome.LOST and detail.get("reason"):
            reasons[lead] = str(detail["reason"])
        if (lead, outcome) not in seen:
            seen.add((lead, outcome))
            counts[outcome] += 1
    ranked = Counter(reasons.values()).most_common()
    return Outcomes(dict(counts), sum(amounts.values(), Decimal(0)), tuple(ranked))
