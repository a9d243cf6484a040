"""Sweep benchmark: the time of one `Escalator.sweep()` tick over a big `leads` table.

Builds (or reuses) a database of N leads of which `--open` are open and up to max(--due) can be
made due, then times one tick per repetition after an untimed reset, so every repetition does the
same work. The 0-due tick is the baseline: the cost of looking. A report, not a test: exit 0 on a
MISS, 1 if a tick ran another number of steps than leads were due. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import logging
import os
import platform
import pstats
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from bench_cache import cached_database, schema_head
from rich.console import Console
from rich.table import Table
from sqlalchemy import bindparam, delete, event, func, insert, select, text, update

from bot.clock import FixedClock
from bot.config.load import default_config
from bot.config.schema import Config
from bot.escalation.policy import chain_for
from bot.escalation.sweep import BATCH, Escalator, plan_next
from bot.services import Deps
from bot.vocabulary import LeadStatus
from storage.db import Database
from storage.models import CardCopy, HeldNudge, Lead, LeadEvent, OutboxMessage

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # the bench clock; cached databases are built on it
CHUNK = 10_000
TARGET_SIZE, TARGET_DUE = 1_000_000, 100
TARGET_MS = {"sqlite": 10.0, "postgresql": 20.0}  # issue 11: p99 of a 100-due tick
ROWS_VERSION = 1  # bump when the generated rows change: it keys the cached databases
CACHE = Path(tempfile.gettempdir()) / "leadbot-sweep-bench"
CREATED = (OutboxMessage.__table__, LeadEvent.__table__, HeldNudge.__table__)  # a tick adds rows
LEADS = Lead.__table__


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="leadbot: time of one escalation sweep tick")
    ints = lambda s: [int(x) for x in s.split(",")]  # noqa: E731
    p.add_argument("--sizes", type=ints, default=[100_000, 1_000_000], help="leads in the table")
    p.add_argument("--due", type=ints, default=[0, 10, 100, 1000], help="due leads per tick")
    p.add_argument("--open", type=int, default=10_000, help="open leads (due ones included)")
    p.add_argument("--repeat", type=int, default=30, help="timed ticks per row (default 30)")
    p.add_argument("--warmup", type=int, default=2, help="untimed ticks before each row")
    p.add_argument("--database-url", help="PostgreSQL URL (default: a cached SQLite file)")
    p.add_argument("--rebuild", action="store_true", help="ignore cached databases")
    p.add_argument("--analyze", action="store_true", help="SQLite: ANALYZE first (leadbot doesn't)")
    p.add_argument("--profile", type=int, default=0, help="cProfile 100-due ticks, print top N")
    p.add_argument("--commit-checkpoints", action="store_true",
                   help="SQLite: leave WAL checkpoints to the commits (SQLite's default), not "
                        "to a thread of their own as `leadbot serve` does")  # fmt: skip
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    return p.parse_args()


class Rows:
    """Lead rows as `bot.leads._new_lead` stores them (warm tier, round robin), by lead id.

    Ids 1..size; the last `open` are open, the others claimed or closed (no next action, one
    received a minute). The first `pool` open leads can be made due: assigned just over 30 min
    ago, so step 1 (remind_owner) is due and the SLA breach (1 h) is not."""

    def __init__(self, config: Config, size: int, open_: int, pool: int) -> None:
        tier = config.tier("warm")
        assert tier is not None
        self.chain = [step.to_json() for step in chain_for(tier, config.escalation)]
        self.sla, self.first = tier.respond_within, chain_for(tier, config.escalation)[0].after
        self.reps = config.rep_ids()
        self.size, self.open, self.first_open = size, open_, size - open_ + 1
        self.pool = list(range(self.first_open, self.first_open + pool))
        if pool > open_ or self.first + timedelta(minutes=1, seconds=pool) >= self.sla:
            sys.exit(f"--due up to {pool} does not fit --open {open_} and a 1 h SLA")

    def owner(self, i: int) -> str | None:
        return self.reps[i % len(self.reps)]

    # fmt: off
    def row(self, i: int) -> dict[str, Any]:
        base = {
            "id": i, "source": ("website", "webinar", "partner")[i % 3], "external_id": f"crm-{i}",
            "name": f"Dana Whitfield {i}", "email": f"dana{i}@northwind.test",
            "phone": f"+1 555 01{i % 100:02d}", "company": f"Northwind Traders {i % 97} & Co",
            "company_size": 10 + i % 5000, "country": "US", "region": None,
            "product": "Analytics Enterprise", "crm_url": f"https://crm.example.com/leads/{i}",
            "message": "We need a demo before our Q1 budget meeting on Thursday; 25 seats.",
            "tier": "warm", "fields": {}, "chain": self.chain,
            "routing_reason": "default pool · round robin",
        }
        if i >= self.first_open:
            return base | self.open_state(i, due=False)
        received = NOW - timedelta(minutes=31 + self.first_open - i)
        claimed = received + timedelta(minutes=5 + i % 50)
        wait, closed = (claimed - received).total_seconds(), i % 5 != 0
        return base | {
            "status": LeadStatus.CLOSED if closed else LeadStatus.CLAIMED, "version": 3,
            "owner_id": self.owner(i), "claimed_by": self.owner(i),
            "received_at": received, "created_at": received, "assigned_at": received,
            "escalation_started_at": received, "sla_due_at": received + self.sla,
            "claimed_at": claimed, "first_contact_at": claimed + timedelta(minutes=10),
            "closed_at": claimed + timedelta(days=2) if closed else None,
            "escalation_step": int(wait >= self.first.total_seconds()), "next_action_at": None,
            "claim_wait_seconds": wait, "claim_business_wait_seconds": wait,  # hours: always
            "snoozed_until": None, "snoozed_by": None, "sla_breached_at": None,
        }

    def open_state(self, i: int, *, due: bool) -> dict[str, Any]:
        """The columns of an open lead that a tick may change (and a reset restores)."""
        if due:  # step 1 due 1 min (+1 s per pool lead) ago
            age = self.first + timedelta(minutes=1, seconds=i - self.first_open)
        else:  # assigned 29..0 min ago: step 1 due in 1..30 min
            age = (self.first - timedelta(minutes=1)) * (self.size - i + 1) / self.open
        at = NOW - age
        return {
            "status": LeadStatus.ASSIGNED, "owner_id": self.owner(i), "version": 1,
            "received_at": at, "created_at": at, "assigned_at": at, "escalation_started_at": at,
            "sla_due_at": at + self.sla, "escalation_step": 0, "next_action_at": at + self.first,
            "claimed_by": None, "claimed_at": None, "first_contact_at": None, "closed_at": None,
            "claim_wait_seconds": None, "claim_business_wait_seconds": None,
            "snoozed_until": None, "snoozed_by": None, "sla_breached_at": None,
        }

    def card_copies(self) -> list[dict[str, Any]]:
        """Each open lead's DM card and #leads copy: a step enqueues an update per copy."""
        return [
            {"lead_id": i, "kind": kind, "recipient": who, "channel": channel,
             "ts": f"1772636400.{i:06d}", "shown_version": 1, "posted_at": NOW - self.first}
            for i in range(self.first_open, self.size + 1)
            for kind, who, channel in (("dm", self.owner(i), f"D{self.owner(i)}"),
                                       ("channel", None, "C0LEADS"))
        ]
    # fmt: on


