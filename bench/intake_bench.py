"""Intake latency benchmark: POST /api/leads -> the card's chat.postMessage at a local fake Slack.

Starts FakeSlack here and `leadbot serve` in its own process, sends N leads over keep-alive HTTP,
and compares intake->post latency with a bare slack_sdk chat.postMessage loop (the floor).
A report, not a test: exit 0 on a MISS, non-zero only when leads were lost. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import json
import logging
import multiprocessing
import os
import platform
import re
import shlex
import signal
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from subprocess import Popen
from typing import Any

from rich.console import Console
from rich.table import Table
from slack_sdk import WebClient
from sqlalchemy import create_engine, make_url, text

from bot.fakeslack.pacing import RateLimits
from bot.fakeslack.server import FakeSlack, RecordedCall

TOKEN = "bench-intake-token"
SETTINGS = {"slack_bot_token": "xoxb-bench", "slack_signing_secret": "bench", "intake_token": TOKEN}
WARMUP = 20
TARGET_P99_MS, TARGET_RATIO = 50.0, 3.0
POST, BASE = "intake → chat.postMessage (DM card)", "baseline chat.postMessage (bare WebClient)"
FLOOR = "floor: one INSERT, then the post, one process"
Posts = dict[int, list[RecordedCall]]  # lead id -> its ok chat.postMessage calls
Sample = tuple[int, float, float]  # lead id, monotonic send time, monotonic time the 201 was read


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="leadbot intake → chat.postMessage latency")
    p.add_argument("--leads", type=int, default=1000, help="measured leads (default 1000)")
    p.add_argument("--concurrency", type=int, default=1, help="client threads (default 1)")
    p.add_argument("--pause-ms", type=float, default=0.0, help="per-client pause between leads")
    p.add_argument("--database-url", help="default: a SQLite file in a temp dir")
    p.add_argument("--with-channel", action="store_true", help="keep channels.leads (2 posts)")
    p.add_argument("--rate", type=float, default=0.0, help="sustained leads/s from all clients")
    p.add_argument("--latency-ms", type=float, default=0.0, help="every Slack answer takes this")
    p.add_argument(
        "--limits-scale",
        type=float,
        default=0.0,
        help="enforce Slack's rate limits times this (and pace leadbot to them); 0: off",
    )
    p.add_argument("--timeout", type=float, default=60.0, help="max wait for the posts (s)")
    p.add_argument(
        "--floor",
        action="store_true",
        help="also time bench/bare_intake.py posting the card itself (the least a crash-safe "
        "delivery can do), under the same load, against a fake Slack of its own",
    )
    p.add_argument("--samples-out", metavar="FILE", help="write each lead's times to FILE")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    return p.parse_args()


def quiet_logging() -> None:
    logging.basicConfig(level=logging.WARNING)
    for name in ["", *logging.root.manager.loggerDict]:
        logging.getLogger(name).setLevel(logging.WARNING)


def prepare_database(url: str) -> str:
    """Return a description of the backend; PostgreSQL gets an empty `public` schema."""
    if make_url(url).get_backend_name() != "postgresql":
        return f"SQLite {sqlite3.sqlite_version} (file, WAL)"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        version = conn.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return f"PostgreSQL {version}"


def lead_body(tag: str, i: int) -> bytes:
    return json.dumps(
        {
            "external_id": f"bench-{tag}-{i}",
            "source": ("website", "webinar", "partner")[i % 3],
            "name": f"Dana Whitfield {i}",
            "email": f"dana{i}@northwind-{tag}.test",
            "phone": f"+1 555 01{i % 100:02d}",
            "company": f"Northwind Traders {i % 97} & Co",
            "company_size": 10 + i % 5000,
            "product": "Analytics Enterprise",
            "message": "We need a demo before our Q1 budget meeting on Thursday; 25 seats.",
            "crm_url": f"https://crm.example.com/leads/{i}",
            "tier": ("hot", "warm", "cold")[i % 3],
        }
    ).encode()


@contextlib.contextmanager
def fake_without_gc() -> Iterator[None]:
    """The fake stands in for Slack's servers, which do not pause. In this process it stalled
    ~130-200 ms now and then (its collector walking thousands of recorded calls): the calls in
    flight were stamped late, in a bunch (the tail of intake → DM card, bench/README.md), and at
    Slack's pace refused with 429s on every channel at once. Off while measuring; frozen first,
    so what was recorded before is never walked again."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def send_leads_apart(
    port: int, tag: str, indices: range, clients: int, pause: float = 0.0, rate: float = 0.0
) -> list[Sample]:
    """`send_leads` from a process of its own. In this one, the client threads share the fake
    Slack's interpreter: starved of it, the fake stamps calls late and in bunches, and refuses
    calls leadbot paced right (Slack runs on its own machines). Monotonic times compare across
    processes (CLOCK_MONOTONIC)."""
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no fork of our threads
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(send_leads, port, tag, indices, clients, pause, rate).result()


