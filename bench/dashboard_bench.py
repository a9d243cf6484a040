"""Dashboard benchmark (#13): `GET /dashboard`'s page drawn over 1,000,000 leads.

Times `Dashboard.page()` (two `/leads stats` reports, the open leads and the template) on
stats_bench's cached database (10,000 leads a week over 700 days; about 70,000 left open, far
more than a real floor has, which is the point). Baseline in the same run: the `/leads stats
week` report alone. Target: under 100 ms. A report, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench_cache import cached_database, schema_head
from rich.console import Console
from rich.table import Table
from stats_bench import CACHE, NOW, ROWS_VERSION, TARGET_SIZE, Rows, build

from bot.clock import FixedClock
from bot.config.load import default_config
from bot.review.dashboard import Dashboard
from bot.review.stats import StatsService

TARGET_MS = 100.0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=TARGET_SIZE)
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--database-url", help="PostgreSQL URL (default: a cached SQLite file)")
    args = p.parse_args()
    config = default_config()
    rows = Rows(config, args.size)
    db, built = cached_database(
        args.database_url, key=f"v{ROWS_VERSION}-r{schema_head()}-{rows.size}", cache=CACHE,
        schema=f"stats_bench_{rows.size}", build=lambda url: build(url, rows),
    )  # fmt: skip
    clock = FixedClock(NOW)
    stats = StatsService(db, config, clock)
    dashboard = Dashboard(db, config, clock, stats)
    tz = config.business_tz()
    cases = (("baseline: /leads stats week", lambda: stats.report(tz, "week", followup=False)),
             ("GET /dashboard page", dashboard.page))  # fmt: skip
    table = Table(title=f"dashboard over {args.size:,} leads "
                        f"({'sqlite' if db.is_sqlite else 'postgresql'}, ms)")  # fmt: skip
    for column in ("case", "p50", "p99", "target"):
        table.add_column(column)
    for label, call in cases:
        for _ in range(3):
            call()
        samples = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
        verdict = "" if label.startswith("baseline") else (
            ("PASS" if p99 < TARGET_MS else "MISS") + f" < {TARGET_MS:.0f}")  # fmt: skip
        table.add_row(label, f"{statistics.median(samples):.1f}", f"{p99:.1f}", verdict)
    Console().print(table)
    if built:
        Console().print(f"(built the database in {built:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
