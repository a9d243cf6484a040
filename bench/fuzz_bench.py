"""Fuzz benchmark: thousands of generated hostile requests against a running `leadbot serve`.

Sends generated intake bodies to `POST /api/leads` and generated Slack requests to
`/slack/events` (signed junk, and forged or broken requests that must be refused), then checks
what leadbot promises: never a 5xx, never an ERROR line in the server's log, nothing stored or
sent for a refused request, every accepted lead carded exactly once and inside Slack's limits,
Slack acknowledged within 3 s, the server's memory bounded. Exit 1 when a promise is broken.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for `tests.strategies`

from fuzz_requests import (
    Answer,
    Request,
    Sender,
    generate,
    intake_requests,
    refused_requests,
    signed_requests,
)
from intake_bench import (
    TOKEN,
    lead_of,
    prepare_database,
    quiet_logging,
    start_server,
    stats,
)
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, create_engine, text

from bot.fakeslack.server import FakeSlack
from tests.strategies import LEAD, intake_bodies, interactions

INTAKE_ANSWERS = {200, 201, 401, 413, 415, 422}
SEED_LEADS = 20
TABLES = ["leads", "lead_events", "card_copies", "outbox", "held_nudges", "rep_away"]
LOG_LEVEL = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ ([A-Z]+) ")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="leadbot fuzz benchmark: no 5xx, no ERROR")
    p.add_argument("--intake", type=int, default=10_000, help="generated intake bodies")
    p.add_argument("--interactions", type=int, default=2_000, help="generated signed requests")
    p.add_argument("--refused", type=int, default=500, help="forged/broken Slack requests")
    p.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    p.add_argument("--seed", type=int, default=20261125, help="hypothesis seed")
    p.add_argument("--database-url", help="default: a SQLite file in a temp dir")
    p.add_argument("--timeout", type=float, default=600.0, help="max wait for the cards (s)")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    return p.parse_args()


class Memory:
    """The server's resident set size in MiB, sampled every 100 ms from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid, self.stopped = pid, threading.Event()
        self.samples = [self.rss()]
        threading.Thread(target=self._run, daemon=True).start()

    def rss(self) -> float:
        status = Path(f"/proc/{self.pid}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+)", status)
        return int(found.group(1)) / 1024 if found else 0.0

    def _run(self) -> None:
        while not self.stopped.wait(0.1):
            try:
                self.samples.append(self.rss())
            except OSError:  # the server has exited
                return

    def window(self, since: int) -> tuple[float, float]:
        """(RSS when the window opened, its peak)."""
        return self.samples[since], max(self.samples[since:])


def snapshot(engine: Engine, fake: FakeSlack) -> dict[str, int]:
    """What a request could have changed: each table's rows, the leads' versions, and the
    calls leadbot made to Slack."""
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
        counts["sum(leads.version)"] = conn.execute(
            text("SELECT coalesce(sum(version), 0) FROM leads")
        ).scalar_one()
    return {**counts, "slack calls": len(fake.calls())}


def cards_by_lead(fake: FakeSlack) -> Counter[int]:
    return Counter(
        lead_id
        for call in fake.calls("chat.postMessage")
        if call.ok and (lead_id := lead_of(call)) is not None
    )


def settle(engine: Engine, fake: FakeSlack, created: set[int], timeout: float) -> float:
    """Seconds until every accepted lead has its two cards and nothing is pending."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with engine.connect() as conn:
            pending = conn.execute(
                text("SELECT count(*) FROM outbox WHERE status = 'pending'")
            ).scalar_one()
        carded = cards_by_lead(fake)
        if not pending and all(carded[i] >= 2 for i in created):
            break
        time.sleep(0.25)
    return time.monotonic() - started


def log_levels(path: Path) -> tuple[Counter[str], list[str]]:
    """Lines per level in the server's log; the ERROR/CRITICAL lines and tracebacks."""
    levels: Counter[str] = Counter()
    bad: list[str] = []
    for line in path.read_text(errors="replace").splitlines():
        found = LOG_LEVEL.match(line)
        if found:
            levels[found.group(1)] += 1
        if (found and found.group(1) in ("ERROR", "CRITICAL")) or line.startswith("Traceback"):
            bad.append(line[:300])
    return levels, bad