def send_leads(
    port: int, tag: str, indices: range, clients: int, pause: float, rate: float = 0.0
) -> list[Sample]:
    """POST the leads from `clients` threads, one keep-alive connection each; with `rate`, on a
    fixed schedule of `rate` leads/s in all, evenly spaced across the clients (1/rate apart, not
    `clients` at once: that would be a stream of small bursts), and a late lead does not shift
    the ones after it."""
    samples: list[Sample] = []  # list.append is atomic: the client threads share these lists
    errors: list[str] = []
    barrier = threading.Barrier(clients)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    def client(k: int) -> None:
        mine = indices[k::clients]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        barrier.wait()
        start = time.monotonic()
        for n, i in enumerate(mine):
            if rate:
                time.sleep(max(start + (n * clients + k) / rate - time.monotonic(), 0.0))
            body = lead_body(tag, i)
            sent = time.monotonic()
            try:
                conn.request("POST", "/api/leads", body=body, headers=headers)
                response = conn.getresponse()
                payload, done = response.read(), time.monotonic()
            except (OSError, http.client.HTTPException) as err:  # e.g. reset after a 500
                errors.append(f"lead {i}: {err!r}")
                conn.close()  # http.client reconnects on the next request
                continue
            if response.status == 201:
                samples.append((int(json.loads(payload)["id"]), sent, done))
            else:
                errors.append(f"lead {i}: HTTP {response.status} {payload[:200]!r}")
            if pause:
                time.sleep(pause)
        conn.close()

    with ThreadPoolExecutor(clients) as pool:  # map() re-raises a client's exception
        list(pool.map(client, range(clients)))
    if errors:
        sys.exit(f"LOST: intake refused {len(errors)} lead(s):\n" + "\n".join(errors[:10]))
    return samples


def lead_of(call: RecordedCall) -> int | None:
    """The lead a card is about: the post's metadata (a summary post names no lead), else the
    actions block id `lead_card:<id>`, else `#<id>:` in text."""
    metadata = call.args.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("event_payload"), dict):
        lead_id = metadata["event_payload"].get("lead_id")
        return lead_id if isinstance(lead_id, int) else None
    for block in call.args.get("blocks") or []:
        if block.get("type") == "actions" and block.get("block_id", "").startswith("lead_card:"):
            return int(block["block_id"].split(":")[1])
    found = re.search(r"#(\d+):", str(call.args.get("text", "")))
    return int(found.group(1)) if found else None


def wait_posts(fake: FakeSlack, ids: set[int], per_lead: int, timeout: float) -> Posts:
    """Each lead's ok chat.postMessage calls, once all have `per_lead`; exit 2 if not."""
    deadline = time.monotonic() + timeout
    while True:
        posts: Posts = {}
        for call in fake.calls("chat.postMessage"):
            if call.ok and (lead_id := lead_of(call)) in ids:
                posts.setdefault(lead_id, []).append(call)
        missing = sorted(i for i in ids if len(posts.get(i, [])) < per_lead)
        if not missing:
            return posts
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    lost = f"LOST: {len(missing)}/{len(ids)} leads lack {per_lead} post(s) after {timeout:.0f}s"
    print(lost, f"e.g. {missing[:10]}", *fake.problems()[:20], sep="\n  ", file=sys.stderr)
    sys.exit(2)


