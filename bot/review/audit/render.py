"""The audit as a terminal report (rich): colour and tables on a terminal, plain when piped."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from bot.durations import format_seconds
from bot.review.audit.dates import from_epoch
from bot.review.audit.tally import AuditReport, GroupStats
from bot.review.report import RESPONSE_BUCKETS as BUCKETS
from bot.review.report import SHARE_LIMITS

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


duration = format_seconds


def share(part: float) -> str:
    return f"{part:.0%}"


def print_report(console: Console, report: AuditReport, title: str, notes: list[str]) -> None:
    console.rule(f"[bold]Speed to lead: {title}")
    for line in summary(report) + notes:
        console.print(line)
    if not report.overall.leads:
        return
    console.print(_distribution(report))
    console.print(_groups("By source", report.by_source))
    console.print(_groups("By owner", report.by_owner))
    console.print(_groups("Business hours", [report.in_hours, report.after_hours]))
    console.print(_heat(report))
    if report.touches is not None:
        t = report.touches
        console.print(f"Touches: {t['0']:,} leads with none, {t['1']:,} with one, "
                      f"{t['2+']:,} with two or more, {t['unknown']:,} unknown")  # fmt: skip
    if report.conversion is not None:
        console.print(_conversion(report))
    console.print(_worst(report))
    _bad(console, report)


def summary(report: AuditReport) -> list[str]:
    o = report.overall
    lines = [
        f"{report.rows:,} rows read: {o.leads:,} leads, {report.bad:,} bad rows"
        + (f", {report.notes_skipped} note lines skipped" if report.notes_skipped else "")
    ]
    if report.first is not None and report.last is not None:
        start, end = from_epoch(report.first), from_epoch(report.last)
        lines.append(f"Leads created {start:%Y-%m-%d} to {end:%Y-%m-%d} (times in {report.tz})")
    if o.leads:
        lines.append(
            f"Median first response {duration(o.median)} (p90 {duration(o.p90)}); in business "
            f"time {duration(o.business_median)} (p90 {duration(o.business_p90)}). "
            f"Never contacted: {share(o.never)}"
        )
    if o.unknown and not o.answered:
        lines.append(
            "This export says who was contacted but not when: map a first-touch time with "
            "--map first_touch=COLUMN (e.g. from a report of the leads' activities)"
        )
    if report.undated:
        lines.append(
            f"{report.undated:,} leads have a creation date without a time: their waits count "
            "from that day's midnight, so they are overstated"
        )
    if report.approximate:
        n = report.approximate
        lines.append(
            f"{n:,} response time{' is' if n == 1 else 's are'} read from the last activity "
            "(the lead's only touch, with no first-touch date): upper bounds"
        )
    return lines


def _distribution(report: AuditReport) -> Table:
    table = Table(title="Response time", title_justify="left")
    for column in ("", "leads", "share", "cumulative"):
        table.add_column(column, justify="left" if not column else "right")
    total, running = report.overall.leads or 1, 0
    for name, count in zip(BUCKETS, report.buckets, strict=True):
        running += count
        cumulative = share(running / total) if name != "never" else ""
        table.add_row(name, f"{count:,}", share(count / total), cumulative)
    if report.overall.unknown:
        unknown = report.overall.unknown
        table.add_row("contacted, time unknown", f"{unknown:,}", share(unknown / total), "")
    return table


def _groups(title: str, groups: list[GroupStats]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("", "leads", "median", "p90", "median (business)", "within 1 h", "never"):
        table.add_column(column, justify="left" if not column else "right")
    hour = SHARE_LIMITS.index(60 * 60)
    for g in groups:
        table.add_row(
            g.name, f"{g.leads:,}", duration(g.median), duration(g.p90),
            duration(g.business_median), share(g.within[hour]), share(g.never),
        )  # fmt: skip
    return table


def _heat(report: AuditReport) -> Table:
    """Leads by weekday and hour of arrival, with the median response in each busy cell."""
    table = Table(title=f"When leads arrive ({report.tz}): leads / median response",
                  title_justify="left")  # fmt: skip
    table.add_column("hour")
    for day in WEEKDAYS:
        table.add_column(day, justify="right")
    for hour in range(24):
        cells = [report.heat_leads[d][hour] for d in range(7)]
        if not any(cells):
            continue
        row = [f"{n:,} / {duration(report.heat_median[d][hour])}" if n else ""
               for d, n in enumerate(cells)]  # fmt: skip
        table.add_row(f"{hour:02d}:00", *row)
    return table


def _conversion(report: AuditReport) -> Table:
    table = Table(title="Conversion by response time", title_justify="left")
    for column in ("", "leads", "converted", "rate"):
        table.add_column(column, justify="left" if not column else "right")
    for name, leads, converted in report.conversion or []:
        rate = share(converted / leads) if leads else "–"
        table.add_row(name, f"{leads:,}", f"{converted:,}", rate)
    return table


def _worst(report: AuditReport) -> Table:
    table = Table(title=f"The {len(report.worst)} longest waits", title_justify="left")
    for column in ("record", "line", "created", "waited", "owner", "source"):
        table.add_column(column)
    for case in report.worst:
        waited = duration(case.wait) + (" (never answered)" if case.never else "")
        created = from_epoch(case.created).astimezone(ZoneInfo(report.tz))
        table.add_row(case.record, str(case.line), f"{created:%Y-%m-%d %H:%M}",
                      waited, case.owner, case.source)  # fmt: skip
    return table


def _bad(console: Console, report: AuditReport) -> None:
    if not report.bad:
        return
    shown = len(report.bad_rows)
    console.print(f"[bold]{report.bad:,} bad rows[/bold] (not counted above)"
                  + (f"; the first {shown}:" if shown < report.bad else ":"))  # fmt: skip
    for row in report.bad_rows:
        console.print(f"  line {row.line} ({row.record}): {row.reason}", markup=False)


def compare_rows(before: AuditReport, after: AuditReport) -> list[tuple[str, str, str]]:
    """(measure, before, after): the export beside leadbot's own, measured alike."""
    rows = [("leads", f"{before.overall.leads:,}", f"{after.overall.leads:,}")]
    b, a = before.overall, after.overall
    rows.append(("median first response", duration(b.median), duration(a.median)))
    rows.append(("p90", duration(b.p90), duration(a.p90)))
    rows.append(("median in business time", duration(b.business_median),
                 duration(a.business_median)))  # fmt: skip
    for index, limit in enumerate(("5 min", "1 h", "24 h")):
        rows.append((f"within {limit}", share(before.overall.within[index]),
                     share(after.overall.within[index])))  # fmt: skip
    rows.append(("never contacted", share(before.overall.never), share(after.overall.never)))
    if before.conversion is not None and after.conversion is not None:
        rows.append(("converted", _rate(before), _rate(after)))
    return rows


def _rate(report: AuditReport) -> str:
    leads = sum(n for _, n, _ in report.conversion or [])
    won = sum(c for _, _, c in report.conversion or [])
    return share(won / leads) if leads else "–"


def print_compare(console: Console, before: AuditReport, after: AuditReport, label: str) -> None:
    table = Table(title="Before and after", title_justify="left")
    for column, justify in (("", "left"), ("the export", "right"), (label, "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in compare_rows(before, after):
        table.add_row(*row)
    console.print(table)
