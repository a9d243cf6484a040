"""Follow-up benchmark (#12): 10,000 leads in active cadences (60,000 tasks), 100 reps.

Times, each against a baseline measured in the same run:
- the morning agenda for every rep at once (all in one zone, so all fall due together: the
  worst case), built and queued in one transaction: target < 1 s. Baseline: a tick at 08:59,
  when no agenda is due (the cost of looking);
- one task-sweep tick with 100 due tasks (each posts its card): target the delivery issue's
  sweep target, p99 <= 10 ms (SQLite) / <= 20 ms (PostgreSQL). Baseline: a 0-due tick.

A report, not a test: exit 0 on a MISS, 1 if a tick did other work than planned. Builds a fresh
database each run (SQLite in a temp dir, or the PostgreSQL URL given: its `public` schema is
dropped and recreated, so never point it at leadbot_test).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import delete, func, insert, select, text, update

from bot.clock import FixedClock
from bot.config.load import parse_config
from bot.config.schema import Config
from bot.followup.hooks import FollowUp
from bot.followup.sweep import TaskSweeper
from bot.services import Deps
from bot.vocabulary import LeadStatus, TaskStatus
from storage.db import Database
from storage.followup import AgendaSent, Task
from storage.models import Lead, LeadEvent, OutboxMessage

TUESDAY = date(2026, 3, 3)
OPENING = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)  # 09:00 in New York (EST)
EVENING = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)  # 18:30 in New York: no agenda due
REPS, LEADS, STEPS = 100, 10_000, (1, 2, 4, 7, 10, 14)
CHANNELS = (["email", "call"], ["email"], ["call"], ["email"], ["linkedin"], ["email"])
TEMPLATES = ("intro", "value", "call_script", "case_study", "connect", "breakup")
TARGET_MS = {"sqlite": 10.0, "postgresql": 20.0}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="leadbot: agenda and task-sweep timings")
    p.add_argument("--database-url", help="PostgreSQL URL (default: a SQLite file in a temp dir)")
    p.add_argument("--repeat", type=int, default=30, help="timed sweep ticks per row")
    p.add_argument("--agenda-repeat", type=int, default=10, help="timed agenda rounds")
    p.add_argument("--due", type=int, default=100, help="due tasks per sweep tick")
    return p.parse_args()


def config() -> Config:
    reps = [
        {"id": f"U0REP{n:04d}", "name": f"Rep {n}", "timezone": "America/New_York",
         "manager": "U0MAYA"}
        for n in range(REPS)
    ]  # fmt: skip
    return parse_config(
        {
            "timezone": "America/New_York",
            "business_hours": {"days": ["mon", "tue", "wed", "thu", "fri"],
                               "start": "09:00", "end": "17:00"},
            "channels": {"queue": "C0QUEUE"},
            "managers": [{"id": "U0MAYA", "name": "Maya"}],
            "reps": reps,
        },
        source="bench",
    )  # fmt: skip


def lead_row(i: int, owner: str) -> dict[str, Any]:
    at = OPENING - timedelta(days=3 + i % 10)
    return {
        "id": i, "source": "website", "external_id": f"crm-{i}", "name": f"Dana Whitfield {i}",
        "email": f"dana{i}@northwind.test", "phone": "+1 555 0100", "company": "Northwind",
        "country": "US", "product": "Analytics", "message": "A demo before Thursday, please.",
        "tier": "warm", "fields": {}, "chain": [], "routing_reason": "bench",
        "status": LeadStatus.CLAIMED, "owner_id": owner, "claimed_by": owner, "version": 2,
        "received_at": at, "created_at": at, "assigned_at": at, "claimed_at": at,
        "first_contact_at": at + timedelta(hours=1), "contact_count": 1, "escalation_step": 0,
    }  # fmt: skip


def task_rows(i: int, owner: str) -> list[dict[str, Any]]:
    """Six steps a lead: the done ones, the current one (due today, overdue or later), the rest
    planned ahead (open, due on later days): 60,000 rows for 10,000 leads."""
    current = i % 6
    when = {0: timedelta(hours=i % 8), 1: -timedelta(days=1 + i % 3), 2: timedelta(days=2)}
    rows = []
    for k, day in enumerate(STEPS):
        done = k < current
        due = OPENING + (when[i % 3] if k == current else timedelta(days=day - STEPS[current]))
        rows.append({
            "lead_id": i, "owner_id": owner, "cadence": "default", "step": k + 1, "steps": 6,
            "day": day, "channels": CHANNELS[k], "template": TEMPLATES[k], "final": k == 5,
            "due_at": due - timedelta(days=10) if done else due,
            "status": TaskStatus.DONE if done else TaskStatus.OPEN,
            "result": "email_sent" if done else None, "done_by": owner if done else None,
            "done_at": due - timedelta(days=10) if done else None,
            "next_action_at": None if done else due + timedelta(days=30),  # not due in a tick
            "overdue_step": 1, "version": 2, "created_at": OPENING - timedelta(days=14),
            "card_channel": None, "card_ts": None, "shown_version": 0,
        })  # fmt: skip
    return rows


def build(url: str) -> Database:
    db = Database(url)
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.upgrade()
    reps = [f"U0REP{n:04d}" for n in range(REPS)]
    with db.engine.begin() as conn:
        leads = [lead_row(i, reps[i % REPS]) for i in range(1, LEADS + 1)]
        conn.execute(insert(Lead.__table__), leads)
        tasks = [row for i in range(1, LEADS + 1) for row in task_rows(i, reps[i % REPS])]
        for start in range(0, len(tasks), 10_000):
            conn.execute(insert(Task.__table__), tasks[start : start + 10_000])
    if not db.is_sqlite:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return db


class Bench:
    def __init__(self, db: Database, cfg: Config) -> None:
        self.db, self.cfg = db, cfg
        self.clock = FixedClock(OPENING)
        # The app's follow-up hooks, as in `leadbot serve` (templates are filled in when the
        # dispatcher draws a card, not in the tick).
        deps = Deps.create(db, cfg, self.clock)
        self.sweeper = TaskSweeper(replace(deps, followup=FollowUp(db, cfg, deps.calendar)))
        with db.engine.begin() as conn:
            self.base = {t: conn.execute(select(func.max(t.c.id))).scalar() or 0
                         for t in (OutboxMessage.__table__, LeadEvent.__table__)}  # fmt: skip
        self.pool = self._pool()

    def _pool(self) -> list[int]:
        with self.db.read() as session:
            return list(session.scalars(
                select(Task.id).where(Task.status == TaskStatus.OPEN).order_by(Task.id).limit(1000)
            ))  # fmt: skip

    def clean(self) -> None:
        with self.db.engine.begin() as conn:
            for table, base in self.base.items():
                conn.execute(delete(table).where(table.c.id > base))
            conn.execute(delete(AgendaSent.__table__))
        self.sweeper.agenda._done.clear()

    def agenda_round(self, moment: datetime) -> tuple[float, int]:
        self.clean()
        self.clock.set(moment)
        started = time.perf_counter()
        with self.db.write() as session:
            sent = self.sweeper.agenda.send_due(session, moment)
        return (time.perf_counter() - started) * 1000, sent

    def sweep_tick(self, due: int) -> tuple[float, int]:
        self.clean()
        ids = self.pool[:due]
        with self.db.engine.begin() as conn:
            table = Task.__table__
            conn.execute(update(table).where(table.c.id.in_(self.pool))
                         .values(next_action_at=OPENING + timedelta(days=30)))  # fmt: skip
            if ids:
                conn.execute(update(table).where(table.c.id.in_(ids)).values(
                    next_action_at=EVENING - timedelta(minutes=1), overdue_step=0,
                    card_ts=None, card_channel=None))  # fmt: skip
        self.clock.set(EVENING)
        self.sweeper.agenda._done.update((r, TUESDAY) for r in self.cfg.rep_ids())
        started = time.perf_counter()
        ran = self.sweeper.sweep()
        return (time.perf_counter() - started) * 1000, ran


def stats(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99, ordered[-1]


def main() -> int:
    args = parse_args()
    console = Console()
    tmp = tempfile.mkdtemp(prefix="leadbot-followup-bench-")
    url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    started = time.monotonic()
    db = build(url)
    backend = "sqlite" if db.is_sqlite else "postgresql"
    console.print(f"built {LEADS:,} leads, {LEADS * 6:,} tasks on {backend} "
                  f"in {time.monotonic() - started:.1f} s")  # fmt: skip
    bench, failed = Bench(db, config()), False
    gc.collect()
    gc.freeze()  # as LeadbotApp.start_workers() does in `leadbot serve` (and sweep_bench here)
    table = Table(title=f"follow-up on {backend} (ms)")
    for column in ("case", "p50", "p99", "max", "work", "target"):
        table.add_column(column)
    for label, moment, want in (("agenda: none due (08:59)", OPENING - timedelta(minutes=1), 0),
                                ("agenda: 100 reps at 09:00", OPENING, REPS)):  # fmt: skip
        bench.agenda_round(moment)  # warm-up
        runs = [bench.agenda_round(moment) for _ in range(args.agenda_repeat)]
        failed |= any(sent != want for _, sent in runs)
        p50, p99, top = stats([ms for ms, _ in runs])
        verdict = "" if want == 0 else ("PASS" if p99 < 1000 else "MISS") + " < 1000"
        table.add_row(
            label, f"{p50:.1f}", f"{p99:.1f}", f"{top:.1f}", f"{runs[0][1]} sent", verdict
        )
    for due in (0, args.due):
        for _ in range(2):
            bench.sweep_tick(due)
        runs = [bench.sweep_tick(due) for _ in range(args.repeat)]
        failed |= any(ran != due for _, ran in runs)
        p50, p99, top = stats([ms for ms, _ in runs])
        goal = TARGET_MS[backend]
        verdict = ("PASS" if p99 <= goal else "MISS") + f" <= {goal:.0f}" if due else "baseline"
        table.add_row(f"sweep: {due} due tasks", f"{p50:.1f}", f"{p99:.1f}", f"{top:.1f}",
                      f"{runs[0][1]} run", verdict)  # fmt: skip
    console.print(table)
    if failed:
        console.print("[red]ERROR: a round did other work than planned")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
