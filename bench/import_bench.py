"""`leadbot import` benchmark (#14): a 100,000-row HubSpot-shaped contacts file into a fresh
database, as a user runs it (a child process), timed, with its peak memory (ru_maxrss).

The leads are routed in turn over 30 reps with a channel copy each (leadbot.yml written by the
bench), so each row costs what a real one does: the lead, its events, its cards' outbox rows,
the pool's pointer. Baselines in the same run: a child that only reads the file with Python's
`csv` module, and `leadbot import --dry-run` (read, map and validate; store nothing). One row in
a thousand is refused (no name, email or phone) and one in a thousand repeats an earlier
Record ID. A report, not a test: exit 0, or 1 if the counts are not the ones written.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

HEADER = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name",
          "Country/Region", "Lifecycle Stage", "Original Source", "Create Date"]  # fmt: skip


def write_file(path: Path, rows: int, seed: int = 14) -> tuple[int, int]:
    """The file, and how many rows are refused and repeated."""
    rng = random.Random(seed)
    refused = repeated = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\r\n")
        for n in range(rows):
            record = n
            if n and n % 1000 == 500:
                record, repeated = rng.randrange(n), repeated + 1
            first, last = f"Ada{n}", "Lovelace"
            email, phone = f"ada{n}@example{n % 97}.com", f"+1 555 {n % 10000:04d}"
            if n % 1000 == 999:
                first = last = email = phone = ""
                refused += 1
            out.write(f"{100000 + record},{first},{last},{email},{phone},"
                      f"Company {n % 5000},United States,lead,Organic Search,"
                      f"2026-11-{1 + n % 25:02d} 09:14\r\n")  # fmt: skip
    return refused, repeated


def config(path: Path) -> None:
    reps = [{"id": f"U0REP{n:03d}", "name": f"Rep {n}"} for n in range(30)]
    path.write_text(yaml.safe_dump({
        "timezone": "America/New_York", "business_hours": "always",
        "channels": {"leads": "C0LEADS", "queue": "C0QUEUE"}, "reps": reps,
        "digest": {"enabled": False},
    }), encoding="utf-8")  # fmt: skip


def run_child(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Seconds, peak MB of the largest child so far, and its standard output."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stderr)
    return elapsed, peak_mb, done.stdout


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--database-url", help="PostgreSQL (its public schema is dropped first)")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="leadbot-import-bench-"))
    data = work / "contacts.csv"
    refused, repeated = write_file(data, args.rows)
    config(work / "leadbot.yml")
    url = args.database_url or f"sqlite:///{work / 'leadbot.db'}"
    if args.database_url:
        from sqlalchemy import create_engine, text

        engine = create_engine(args.database_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "LEADBOT_CONFIG": str(work / "leadbot.yml")}
    leadbot = [sys.executable, "-m", "bot.cli", "import", str(data), "--preset", "hubspot",
               "--json"]  # fmt: skip
    baseline = [sys.executable, "-c", "import csv,sys\nfor _ in csv.reader(open(sys.argv[1], "
                "newline='')): pass", str(data)]  # fmt: skip
    table = Table(title=f"leadbot import: {args.rows:,} rows "
                        f"({'postgresql' if args.database_url else 'sqlite'})")  # fmt: skip
    for column in ("command", "seconds", "rows/s", "peak MB"):
        table.add_column(column, justify="left" if column == "command" else "right")
    ok = True
    for label, argv in (("baseline: csv.reader only", baseline),
                        ("leadbot import --dry-run", [*leadbot, "--dry-run"]),
                        ("leadbot import", leadbot)):  # fmt: skip
        seconds, peak, out = run_child(argv, env)
        table.add_row(label, f"{seconds:.1f}", f"{args.rows / seconds:,.0f}", f"{peak:.0f}")
        if label == "leadbot import":
            got = json.loads(out)
            expected = (args.rows - refused - repeated, repeated, refused)
            ok = (got["created"], got["duplicate"], got["refused"]) == expected
            spread = sorted(got["owners"].values())
            table.caption = (f"created {got['created']:,}, already there {got['duplicate']:,}, "
                             f"refused {got['refused']:,}; "
                             f"per rep {spread[0]:,}–{spread[-1]:,}")  # fmt: skip
    Console().print(table)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
