"""Crash benchmark: kill -9 `leadbot serve` (and its delivery worker) during a burst of leads,
restart it, and check that every card still goes out, exactly once, within seconds of the
restart.

Each run: a fresh database and fake Slack (answering in `--latency-ms`, Slack's limits scaled by
`--scale`), `--leads` leads from 4 clients, SIGKILL at a random moment of the burst, a restart on
the same database, then wait until nothing is pending. `--instances 2` (PostgreSQL) runs two
servers on one database, sends to both and kills one without restarting it: the other must
deliver everything. A report, not a test: exit 2 on a lost or doubled card. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from subprocess import Popen
from typing import Any

from burst_bench import payload
from intake_bench import (
    kill_tree,
    prepare_database,
    quiet_logging,
    scaled_limits,
    send_leads,
    start_server,
)
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from bot.fakeslack.pacing import RateLimits
from bot.fakeslack.server import FakeSlack


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="leadbot: kill -9 mid-burst, restart, count cards")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--leads", type=int, default=100)
    p.add_argument("--instances", type=int, default=1, choices=(1, 2))
    p.add_argument("--latency-ms", type=float, default=80.0)
    # Slack's limits ×20, as burst_bench.py: 100 leads' DM cards (three reps) then fit in a few
    # seconds, but the #leads copies left at a kill still take up to 5 s by Slack's pace alone.
    p.add_argument("--scale", type=float, default=20.0)
    # At Slack's own pace (--scale 1) a DM channel takes a card a second after a burst of three:
    # a team, not three reps, is what keeps 100 leads' DM cards within seconds.
    p.add_argument("--reps", type=int, default=3, help="reps in the team (leads go round)")
    p.add_argument(
        "--summarise-after",
        help="leadbot.yml's delivery.summarise_after (default 30s): a #leads backlog longer "
        "than this at Slack's pace is folded into summary posts",
    )
    p.add_argument(
        "--warm",
        action="store_true",
        help="one lead per rep first, delivered before the burst: a team whose DM channels "
        "leadbot knows already, as after its first day",
    )
    p.add_argument("--kill-within", type=float, default=1.5, help="kill 0.1..N s into the burst")
    p.add_argument("--database-url", help="default: a SQLite file in a temp dir per run")
    p.add_argument("--seed", type=int, default=20261125)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--json", action="store_true")
    return p.parse_args()


def expected_cards(url: str) -> tuple[set[int], int, Counter[int]]:
    """The stored leads, the outbox rows still pending, and the leads whose #leads copy went
    into a burst summary instead of a card of its own: one connection a look."""
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = {int(i) for i in conn.execute(text("SELECT id FROM leads")).scalars()}
        pending = conn.execute(
            text("SELECT count(*) FROM outbox WHERE status = 'pending'")
        ).scalar_one()
        rows = conn.execute(text("SELECT lead_id FROM outbox WHERE status = 'summarised'"))
        summarised = Counter(int(i) for i in rows.scalars() if i is not None)
    engine.dispose()
    return ids, int(pending), summarised


def delivered(fake: FakeSlack, summarised: Counter[int]) -> Counter[Any]:
    """Per lead, its cards out: posts carrying its id, and its copy in a summary."""
    posts = [c for c in fake.calls("chat.postMessage") if c.ok]
    return Counter(payload(c).get("lead_id") for c in posts) + summarised


def wait_settled(fake: FakeSlack, url: str, timeout: float) -> float | None:
    """The monotonic time of the last post once every stored lead has its DM card and its
    #leads card (or a place in a summary) and nothing is pending; None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids, pending, summarised = expected_cards(url)
        got = delivered(fake, summarised)
        if not pending and all(got[i] >= 2 for i in ids):
            posts = [c for c in fake.calls("chat.postMessage") if c.ok]
            return max((c.at for c in posts), default=time.monotonic())
        time.sleep(0.1)
    return None


