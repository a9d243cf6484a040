"""Two policies' measures side by side, pure: the report's rows and the leads whose outcome
changes (breached or not, the manager told or not, the queue or not, another rep), most
consequential first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.review.simulate.measures import Fate, Measures, busiest

# Ranked: a breach that appears or goes matters most, a different reminder count least.
WEIGHTS = {"breach": 0, "contact": 1, "manager": 2, "queue": 3, "rep": 4, "reminders": 5}
GENERIC = {"rep": "routed to another rep", "reminders": "reminders differ"}


@dataclass(frozen=True)
class Row:
    label: str
    values: tuple[str, ...]  # one per column
    numbers: tuple[float, ...]  # the same, as numbers (JSON)


@dataclass(frozen=True)
class Change:
    key: str
    what: tuple[str, ...]  # "breach → within SLA", "to Alice → to Bo"
    rank: int
    kinds: tuple[str, ...] = ()  # WEIGHTS' keys, one per `what`


def rows(columns: Sequence[Measures]) -> list[Row]:
    """The side-by-side table: one row per measure, one value per column."""

    def row(label: str, value: Callable[[Measures], float], show: Callable[[float], str]) -> Row:
        numbers = tuple(float(value(m)) for m in columns)
        return Row(label, tuple(show(n) for n in numbers), numbers)

    def share(test: Callable[[Fate], bool]) -> Callable[[Measures], float]:
        return lambda m: m.count(test) / m.leads if m.leads else 0.0

    return [
        row("leads replayed", lambda m: m.leads, _int),
        row("SLA breaches", lambda m: m.count(lambda f: f.breached), _int),
        row("  share of leads", share(lambda f: f.breached), _pct),
        row("contacted within SLA", share(lambda f: f.contacted_in_sla), _pct),
        row("reminders per rep per day", lambda m: m.reminders_per_rep_day(), _two),
        row("  busiest rep-day", lambda m: busiest(m.reminders), _int),
        row("manager escalations per day", lambda m: sum(m.managers.values()) / m.days, _two),
        row("  busiest day", lambda m: busiest(m.managers), _int),
        row("leads to the shared queue", lambda m: sum(m.queued.values()), _int),
        row("  per day", lambda m: sum(m.queued.values()) / m.days, _two),
    ]


def changes(before: Measures, after: Measures, name: Callable[[str | None], str]) -> list[Change]:
    """The leads (in both) whose fate differs, most consequential first, then by key order."""
    found: list[Change] = []
    for order, (key, was) in enumerate(before.fates.items()):
        now = after.fates.get(key)
        if now is None:
            continue
        what = _differences(was, now, name)
        if what:
            rank = min(WEIGHTS[kind] for kind, _ in what)
            found.append(Change(key, tuple(text for _, text in what), rank * 1_000_000 + order,
                                tuple(kind for kind, _ in what)))  # fmt: skip
    return sorted(found, key=lambda change: change.rank)


def _differences(was: Fate, now: Fate, name: Callable[[str | None], str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if was.breached != now.breached:
        found.append(("breach", "within SLA → breached" if now.breached else "breach → within SLA"))
    if was.contacted_in_sla != now.contacted_in_sla:
        found.append(("contact", "contacted within SLA → late" if was.contacted_in_sla
                      else "contacted late → within SLA"))  # fmt: skip
    if was.manager_told != now.manager_told:
        found.append(("manager", "manager told → not" if was.manager_told else "manager told"))
    if was.queued != now.queued:
        found.append(("queue", "shared queue → not" if was.queued else "goes to the shared queue"))
    if was.routed_to != now.routed_to:
        found.append(("rep", f"to {name(was.routed_to)} → to {name(now.routed_to)}"))
    if was.reminders != now.reminders:
        found.append(("reminders", f"reminders {was.reminders} → {now.reminders}"))
    return found


def tally(found: Sequence[Change]) -> dict[str, int]:
    """How many leads each kind of change touches ("breach → within SLA": 12)."""
    counts: dict[str, int] = {}
    for change in found:
        for kind, text in zip(change.kinds, change.what, strict=True):
            label = GENERIC.get(kind, text)  # who and how many vary by lead: one label each
            counts[label] = counts.get(label, 0) + 1
    return counts


def _int(value: float) -> str:
    return f"{value:,.0f}"


def _two(value: float) -> str:
    return f"{value:,.2f}"


def _pct(value: float) -> str:
    return f"{value:.0%}"
