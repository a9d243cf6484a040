"""`leadbot audit` benchmark (#13): a 1,000,000-row HubSpot-shaped export, read whole.

Writes the export once (cached in the temp dir by its size and seed), then runs `leadbot audit`
in a child process, as a user would, timing it and reading its peak memory (ru_maxrss). The
baseline, measured in the same run: a child that only reads the same file with Python's `csv`
module (the floor of any pure-Python reader). Targets: under 30 s and under 500 MB.
A report, not a test: exit 0 on a MISS, 1 if the audit failed or counted other rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

HEADER = ("Record ID,First Name,Last Name,Email,Company Name,Contact owner,Owner Assigned Date,"
          "Create Date,Lifecycle Stage,Lead Status,Original Source,Last Activity Date,"
          "Last Contacted,First outreach date,Lead response time (HH:mm:ss),"
          "Number of Sales Activities,Number of times contacted,"
          "Became a Customer Date")  # fmt: skip
SOURCES = ("Organic Search", "Paid Search", "Direct Traffic", "Referrals", "Social Media",
           "Email Marketing", "Offline Sources")  # fmt: skip
STAGES = ("Lead", "Lead", "Lead", "Marketing Qualified Lead", "Opportunity", "Customer")
BAD_EVERY = 10_000  # one malformed date per this many rows: bad rows are part of real files
TARGET_S, TARGET_MB = 30.0, 500.0
NEW_YORK = ZoneInfo("America/New_York")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3, help="timed runs of each command")
    p.add_argument("--seed", type=int, default=13)
    return p.parse_args()


def write_export(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    # Drawn in UTC and written as New York wall time, as a CRM converts: never a skipped hour.
    start = datetime(2024, 1, 1, 5, 0, tzinfo=UTC)
    owners = [f"Rep {i:03d}" for i in range(120)]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        for i in range(rows):
            created = start + timedelta(seconds=rng.randrange(0, 365 * 86400))
            stamp = created.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M")
            if i % BAD_EVERY == BAD_EVERY - 1:
                stamp = "31/02/2024"
            touches = rng.choice((0, 1, 1, 2, 3, 5))
            first = last = ""
            if touches:
                wait = timedelta(seconds=int(rng.lognormvariate(8.0, 2.0)))
                first = (created + wait).astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M")
                last = (created + wait * 2).astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M")
            stage = rng.choice(STAGES)
            won = "2024-12-01 10:00" if stage == "Customer" else ""
            out.write(f'{100000 + i},Ana{i},"Lopez, Jr.",a{i}@example.com,Acme {i % 997},'
                      f"{rng.choice(owners)},{stamp},{stamp},{stage},New,{rng.choice(SOURCES)},"
                      f"{last},{last},{first},,{touches},{touches},{won}\r\n")  # fmt: skip


def run_child(argv: list[str]) -> tuple[float, float, str]:
    """(seconds, peak MB, stdout) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    # ru_maxrss of children is the largest of any child so far: run the bigger one last.
    return seconds, max(peak_kb, before) / 1024, done.stdout


BASELINE = ("import csv,sys\nn=0\nwith open(sys.argv[1], encoding='utf-8', newline='') as f:\n"
            "    for row in csv.reader(f): n += 1\nprint(n)\n")  # fmt: skip


def main() -> int:
    args = parse_args()
    console = Console()
    path = Path(tempfile.gettempdir()) / f"leadbot-audit-bench-v2-{args.rows}-{args.seed}.csv"
    if not path.exists():
        started = time.monotonic()
        write_export(path, args.rows, args.seed)
        console.print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in "
                      f"{time.monotonic() - started:.0f} s")  # fmt: skip
    leadbot = str(Path(sys.executable).with_name("leadbot"))
    audit = [leadbot, "audit", str(path), "--preset", "hubspot", "--tz", "America/New_York",
             "--json", "-"]  # fmt: skip
    env_note = os.environ.get("LEADBOT_CONFIG", "none")
    base_runs = [run_child([sys.executable, "-c", BASELINE, str(path)]) for _ in range(args.repeat)]
    runs = [run_child(audit) for _ in range(args.repeat)]
    report = json.loads(runs[0][2])
    failed = report["rows"] != args.rows
    table = Table(title=f"leadbot audit, {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB)")
    for column in ("command", "median s", "max s", "peak MB", "target"):
        table.add_column(column)
    base_s = statistics.median(r[0] for r in base_runs)
    table.add_row("baseline: csv.reader only", f"{base_s:.1f}",
                  f"{max(r[0] for r in base_runs):.1f}", f"{base_runs[-1][1]:.0f}", "")  # fmt: skip
    seconds, top = statistics.median(r[0] for r in runs), max(r[0] for r in runs)
    peak = max(r[1] for r in runs)
    verdict = ("PASS" if top < TARGET_S and peak < TARGET_MB else "MISS") + \
        f" < {TARGET_S:.0f} s, < {TARGET_MB:.0f} MB"  # fmt: skip
    table.add_row("leadbot audit --preset hubspot", f"{seconds:.1f}", f"{top:.1f}",
                  f"{peak:.0f}", verdict)  # fmt: skip
    console.print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    console.print(f"machine: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
                  f"{platform.platform()}; LEADBOT_CONFIG={env_note}")  # fmt: skip
    console.print(table)
    console.print(f"audit / baseline: {seconds / base_s:.1f}×; rows {report['rows']:,}, "
                  f"bad {report['bad']:,}, leads {report['overall']['leads']:,}")  # fmt: skip
    if failed:
        console.print(f"[red]ERROR: the audit counted {report['rows']:,} rows, not {args.rows:,}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
