"""Dashboard benchmark (#13): `GET /dashboard`'s page drawn over 1,000,000 leads.

Times `Dashboard.page()` (one read of the week's leads for today's and the week's numbers, the
open leads and the template) on stats_bench's cached database (10,000 leads a week over 700 days;
about 70,000 left open, far more than a real floor has, which is the point). No cache: every
draw reads the database. Baseline in the same run: the `/leads stats week` report alone (no
follow-up). Target: p99 under 100 ms. A report, not a test: it always exits 0.

The heap is frozen first, as `leadbot serve` does before it answers (bot.ops.heap.freeze_the_heap);
`--no-freeze` measures a process that never froze it, whose full collections walk every module
and mapper (tens of ms every few draws).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

from bench_cache import cached_database, schema_head
from rich.console import Console
from rich.table import Table
from stats_bench import CACHE, NOW, ROWS_VERSION, TARGET_SIZE, Rows, backend, build

from bot.clock import FixedClock
from bot.config.load import default_config
from bot.ops.heap import freeze_the_heap
from bot.review.dashboard import Dashboard
from bot.review.stats import StatsService
from bot.settings import DEFAULT_DASHBOARD_REFRESH

TARGET_MS = 100.0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=TARGET_SIZE)
    p.add_argument("--repeat", type=int, default=200, help="timed draws per case (default 200)")
    p.add_argument("--warmup", type=int, default=5, help="untimed draws before each case")
    p.add_argument("--database-url", help="PostgreSQL URL (default: a cached SQLite file)")
    p.add_argument("--no-freeze", action="store_true", help="leave the heap unfrozen")
    return p.parse_args()


def measure(call: Callable[[], object], repeat: int, warmup: int) -> list[float]:
    """Milliseconds of each timed call, sorted."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


def main() -> int:
    args = parse_args()
    config = default_config()
    rows = Rows(config, args.size)
    db, built = cached_database(
        args.database_url, key=f"v{ROWS_VERSION}-r{schema_head()}-{rows.size}", cache=CACHE,
        schema=f"stats_bench_{rows.size}", build=lambda url: build(url, rows),
    )  # fmt: skip
    clock = FixedClock(NOW)
    stats = StatsService(db, config, clock)
    dashboard = Dashboard(db, config, clock, stats, DEFAULT_DASHBOARD_REFRESH)
    tz = config.business_tz()
    cases = (("baseline: /leads stats week", lambda: stats.report(tz, "week", followup=False)),
             ("GET /dashboard page", lambda: dashboard.page("nonce")),
             ("GET /dashboard page, TV", lambda: dashboard.page("nonce", tv=True)))  # fmt: skip
    if not args.no_freeze:
        freeze_the_heap()
    console = Console()
    console.print(f"command: {' '.join([sys.executable, *sys.argv])}\nmachine: Python "
                  f"{platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()}; "
                  f"{backend(db)}; heap {'not ' if args.no_freeze else ''}frozen")  # fmt: skip
    table = Table(title=f"dashboard over {args.size:,} leads, {args.repeat} draws (ms)")
    for column in ("case", "p50", "p99", "max", "target"):
        table.add_column(column, justify="left" if column == "case" else "right")
    for label, call in cases:
        samples = measure(call, args.repeat, args.warmup)
        p99 = samples[min(len(samples) - 1, -(-99 * len(samples) // 100) - 1)]  # nearest rank
        verdict = "" if label.startswith("baseline") else (
            ("PASS" if p99 < TARGET_MS else "MISS") + f" < {TARGET_MS:.0f}")  # fmt: skip
        table.add_row(label, f"{statistics.median(samples):.1f}", f"{p99:.1f}",
                      f"{samples[-1]:.1f}", verdict)  # fmt: skip
    console.print(table)
    if built:
        console.print(f"(built the database in {built:.0f} s)")
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