def baseline(fake: FakeSlack, card: RecordedCall, n: int) -> list[float]:
    """The floor: one bare chat.postMessage round trip with a real card's blocks (each to a
    channel of its own, so Slack's per-channel limit does not apply)."""
    client = WebClient(token="xoxb-bench", base_url=fake.url, timeout=10)
    blocks = card.args["blocks"]
    times: list[float] = []
    for i in range(n):
        start = time.monotonic()
        client.chat_postMessage(
            channel=f"C0BASE{i}", text=f"{card.args['text']} {i}", blocks=blocks
        )
        times.append(time.monotonic() - start)
    return times


def stats(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    q = statistics.quantiles(ms, n=100, method="inclusive")
    spread = {"p50": q[49], "p90": q[89], "p99": q[98], "max": max(ms)}
    return {"count": len(ms), **spread, "mean": statistics.fmean(ms)}


BENCH_CONFIG = """\
timezone: America/New_York
business_hours: always
channels: {{queue: C0QUEUE, managers: C0MGRS{leads}}}
managers: [{{id: U0MAYA, name: Maya}}]
reps:
  - {{id: U0ALICE, name: Alice, timezone: Europe/Berlin, manager: U0MAYA}}
  - {{id: U0BO, name: Bo, timezone: America/New_York, manager: U0MAYA}}
  - {{id: U0CHEN, name: Chen, timezone: Asia/Singapore, manager: U0MAYA}}
{more}"""


def more_reps(reps: int) -> str:
    """BENCH_CONFIG's reps beyond its three (a bigger team: fewer cards per DM channel)."""
    return "".join(
        f"  - {{id: U0REP{n:03d}, name: Rep {n}, timezone: America/Chicago, manager: U0MAYA}}\n"
        for n in range(4, reps + 1)
    )


# leadbot's pacing for a fake Slack that enforces no rate limits: as fast as it answers.
UNLIMITED = {
    "post_per_channel": 1000,
    "post_burst": 100,
    "post_per_minute": 60000,
    "tier3_per_minute": 60000,
    "tier4_per_minute": 60000,
}


def start_server(
    tmp: Path,
    fake: FakeSlack,
    url: str,
    with_channel: bool,
    delivery: dict[str, Any] | None = None,
    reps: int = 3,
) -> tuple[Popen[str], int]:
    """`leadbot serve` in its own process, as deployed: the client and the fake do not share
    its interpreter (or its GIL). Time stamps compare across processes: CLOCK_MONOTONIC.
    `delivery`: leadbot.yml's `delivery:` section (default: UNLIMITED, for an unlimited fake)."""
    config = tmp / "leadbot.yml"
    pacing = json.dumps(delivery if delivery is not None else UNLIMITED)  # a YAML flow mapping
    leads = ", leads: C0LEADS" if with_channel else ""
    body = BENCH_CONFIG.format(leads=leads, more=more_reps(reps))
    config.write_text(f"{body}delivery: {pacing}\n")
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": SETTINGS["slack_bot_token"],
        "SLACK_SIGNING_SECRET": SETTINGS["slack_signing_secret"],
        "LEADBOT_INTAKE_TOKEN": TOKEN,
        "SLACK_API_URL": fake.url,
        "DATABASE_URL": url,
        "LEADBOT_CONFIG": str(config),
    }
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return launch(command, env, tmp / "serve.log", port, "leadbot serve"), port


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def launch(command: list[str], env: dict[str, str], log: Path, port: int, name: str) -> Popen[str]:
    """Start a server in its own process, its output in `log` (a file, not a pipe: a full pipe
    would stall it), and wait until it answers /healthz on `port`; exit if it never does."""
    with log.open("w") as out:  # the child keeps its own descriptor
        server = Popen(command, env=env, cwd=log.parent, stderr=out, stdout=out, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            if server.poll() is not None:
                sys.exit(f"{name} exited:\n{log.read_text()}")
            time.sleep(0.1)
    server.kill()
    sys.exit(f"{name} did not answer /healthz within 60 s")


def children_of(pid: int) -> list[int]:
    """The pids of a process's children (`leadbot serve`'s delivery worker), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):  # gone meanwhile
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def kill_tree(server: Popen[str]) -> None:
    """kill -9 `leadbot serve` and its delivery worker together, as a crashed machine or the
    OOM killer would (the worker killed alone is restarted by the server; the server killed
    alone leaves the worker to finish what it has in flight, which is gentler)."""
    for child in children_of(server.pid):
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)
    server.send_signal(signal.SIGKILL)


def scaled_limits(scale: float) -> dict[str, Any]:
    """leadbot.yml's `delivery:` at Slack's documented limits times `scale`."""
    return {
        "post_per_channel": 1 * scale,
        "post_burst": 3,
        "post_per_minute": 600 * scale,
        "tier3_per_minute": 50 * scale,
        "tier4_per_minute": 100 * scale,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    limited = args.limits_scale > 0
    # With Slack's limits on, #leads may be summarised in a burst: count the DM cards only.
    per_lead = 2 if args.with_channel and not limited else 1
    tag = uuid.uuid4().hex[:8]
    pacing = scaled_limits(args.limits_scale) if limited else None
    with tempfile.TemporaryDirectory() as tmp, FakeSlack(latency=args.latency_ms / 1000) as fake:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        backend = prepare_database(url)
        server, port = start_server(Path(tmp), fake, url, args.with_channel, pacing)
        try:
            warm = send_leads(port, tag, range(WARMUP), 1, 0.0)
            warm_posts = wait_posts(fake, {s[0] for s in warm}, per_lead, args.timeout)
            card = next(c for cs in warm_posts.values() for c in cs if c.args["channel"][0] == "D")
            measured = range(WARMUP, WARMUP + args.leads)
            pause = args.pause_ms / 1000
            with fake_without_gc():
                floor = baseline(fake, card, args.leads)
                if limited:
                    fake.set_limits(RateLimits(scale=args.limits_scale))
                samples = send_leads_apart(port, tag, measured, args.concurrency, pause, args.rate)
                posts = wait_posts(fake, {s[0] for s in samples}, per_lead, args.timeout)
            problems = fake.problems()
            refused = fake.ratelimited
        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=30)
    dm_at = {i: min(c.at for c in cs if c.args["channel"][0] == "D") for i, cs in posts.items()}
    if args.samples_out:  # per lead, to line a tail up with a trace: id, sent, answered, DM
        with open(args.samples_out, "w") as out:
            for i, sent, done in samples:
                out.write(f"{i} {sent:.6f} {done:.6f} {dm_at[i]:.6f}\n")
    series = {
        "intake response (send → 201 read)": stats([done - sent for _, sent, done in samples]),
        POST: stats([dm_at[i] - sent for i, sent, _ in samples]),
        BASE: stats(floor),
    }
    if per_lead == 2:
        last = [max(c.at for c in posts[i]) - sent for i, sent, _ in samples]
        series["intake → last copy posted (DM + #leads)"] = stats(last)
    if args.floor:
        series[FLOOR] = stats(floor_run(args, card, tag, url if args.database_url else None))
    ratio_p99 = series[POST]["p99"] / series[BASE]["p99"]
    return {
        **run_facts(),
        "database": backend,
        **vars(args),
        "warmup_leads": WARMUP,
        # From the first lead sent to the last answered (not the client process's start).
        "intake_leads_per_s": len(samples)
        / (max(s[2] for s in samples) - min(s[1] for s in samples)),
        "series_ms": series,
        "ratio_p99": ratio_p99,  # p99(intake→post) / p99(baseline)
        "ratio_p50": series[POST]["p50"] / series[BASE]["p50"],
        "pass_p99_under_50ms": series[POST]["p99"] < TARGET_P99_MS,
        "pass_p99_within_3x": ratio_p99 <= TARGET_RATIO,
        "fake_problems": problems,
        "ratelimited": refused,
    }


def floor_run(
    args: argparse.Namespace, card: RecordedCall, tag: str, url: str | None
) -> list[float]:
    """Intake → DM post through bench/bare_intake.py with the same card, the same leads and the
    same schedule, against a fake Slack of its own with the same latency: what is left when
    leadbot's routing, rendering, lease and second process are gone."""
    bench = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as tmp, FakeSlack(latency=args.latency_ms / 1000) as fake:
        card_file = Path(tmp) / "card.json"
        card_file.write_text(json.dumps({k: card.args[k] for k in ("text", "blocks")}))
        port = free_port()
        command = [sys.executable, str(bench / "bare_intake.py"), "--port", str(port), "--token"]
        command += [TOKEN, "--database-url", url or f"sqlite:///{Path(tmp) / 'floor.db'}"]
        command += ["--slack-api-url", fake.url, "--card", str(card_file)]
        server = launch(command, dict(os.environ), Path(tmp) / "floor.log", port, "bare_intake")
        try:
            warm = send_leads(port, tag, range(WARMUP), 1, 0.0)
            wait_posts(fake, {s[0] for s in warm}, 1, args.timeout)
            measured = range(WARMUP, WARMUP + args.leads)
            with fake_without_gc():
                pause = args.pause_ms / 1000
                samples = send_leads_apart(port, tag, measured, args.concurrency, pause, args.rate)
                posts = wait_posts(fake, {s[0] for s in samples}, 1, args.timeout)
        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=30)
    return [min(c.at for c in posts[i]) - sent for i, sent, _ in samples]