def phase(name: str, answers: Sequence[Answer], rss: tuple[float, float]) -> dict[str, Any]:
    statuses = Counter(status for status, _, _ in answers)
    return {
        "phase": name,
        "requests": len(answers),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "5xx": sum(n for status, n in statuses.items() if status >= 500),
        "answer_ms": stats([seconds for _, seconds, _ in answers]),
        "rss_mib": rss,
    }


def lead_ids(answers: Sequence[Answer], status: int) -> set[int]:
    return {int(json.loads(body)["id"]) for code, _, body in answers if code == status}


class Run:
    """One server, one fake Slack, one database; the phases in order, then the checks."""

    def __init__(self, args: argparse.Namespace, tmp: Path, fake: FakeSlack) -> None:
        self.args, self.tmp, self.fake = args, tmp, fake
        self.url = args.database_url or f"sqlite:///{tmp / 'fuzz.db'}"
        self.backend = prepare_database(self.url)
        self.server, port = start_server(tmp, fake, self.url, with_channel=True)
        self.engine = create_engine(self.url)
        self.memory = Memory(self.server.pid)
        self.sender = Sender(port, args.concurrency)
        self.phases: list[dict[str, Any]] = []
        self.checks: list[tuple[str, bool, str]] = []

    def check(self, name: str, ok: bool, detail: object = "") -> None:
        self.checks.append((name, ok, str(detail)[:500]))

    def timed(self, name: str, requests: Sequence[Request], sign: bool = False) -> list[Answer]:
        since = len(self.memory.samples) - 1
        answers = self.sender.send(requests, sign=sign)
        self.phases.append(phase(name, answers, self.memory.window(since)))
        return answers

    def seed(self) -> set[int]:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        requests = [
            ("/api/leads", json.dumps({**LEAD, "external_id": f"seed-{i}"}).encode(), headers)
            for i in range(SEED_LEADS)
        ]
        clients, self.sender.clients = self.sender.clients, 1
        answers = self.timed("baseline: valid leads, one client", requests)
        self.sender.clients = clients
        seeded = lead_ids(answers, 201)
        self.check("baseline leads accepted", len(seeded) == SEED_LEADS, len(seeded))
        settle(self.engine, self.fake, seeded, self.args.timeout)
        return seeded

    def refused(self) -> None:
        requests, expected = refused_requests(self.args.refused, self.fake.response_url())
        before = snapshot(self.engine, self.fake)
        answers = self.timed("forged or broken Slack requests", requests)
        time.sleep(2)  # anything they set off would be on its way by now
        after = snapshot(self.engine, self.fake)
        wrong = [
            (i, a[0], e)
            for i, (a, e) in enumerate(zip(answers, expected, strict=True))
            if a[0] != e
        ]
        self.check("refused Slack requests: 401/400/413 as expected", not wrong, wrong[:5])
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        self.check("refused Slack requests stored and sent nothing", not changed, changed)

    def intake(self, bodies: Sequence[bytes], seeded: set[int]) -> None:
        requests = intake_requests(bodies)
        answers = self.timed("generated intake bodies", requests)
        odd = [(a[0], len(r[1]), a[2][:80]) for r, a in zip(requests, answers, strict=True)
               if a[0] not in INTAKE_ANSWERS]  # fmt: skip
        self.check("intake answers only 200/201/401/413/415/422", not odd, odd[:5])
        created, again = lead_ids(answers, 201), lead_ids(answers, 200)
        waited = settle(self.engine, self.fake, created, self.args.timeout)
        self.phases[-1]["accepted"], self.phases[-1]["drain_s"] = len(created), waited
        with self.engine.connect() as conn:
            stored = set(conn.execute(text("SELECT id FROM leads")).scalars())
            failed = conn.execute(text("SELECT count(*) FROM outbox WHERE status = 'failed'"))
            failed_rows = failed.scalar_one()
        self.check("stored leads = the 201 answers", stored == seeded | created,
                   f"{len(stored)} stored, {len(seeded | created)} accepted")  # fmt: skip
        self.check("every 200 names a stored lead", again <= stored, sorted(again - stored)[:5])
        cards = cards_by_lead(self.fake)
        wrong = {i: cards[i] for i in stored | set(cards) if cards[i] != 2}
        self.check("each accepted lead carded exactly twice (DM, #leads)", not wrong,
                   dict(list(wrong.items())[:5]))  # fmt: skip
        self.check("no outbox row failed", failed_rows == 0, failed_rows)

    def interact(self, generated: Sequence[tuple[str, dict[str, Any]]]) -> None:
        requests = signed_requests(generated, self.fake.response_url())
        answers = self.timed("generated signed Slack requests", requests, sign=True)
        odd = [(a[0], r[1][:300]) for r, a in zip(requests, answers, strict=True) if a[0] != 200]
        self.check("signed requests all acknowledged (200)", not odd, odd[:5])
        slowest = max(seconds for _, seconds, _ in answers)
        self.check("every ack within Slack's 3 s", slowest < 3.0, f"max {slowest:.2f} s")
        self.phases[-1]["drain_s"] = settle(self.engine, self.fake, set(), self.args.timeout)

    def finish(self) -> None:
        self.check("the fake Slack saw no payload outside Slack's limits",
                   not self.fake.problems(), self.fake.problems()[:5])  # fmt: skip
        self.server.send_signal(signal.SIGTERM)
        self.server.communicate(timeout=60)
        self.memory.stopped.set()
        self.check("0 x 5xx", all(p["5xx"] == 0 for p in self.phases))
        self.levels, bad = log_levels(self.tmp / "serve.log")
        self.check("0 ERROR/CRITICAL lines or tracebacks in the server log", not bad, bad[:5])
        start, peak = self.memory.samples[0], max(self.memory.samples)
        self.check("memory bounded (peak RSS < start + 256 MiB)", peak < start + 256,
                   f"{start:.0f} -> {peak:.0f} MiB")  # fmt: skip
        self.engine.dispose()


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    started = time.monotonic()
    bodies = generate(intake_bodies, args.intake, args.seed)
    generated = generate(interactions, args.interactions, args.seed)
    console.print(f"generated {len(bodies)} bodies and {len(generated)} Slack requests in "
                  f"{time.monotonic() - started:.0f} s")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        bench = Run(args, Path(tmp), fake)
        try:
            seeded = bench.seed()
            bench.refused()
            bench.intake(bodies, seeded)
            bench.interact(generated)
        finally:
            bench.finish()
    return {
        "command": shlex.join([sys.executable, *sys.argv]),
        "database": bench.backend,
        "concurrency": args.concurrency,
        "seed": args.seed,
        "phases": bench.phases,
        "log_lines_by_level": dict(bench.levels),
        "checks": [{"check": n, "ok": ok, "detail": d} for n, ok, d in bench.checks],
        "seconds": time.monotonic() - started,
    }


