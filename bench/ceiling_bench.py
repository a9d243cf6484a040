"""Intake ceiling: leads/s `leadbot serve` accepts from 8 clients sending back to back, against a
bare FastAPI endpoint doing one INSERT (bench/bare_intake.py) on the same database, same run.

Each server runs in its own process; the clients run in a process of their own (not beside the
fake Slack, whose work would hold their GIL). While leadbot is loaded, its dispatcher posts to a
fake Slack answering in `--latency-ms` under Slack's limits ×`--limits-scale`, and the bench
samples the outbox's pending rows once a second. A report, not a test: exit 0 on a MISS, 1 if a
lead was refused, 2 if an accepted lead never got its DM card. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import math
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from subprocess import Popen
from typing import Any

from intake_bench import (
    TOKEN,
    WARMUP,
    children_of,
    fake_without_gc,
    free_port,
    launch,
    lead_body,
    lead_of,
    prepare_database,
    quiet_logging,
    run_facts,
    scaled_limits,
    send_leads,
    show,
    start_server,
    stats,
)
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, create_engine, make_url, text

from bot.fakeslack.pacing import RateLimits
from bot.fakeslack.server import FakeSlack, RecordedCall

TARGET_RATIO = 0.50  # leadbot's ceiling / the bare endpoint's (issue 11)
KEEPING_UP = 0.90  # DM cards/s during the load / what Slack's pace allows for the leads accepted
BENCH = Path(__file__).resolve().parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1
LOG_LEVEL = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ ([A-Z]+) ")  # as fuzz_bench.py
# One answered (or failed) request: monotonic send time, monotonic time the answer was read,
# HTTP status (-1: connection error), the lead id and owner of a 201.
Answer = tuple[float, float, int, int | None, str | None]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="leadbot intake ceiling vs a bare FastAPI INSERT")
    p.add_argument("--clients", type=int, default=8, help="keep-alive clients (default 8)")
    p.add_argument("--seconds", type=float, default=20.0, help="measured load, each server")
    p.add_argument("--warmup", type=float, default=3.0, help="full load before, not counted (s)")
    p.add_argument("--database-url", help="default: a SQLite file in a temp dir")
    p.add_argument("--latency-ms", type=float, default=80.0, help="every Slack answer takes this")
    p.add_argument(
        "--limits-scale",
        type=float,
        default=20.0,
        help="Slack's rate limits times this, enforced by the fake and leadbot's pacing; 0: off",
    )
    p.add_argument("--timeout", type=float, default=300.0, help="max wait for the DM cards (s)")
    p.add_argument("--skip-bare", action="store_true", help="leadbot only (e.g. to profile it)")
    p.add_argument(
        "--py-spy",
        metavar="OUT",
        help="py-spy record leadbot serve over the measured load into OUT (.txt: collapsed "
        "stacks, .json: speedscope, else an SVG flame graph); its sampling costs CPU",
    )
    p.add_argument(
        "--py-spy-mode",
        choices=("gil", "cpu", "wall"),
        default="gil",
        help="with --py-spy: the thread holding the GIL (default; leadbot's one core), every "
        "thread not idle, or every thread, idle included (where requests wait)",
    )
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    return p.parse_args()


# -- the load: its own process, `clients` threads with a keep-alive connection each ------------


def load(port: int, tag: str, first: int, clients: int, warmup: float, seconds: float) -> dict:
    """Send leads back to back for `warmup` + `seconds`; runs in a child process."""
    answers: list[Answer] = []  # list.append is atomic: the client threads share it
    numbers = itertools.count(first)  # next() on it is atomic under the GIL
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    connections = [
        http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(clients)
    ]
    for conn in connections:
        conn.connect()
    barrier = threading.Barrier(clients + 1)
    window: dict[str, float] = {}

    def client(conn: http.client.HTTPConnection) -> None:
        barrier.wait()
        end = window["end"]
        while (sent := time.monotonic()) < end:
            i = next(numbers)
            try:
                conn.request("POST", "/api/leads", body=lead_body(tag, i), headers=headers)
                response = conn.getresponse()
                payload, done = response.read(), time.monotonic()
            except (OSError, http.client.HTTPException):
                answers.append((sent, time.monotonic(), -1, None, None))
                conn.close()  # http.client reconnects on the next request
                continue
            lead_id = owner = None
            if response.status == 201:
                body = json.loads(payload)
                lead_id, owner = int(body["id"]), body.get("owner")
            answers.append((sent, done, response.status, lead_id, owner))
        conn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    window.update(started=started, measured=started + warmup, end=started + warmup + seconds)
    barrier.wait()
    time.sleep(max(window["measured"] - time.monotonic(), 0))
    cpu = time.process_time()  # this process's, all threads
    time.sleep(max(window["end"] - time.monotonic(), 0))
    client_cpu = (time.process_time() - cpu) / seconds
    for thread in threads:
        thread.join()
    return {**window, "stopped": time.monotonic(), "answers": answers, "client_cpu": client_cpu}


def run_load(port: int, tag: str, first: int, args: argparse.Namespace) -> dict:
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no fork of our threads
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(load, port, tag, first, args.clients, args.warmup, args.seconds).result()


# -- what the machine and the server spend ------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def server_cpu_seconds(pid: int) -> float:
    """The server's CPU time and its children's (`leadbot serve`'s delivery worker)."""
    total = cpu_seconds(pid)
    for child in children_of(pid):
        with contextlib.suppress(OSError):  # gone meanwhile
            total += cpu_seconds(child)
    return total


def postgres_cpu_seconds() -> float:
    """CPU time of the PostgreSQL server's processes on this machine (a backend that exits
    between two samples takes its time with it: a slight undercount)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, _, tail = stat.read_text().rpartition(")")
        except OSError:  # gone meanwhile
            continue
        if head.endswith("(postgres"):
            fields = tail.split()
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class Sampler(threading.Thread):
    """Once a second: the CPU time of the server, of this process (the fake Slack's) and of
    PostgreSQL, the machine's CPU ticks and (leadbot) the outbox's pending rows by copy kind,
    read straight from the database."""

    def __init__(self, pid: int, engine: Engine | None) -> None:
        super().__init__(name="sampler", daemon=True)
        self.pid, self.engine = pid, engine
        self.samples: list[dict[str, Any]] = []
        self.halt = threading.Event()

    def sample(self) -> dict[str, Any]:
        busy, total = machine_ticks()
        row: dict[str, Any] = {"at": time.monotonic(), "cpu_s": server_cpu_seconds(self.pid)}
        row.update(busy=busy, total=total, bench_cpu_s=cpu_seconds(os.getpid()))
        row.update(postgres_cpu_s=postgres_cpu_seconds())
        if self.engine is not None:
            row.update(pending_counts(self.engine))
        self.samples.append(row)
        return row

    def run(self) -> None:
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(1.0)


def pending_counts(engine: Engine) -> dict[str, int]:
    query = "SELECT copy_kind, count(*) FROM outbox WHERE status = 'pending' GROUP BY copy_kind"
    with engine.connect() as conn:
        rows = conn.execute(text(query)).all()
    by_kind = {str(kind or "other"): int(n) for kind, n in rows}
    return {
        "pending": sum(by_kind.values()),
        "pending_dm": by_kind.get("dm", 0),
        "pending_channel": by_kind.get("channel", 0),
    }


def usage(samples: list[dict[str, Any]], start: float, end: float) -> dict[str, float]:
    """CPU in cores (1.0: one core busy) of the server, the fake Slack (this process) and
    PostgreSQL, and the machine's busy cores, between the samples that bracket [start, end]
    most tightly from inside."""
    inside = [s for s in samples if start - 0.5 <= s["at"] <= end + 0.5]
    if len(inside) < 2:
        return dict.fromkeys(("server_cpu", "bench_cpu", "postgres_cpu", "machine_cpu"), math.nan)
    a, b = inside[0], inside[-1]
    span = b["at"] - a["at"]
    return {
        "server_cpu": (b["cpu_s"] - a["cpu_s"]) / span,
        "bench_cpu": (b["bench_cpu_s"] - a["bench_cpu_s"]) / span,
        "postgres_cpu": (b["postgres_cpu_s"] - a["postgres_cpu_s"]) / span,
        "machine_cpu": (b["busy"] - a["busy"]) / max(b["total"] - a["total"], 1) * CPUS,
    }


# -- the two servers ----------------------------------------------------------------------------


def log_levels(log: str) -> dict[str, int]:
    """Lines per level in the server's log (as fuzz_bench reads it); tracebacks as TRACEBACK."""
    levels: Counter[str] = Counter()
    for line in log.splitlines():
        if found := LOG_LEVEL.match(line):
            levels[found.group(1)] += 1
        elif line.startswith("Traceback"):
            levels["TRACEBACK"] += 1
    return dict(levels)


def start_bare(tmp: Path, url: str) -> tuple[Popen[str], int]:
    port = free_port()
    command = [sys.executable, str(BENCH / "bare_intake.py"), "--port", str(port)]
    command += ["--database-url", url, "--token", TOKEN]
    return launch(command, dict(os.environ), tmp / "bare.log", port, "bare_intake"), port


def stop(server: Popen[str]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.communicate()


def py_spy(pid: int, out: str, seconds: float, mode: str) -> Popen[bytes]:
    fmt = {".txt": "raw", ".json": "speedscope"}.get(Path(out).suffix, "flamegraph")
    command = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid)]
    command += ["--duration", str(max(int(seconds), 1)), "--format", fmt, "--output", out]
    command += ["--rate", "100", "--nonblocking", "--threads", "--subprocesses"]
    command += {"gil": ["--gil"], "cpu": [], "wall": ["--idle"]}[mode]
    return Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def measure_load(result: dict, samples: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    start, end = result["measured"], result["end"]
    answers: list[Answer] = result["answers"]
    window = [a for a in answers if start <= a[1] < end]
    accepted = [a for a in window if a[2] == 201]
    return {
        "leads_per_s": len(accepted) / seconds,
        "accepted_in_window": len(accepted),
        "accepted_total": sum(1 for a in answers if a[2] == 201),
        "refused": sum(1 for a in answers if a[2] != 201),
        "refusals": dict(Counter(str(a[2]) for a in answers if a[2] != 201)),
        "response_ms": stats([a[1] - a[0] for a in accepted]) if len(accepted) > 1 else {},
        "client_cpu": result["client_cpu"],
        **usage(samples, start, end),
    }


def run_bare(args: argparse.Namespace, tmp: Path, url: str, tag: str) -> dict[str, Any]:
    bare_url = (
        f"sqlite:///{tmp / 'bare.db'}" if make_url(url).get_backend_name() == "sqlite" else url
    )
    server, port = start_bare(tmp, bare_url)
    sampler = Sampler(server.pid, None)
    try:
        send_leads(port, tag, range(WARMUP), 1, 0.0)
        sampler.start()
        result = run_load(port, tag, WARMUP, args)
        sampler.halt.set()
        sampler.join()
    finally:
        stop(server)
    return measure_load(result, sampler.samples, args.seconds)


class DmCards:
    """Each lead's DM cards at the fake Slack, read incrementally from its recorded calls."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake, self.seen = fake, 0
        self.first: dict[int, float] = {}  # lead id -> when its first DM card arrived
        self.per_outbox: Counter[Any] = Counter()  # outbox id -> ok posts (doubled if > 1)
        self.channel_cards = self.summaries = 0

    def update(self) -> None:
        calls = self.fake.calls("chat.postMessage")  # append-only: only the new ones matter
        for call in calls[self.seen :]:
            self.add(call)
        self.seen = len(calls)

    def add(self, call: RecordedCall) -> None:
        if not call.ok:
            return
        meta = (call.args.get("metadata") or {}).get("event_payload") or {}
        self.per_outbox[meta.get("outbox_id")] += 1
        if call.args["channel"].startswith("D"):
            if (lead_id := lead_of(call)) is not None:
                self.first.setdefault(lead_id, call.at)
        elif meta.get("lead_id") is not None:
            self.channel_cards += 1
        else:
            self.summaries += 1

    def doubled(self) -> int:
        return sum(n - 1 for key, n in self.per_outbox.items() if key is not None and n > 1)


def where(call: RecordedCall) -> str:
    """What a call was for: a DM post, a #leads post, or another method."""
    if call.method != "chat.postMessage":
        return call.method
    return "DM" if str(call.args.get("channel", "")).startswith("D") else "#leads"


def settle(fake: FakeSlack, engine: Engine, cards: DmCards, ids: set[int], timeout: float) -> None:
    """Until the warm-up's cards are out and nothing is pending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cards.update()
        if ids <= cards.first.keys() and pending_counts(engine)["pending"] == 0:
            return
        time.sleep(0.1)
    sys.exit(f"LOST: the {len(ids)} warm-up leads' cards were not all out after {timeout:.0f} s")


def run_leadbot(
    args: argparse.Namespace, tmp: Path, url: str, tag: str, fake: FakeSlack
) -> dict[str, Any]:
    limited = args.limits_scale > 0
    pacing = scaled_limits(args.limits_scale) if limited else None
    server, port = start_server(tmp, fake, url, True, pacing)
    engine = create_engine(url)
    cards = DmCards(fake)
    spy: Popen[bytes] | None = None
    try:
        warm = send_leads(port, tag, range(WARMUP), 1, 0.0)  # opens each rep's DM
        settle(fake, engine, cards, {w[0] for w in warm}, 60)
        if limited:
            fake.set_limits(RateLimits(scale=args.limits_scale))  # fresh buckets
        sampler = Sampler(server.pid, engine)
        with fake_without_gc():  # its pauses would be 429s at Slack's pace, not leadbot's
            sampler.start()
            if args.py_spy:  # py-spy needs a moment to attach: start it with the warm-up
                spy = py_spy(server.pid, args.py_spy, args.warmup + args.seconds, args.py_spy_mode)
            result = run_load(port, tag, WARMUP, args)
            sampler.halt.set()
            sampler.join()
            end = result["end"]
            at_end = sampler.sample()
            accepted = {w[0] for w in warm} | {a[3] for a in result["answers"] if a[3] is not None}
            drained_at = None
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                cards.update()
                if drained_at is None and pending_counts(engine)["pending"] == 0:
                    drained_at = time.monotonic()
                if drained_at is not None and accepted <= cards.first.keys():
                    break
                time.sleep(0.1)
        cards.update()
        lost = sorted(accepted - cards.first.keys())
        refused_429 = fake.ratelimited
        limited_by = Counter(
            where(c) for c in fake.calls() if c.response.get("error") == "ratelimited"
        )
        log = (tmp / "serve.log").read_text(errors="replace")
    finally:
        stop(server)
        engine.dispose()
        if spy is not None:
            _, spy_err = spy.communicate(timeout=60)
            if spy.returncode:
                print(f"py-spy failed: {spy_err.decode(errors='replace')[-2000:]}", file=sys.stderr)
    figures = measure_load(result, sampler.samples, args.seconds)
    start = result["measured"]
    during = [s for s in sampler.samples if start <= s["at"] <= end]
    dm_in_window = sum(1 for at in cards.first.values() if start <= at < end)
    by_owner = Counter(
        a[4] for a in result["answers"] if a[2] == 201 and start <= a[1] < end and a[4]
    )
    allowed = None
    if limited:  # a DM lane's pace is its rep's: each rep's share, capped at Slack's pace
        pace = 1.0 * args.limits_scale
        allowed = sum(min(n / args.seconds, pace) for n in by_owner.values())
    else:
        allowed = figures["leads_per_s"]
    last_dm = max(cards.first.values(), default=end)
    return {
        **figures,
        "dm_cards_per_s": dm_in_window / args.seconds,
        "dm_pace_allows_per_s": allowed,
        "keeping_up": (dm_in_window / args.seconds) / allowed if allowed else float("nan"),
        "owners_in_window": dict(by_owner),
        "max_pending": max((s["pending"] for s in during), default=0),
        "max_pending_dm": max((s["pending_dm"] for s in during), default=0),
        "max_pending_channel": max((s["pending_channel"] for s in during), default=0),
        "pending_at_end": {k: at_end[k] for k in ("pending", "pending_dm", "pending_channel")},
        "drained_after_s": drained_at - end if drained_at is not None else None,
        "last_dm_card_after_s": last_dm - end,
        "pending_series": [(round(s["at"] - start, 2), s["pending"]) for s in sampler.samples],
        "accepted_checked": len(accepted),
        "lost": len(lost),
        "lost_examples": lost[:10],
        "doubled": cards.doubled(),
        "channel_cards": cards.channel_cards,
        "summary_posts": cards.summaries,
        "slack_429s": refused_429,
        "slack_429s_by_target": dict(limited_by),
        "log_levels": log_levels(log),
        "log_warnings": [line[:300] for line in log.splitlines() if " WARNING " in line][:5],
        "fake_problems": fake.problems()[:20],
        "py_spy": args.py_spy,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp, FakeSlack(latency=args.latency_ms / 1000) as fake:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'leadbot.db'}"
        backend = prepare_database(url)  # PostgreSQL: a fresh `public` (the bare table too)
        load_before = os.getloadavg()
        bare = None if args.skip_bare else run_bare(args, Path(tmp), url, tag)
        leadbot = run_leadbot(args, Path(tmp), url, f"{tag}-lb", fake)
    ratio = leadbot["leads_per_s"] / bare["leads_per_s"] if bare else None
    return {
        **run_facts(),
        "load_average_before": load_before,
        "database": backend,
        **vars(args),
        "warmup_leads": WARMUP,
        "bare": bare,
        "leadbot": leadbot,
        "ratio": ratio,
        "pass_ratio": ratio is not None and ratio >= TARGET_RATIO,
        "pass_keeping_up": leadbot["keeping_up"] >= KEEPING_UP and leadbot["lost"] == 0,
    }


def report(r: dict[str, Any], console: Console) -> None:
    limits = f"×{r['limits_scale']:g}" if r["limits_scale"] else "off"
    load = ", ".join(f"{x:.2f}" for x in r["load_average_before"])
    console.print(
        f"command:  {r['command']}\nmachine:  Python {r['python']}, {r['cpu_count']} CPUs, "
        f"{r['platform']}; load average before {load}\ndatabase: {r['database']}; "
        f"{r['clients']} keep-alive clients back to back, {r['warmup']:g} s warm-up then "
        f"{r['seconds']:g} s measured, each server in turn; leadbot with the #leads copy, "
        f"Slack latency {r['latency_ms']:g} ms, Slack's limits {limits}"
    )
    rows = [("bare FastAPI + one INSERT", r["bare"]), ("leadbot serve", r["leadbot"])]
    rows = [(name, f) for name, f in rows if f is not None]
    table = Table(title="intake ceiling: accepted leads/s and answer times (send → 201 read)")
    for column in ("server", "leads/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "refused"):
        table.add_column(column, justify="left" if column == "server" else "right")
    for name, f in rows:
        ms = f["response_ms"]
        cells = (f"{ms.get(k, math.nan):.1f}" for k in ("p50", "p90", "p99", "max"))
        table.add_row(name, f"{f['leads_per_s']:.1f}", *cells, str(f["refused"]))
    console.print(table)
    table = Table(title=f"CPU during the measured load, in cores ({CPUS} on this machine)")
    kinds = ("server", "clients", "fake Slack", "PostgreSQL", "others", "machine")
    for column in ("server", *(f"{k} " for k in kinds)):  # (rich wants distinct headers)
        table.add_column(column, justify="left" if column == "server" else "right")
    for name, f in rows:
        known = ("server_cpu", "client_cpu", "bench_cpu", "postgres_cpu")
        others = f["machine_cpu"] - sum(f[k] for k in known)
        table.add_row(
            name, *(f"{v:.2f}" for v in [*(f[k] for k in known), others, f["machine_cpu"]])
        )
    console.print(table)
    mark = {True: "[bold green]PASS[/]", False: "[bold red]MISS[/]"}
    lb = r["leadbot"]
    if r["ratio"] is not None:
        console.print(
            f"{mark[r['pass_ratio']]} leadbot / bare = {lb['leads_per_s']:.1f} / "
            f"{r['bare']['leads_per_s']:.1f} = {r['ratio']:.2f} (target ≥ {TARGET_RATIO:.2f})"
        )
    end, after = lb["pending_at_end"], lb["drained_after_s"]
    limited = f" {lb['slack_429s_by_target']}" if lb["slack_429s_by_target"] else ""
    drained = f"{after:.1f} s after the load" if after is not None else "not within the timeout"
    pace = (
        "leads/s accepted (no limits)"
        if not r["limits_scale"]
        else (f"Slack's pace for them: each rep's share, at most {r['limits_scale']:g}/s per DM")
    )
    console.print(
        f"{mark[r['pass_keeping_up']]} dispatcher: {lb['dm_cards_per_s']:.1f} DM cards/s during "
        f"the load; {lb['dm_pace_allows_per_s']:.1f}/s allowed by {pace} "
        f"({lb['keeping_up']:.0%}, target ≥ {KEEPING_UP:.0%})\n"
        f"   outbox pending (sampled each second): max {lb['max_pending']} "
        f"(DM {lb['max_pending_dm']}, #leads {lb['max_pending_channel']}); at the end of the load "
        f"{end['pending']} (DM {end['pending_dm']}, #leads {end['pending_channel']}); "
        f"0 pending {drained}; last DM card {lb['last_dm_card_after_s']:.1f} s after the load\n"
        f"   #leads: {lb['channel_cards']} cards and {lb['summary_posts']} summary posts; "
        f"{lb['slack_429s']} calls answered 429{limited}; "
        f"server log lines by level: "
        f"{lb['log_levels'] or 'none'}\n"
        f"{mark[lb['lost'] == 0]} lost: {lb['lost']} of {lb['accepted_checked']} accepted leads "
        f"without a DM card; doubled posts: {lb['doubled']}"
    )
    for problem in lb["fake_problems"]:
        console.print(f"[yellow]fake problem:[/] {problem}")
    if lb["py_spy"]:
        console.print(f"py-spy profile: {lb['py_spy']} (its sampling slowed this run)")


def main() -> int:
    args = parse_args()
    quiet_logging()
    result = run(args)
    show(result, report, args.json)
    refused = result["leadbot"]["refused"] + (result["bare"] or {}).get("refused", 0)
    if result["leadbot"]["lost"]:
        return 2
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
