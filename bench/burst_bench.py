"""Burst benchmark: 1,000 leads at once against a fake Slack with latency and Slack's limits.

Starts FakeSlack here (answering in `--latency-ms`, enforcing Slack's documented rate limits
scaled by `--scale`) and `leadbot serve` in its own process paced to the same limits, posts the
burst from `--clients` keep-alive clients, and waits until every lead has its DM card and its
#leads copy (or a place in a summary). A report, not a test: exit 2 on a lost or doubled card.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from intake_bench import (
    fake_without_gc,
    prepare_database,
    quiet_logging,
    scaled_limits,
    send_leads,
    send_leads_apart,
    show,
    start_server,
    stats,
)
from rich.console import Console
from rich.table import Table
from slack_sdk import WebClient
from sqlalchemy import create_engine, text

from bot.fakeslack.pacing import RateLimits
from bot.fakeslack.server import FakeSlack, RecordedCall

BURST = 3  # Slack's short burst per channel, as leadbot.yml's default post_burst


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="leadbot: a burst of leads at Slack's pace")
    p.add_argument("--leads", type=int, default=1000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--latency-ms", type=float, default=80.0, help="every Slack answer takes this")
    p.add_argument("--scale", type=float, default=20.0, help="Slack's rates multiplied by this")
    p.add_argument("--database-url", help="default: a SQLite file in a temp dir")
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--json", action="store_true")
    return p.parse_args()


def payload(call: RecordedCall) -> dict[str, Any]:
    return ((call.args.get("metadata") or {}).get("event_payload")) or {}


def ideal_drain(arrivals: list[float], rate: float) -> float:
    """When Slack's pace (a bucket of BURST at `rate`/s) lets the last of these posts out."""
    return max(ideal_moments(arrivals, rate), default=0.0)


def ideal_moments(arrivals: list[float], rate: float) -> list[float]:
    """When Slack's pace lets each of these posts out, in arrival order (sorted)."""
    tokens, at, moments = float(BURST), 0.0, []
    for arrival in sorted(arrivals):
        moment = max(arrival, at)
        tokens = min(BURST, tokens + (moment - at) * rate)
        if tokens < 1:
            moment += (1 - tokens) / rate
            tokens = 1.0
        tokens, at = tokens - 1, moment
        moments.append(moment)
    return moments


def hot_pace_bound(
    leads: dict[int, tuple[str, str | None]],
    sent_at: dict[int, float],
    done_at: dict[int, float],
    rate: float,
) -> list[float]:
    """Each hot lead's DM latency (send → post) if Slack's pace were the only limit: a rep's
    hot DMs go before their warm ones, so each rep's lane paces its hot DMs alone, from the
    moment each was accepted (its 201). No round trip, no work: a floor, not a model."""
    latencies: list[float] = []
    for rep in {owner for _, owner in leads.values()}:
        hot = sorted((done_at[i], sent_at[i]) for i in sent_at if leads[i] == ("hot", rep))
        moments = ideal_moments([done for done, _ in hot], rate)
        latencies += [moment - sent for moment, (_, sent) in zip(moments, hot, strict=True)]
    return latencies


def settle(fake: FakeSlack, url: str, ids: set[int], timeout: float) -> float:
    engine = create_engine(url)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            with engine.connect() as conn:
                pending = conn.execute(
                    text("SELECT count(*) FROM outbox WHERE status = 'pending'")
                ).scalar_one()
            dms = {payload(c).get("lead_id") for c in fake.calls("chat.postMessage") if c.ok}
            if not pending and ids <= dms:
                break
            time.sleep(0.25)
    finally:
        engine.dispose()
    return time.monotonic() - started


