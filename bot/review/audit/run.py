"""`leadbot audit EXPORT.csv`: read the export once, with a progress bar, and write the report
wherever it was asked for. Exit 0 with a report (bad rows are listed in it, never fatal); 2 when
the file or the options cannot be used at all, with every problem named."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from bot.config.schema import Config
from bot.hours import BusinessCalendar, business_calendar
from bot.review.audit.business import BusinessSeconds
from bot.review.audit.columns import WON_BY_PRESET, MappingError
from bot.review.audit.dates import DateFormatError
from bot.review.audit.export import as_json, write_csv, write_json
from bot.review.audit.html import render_html
from bot.review.audit.own import WindowError, compare_window, own_rows
from bot.review.audit.parallel import PART_BYTES, Job, split, tally_file
from bot.review.audit.reader import Layout, Options, read_layout
from bot.review.audit.render import compare_rows, print_compare, print_report, summary
from bot.review.audit.tally import AuditReport, Tally
from storage.db import Database
from storage.dburl import require_existing

# Without leadbot.yml, "business time" means the usual week: Monday to Friday, 09:00–17:00.
DEFAULT_DAYS = frozenset(range(5))
OFFICE = (time(9), time(17))


@dataclass
class Outputs:
    html: str | None = None
    json: str | None = None  # "-": standard output, instead of the terminal report
    csv: str | None = None


@dataclass
class Compare:
    """`--compare`: leadbot's own leads, from `database_url`, over `window`
    (see `own.compare_window`)."""

    database_url: str
    window: str = "auto"
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


def run_audit(path: str, options: Options, outputs: Outputs, config: Config | None,
              console: Console, part_bytes: int = PART_BYTES,
              compare: Compare | None = None) -> int:  # fmt: skip
    err = Console(stderr=True, soft_wrap=True)
    if not options.won and options.preset:
        options.won = WON_BY_PRESET.get(options.preset, ())
    try:
        layout = read_layout(path, options)
        parts = split(path, part_bytes)
    except (OSError, MappingError, DateFormatError) as exc:
        _refuse(err, path, exc)
        return 2
    calendar, hours_note = _calendar(config, options.tz)
    tz = options.tz or (calendar.tz if calendar else ZoneInfo("UTC"))
    jobs = [Job(path, layout, part, calendar, tz, _owners(config)) for part in parts]
    with _progress(err, parts[-1].end) as advance:
        report = tally_file(jobs, advance).report()
    after: Side | None = None
    if compare is not None:
        try:  # the database's own trouble goes up to `leadbot`: one line, exit 3
            after = _leadbot_side(compare, config, report, jobs[0])
        except WindowError as exc:
            err.print(f"leadbot audit --compare: {_one_line(exc)}", markup=False)
            return 2
    _emit(Emitted(report, after, Path(path).name, options.preset, layout, hours_note),
          outputs, console, err)  # fmt: skip
    return 0


@dataclass(frozen=True)
class Emitted:
    report: AuditReport
    after: Side | None
    title: str
    preset: str | None
    layout: Layout
    hours_note: str


def _emit(e: Emitted, outputs: Outputs, console: Console, err: Console) -> None:
    """The report on the terminal (unless JSON goes to standard output) and in each file."""
    names = e.layout.mapping.names
    columns = ", ".join(f"{name} = {header!r}" for name, header in names.items())
    notes = [f"Columns: {columns}", e.hours_note]
    after = e.after
    if outputs.json != "-":
        print_report(console, e.report, e.title, notes)
        if after is not None:
            print_compare(console, e.report, after.report, after.label)
    meta: dict[str, Any] = {"file": e.title, "preset": e.preset, "columns": names,
                            "business_hours": e.hours_note}  # fmt: skip
    if after is not None:
        meta["compare"] = {"label": after.label, **as_json(after.report, {})}
    compared = compare_rows(e.report, after.report) if after else []
    label = after.label if after else ""

    def page(stream: TextIO) -> None:
        stream.write(render_html(e.report, e.title, summary(e.report), notes, compared, label))

    _write(outputs.json, lambda s: write_json(s, e.report, meta), err)
    _write(outputs.csv, lambda s: write_csv(s, e.report), err)
    _write(outputs.html, page, err)


@dataclass(frozen=True)
class Side:
    report: AuditReport
    label: str


def _leadbot_side(compare: Compare, config: Config | None, before: AuditReport,
                  job: Job) -> Side:  # fmt: skip
    """leadbot's own leads over the window, tallied exactly as the export was."""
    if config is None:
        raise WindowError("needs leadbot.yml (--config), whose reps and hours leadbot used")
    start, end = compare_window(compare.window, before.first, before.last, compare.now, job.tz)
    require_existing(compare.database_url)
    tally = Tally(BusinessSeconds(job.calendar), job.tz, {})
    tally.add_all(own_rows(Database(compare.database_url), config, start, end))
    local_end = (end - timedelta(microseconds=1)).astimezone(job.tz)
    label = f"leadbot, {start.astimezone(job.tz):%Y-%m-%d} to {local_end:%Y-%m-%d}"
    return Side(tally.report(), label)


def _refuse(err: Console, path: str, exc: Exception) -> None:
    if isinstance(exc, OSError):
        err.print(f"leadbot audit: {path}: {exc.strerror or exc}", markup=False)
        return
    err.print(f"leadbot audit: {path}:", markup=False)
    for line in str(exc).splitlines():
        err.print(f"  {line}", markup=False)


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _calendar(config: Config | None, tz: ZoneInfo | None) -> tuple[BusinessCalendar | None, str]:
    if config is not None:
        calendar = business_calendar(config)
        if calendar is None:
            return None, "Business time: leadbot.yml says always open, so it equals wall time"
        return calendar, f"Business time: leadbot.yml's business hours ({calendar.tz.key})"
    zone = tz or ZoneInfo("UTC")
    calendar = BusinessCalendar(DEFAULT_DAYS, *OFFICE, frozenset(), zone)
    return calendar, f"Business time: Mon–Fri 09:00–17:00 {zone.key} (no leadbot.yml)"


def _owners(config: Config | None) -> dict[str, str]:
    """CRM owners are often emails: show them as leadbot's reps where the emails match."""
    if config is None:
        return {}
    return {rep.email.casefold(): rep.name or rep.id for rep in config.reps if rep.email}


@contextmanager
def _progress(err: Console, size: int) -> Iterator[Callable[[int], None]]:
    """A bar on a terminal for files worth one (more than a part); otherwise nothing."""
    if not err.is_terminal or size <= PART_BYTES:
        yield lambda _done: None
        return
    columns = (TextColumn("reading"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("read", total=size)
        yield lambda done: progress.advance(task, done)


def _write(target: str | None, write: Callable[[TextIO], object], err: Console) -> None:
    if target is None:
        return
    if target == "-":
        write(sys.stdout)
        return
    with open(target, "w", encoding="utf-8", newline="") as stream:
        write(stream)
    err.print(f"wrote {target}", markup=False)