def open_database(args: argparse.Namespace, rows: Rows) -> tuple[Database, float]:
    """The database of `rows`: cached (SQLite file, PostgreSQL schema) or built now (+ seconds)."""
    return cached_database(
        args.database_url,
        key=f"v{ROWS_VERSION}-r{schema_head()}-{rows.size}-{rows.open}-{len(rows.pool)}",
        cache=CACHE,
        schema=f"sweep_bench_{rows.size}",
        build=lambda url: build(url, rows),
        rebuild=args.rebuild,
    )


def build(url: str, rows: Rows) -> float:
    started, db, config = time.monotonic(), Database(url), default_config()
    db.upgrade()
    for i in (rows.pool[0], rows.size):  # the rows must agree with the app's own planning
        lead = Lead(**rows.row(i))
        assert plan_next(lead, config, None) == lead.next_action_at, f"lead {i}"
    with db.engine.begin() as conn:
        for start in range(1, rows.size + 1, CHUNK):
            stop = min(start + CHUNK, rows.size + 1)
            conn.execute(insert(LEADS), [rows.row(i) for i in range(start, stop)])
        conn.execute(insert(CardCopy.__table__), rows.card_copies())
        if not db.is_sqlite:
            sql = "SELECT setval(pg_get_serial_sequence('leads', 'id'), :n)"
            conn.execute(text(sql), {"n": rows.size})
    if not db.is_sqlite:  # as autovacuum would soon after a load this size
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    db.dispose()
    return time.monotonic() - started


