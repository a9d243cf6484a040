"""Intake latency benchmark: POST /api/leads -> the card's chat.postMessage at a local fake Slack.

Starts FakeSlack and the real app the way `leadbot demo` does, sends N leads over keep-alive HTTP,
and compares intake->post latency with a bare slack_sdk chat.postMessage loop (the floor).
Run from the project root: `.venv/bin/python bench/intake_bench.py --help`. A report, not a test:
it exits 0 on a MISS and non-zero only when leads were lost.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import platform
import re
import shlex
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from slack_sdk import WebClient
from sqlalchemy import create_engine, make_url, text

from bot.app import create_app
from bot.config import Config, default_config
from bot.fakeslack import FakeSlack, RecordedCall
from bot.outbox import RetryPolicy
from bot.settings import Settings

TOKEN = "bench-intake-token"
WARMUP = 20
TARGET_P99_MS = 50.0
TARGET_RATIO = 3.0
TIERS = ("hot", "warm", "cold")
Sample = tuple[int, float, float]  # lead id, monotonic send time, monotonic 201-read time


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--leads", type=int, default=1000, help="measured leads (default 1000)")
    p.add_argument("--concurrency", type=int, default=1, help="client threads (default 1)")
    p.add_argument("--database-url", help="default: a SQLite file in a temp dir")
    p.add_argument("--with-channel", action="store_true", help="keep channels.leads (2 posts)")
    p.add_argument("--timeout", type=float, default=60.0, help="wait for posts (s)")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    return p.parse_args()


def quiet_logging() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.WARNING)


def fresh_postgres(url: str) -> str:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        version = str(conn.execute(text("SHOW server_version")).scalar())
    engine.dispose()
    return f"PostgreSQL {version}"


def lead_body(tag: str, i: int) -> bytes:
    lead = {
        "external_id": f"bench-{tag}-{i}",
        "source": "website",
        "name": f"Bench Lead {i}",
        "email": f"lead{i}@bench-{tag}.test",
        "phone": f"+1 555 01{i % 100:02d}",
        "company": f"Company {i % 97} & Co",
        "company_size": 10 + i % 5000,
        "product": "Analytics Pro",
        "message": "We would like a demo next week; 25 seats, budget approved.",
        "crm_url": f"https://crm.example.com/leads/{i}",
        "tier": TIERS[i % 3],
    }
    return json.dumps(lead).encode()


def send_leads(port: int, tag: str, indices: range, concurrency: int) -> list[Sample]:
    """Send leads from `concurrency` threads, one keep-alive connection each."""
    samples: list[Sample] = []
    errors: list[str] = []
    lock, barrier = threading.Lock(), threading.Barrier(concurrency)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    def worker(mine: list[int]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local: list[Sample] = []
        barrier.wait()
        for i in mine:
            body = lead_body(tag, i)
            sent = time.monotonic()
            conn.request("POST", "/api/leads", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            done = time.monotonic()
            if response.status != 201:
                with lock:
                    errors.append(f"lead {i}: HTTP {response.status} {payload[:200]!r}")
                continue
            local.append((int(json.loads(payload)["id"]), sent, done))
        conn.close()
        with lock:
            samples.extend(local)

    threads = [
        threading.Thread(target=worker, args=(list(indices[k::concurrency]),))
        for k in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit("intake failed:\n" + "\n".join(errors[:10]))
    return samples


def lead_of(call: RecordedCall) -> int | None:
    for block in call.args.get("blocks") or []:
        if block.get("type") == "actions" and block.get("block_id", "").startswith("lead_card:"):
            return int(block["block_id"].split(":")[1])
    found = re.search(r"#(\d+):", str(call.args.get("text", "")))
    return int(found.group(1)) if found else None


def wait_posts(
    fake: FakeSlack, ids: set[int], per_lead: int, timeout: float
) -> dict[int, list[RecordedCall]]:
    """Every ok chat.postMessage per lead id, once each lead has `per_lead` of them."""
    deadline = time.monotonic() + timeout
    while True:
        posts: dict[int, list[RecordedCall]] = {}
        for call in fake.calls("chat.postMessage"):
            lead_id = lead_of(call)
            if call.ok and lead_id in ids:
                posts.setdefault(lead_id, []).append(call)
        missing = [i for i in ids if len(posts.get(i, [])) < per_lead]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if missing:
        print(
            f"LOST: {len(missing)} of {len(ids)} leads never got {per_lead} post(s) in "
            f"{timeout:.0f}s, e.g. {sorted(missing)[:10]}",
            file=sys.stderr,
        )
        for problem in fake.problems()[:20]:
            print(f"  fake problem: {problem}", file=sys.stderr)
        raise SystemExit(2)
    return posts


def baseline(fake: FakeSlack, card: RecordedCall, n: int) -> list[float]:
    client = WebClient(token="xoxb-bench", base_url=fake.url, timeout=10)
    channel, blocks = card.response["channel"], card.args["blocks"]
    times: list[float] = []
    for i in range(n):
        start = time.monotonic()
        client.chat_postMessage(channel=channel, text=f"baseline {i}", blocks=blocks)
        times.append(time.monotonic() - start)
    return times


def stats(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "count": len(ms),
        "p50": q[49],
        "p90": q[89],
        "p99": q[98],
        "max": max(ms),
        "mean": statistics.fmean(ms),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    config: Config = default_config()
    if not args.with_channel:
        config = config.model_copy(
            update={"channels": config.channels.model_copy(update={"leads": None})}
        )
    per_lead = 2 if args.with_channel else 1
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        if make_url(url).get_backend_name() == "postgresql":
            backend = fresh_postgres(url)
        else:
            backend = f"SQLite {sqlite3.sqlite_version} (file)"
        for rep in config.reps:
            fake.add_user(rep.id, rep.name, tz=str(config.tz_for(rep.id)))
        settings = Settings(
            slack_bot_token="xoxb-bench",
            slack_signing_secret="bench-secret",
            slack_api_url=fake.url,
            database_url=url,
            intake_token=TOKEN,
        )
        app = create_app(settings, config, retry=RetryPolicy())
        app.start_workers()
        port = app.serve_in_thread()
        quiet_logging()
        try:
            warm = send_leads(port, tag, range(WARMUP), 1)
            warm_posts = wait_posts(fake, {s[0] for s in warm}, per_lead, args.timeout)
            card = next(
                c for cs in warm_posts.values() for c in cs if c.response["channel"][:1] == "D"
            )
            base = baseline(fake, card, args.leads)
            started = time.monotonic()
            samples = send_leads(port, tag, range(WARMUP, WARMUP + args.leads), args.concurrency)
            sending = time.monotonic() - started
            posts = wait_posts(fake, {s[0] for s in samples}, per_lead, args.timeout)
            problems = fake.problems()
        finally:
            app.stop()
    dm_at = {
        i: min(c.at for c in cs if c.response["channel"][:1] == "D") for i, cs in posts.items()
    }
    series = {
        "intake response (send → 201 read)": stats([done - sent for _, sent, done in samples]),
        "intake → chat.postMessage (DM card)": stats([dm_at[i] - sent for i, sent, _ in samples]),
        "baseline chat.postMessage (bare WebClient)": stats(base),
    }
    if args.with_channel:
        last = [max(c.at for c in posts[i]) - sent for i, sent, _ in samples]
        series["intake → last copy posted (DM + #leads)"] = stats(last)
    post, floor = (
        series["intake → chat.postMessage (DM card)"],
        series["baseline chat.postMessage (bare WebClient)"],
    )
    return {
        "command": shlex.join([sys.executable, *sys.argv]),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "database": backend,
        "leads": args.leads,
        "warmup_leads": WARMUP,
        "concurrency": args.concurrency,
        "with_channel": args.with_channel,
        "intake_throughput_per_s": args.leads / sending,
        "series_ms": series,
        "ratio_p99": post["p99"] / floor["p99"],
        "ratio_p50": post["p50"] / floor["p50"],
        "target_p99_under_ms": TARGET_P99_MS,
        "pass_p99": post["p99"] < TARGET_P99_MS,
        "pass_ratio_p99": post["p99"] / floor["p99"] <= TARGET_RATIO,
        "fake_problems": problems,
    }


def report(result: dict[str, Any], console: Console) -> None:
    console.print(f"command:  {result['command']}")
    console.print(
        f"machine:  Python {result['python']}, {result['cpu_count']} CPUs, {result['platform']}"
    )
    console.print(
        f"database: {result['database']}; leads: {result['leads']} measured after "
        f"{result['warmup_leads']} warm-up (DM channel ids are cached after the first "
        f"post per rep); concurrency {result['concurrency']}; "
        f"#leads channel copy: {'on' if result['with_channel'] else 'off'}"
    )
    table = Table(title="latency (ms)")
    for column in ("series", "count", "p50", "p90", "p99", "max", "mean"):
        table.add_column(column, justify="left" if column == "series" else "right")
    for name, s in result["series_ms"].items():
        table.add_row(
            name, str(s["count"]), *(f"{s[k]:.2f}" for k in ("p50", "p90", "p99", "max", "mean"))
        )
    console.print(table)
    console.print(f"intake throughput: {result['intake_throughput_per_s']:.0f} leads/s")
    console.print(
        f"ratio intake→post / baseline: p99/p99 = {result['ratio_p99']:.2f}×, "
        f"p50/p50 = {result['ratio_p50']:.2f}×"
    )
    p99 = result["series_ms"]["intake → chat.postMessage (DM card)"]["p99"]
    verdict = {True: "[green]PASS[/]", False: "[red]MISS[/]"}
    console.print(
        f"{verdict[result['pass_p99']]}  intake→post p99 {p99:.2f} ms < {TARGET_P99_MS:.0f} ms"
    )
    console.print(
        f"{verdict[result['pass_ratio_p99']]}  intake→post p99 within "
        f"{TARGET_RATIO:.0f}× of baseline p99 ({result['ratio_p99']:.2f}×)"
    )
    for problem in result["fake_problems"][:20]:
        console.print(f"[yellow]fake problem:[/] {problem}")


def main() -> int:
    args = parse_args()
    quiet_logging()
    result = run(args)
    report(result, Console())
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
