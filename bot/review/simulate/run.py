"""`leadbot simulate`: read the history, replay it under the current and the proposed policy,
measure the real database too when the history is leadbot's own, and show the answer."""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bot.config.schema import Config
from bot.review.audit.reader import Options, read_layout
from bot.review.simulate.history import Arrival, from_database, from_export, within
from bot.review.simulate.measures import Measures, measure
from bot.review.simulate.render import Columns, as_json, names, terminal
from bot.review.simulate.replay import replay
from storage.db import Database
from storage.dburl import require_existing

# An export's history has no "now": its last lead gets a week for its escalation to run out.
EXPORT_TAIL = timedelta(days=7)
PARALLEL_FROM = 500  # leads


@dataclass(frozen=True)
class Policies:
    current: Config
    proposed: Config
    current_name: str
    proposed_name: str


@dataclass(frozen=True)
class Output:
    json: str | None = None
    changes: int = 20


@dataclass(frozen=True)
class History:
    arrivals: list[Arrival]
    start: datetime
    end: datetime  # leads received before it
    until: datetime  # the replay runs to it
    actual: Measures | None
    label: str


def own_history(url: str, policies: Policies, weeks: int, now: datetime) -> History:
    require_existing(url)
    db = Database(url)
    try:
        start = now - timedelta(weeks=weeks)
        arrivals = from_database(db, policies.current, start, now)
        actual = measure(db, policies.current, start, now)
    finally:
        db.dispose()
    label = f"leadbot's database, the last {weeks} week{'s' if weeks > 1 else ''}"
    return History(arrivals, start, now, now, actual, label)


def export_history(path: str, options: Options, policies: Policies, weeks: int,
                   err: Console) -> History:  # fmt: skip
    arrivals, bad = from_export(path, read_layout(path, options), policies.current)
    if bad:
        err.print(f"{path}: {bad:,} rows could not be read and are left out "
                  "(`leadbot audit` lists them)", markup=False)  # fmt: skip
    arrivals = list(within(arrivals, weeks))
    end = arrivals[-1].at + timedelta(seconds=1) if arrivals else datetime.now().astimezone()
    start = arrivals[0].at if arrivals else end
    label = f"{path}, its last {weeks} week{'s' if weeks > 1 else ''}"
    return History(arrivals, start, end, end + EXPORT_TAIL, None, label)


def simulate(history: History, policies: Policies, output: Output, console: Console,
             err: Console, *, processes: bool | None = None) -> int:  # fmt: skip
    """`processes`: replay the two policies in two processes at once (default: for histories
    of PARALLEL_FROM leads or more, where it halves the wait; spawning costs about a second)."""
    if not history.arrivals:
        err.print(f"Nothing to replay: no leads in {history.label}.", markup=False)
        return 0
    if processes is None:
        processes = len(history.arrivals) >= PARALLEL_FROM
    jobs = [(config, history, name) for name, config in
            (("current", policies.current), ("proposed", policies.proposed))]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="leadbot-simulate-") as directory:
        if processes:
            with err.status(f"replaying {len(history.arrivals):,} leads under both policies…"):
                spawn = multiprocessing.get_context("spawn")  # no fork of a threaded process
                with ProcessPoolExecutor(2, mp_context=spawn) as pool:
                    answers = list(pool.map(_replay_one, *zip(*jobs, strict=True),
                                            [directory] * 2))  # fmt: skip
        else:
            with _progress(err, 2 * len(history.arrivals)) as advance:
                answers = [_replay_one(*job, directory, advance) for job in jobs]
    (current, _), (proposed, refused) = answers
    columns = Columns(_title(history, policies), current, proposed, history.actual, refused)
    _show(columns, names(policies.current, policies.proposed), output, console, err)
    return 0


def _replay_one(config: Config, history: History, name: str, directory: str,
                progress: Callable[[int], None] = lambda _n: None,
                ) -> tuple[Measures, list[tuple[str, str]]]:  # fmt: skip
    """One policy's replay, measured (in a worker process, or here)."""
    done = replay(config, history.arrivals, history.until, Path(directory), name, progress)
    try:
        measured = measure(done.db, config, history.start, history.end, until=history.until,
                           keys=done.keys, contacts=done.contacts)  # fmt: skip
    finally:
        done.db.dispose()
    return measured, done.refused


def _show(columns: Columns, name: Callable[[str | None], str], output: Output,
          console: Console, err: Console) -> None:  # fmt: skip
    if output.json == "-":
        as_json(columns, name, sys.stdout)
        return
    terminal(columns, name, output.changes, console)
    if output.json:
        with open(output.json, "w", encoding="utf-8") as stream:
            as_json(columns, name, stream)
        err.print(f"wrote {output.json}", markup=False)


def _title(history: History, policies: Policies) -> str:
    tz = policies.current.business_tz()
    first, last = (moment.astimezone(tz) for moment in (history.start, history.end))
    return (f"What if {policies.proposed_name} had been the policy instead of "
            f"{policies.current_name}: {len(history.arrivals):,} leads from {history.label} "
            f"({first:%b %d} – {last:%b %d, %Y})")  # fmt: skip


@contextmanager
def _progress(err: Console, total: int) -> Iterator[Callable[[int], None]]:
    if not err.is_terminal:
        yield lambda _done: None
        return
    columns = (TextColumn("replaying"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("replay", total=total)
        yield lambda done: progress.advance(task, done)