class Bench:
    def __init__(self, db: Database, config: Config, rows: Rows, analyze: bool) -> None:
        self.db, self.rows, self.dirty = db, rows, len(rows.pool)  # cached: reset all at first
        self.escalator = Escalator(Deps.create(db, config, FixedClock(NOW)))
        with db.engine.begin() as conn:
            self.base = [conn.execute(select(func.max(t.c.id))).scalar() or 0 for t in CREATED]
            if db.is_sqlite:  # as leadbot runs it (no statistics), unless --analyze
                conn.exec_driver_sql("ANALYZE" if analyze else "DROP TABLE IF EXISTS sqlite_stat1")
        db.dispose()  # SQLite loads statistics when a connection opens: open new ones
        self.due_sql: tuple[str, Any] | None = None
        event.listen(db.engine, "before_cursor_execute", self._capture)

    def _capture(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if self.due_sql is None and "next_action_at <=" in statement:
            self.due_sql = (statement, params)

    def reset(self, due: int) -> None:
        """Untimed: undo the previous tick and make exactly the first `due` pool leads due."""
        pool = self.rows.pool[: max(due, self.dirty)]
        states = [
            {"lead_id": i, **self.rows.open_state(i, due=k < due)} for k, i in enumerate(pool)
        ]
        with self.db.engine.begin() as conn:
            for table, base in zip(CREATED, self.base, strict=True):
                conn.execute(delete(table).where(table.c.id > base))
            if states:
                conn.execute(update(LEADS).where(LEADS.c.id == bindparam("lead_id")), states)
        self.dirty = due

    def run(self, due: int, repeat: int, warmup: int) -> dict[str, Any]:
        ms, steps, breaches = [], set(), 0
        gc.collect()
        gc.freeze()  # as LeadbotApp.start_workers() does in `leadbot serve`
        for k in range(warmup + repeat):
            self.reset(due)
            start = time.perf_counter()
            result = self.escalator.sweep()
            if k >= warmup:
                ms.append((time.perf_counter() - start) * 1000)
                steps.add(result.steps)
                breaches += result.breaches
        q = statistics.quantiles(ms, n=100, method="inclusive")
        ok = steps == {min(due, BATCH)} and breaches == 0
        return {"due": due, "count": len(ms), "p50": q[49], "p99": q[98], "max": max(ms),
                "steps": sorted(steps), "breaches": breaches, "ok": ok}  # fmt: skip

    def plan(self) -> list[str]:
        """The due-leads query of the first tick, explained with the target's due leads."""
        assert self.due_sql is not None, "the sweep ran no due-leads query"
        statement, params = self.due_sql
        self.reset(TARGET_DUE)
        explain = "EXPLAIN QUERY PLAN " if self.db.is_sqlite else "EXPLAIN "
        with self.db.engine.begin() as conn:
            return [str(r[-1]) for r in conn.exec_driver_sql(explain + statement, params)]

    def floor(self, due: int, repeat: int, warmup: int) -> dict[str, Any]:
        """The database's own share of a tick: the statements of one tick, captured with their
        parameters bound, replayed through the driver alone (no leadbot, no SQLAlchemy) after
        the same reset. What leadbot's Python adds is the tick minus this."""
        statements: list[tuple[str, Any, bool]] = []

        def record(*args: Any) -> None:  # conn, cursor, statement, parameters, context, many
            statements.append((args[2], args[3], args[5]))

        self.reset(due)
        event.listen(self.db.engine, "before_cursor_execute", record)
        try:
            self.escalator.sweep()
        finally:
            event.remove(self.db.engine, "before_cursor_execute", record)
        ms = []
        for k in range(warmup + repeat):
            self.reset(due)
            raw = self.db.engine.raw_connection()
            try:
                start = time.perf_counter()
                cursor = raw.cursor()
                for statement, params, many in statements:
                    (cursor.executemany if many else cursor.execute)(statement, params)
                    if cursor.description is not None:
                        cursor.fetchall()
                raw.commit()
                if k >= warmup:
                    ms.append((time.perf_counter() - start) * 1000)
            finally:
                raw.close()
        q = statistics.quantiles(ms, n=100, method="inclusive")
        return {"due": due, "statements": len(statements), "p50": q[49], "p99": q[98]}

    def profile(self, due: int, top: int) -> str:
        profiler, out = cProfile.Profile(), io.StringIO()
        for _ in range(10):
            self.reset(due)
            profiler.runcall(self.escalator.sweep)
        for order in ("cumulative", "tottime"):
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
        return f"cProfile of 10 ticks, {due} due:\n{out.getvalue()}"


def backend(db: Database) -> str:
    if db.is_sqlite:
        return f"SQLite {sqlite3.sqlite_version} (file, WAL)"
    with db.engine.connect() as conn:
        return f"PostgreSQL {conn.execute(text('SHOW server_version')).scalar()}"


def main() -> int:
    args = parse_args()
    logging.basicConfig(level=logging.WARNING)
    console, config = Console(width=max(Console().width, 110)), default_config()
    r: dict[str, Any] = {
        "command": shlex.join([sys.executable, *sys.argv]), "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__, "platform": platform.platform(),
        "cpu_count": os.cpu_count(), "load": os.getloadavg(), "clock": NOW.isoformat(),
        "analyze": args.analyze, "commit_checkpoints": args.commit_checkpoints,
        "rows": [], "plans": {}, "build_seconds": {},
    }  # fmt: skip
    for size in sorted(args.sizes):
        rows = Rows(config, size, args.open, max(*args.due, min(1000, args.open)))  # cache key
        db, built = open_database(args, rows)
        r["database"], r["build_seconds"][size] = backend(db), built
        r["target_ms"] = TARGET_MS["sqlite" if db.is_sqlite else "postgresql"]
        how = f"built in {built:.1f} s" if built else "cached (--rebuild to rebuild)"
        console.print(f"{size:,} leads ({args.open:,} open): database {how}")
        bench = Bench(db, config, rows, args.analyze)
        if not args.commit_checkpoints:
            db.checkpoint_in_background()  # as `leadbot serve` does (storage/checkpoint.py)
        for due in args.due:
            row = bench.run(due, args.repeat, args.warmup)
            r["rows"].append({"size": size, "open": args.open, **row})
        r["plans"][size] = bench.plan()
        if size == TARGET_SIZE:
            r["floor"] = bench.floor(TARGET_DUE, args.repeat, args.warmup)
        if args.profile and size == max(args.sizes):
            console.print(
                bench.profile(TARGET_DUE, args.profile),
                markup=False,
                highlight=False,
            )
        db.dispose()
    report(r, console)
    if args.json:
        print(json.dumps(r, indent=2))
    return 0 if all(row["ok"] for row in r["rows"]) else 1


def report(r: dict[str, Any], console: Console) -> None:
    stats = "ANALYZE statistics" if r["analyze"] else "no ANALYZE statistics, as leadbot runs it"
    where = "by the commits" if r["commit_checkpoints"] else "by a thread, as leadbot serve does"
    sqlite = r["database"].startswith("SQLite")
    sqlite_note = f"; {stats}; WAL checkpoints {where}" if sqlite else ""
    console.print(
        f"command:  {r['command']}\nmachine:  Python {r['python']}, SQLAlchemy {r['sqlalchemy']}, "
        f"{r['cpu_count']} CPUs, {r['platform']}\ndatabase: {r['database']}{sqlite_note}\n"
        f"clock {r['clock']}; default_config(): business_hours always, 3 reps, no quiet hours; "
        f"each due lead runs step 1 (remind_owner) and has 2 card copies (redrawn once its "
        f"reminder is delivered)"
    )
    table = Table(title=f"one sweep tick, ms — {r['database']}")
    for column in ("leads", "open", "due", "ticks", "p50", "p99", "max", "steps/tick", "target"):
        table.add_column(column, justify="right")
    mark = {True: "[bold green]PASS[/]", False: "[bold red]MISS[/]"}
    for row in r["rows"]:
        target = row["size"] == TARGET_SIZE and row["due"] == TARGET_DUE
        steps = "/".join(map(str, row["steps"]))
        table.add_row(
            f"{row['size']:,}", f"{row['open']:,}", str(row["due"]), str(row["count"]),
            *(f"{row[k]:.2f}" for k in ("p50", "p99", "max")),
            steps if row["ok"] else f"[bold red]{steps}[/]",
            mark[row["p99"] <= r["target_ms"]] if target else "",
        )  # fmt: skip
    console.print(table)
    before, after = ("/".join(f"{x:.2f}" for x in load) for load in (r["load"], os.getloadavg()))
    console.print(f"load average (1/5/15 min) before → after: {before} → {after}")
    target = f"p99 ≤ {r['target_ms']:g} ms"
    console.print(f"target: {TARGET_DUE} due in {TARGET_SIZE:,} leads, {target}. "
                  f"A tick takes at most BATCH = {BATCH} due leads.")  # fmt: skip
    if "floor" in r:
        f = r["floor"]
        console.print(
            f"the database's own share of a {f['due']}-due tick (its {f['statements']} statements "
            f"replayed through the driver alone): p50 {f['p50']:.2f} ms, p99 {f['p99']:.2f} ms"
        )
    for row in (row for row in r["rows"] if not row["ok"]):
        console.print(
            f"[bold red]ERROR: {row['size']:,} leads, {row['due']} due: the ticks ran "
            f"{row['steps']} steps, {row['breaches']} breaches; expected "
            f"{min(row['due'], BATCH)} steps, no breach[/]"
        )
    by = {(row["size"], row["due"]): row for row in r["rows"]}
    sizes, dues = sorted({s for s, _ in by}), sorted({d for _, d in by})
    for size in sizes if len(dues) > 1 else []:
        low, high = by[size, dues[0]], by[size, dues[-1]]
        per = (high["p50"] - low["p50"]) / max(min(high["due"], BATCH) - min(low["due"], BATCH), 1)
        console.print(
            f"{size:,} leads: baseline ({low['due']} due) p50 {low['p50']:.2f} ms; each due "
            f"lead adds {per:.3f} ms (p50, {low['due']} → {min(high['due'], BATCH)} steps)"
        )
    for due in dues if len(sizes) > 1 else []:
        small, big = by[sizes[0], due]["p50"], by[sizes[-1], due]["p50"]
        console.print(
            f"{due} due: p50 {small:.2f} ms at {sizes[0]:,} leads, {big:.2f} ms at "
            f"{sizes[-1]:,} (× {big / small:.2f} for × {sizes[-1] / sizes[0]:g} rows)"
        )
    for size, plan in r["plans"].items():
        console.print(f"due-leads query plan at {size:,} leads:", *plan, sep="\n  ")


if __name__ == "__main__":
    sys.exit(main())
