"""`leadbot audit --compare`: leadbot's own leads as audit rows, so the before (the export) and
the after (leadbot) are measured by the same code: the same buckets, percentiles, business time
and grouping. Response time is arrival to the first logged contact; converted is won or a
meeting booked (the `leadbot` preset's reading of an outcome)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import as_utc
from bot.config.schema import Config
from bot.review.audit.reader import AuditRow
from bot.review.outcome_report import CONVERTED
from storage.db import Database
from storage.models import Lead

MIN_SPAN = timedelta(days=7)


class WindowError(ValueError):
    """`--compare FROM..TO` that is not two dates in order."""


def compare_window(text: str, first: float | None, last: float | None, now: datetime,
                   tz: ZoneInfo) -> tuple[datetime, datetime]:  # fmt: skip
    """`auto`: the latest stretch as long as the export's (at least a week), ending now; or
    `YYYY-MM-DD..YYYY-MM-DD`, whole days in `tz`, both included."""
    if text == "auto":
        span = (
            timedelta(seconds=(last - first))
            if first is not None and last is not None
            else MIN_SPAN
        )
        return now - max(span, MIN_SPAN), now
    start_text, sep, end_text = text.partition("..")
    try:
        start_day, end_day = date.fromisoformat(start_text), date.fromisoformat(end_text)
    except ValueError:
        raise WindowError(f"--compare {text!r}: expected auto or FROM..TO, e.g. "
                          "2026-01-01..2026-03-31") from None  # fmt: skip
    if not sep or end_day < start_day:
        raise WindowError(f"--compare {text!r}: FROM must not be after TO")
    start = datetime.combine(start_day, time(), tz)
    return start, datetime.combine(end_day + timedelta(days=1), time(), tz)


def own_rows(db: Database, config: Config, start: datetime, end: datetime) -> Iterator[AuditRow]:
    query = (
        select(
            Lead.id,
            Lead.received_at,
            Lead.first_contact_at,
            Lead.owner_id,
            Lead.source,
            Lead.contact_count,
            Lead.outcome,
        )
        .where(Lead.received_at >= start, Lead.received_at < end)
        .order_by(Lead.received_at, Lead.id)
        .execution_options(yield_per=5_000)
    )
    names: dict[str, str] = {}
    with db.read(stream=True) as session:
        for lead_id, received, contacted, owner, source, touches, outcome in session.execute(query):
            if owner and owner not in names:
                names[owner] = config.display_name(owner)
            answered = as_utc(contacted).timestamp() if contacted is not None else None
            yield AuditRow(lead_id, f"lead #{lead_id}", as_utc(received).timestamp(), answered,
                           contacted is not None, False, names.get(owner or "", "Shared queue"),
                           source or "", touches, outcome in CONVERTED)  # fmt: skip