def leads_table(url: str) -> dict[int, tuple[str, str | None]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, tier, owner_id FROM leads")).all()
    engine.dispose()
    return {int(r[0]): (str(r[1]), r[2]) for r in rows}


def baseline(fake: FakeSlack, card: RecordedCall, n: int) -> list[float]:
    """A bare chat.postMessage of the same blocks, one channel each (no per-channel limit)."""
    client = WebClient(token="xoxb-bench", base_url=fake.url, timeout=10)
    times = []
    for i in range(n):
        start = time.monotonic()
        client.chat_postMessage(channel=f"C0BASE{i}", text="x", blocks=card.args["blocks"])
        times.append(time.monotonic() - start)
    return times


def run(args: argparse.Namespace) -> dict[str, Any]:
    limits = RateLimits(scale=args.scale)
    with tempfile.TemporaryDirectory() as tmp, FakeSlack(latency=args.latency_ms / 1000) as fake:
        url = args.database_url or f"sqlite:///{tmp}/leadbot.db"
        backend = prepare_database(url)
        server, port = start_server(Path(tmp), fake, url, True, scaled_limits(args.scale))
        try:
            tag = uuid.uuid4().hex[:8]
            warm = send_leads(port, tag, range(-3, 0), 1, 0.0)  # opens each rep's DM
            settle(fake, url, {w[0] for w in warm}, 30)
            card = next(c for c in fake.calls("chat.postMessage") if c.ok)
            floor = baseline(fake, card, 100)
            fake.set_limits(limits)  # fresh buckets: the burst starts with Slack's full burst
            skip = len(fake.calls())
            with fake_without_gc():  # 429s on every channel at once, with the collector on
                started = time.monotonic()
                samples = send_leads_apart(port, tag, range(args.leads), args.clients)
                intake_s = time.monotonic() - started
                ids = {s[0] for s in samples}
                settle_s = settle(fake, url, ids, args.timeout)
            calls = fake.calls()[skip:]
            refused = fake.ratelimited
        finally:
            server.terminate()
            server.communicate(timeout=30)
        return measure(args, backend, url, samples, calls, refused, floor, intake_s, settle_s)


def measure(
    args: argparse.Namespace,
    backend: str,
    url: str,
    samples: list[tuple[int, float, float]],
    calls: list[RecordedCall],
    refused: int,
    floor: list[float],
    intake_s: float,
    settle_s: float,
) -> dict[str, Any]:
    leads = leads_table(url)
    posts = [c for c in calls if c.method == "chat.postMessage" and c.ok]
    sent_at = {lead_id: sent for lead_id, sent, _ in samples}
    done_at = {lead_id: done for lead_id, _, done in samples}
    first = min(sent_at.values())
    dm = {payload(c)["lead_id"]: c.at for c in posts if c.args["channel"].startswith("D")}
    channel = [c for c in posts if c.args["channel"] == "C0LEADS"]
    cards = [c for c in channel if payload(c).get("lead_id") is not None]
    summaries = [c for c in channel if payload(c).get("lead_id") is None]
    summarised = sum(str(c.args.get("blocks")).count("#") for c in summaries)
    outbox_ids = Counter(payload(c).get("outbox_id") for c in posts)
    rate = args.scale * 1.0
    by_rep: dict[str | None, list[float]] = {}
    for lead_id in sent_at:
        by_rep.setdefault(leads[lead_id][1], []).append(done_at[lead_id] - first)
    ideal = max(ideal_drain(arrivals, rate) for arrivals in by_rep.values())
    actual = max(dm.values()) - first if dm else float("inf")
    hot = [dm[i] - sent_at[i] for i in sent_at if leads[i][0] == "hot" and i in dm]
    hot_bound = hot_pace_bound(leads, sent_at, done_at, rate)
    warm = [dm[i] - sent_at[i] for i in sent_at if leads[i][0] != "hot" and i in dm]
    channel_span = (max(c.at for c in cards) - first) if cards else 0.0
    channel_ideal = ideal_drain([done_at[payload(c)["lead_id"]] - first for c in cards], rate)
    return {
        "command": " ".join([sys.executable, *sys.argv]),
        "database": backend,
        **vars(args),
        "intake_s": intake_s,
        "settle_s": settle_s,
        "calls": len(calls),
        "ratelimited": refused,
        "ratelimited_share": refused / max(len(calls), 1),
        "lost": len(set(sent_at) - set(dm)),
        "doubled": sum(n - 1 for n in outbox_ids.values() if n > 1),
        "dm_drain_s": actual,
        "dm_ideal_s": ideal,
        "dm_drain_ratio": actual / ideal if ideal else float("inf"),
        "hot_dm_ms": stats(hot) if hot else {},
        "hot_pace_bound_ms": stats(hot_bound) if hot_bound else {},
        "other_dm_ms": stats(warm) if warm else {},
        "baseline_post_ms": stats(floor),
        "channel_cards": len(cards),
        "channel_span_s": channel_span,
        "channel_ideal_s": channel_ideal,
        "summary_posts": len(summaries),
        "summarised_leads": summarised,
    }


def report(r: dict[str, Any], console: Console) -> None:
    mark = {True: "[bold green]PASS[/]", False: "[bold red]MISS[/]"}
    console.print(
        f"command:  {r['command']}\ndatabase: {r['database']}; {r['leads']} leads from "
        f"{r['clients']} clients; Slack latency {r['latency_ms']:g} ms; limits ×{r['scale']:g}\n"
        f"intake took {r['intake_s']:.1f} s; everything settled {r['settle_s']:.1f} s later; "
        f"{r['calls']} Slack calls"
    )
    table = Table(title="DM card latency, intake → chat.postMessage (ms)")
    for column in ("series", "count", "p50", "p90", "p99", "max"):
        table.add_column(column, justify="left" if column == "series" else "right")
    for name in ("hot_dm_ms", "hot_pace_bound_ms", "other_dm_ms", "baseline_post_ms"):
        s = r[name]
        if s:
            cells = (f"{s[k]:.1f}" for k in ("p50", "p90", "p99", "max"))
            table.add_row(name.removesuffix("_ms"), str(s["count"]), *cells)
    console.print(table)
    hot99 = r["hot_dm_ms"].get("p99", float("inf"))
    bound99 = r["hot_pace_bound_ms"].get("p99", float("nan"))
    channel_ok = r["summary_posts"] > 0 or r["channel_span_s"] <= 1.1 * r["channel_ideal_s"]
    console.print(
        f"{mark[r['dm_drain_ratio'] <= 1.2]} DM cards drained in {r['dm_drain_s']:.2f} s, "
        f"ideal {r['dm_ideal_s']:.2f} s ({r['dm_drain_ratio']:.2f}×, target ≤ 1.2×)\n"
        f"{mark[r['ratelimited_share'] < 0.01]} 429s: {r['ratelimited']} of {r['calls']} calls "
        f"({r['ratelimited_share']:.2%}, target < 1 %)\n"
        f"{mark[hot99 <= 2000]} hot DM p99 {hot99:.0f} ms (target ≤ 2,000; Slack's pace alone, "
        f"each rep's hot DMs first: p99 {bound99:.0f} ms)\n"
        f"{mark[channel_ok]} #leads: {r['channel_cards']} cards in {r['channel_span_s']:.1f} s "
        f"(pace allows {r['channel_ideal_s']:.1f} s), {r['summary_posts']} summary posts "
        f"covering {r['summarised_leads']} leads\n"
        f"{mark[r['lost'] == 0 and r['doubled'] == 0]} lost {r['lost']}, doubled {r['doubled']}"
    )


def main() -> int:
    args = parse_args()
    quiet_logging()
    result = run(args)
    show(result, report, args.json)
    return 2 if result["lost"] or result["doubled"] else 0


if __name__ == "__main__":
    sys.exit(main())
