"""`leadbot simulate`'s answer: the side-by-side table, the leads whose outcome changes and the
reps' load in the terminal (rich), and the same as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from bot.config.schema import Config
from bot.review.simulate.compare import Change, Row, changes, rows, tally
from bot.review.simulate.measures import Measures, per_rep, routed

MODEL = (
    "Replayed with the real engine on a virtual clock. Each lead is claimed, first contacted "
    "and snoozed as long after its arrival as it really was; what changes is what leadbot does "
    "around those moments. Passes, manager reassignments and away days are not replayed."
)


@dataclass(frozen=True)
class Columns:
    """What the report sets side by side. `actual` only for leadbot's own history."""

    title: str
    current: Measures
    proposed: Measures
    actual: Measures | None
    refused: Sequence[tuple[str, str]]  # leads the proposed policy refuses at intake


def names(current: Config, proposed: Config) -> Callable[[str | None], str]:
    def name(user_id: str | None) -> str:
        if user_id is None:
            return "the queue"
        for config in (proposed, current):
            if config.rep(user_id) is not None:
                return config.display_name(user_id)
        return user_id

    return name


def terminal(columns: Columns, name: Callable[[str | None], str], shown: int,
             console: Console) -> None:  # fmt: skip
    console.print(columns.title, style="bold", markup=False)
    console.print(_measures_table(columns))
    found = changes(columns.current, columns.proposed, name)
    console.print(f"\nLeads whose outcome changes: {len(found):,} of {columns.current.leads:,}",
                  style="bold")  # fmt: skip
    for label, count in tally(found).items():
        console.print(f"  {label}: {count:,}", markup=False)
    if found and shown:
        console.print(_changes_table(found[:shown]))
        if len(found) > shown:
            console.print(f"  … and {len(found) - shown:,} more (--changes N, or --json)")
    console.print(_reps_table(columns, name))
    for key, why in columns.refused[:shown]:
        console.print(f"refused at intake by the proposed policy: {key}: {why}", markup=False)
    console.print(f"\n{MODEL}", style="dim", markup=False)


def _measures_table(columns: Columns) -> Table:
    table = Table(show_edge=False)
    table.add_column("")
    measured = _measured(columns)
    if columns.actual is not None:
        table.add_column("as it happened", justify="right")
    table.add_column("current policy", justify="right")
    table.add_column("proposed", justify="right")
    table.add_column("change", justify="right")
    for row in rows(measured):
        delta = row.numbers[-1] - row.numbers[-2]
        table.add_row(row.label, *row.values, _delta(row, delta))
    return table


def _measured(columns: Columns) -> list[Measures]:
    found = [columns.current, columns.proposed]
    return [columns.actual, *found] if columns.actual is not None else found


def _delta(row: Row, delta: float) -> str:
    if abs(delta) < 1e-9:
        return "="
    if row.values[-1].endswith("%"):
        return f"{delta * 100:+.0f} pt"
    return f"{delta:+,.2f}" if "." in row.values[-1] else f"{delta:+,.0f}"


def _changes_table(found: Sequence[Change]) -> Table:
    table = Table(show_edge=False, title="first the most consequential")
    table.add_column("lead")
    table.add_column("current policy → proposed")
    for change in found:
        table.add_row(change.key, "; ".join(change.what))
    return table


def _reps_table(columns: Columns, name: Callable[[str | None], str]) -> Table:
    table = Table(show_edge=False, title="\nper rep")
    for label in ("", "leads routed (current)", "(proposed)", "reminders a day (current)",
                  "(proposed)"):  # fmt: skip
        table.add_column(label, justify="right" if label else "left")
    people = list(dict.fromkeys([*_people(columns.current), *_people(columns.proposed)]))
    got = routed(columns.current, people), routed(columns.proposed, people)
    load = per_rep(columns.current), per_rep(columns.proposed)
    days = columns.current.days
    for rep in [*people, ""]:
        table.add_row(name(rep or None), f"{got[0].get(rep, 0):,}", f"{got[1].get(rep, 0):,}",
                      f"{load[0].get(rep, 0) / days:.1f}" if rep else "",
                      f"{load[1].get(rep, 0) / days:.1f}" if rep else "")  # fmt: skip
    return table


def _people(measures: Measures) -> list[str]:
    seen = {fate.routed_to for fate in measures.fates.values() if fate.routed_to}
    return sorted(seen | {rep for rep, _ in measures.reminders})


def as_json(columns: Columns, name: Callable[[str | None], str], stream: TextIO) -> None:
    measured = _measured(columns)
    labels = (["as it happened"] if columns.actual is not None else []) + ["current", "proposed"]
    found = changes(columns.current, columns.proposed, name)
    document: dict[str, Any] = {
        "title": columns.title,
        "columns": labels,
        "measures": [{"label": r.label.strip(), "values": list(r.numbers)} for r in rows(measured)],
        "changes": [{"lead": c.key, "what": list(c.what)} for c in found],
        "changed": tally(found),
        "refused": [{"lead": key, "why": why} for key, why in columns.refused],
        "model": MODEL,
    }
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