def report(result: dict[str, Any], console: Console) -> None:
    console.print(f"command:  {result['command']}\ndatabase: {result['database']}; "
                  f"{result['concurrency']} clients; seed {result['seed']}")  # fmt: skip
    table = Table(title="requests (answer times in ms)")
    for column in ("phase", "requests", "statuses", "p50", "p99", "max", "RSS MiB", "drain s"):
        table.add_column(column, justify="left" if column in ("phase", "statuses") else "right")
    for p in result["phases"]:
        ms, (before, peak) = p["answer_ms"], p["rss_mib"]
        statuses = " ".join(f"{k}×{v}" for k, v in p["statuses"].items())
        drain = f"{p['drain_s']:.1f}" if "drain_s" in p else ""
        times = (f"{ms['p50']:.1f}", f"{ms['p99']:.1f}", f"{ms['max']:.0f}")
        memory = f"{before:.0f} → {peak:.0f}"
        table.add_row(p["phase"], str(p["requests"]), statuses, *times, memory, drain)
    console.print(table)
    levels = ", ".join(f"{k} {v}" for k, v in sorted(result["log_lines_by_level"].items()))
    console.print(f"server log lines: {levels or 'none'}; run took {result['seconds']:.0f} s")
    for c in result["checks"]:
        mark = "[bold green]PASS[/]" if c["ok"] else "[bold red]FAIL[/]"
        console.print(f"{mark} {c['check']}" + ("" if c["ok"] else f": {c['detail']}"))


def main() -> int:
    args = parse_args()
    quiet_logging()
    console = Console(width=max(Console().width, 120))
    result = run(args, console)
    report(result, console)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if all(c["ok"] for c in result["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
