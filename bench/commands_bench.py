"""`/leads` commands end to end on a large database: how fast Slack gets its acknowledgement
(the 3 s limit) and how fast the answer reaches the response_url.

Runs the real leadbot HTTP server in this process against the fake Slack, on the 1,000,000-lead
database `stats_bench.py` builds and caches, and sends signed slash commands one at a time.
Baseline, measured in the same run: `/leads help`, which reads nothing.

    .venv/bin/python bench/commands_bench.py [--database-url URL] [--size N] [--repeat N]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import create_app  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config.load import default_config  # noqa: E402
from bot.fakeslack.requests import post_signed, slash_command  # noqa: E402
from bot.fakeslack.server import FakeSlack  # noqa: E402
from bot.settings import Settings  # noqa: E402

SECRET = "bench-signing-secret"
CASES = (  # (label, command text, user)
    ("baseline: /leads help", "help", "U0BO"),
    ("/leads stats week (manager)", "stats week", "U0MAYA"),
    ("/leads stats month (manager)", "stats month", "U0MAYA"),
    ("/leads stats week (rep)", "stats week", "U0BO"),
    ("/leads mine (rep)", "mine", "U0BO"),
    ("/leads queue", "queue", "U0BO"),
)


def stats_bench() -> ModuleType:
    """The 1M-lead database builder and cache live in stats_bench.py: one copy of that code."""
    spec = importlib.util.spec_from_file_location("stats_bench", ROOT / "bench/stats_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL; default: the cached SQLite file")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--analyze", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def run_case(base: str, fake: FakeSlack, text: str, user: str, n: int) -> tuple[float, float]:
    """One command: (ms until Slack's HTTP request is answered, ms until the answer arrives)."""
    name = f"bench-{n}"
    body = slash_command(
        text, user_id=user, channel_id="C0BENCH", response_url=fake.response_url(name)
    )
    started = time.monotonic()
    status, _ = post_signed(f"{base}/slack/events", SECRET, body)
    acked = time.monotonic()
    if status != 200:
        raise SystemExit(f"/leads {text}: HTTP {status}")
    answer = fake.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"), timeout=30)
    return (acked - started) * 1000, (answer[0].at - started) * 1000


def percentiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99, ordered[-1]


def main() -> int:
    args = parse_args()
    sb = stats_bench()
    config = default_config()
    db, built = sb.open_database(args, sb.Rows(config, args.size))
    url = db.engine.url.render_as_string(hide_password=False)
    database = sb.backend(db)
    db.dispose()
    console = Console(width=max(Console().width, 100))
    console.print(f"{args.size:,} leads ({database}); built in {built:.0f} s" if built else
                  f"{args.size:,} leads ({database}), cached")  # fmt: skip
    with FakeSlack() as fake:
        settings = Settings(
            slack_bot_token="xoxb-bench", slack_signing_secret=SECRET, slack_api_url=fake.url,
            database_url=url, intake_token="bench",
        )  # fmt: skip
        app = create_app(settings, config, clock=FixedClock(sb.NOW))
        base = f"http://127.0.0.1:{app.serve_in_thread()}"
        gc.collect()
        gc.freeze()
        try:
            rows = measure(base, fake, args)
        finally:
            app.stop()
    report(console, rows, args, database)
    return 0


def measure(base: str, fake: FakeSlack, args: argparse.Namespace) -> list[tuple[str, list, list]]:
    rows, n = [], 0
    for label, text, user in CASES:
        acks, answers = [], []
        for i in range(args.warmup + args.repeat):
            n += 1
            ack, answer = run_case(base, fake, text, user, n)
            if i >= args.warmup:
                acks.append(ack)
                answers.append(answer)
        rows.append((label, acks, answers))
    return rows


def report(console: Console, rows: list, args: argparse.Namespace, database: str) -> None:
    table = Table(title=f"/leads through signed HTTP, ms ({args.repeat} runs each) — {database}")
    for heading in ("command", "ack p50", "ack p99", "answer p50", "answer p99", "answer max"):
        table.add_column(heading, justify="left" if heading == "command" else "right")
    worst_ack = 0.0
    for label, acks, answers in rows:
        a50, a99, _ = percentiles(acks)
        r50, r99, rmax = percentiles(answers)
        worst_ack = max(worst_ack, a99)
        table.add_row(label, *(f"{v:.1f}" for v in (a50, a99, r50, r99, rmax)))
    console.print(table)
    console.print(
        f"command: {' '.join([sys.executable, *sys.argv])}\n"
        f"machine: Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"load {os.getloadavg()[0]:.2f}\n"
        f"Slack's limit for the acknowledgement is 3000 ms: worst ack p99 here {worst_ack:.1f} ms "
        f"({'PASS' if worst_ack < 3000 else 'FAIL'})"
    )


if __name__ == "__main__":
    raise SystemExit(main())
