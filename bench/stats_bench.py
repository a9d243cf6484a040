"""Stats benchmark: the time of `/leads stats week` (the manager's full report) over a big table.

Builds (or reuses) a database of N leads spread over ~2 years (1,000,000 leads: 10,000 a week),
then times `StatsService.report(tz, "week")` after warm-up, next to a baseline measured in the
same run: a bare `SELECT count(*)` over the same week of `received_at`. Prints the plan of the
report's query. A report, not a test: exit 0 on a MISS. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from bench_cache import cached_database, schema_head
from rich.console import Console
from rich.table import Table
from sqlalchemy import event, func, insert, select, text

from blocks.stats import stats_blocks
from bot.clock import FixedClock
from bot.config.load import default_config
from bot.config.schema import Config
from bot.review.report import period_window
from bot.review.stats import StatsService
from bot.vocabulary import LeadStatus
from storage.db import Database
from storage.models import Lead

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # the bench clock; cached databases are built on it
SPAN = timedelta(days=700)  # 1,000,000 leads over 700 days: 10,000 a week
CHUNK = 10_000
TARGET_MS, TARGET_SIZE = 300.0, 1_000_000
ROWS_VERSION = 1  # bump when the generated rows change: it keys the cached databases
CACHE = Path(tempfile.gettempdir()) / "leadbot-stats-bench"
SOURCES = (("website", 0.5), ("webinar", 0.3), ("partner", 0.2))
TIERS = (("hot", 0.2, timedelta(minutes=5)), ("warm", 0.6, timedelta(hours=1)),
         ("cold", 0.2, timedelta(hours=24)))  # fmt: skip
VIEWER = "U0MAYA"  # the demo's manager: sees every rep


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="leadbot: time of `/leads stats week` (manager view)")
    p.add_argument("--size", type=int, default=TARGET_SIZE, help="leads in the table (1,000,000)")
    p.add_argument("--repeat", type=int, default=30, help="timed reports per row (default 30)")
    p.add_argument("--warmup", type=int, default=3, help="untimed reports before each row")
    p.add_argument("--database-url", help="PostgreSQL URL (default: a cached SQLite file)")
    p.add_argument("--rebuild", action="store_true", help="ignore cached databases")
    p.add_argument("--analyze", action="store_true", help="SQLite: ANALYZE first (leadbot doesn't)")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    return p.parse_args()


def pick(rng: random.Random, weighted: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    roll = rng.random()
    for choice in weighted:
        roll -= choice[1]
        if roll < 0:
            return choice
    return weighted[-1]


class Rows:
    """Leads 1..N received in id order over SPAN before NOW. ~90% claimed (lognormal wait,
    median 8 min), ~70% contacted (median 20 min after the claim), 3% left in the shared queue;
    a lead not claimed by its SLA deadline is breached (the sweep's mark is left off 1 in 10)."""

    def __init__(self, config: Config, size: int) -> None:
        self.size, self.reps = size, config.rep_ids()
        self.claimers = [*self.reps, *config.manager_ids()]

    def chunk(self, start: int, stop: int) -> list[dict[str, Any]]:
        rng = random.Random(f"stats-bench-{start}")  # the same rows whatever the chunking above
        return [self.row(i, rng) for i in range(start, stop)]

    # fmt: off
    def row(self, i: int, rng: random.Random) -> dict[str, Any]:
        received = NOW - SPAN * ((self.size - i + rng.random()) / self.size)
        source, tier = pick(rng, SOURCES)[0], pick(rng, TIERS)
        due = received + tier[2]
        queued = rng.random() < 0.03
        owner = None if queued else self.reps[i % len(self.reps)]
        claim = rng.lognormvariate(math.log(8 * 60), 1.3) if rng.random() < 0.93 else None
        if claim is not None and received + timedelta(seconds=claim) >= NOW:
            claim = None
        contact = None
        if claim is not None and rng.random() < 0.78:
            contact = claim + rng.lognormvariate(math.log(20 * 60), 1.0)
            contact = contact if received + timedelta(seconds=contact) < NOW else None
        claimed_at = received + timedelta(seconds=claim) if claim is not None else None
        late = (claimed_at or NOW) > due
        if claim is not None:
            owner = owner if rng.random() < 0.9 else rng.choice(self.claimers)
        closed = claim is not None and NOW - received > timedelta(days=7) and rng.random() < 0.7
        status = (LeadStatus.CLOSED if closed else LeadStatus.CLAIMED) if claim is not None else (
            LeadStatus.QUEUED if owner is None else LeadStatus.ASSIGNED)
        contact_at = received + timedelta(seconds=contact) if contact is not None else None
        return {
            "id": i, "source": source, "external_id": f"crm-{i}", "name": f"Dana Whitfield {i}",
            "email": f"dana{i}@northwind.test", "phone": f"+1 555 01{i % 100:02d}",
            "company": f"Northwind Traders {i % 97} & Co", "company_size": 10 + i % 5000,
            "country": "US", "region": None, "product": "Analytics Enterprise",
            "crm_url": f"https://crm.example.com/leads/{i}",
            "message": "We need a demo before our Q1 budget meeting on Thursday; 25 seats.",
            "tier": tier[0], "fields": {"utm_campaign": "q1"}, "status": status,
            "owner_id": owner, "claimed_by": owner if claim is not None else None,
            "routing_reason": "default pool · round robin", "routing_pool": "default",
            "version": 3 if claim is not None else 1, "chain": [],
            "received_at": received, "created_at": received, "assigned_at": received,
            "sla_due_at": due, "claimed_at": claimed_at,
            "sla_breached_at": due if late and rng.random() < 0.9 else None,
            "claim_wait_seconds": claim, "claim_business_wait_seconds": claim,
            "first_contact_at": contact_at, "first_contact_wait_seconds": contact,
            "first_contact_by": owner if contact is not None else None,
            "last_contact_at": contact_at, "contact_count": int(contact is not None),
            "closed_at": received + timedelta(days=7) if closed else None,
            "escalation_step": 0, "escalation_started_at": received,
            "next_action_at": None if claim is not None else due,
        }
    # fmt: on


def open_database(args: argparse.Namespace, rows: Rows) -> tuple[Database, float]:
    """The database of `rows`: cached (SQLite file, PostgreSQL schema) or built now (+ seconds)."""
    return cached_database(
        args.database_url,
        key=f"v{ROWS_VERSION}-r{schema_head()}-{rows.size}",
        cache=CACHE,
        schema=f"stats_bench_{rows.size}",
        build=lambda url: build(url, rows),
        rebuild=args.rebuild,
    )


def build(url: str, rows: Rows) -> float:
    started, db = time.monotonic(), Database(url)
    db.upgrade()
    with db.engine.begin() as conn:
        for start in range(1, rows.size + 1, CHUNK):
            conn.execute(
                insert(Lead.__table__), rows.chunk(start, min(start + CHUNK, rows.size + 1))
            )
        if not db.is_sqlite:
            sql = "SELECT setval(pg_get_serial_sequence('leads', 'id'), :n)"
            conn.execute(text(sql), {"n": rows.size})
    if not db.is_sqlite:  # as autovacuum would soon after a load this size
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    db.dispose()
    return time.monotonic() - started


class Bench:
    def __init__(self, db: Database, config: Config, analyze: bool) -> None:
        self.db, self.config = db, config
        self.service = StatsService(db, config, FixedClock(NOW))
        self.tz = config.tz_for(VIEWER)
        with db.engine.begin() as conn:
            if db.is_sqlite:  # as leadbot runs it (no statistics), unless --analyze
                conn.exec_driver_sql("ANALYZE" if analyze else "DROP TABLE IF EXISTS sqlite_stat1")
        db.dispose()  # SQLite loads statistics when a connection opens: open new ones
        self.captured: dict[str, tuple[str, Any]] = {}
        self.label = ""
        event.listen(db.read_engine, "before_cursor_execute", self._capture)

    def _capture(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        first = self.label not in self.captured and statement.lstrip().startswith("SELECT")
        if first and self.label.startswith(("/", "baseline")):
            self.captured[self.label] = (statement, params)  # each case's (first) query

    def cases(self) -> list[tuple[str, Callable[[], int]]]:
        return [
            ("baseline: SELECT count(*), same week", self.count_week),
            ("/leads stats week (manager)", lambda: self.leads("week")),
            ("  + blocks, to_dict()", self.week_with_blocks),
            ("/leads stats today", lambda: self.leads("today")),
            ("/leads stats month", lambda: self.leads("month")),
            ("/leads stats week #website", lambda: self.leads("week", source="website")),
            ("/leads stats week @bo", lambda: self.leads("week", rep="U0BO")),
        ]

    def leads(self, period: str, **filters: str) -> int:
        return self.service.report(self.tz, period, **filters).total.leads

    def count_week(self) -> int:
        window = period_window("week", NOW, self.tz)
        query = select(func.count()).where(
            Lead.received_at >= window.start, Lead.received_at < window.end
        )
        with self.db.read() as session:
            return int(session.execute(query).scalar_one())

    def week_with_blocks(self) -> int:
        report = self.service.report(self.tz, "week")
        for block in stats_blocks(report):
            block.to_dict()  # validates, as respond() in the handler does
        return report.total.leads

    def run(self, label: str, call: Callable[[], int], repeat: int, warmup: int) -> dict[str, Any]:
        self.label, ms, leads = label, [], 0
        for k in range(warmup + repeat):
            start = time.perf_counter()
            leads = call()
            if k >= warmup:
                ms.append((time.perf_counter() - start) * 1000)
        q = statistics.quantiles(ms, n=100, method="inclusive")
        return {"case": label, "leads": leads, "count": len(ms), "p50": q[49], "p99": q[98],
                "max": max(ms)}  # fmt: skip

    def plans(self) -> dict[str, list[str]]:
        explain = "EXPLAIN QUERY PLAN " if self.db.is_sqlite else "EXPLAIN "
        plans = {}
        with self.db.read_engine.connect() as conn:
            for label, (statement, params) in self.captured.items():
                rows = conn.exec_driver_sql(explain + statement, params)
                plans[label] = [str(r[-1]) for r in rows]
        return plans


def backend(db: Database) -> str:
    if db.is_sqlite:
        return f"SQLite {sqlite3.sqlite_version} (file, WAL)"
    with db.engine.connect() as conn:
        return f"PostgreSQL {conn.execute(text('SHOW server_version')).scalar()}"


def main() -> int:
    args = parse_args()
    console, config = Console(width=max(Console().width, 110)), default_config()
    r: dict[str, Any] = {
        "command": shlex.join([sys.executable, *sys.argv]), "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__, "platform": platform.platform(),
        "cpu_count": os.cpu_count(), "load": os.getloadavg(), "clock": NOW.isoformat(),
        "size": args.size, "analyze": args.analyze,
    }  # fmt: skip
    db, built = open_database(args, Rows(config, args.size))
    r["database"], r["build_seconds"] = backend(db), built
    how = f"built in {built:.1f} s" if built else "cached (--rebuild to rebuild)"
    console.print(f"{args.size:,} leads: database {how}")
    bench = Bench(db, config, args.analyze)
    gc.collect()
    gc.freeze()  # as LeadbotApp.start_workers() does in `leadbot serve`
    r["rows"] = [bench.run(label, call, args.repeat, args.warmup) for label, call in bench.cases()]
    r["plans"] = bench.plans()
    db.dispose()
    report(r, console)
    if args.json:
        print(json.dumps(r, indent=2))
    return 0


def report(r: dict[str, Any], console: Console) -> None:
    stats = "ANALYZE statistics" if r["analyze"] else "no ANALYZE statistics, as leadbot runs it"
    sqlite_note = f"; {stats}" if r["database"].startswith("SQLite") else ""
    console.print(
        f"command:  {r['command']}\nmachine:  Python {r['python']}, SQLAlchemy {r['sqlalchemy']}, "
        f"{r['cpu_count']} CPUs, {r['platform']}\ndatabase: {r['database']}{sqlite_note}\n"
        f"clock {r['clock']}; {r['size']:,} leads over {SPAN.days} days; viewer {VIEWER} "
        "(manager, America/New_York): every rep's row and the team total"
    )
    table = Table(title=f"/leads stats, ms — {r['database']}")
    for column in ("case", "leads", "runs", "p50", "p99", "max", "target"):
        table.add_column(column, justify="left" if column == "case" else "right")
    mark = {True: "[bold green]PASS[/]", False: "[bold red]MISS[/]"}
    for row in r["rows"]:
        target = row["case"].startswith("/leads stats week (") and r["size"] == TARGET_SIZE
        table.add_row(
            row["case"], f"{row['leads']:,}", str(row["count"]),
            *(f"{row[k]:.2f}" for k in ("p50", "p99", "max")),
            mark[row["p99"] < TARGET_MS] if target else "",
        )  # fmt: skip
    console.print(table)
    before, after = ("/".join(f"{x:.2f}" for x in load) for load in (r["load"], os.getloadavg()))
    console.print(f"load average (1/5/15 min) before → after: {before} → {after}")
    base, week = r["rows"][0], r["rows"][1]
    console.print(
        f"target: /leads stats week over {TARGET_SIZE:,} leads, p99 < {TARGET_MS:g} ms, no cache. "
        f"Baseline (count of the same week) p50 {base['p50']:.2f} ms; the report is "
        f"× {week['p50'] / base['p50']:.1f} at p50 ({week['p50'] - base['p50']:.2f} ms more)"
    )
    for label, plan in r["plans"].items():
        console.print(f"query plan, {label.strip()}:", *plan, sep="\n  ")


if __name__ == "__main__":
    sys.exit(main())