def report(r: dict[str, Any], console: Console) -> None:
    pause, channel = f"{r['pause_ms']:g} ms", "on" if r["with_channel"] else "off"
    console.print(
        f"command:  {r['command']}\nmachine:  Python {r['python']}, {r['cpu_count']} CPUs, "
        f"{r['platform']}\ndatabase: {r['database']}; {r['leads']} leads measured after "
        f"{r['warmup_leads']} warm-up leads (not counted; DM channel ids are cached after the "
        f"first post per rep); concurrency {r['concurrency']}; pause {pause}; #leads copy {channel}"
    )
    table = Table(title="latency in ms")
    for column in ("series", "count", "p50", "p90", "p99", "max", "mean"):
        table.add_column(column, justify="left" if column == "series" else "right")
    for name, s in r["series_ms"].items():
        cells = (f"{s[k]:.2f}" for k in ("p50", "p90", "p99", "max", "mean"))
        table.add_row(name, str(s["count"]), *cells)
    console.print(table)
    p99, ratio, ratio50 = r["series_ms"][POST]["p99"], r["ratio_p99"], r["ratio_p50"]
    mark = {True: "[bold green]PASS[/]", False: "[bold red]MISS[/]"}
    console.print(
        f"intake rate achieved: {r['intake_leads_per_s']:.0f} leads/s; Slack latency "
        f"{r['latency_ms']:g} ms; limits ×{r['limits_scale']:g} (0: off); "
        f"{r['ratelimited']} calls answered 429\n"
        f"intake→post vs baseline: p99/p99 = {ratio:.2f}×, p50/p50 = {ratio50:.2f}×\n"
        f"{mark[r['pass_p99_under_50ms']]} intake→post p99 {p99:.2f} ms < 50 ms\n"
        f"{mark[r['pass_p99_within_3x']]} intake→post p99 within 3× of baseline p99 "
        f"(p99/p99 = {ratio:.2f}×)"
    )
    if FLOOR in r["series_ms"]:
        floor = r["series_ms"][FLOOR]["p99"]
        console.print(
            f"floor vs baseline: p99/p99 = {floor / r['series_ms'][BASE]['p99']:.2f}×; leadbot "
            f"vs floor: p99/p99 = {p99 / floor:.2f}×"
        )
    for problem in r["fake_problems"][:20]:
        console.print(f"[yellow]fake problem:[/] {problem}")


def run_facts() -> dict[str, Any]:
    """What every bench's result starts with: how it was run, and on what."""
    return {
        "command": shlex.join([sys.executable, *sys.argv]),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }


def show(
    result: dict[str, Any], report: Callable[[dict[str, Any], Console], None], as_json: bool
) -> None:
    """The report as tables, at least 110 columns wide; then, with --json, the figures."""
    report(result, Console(width=max(Console().width, 110)))
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False))


def main() -> int:
    args = parse_args()
    quiet_logging()
    result = run(args)
    show(result, report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