def one_run(args: argparse.Namespace, n: int, rng: random.Random) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, FakeSlack(latency=args.latency_ms / 1000) as fake:
        fake.set_limits(RateLimits(scale=args.scale))
        url = args.database_url or f"sqlite:///{tmp}/leadbot.db"
        prepare_database(url)
        limits = scaled_limits(args.scale)
        if args.summarise_after:
            limits["summarise_after"] = args.summarise_after
        servers = [
            start_server(Path(tmp) / f"i{i}", fake, url, True, limits, args.reps)
            for i in _dirs(tmp, args.instances)
        ]
        if args.warm:
            send_leads(servers[0][1], "warm", range(args.reps), 1, 0.0)
            if wait_settled(fake, url, args.timeout) is None:
                raise SystemExit("the warm-up leads' cards did not go out")
        kill_after = rng.uniform(0.1, args.kill_within)
        killer = threading.Timer(kill_after, kill_tree, (servers[0][0],))
        killer.start()
        tag = uuid.uuid4().hex[:8]
        _send(servers, tag, args.leads)
        killer.join()
        servers[0][0].wait()
        restarted = ready = time.monotonic()
        if args.instances == 1:
            servers[0] = start_server(Path(tmp) / "i0", fake, url, True, limits, args.reps)
            ready = time.monotonic()
        last = wait_settled(fake, url, args.timeout)
        ids, pending, summarised = expected_cards(url)
        posts = [c for c in fake.calls("chat.postMessage") if c.ok]
        got = delivered(fake, summarised)
        for server, _ in servers[1:] if args.instances == 2 else servers:
            _stop(server)
        after = sorted(c.at - restarted for c in posts if c.at > restarted)
        per_lane = Counter(c.args["channel"] for c in posts if c.at > restarted)
        dms = [c.at - restarted for c in posts if c.at > restarted and _is_dm(c.args["channel"])]
        # What Slack's pace alone needs for the posts left at the restart (one lane's worth).
        pace_bound = (ready - restarted) + max(per_lane.values(), default=0) / args.scale
        outbox = Counter(payload(c).get("outbox_id") for c in posts)
        waited = _waited_for_lookup(fake, posts, restarted)
        return {
            "run": n,
            "kill_after_s": kill_after,
            "leads_stored": len(ids),
            "lost": sum(1 for i in ids if got[i] < 2) + pending,
            "doubled": sum(k - 1 for k in outbox.values() if k > 1),
            "history_lookups": len(fake.calls("conversations.history")),
            # Each holds its channel a whole second (Retry-After is in seconds).
            "refused_after_restart": sum(
                1
                for c in fake.calls()
                if c.at > restarted and c.response.get("error") == "ratelimited"
            ),
            "ready_after_restart_s": ready - restarted,
            "posts_after_restart": len(after),
            "first_post_after_restart_s": after[0] if after else None,
            "median_post_after_restart_s": after[len(after) // 2] if after else None,
            "last_card_after_restart_s": (last - restarted) if last else None,
            # The DM cards (the reps'): None when every one went out before the kill.
            "last_dm_after_restart_s": max(dms, default=None) if last else float("inf"),
            "pace_bound_s": pace_bound,
            # Posts that left after a history read of their channel: rows that may have gone
            # before the kill, found not to have (or waiting behind one that was).
            "posts_after_lookup": len(waited),
            "last_post_after_lookup_s": max(waited, default=None),
        }


def _waited_for_lookup(fake: FakeSlack, posts: list[Any], restarted: float) -> list[float]:
    reads: dict[str, float] = {}
    for read in fake.calls("conversations.history"):
        if read.at > restarted:
            reads.setdefault(str(read.args.get("channel")), read.at)
    return [
        c.at - restarted
        for c in posts
        if c.at > restarted and reads.get(str(c.args["channel"]), float("inf")) < c.at
    ]


def _is_dm(channel: object) -> bool:
    return isinstance(channel, str) and channel.startswith("D")


def _dirs(tmp: str, instances: int) -> list[int]:
    for i in range(instances):
        (Path(tmp) / f"i{i}").mkdir()
    return list(range(instances))


def _send(servers: list[tuple[Popen[str], int]], tag: str, leads: int) -> None:
    """The burst from 4 clients, split over the instances; refused connections after the
    kill are expected (those leads were not accepted, or were stored without an answer)."""

    def part(k: int) -> None:
        _, port = servers[k % len(servers)]
        with contextlib.suppress(SystemExit):  # send_leads exits on refused leads: the kill
            send_leads(port, f"{tag}{k}", range(k, leads, 4), 1, 0.0)

    threads = [threading.Thread(target=part, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _stop(server: Popen[str]) -> None:
    server.terminate()
    server.communicate(timeout=30)


def report(runs: list[dict[str, Any]], args: argparse.Namespace, console: Console) -> bool:
    table = Table(title=f"kill -9 mid-burst, {args.instances} instance(s), {args.leads} leads")
    columns = (
        "run",
        "killed at s",
        "stored",
        "lost",
        "doubled",
        "lookups",
        "after read n@s",
        "429s",
        "ready s",
        "first post s",
        "pace needs s",
        "last DM s",
        "last card s",
    )
    for column in columns:
        table.add_column(column, justify="right")
    for r in runs:
        last = r["last_card_after_restart_s"]
        table.add_row(
            str(r["run"]),
            f"{r['kill_after_s']:.2f}",
            str(r["leads_stored"]),
            str(r["lost"]),
            str(r["doubled"]),
            str(r["history_lookups"]),
            _after_lookup(r),
            str(r["refused_after_restart"]),
            f"{r['ready_after_restart_s']:.2f}",
            _seconds(r["first_post_after_restart_s"]),
            f"{r['pace_bound_s']:.2f}",
            _seconds(r["last_dm_after_restart_s"]),
            f"{last:.2f}" if last is not None else "never",
        )
    console.print(table)
    lasts = [r["last_card_after_restart_s"] for r in runs]
    worst = max((x for x in lasts if x is not None), default=float("inf"))
    ok = all(x is not None and x <= 5 for x in lasts)
    # Where Slack's pace alone needs more than 5 s for what was left, within 0.5 s of that.
    paced = all(
        x is not None and x <= max(5.0, r["pace_bound_s"] + 0.5)
        for x, r in zip(lasts, runs, strict=True)
    )
    dms = [r["last_dm_after_restart_s"] for r in runs]
    dms_ok = all(x is None or x <= 5 for x in dms)
    worst_dm = max((x for x in dms if x is not None), default=0.0)
    clean = all(r["lost"] == 0 and r["doubled"] == 0 for r in runs)
    mark = {True: "[bold green]PASS[/]", False: "[bold red]MISS[/]"}
    console.print(
        f"{mark[dms_ok]} every DM card out within 5 s of the restart (worst {worst_dm:.2f} s)\n"
        f"{mark[ok]} every card out within 5 s of the restart (worst {worst:.2f} s)\n"
        f"{mark[paced]} ... or, where Slack's pace needs longer for what was left, within 0.5 s "
        "of that\n"
        f"{mark[clean]} lost {sum(r['lost'] for r in runs)}, "
        f"doubled {sum(r['doubled'] for r in runs)} over {len(runs)} runs"
    )
    return clean


def _after_lookup(r: dict[str, Any]) -> str:
    last = r["last_post_after_lookup_s"]
    return f"{r['posts_after_lookup']}@{last:.1f}" if last is not None else "0"


def _seconds(value: float | None) -> str:
    if value is None:
        return "(before)"  # every DM card went out before the kill
    return "never" if value == float("inf") else f"{value:.2f}"


def main() -> int:
    args = parse_args()
    quiet_logging()
    rng = random.Random(args.seed)
    runs = [one_run(args, n, rng) for n in range(1, args.runs + 1)]
    clean = report(runs, args, Console(width=max(Console().width, 110)))
    if args.json:
        print(json.dumps({"command": " ".join(sys.argv), "runs": runs}, indent=2))
    return 0 if clean else 2


if __name__ == "__main__":
    sys.exit(main())
