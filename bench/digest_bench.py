"""Weekly digest benchmark (#13): every digest of a Monday morning for 100 reps (and the
managers' channel) over 1,000,000 leads: built, drawn and queued, as `DigestSender.send_due`
does on schedule. Target: under 5 s. Baseline, measured in the same run: one `/leads stats
week` report of the same week (the manager's), the unit the digest is made of.

The leads are stats_bench's generator (10,000 a week over 700 days) with 100 reps as owners,
in two zones (New York and Berlin); the clock stands at Monday 2026-03-02 16:00 UTC, when both
zones' 09:00 has come. Each repetition clears `digests_sent` and the queued messages first.
A report, not a test: exit 0 on a MISS, 1 if a run queued another number of digests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime

from bench_cache import cached_database, schema_head
from rich.console import Console
from rich.table import Table
from sqlalchemy import delete
from stats_bench import CACHE, ROWS_VERSION, Rows, build

from bot.clock import FixedClock
from bot.config.load import parse_config
from bot.config.schema import Config
from bot.review.digest import DigestService
from bot.review.digest_report import week_windows
from bot.review.digest_send import DigestSender
from bot.review.stats import StatsService
from storage.followup import DigestSent
from storage.models import OutboxMessage

CLOCK = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
REPS = 100
TARGET_S = 5.0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--database-url", help="PostgreSQL URL (default: a cached SQLite file)")
    p.add_argument("--rebuild", action="store_true")
    return p.parse_args()


def config() -> Config:
    zones = ("America/New_York", "Europe/Berlin")
    reps = [{"id": f"U0REP{i:03d}", "name": f"Rep {i:03d}", "timezone": zones[i % 2],
             "manager": "U0MAYA"} for i in range(REPS)]  # fmt: skip
    return parse_config({
        "timezone": "America/New_York", "business_hours": "always",
        "channels": {"leads": "C0LEADS", "queue": "C0QUEUE", "managers": "C0MGRS"},
        "managers": [{"id": "U0MAYA", "name": "Maya"}], "reps": reps,
    })  # fmt: skip


def main() -> int:
    args = parse_args()
    console = Console()
    cfg = config()
    rows = Rows(cfg, args.size)
    db, built = cached_database(
        args.database_url, key=f"digest-v{ROWS_VERSION}-r{schema_head()}-{args.size}",
        cache=CACHE, schema=f"digest_bench_{args.size}", build=lambda url: build(url, rows),
        rebuild=args.rebuild,
    )  # fmt: skip
    if built:
        console.print(f"built {args.size:,} leads in {built:.0f} s")
    clock = FixedClock(CLOCK)
    stats = StatsService(db, cfg, clock)
    sender = DigestSender(db, cfg, clock, DigestService(db, cfg, clock, stats), lambda: None)
    week = week_windows(CLOCK, cfg.tz_for("U0MAYA"), cfg.digest.weekday)[-1]
    base, runs, failed = [], [], False
    for attempt in range(args.repeat + 1):
        with db.engine.begin() as conn:
            conn.execute(delete(DigestSent.__table__))
            conn.execute(delete(OutboxMessage.__table__))
        sender._done.clear()
        started = time.perf_counter()
        stats.report_for(week)
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        sent = sender.send_due()
        seconds = time.perf_counter() - started
        failed |= sent != REPS + 1
        if attempt:  # the first is a warm-up
            base.append(baseline)
            runs.append(seconds)
    backend = "sqlite" if db.is_sqlite else "postgresql"
    table = Table(title=f"weekly digests, {REPS} reps + the managers' channel, "
                        f"{args.size:,} leads ({backend})")  # fmt: skip
    for column in ("case", "median s", "max s", "target"):
        table.add_column(column)
    table.add_row("baseline: /leads stats week (one report)", f"{statistics.median(base):.3f}",
                  f"{max(base):.3f}", "")  # fmt: skip
    top = max(runs)
    verdict = ("PASS" if top < TARGET_S else "MISS") + f" < {TARGET_S:.0f} s"
    table.add_row(f"send_due(): {REPS + 1} digests", f"{statistics.median(runs):.2f}",
                  f"{top:.2f}", verdict)  # fmt: skip
    console.print(table)
    console.print(f"digests / baseline: {statistics.median(runs) / statistics.median(base):.0f}×")
    if failed:
        console.print(f"[red]ERROR: a run queued another number of digests than {REPS + 1}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
