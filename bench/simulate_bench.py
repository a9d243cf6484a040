"""Simulate benchmark (#13 §4): how long `leadbot simulate` takes to replay weeks of leads.

A synthetic history: `--per-week` leads a week for `--weeks` weeks, arriving in office hours
(New York) with a few at night, claimed after a log-normal wait (median 20 min, a long tail),
15 % never claimed; ten reps in three zones with quiet hours,
business hours Mon–Fri 09:00–17:30, hot/warm/cold tiers. Both policies are replayed, as the
command does: the current one (30 min / 2 h / 4 h) and a stricter proposal (15 min / 1 h /
manager and queue at 2 h, repeated). Baseline in the same run: intake alone (the same leads
through `LeadService.receive` on a scratch file, no clock jumps, no sweep), the floor under any
replay. A report, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.clock import FixedClock
from bot.config.load import parse_config
from bot.config.schema import Config
from bot.leads.service import LeadService
from bot.review.simulate.history import Arrival
from bot.review.simulate.measures import measure
from bot.review.simulate.replay import replay, scratch_database
from bot.review.simulate.run import History, Output, Policies, simulate
from bot.services import Deps

START = datetime(2026, 9, 7, 4, 0, tzinfo=UTC)  # a Monday, midnight in New York
ZONES = ("America/New_York", "America/Los_Angeles", "Europe/London")


def policy(steps: list[dict[str, Any]], sla: str) -> Config:
    reps = [{"id": f"U0REP{n:02d}", "name": f"Rep {n}", "timezone": ZONES[n % 3],
             "manager": "U0MAYA", "quiet_hours": "20:00-08:00"} for n in range(10)]  # fmt: skip
    return parse_config({
        "timezone": "America/New_York",
        "business_hours": {"days": ["mon", "tue", "wed", "thu", "fri"],
                           "start": "09:00", "end": "17:30"},
        "channels": {"leads": "C0LEADS", "queue": "C0QUEUE", "managers": "C0MGRS"},
        "managers": [{"id": "U0MAYA", "name": "Maya"}],
        "reps": reps,
        "tiers": [
            {"name": "hot", "respond_within": "5m", "match": {"company_size": ">=1000"}},
            {"name": "warm", "respond_within": sla, "match": {"source": ["website"]}},
            {"name": "cold", "respond_within": "24h"},
        ],
        "default_tier": "cold",
        "escalation": {"steps": steps},
        "digest": {"enabled": False},
    }, source="bench")  # fmt: skip


CURRENT = policy([{"after": "30m", "do": ["remind_owner"], "tone": "gentle"},
                  {"after": "2h", "do": ["remind_owner"], "tone": "direct"},
                  {"after": "4h", "do": ["notify_manager", "move_to_queue"]}], "1h")  # fmt: skip
PROPOSED = policy([{"after": "15m", "do": ["remind_owner"], "tone": "gentle"},
                   {"after": "1h", "do": ["remind_owner"], "tone": "direct"},
                   {"after": "2h", "do": ["notify_manager", "move_to_queue"], "repeat": 2,
                    "every": "1h"}], "30m")  # fmt: skip


def history(per_week: int, weeks: int, seed: int = 7) -> list[Arrival]:
    rng = random.Random(seed)
    arrivals = []
    for n in range(per_week * weeks):
        day = rng.randrange(weeks * 7)
        office = rng.random() < 0.85 and (START + timedelta(days=day)).weekday() < 5
        hour = rng.uniform(13, 22) if office else rng.uniform(0, 24)  # 09–17 New York in UTC
        at = START + timedelta(days=day, hours=hour)
        claimed = None if rng.random() < 0.15 else timedelta(minutes=rng.lognormvariate(3, 1.2))
        lead = {"name": f"Lead {n}", "source": rng.choice(("website", "webinar", "partner")),
                "company_size": rng.choice((10, 50, 200, 5000))}  # fmt: skip
        arrivals.append(Arrival(f"L{n}", at, lead, claimed, None, claimed))
    return sorted(arrivals, key=lambda arrival: arrival.at)


def intake_only(arrivals: list[Arrival], directory: Path) -> float:
    db = scratch_database(directory, "baseline")
    clock = FixedClock(arrivals[0].at)
    service = LeadService(Deps.create(db, CURRENT, clock))
    started = time.perf_counter()
    for arrival in arrivals:
        clock.set(arrival.at)
        service.receive(service.parse(arrival.lead))
    elapsed = time.perf_counter() - started
    db.dispose()
    return elapsed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--per-week", type=int, default=2_000)
    p.add_argument("--weeks", type=int, default=4)
    args = p.parse_args()
    arrivals = history(args.per_week, args.weeks)
    end = arrivals[-1].at + timedelta(days=1)
    table = Table(title=f"simulate: {len(arrivals):,} leads over {args.weeks} weeks")
    for column in ("case", "seconds", "leads/s", "breaches", "reminders", "manager"):
        table.add_column(column, justify="left" if column == "case" else "right")
    with tempfile.TemporaryDirectory() as directory:
        base = intake_only(arrivals, Path(directory))
        table.add_row("baseline: intake alone", *_rate(base, len(arrivals)), "", "", "")
        for name, config in (("current", CURRENT), ("proposed", PROPOSED)):
            started = time.perf_counter()
            done = replay(config, arrivals, end, Path(directory), name)
            elapsed = time.perf_counter() - started
            found = measure(done.db, config, arrivals[0].at, end, keys=done.keys,
                            contacts=done.contacts)  # fmt: skip
            done.db.dispose()
            counts = (found.count(lambda f: f.breached), sum(found.reminders.values()),
                      sum(found.managers.values()))  # fmt: skip
            table.add_row(f"replay: {name} policy", *_rate(elapsed, len(arrivals)),
                          *(f"{n:,}" for n in counts))  # fmt: skip
    table.add_row("leadbot simulate (both, 2 processes)", *_rate(whole(arrivals, end), 0), "", "",
                  "")  # fmt: skip
    Console().print(table)
    return 0


def whole(arrivals: list[Arrival], end: datetime) -> float:
    """What the command's user waits for: both replays in two processes, measured, drawn."""
    policies = Policies(CURRENT, PROPOSED, "current.yml", "proposed.yml")
    history_ = History(arrivals, arrivals[0].at, end, end, None, "the bench's history")
    quiet = Console(file=io.StringIO())
    started = time.perf_counter()
    simulate(history_, policies, Output(), quiet, quiet, processes=True)
    return time.perf_counter() - started


def _rate(seconds: float, leads: int) -> tuple[str, str]:
    return f"{seconds:.1f}", f"{leads / seconds:,.0f}" if leads else ""


if __name__ == "__main__":
    sys.exit(main())
