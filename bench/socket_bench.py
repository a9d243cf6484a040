"""Socket Mode after an abrupt drop: how soon leadbot notices, how soon it handles an envelope
again, and what the outage costs in CPU and log lines; the old client (the built-in one, as
`leadbot serve` used it) against the new one (bot/socket_mode.py), in the same run.

The fake Slack runs here; each client runs in a process of its own with leadbot's real Bolt app
(as `leadbot serve --socket-mode` builds it, without the HTTP server and the workers, whose CPU
would blur the client's). Each drop: the fake cuts the connection (`silent`: no pong, no FIN, a
blackholed route; `eof`: the stream ends without a close frame, a proxy that died), then queues
a `/leads help` envelope, which Slack would deliver once the app is back.

    .venv/bin/python bench/socket_bench.py [--drops 3] [--modes silent,eof] [--clients old,new]

A report, not a test: it exits 0 on a MISS, 1 only if a client could not start.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intake_bench import run_facts, show  # noqa: E402

from bot.fakeslack.requests import slash_command  # noqa: E402
from bot.fakeslack.server import FakeSlack  # noqa: E402
from bot.fakeslack.socket_mode import DropKind, envelope_payload  # noqa: E402

APP_TOKEN = "xapp-1-bench"
CLIENTS = {
    "old": "built-in client, as serve.py used it (Bolt's SocketModeHandler, ping every 10 s)",
    "tuned": "built-in client, ping_interval=2",
    "new": "bot/socket_mode.py: slack_sdk's aiohttp client, ping every 2 s",
}
CONFIG = "channels: {queue: C0QUEUE}\nreps: [{id: U0BO, name: Bo}]\n"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (CRITICAL|ERROR|WARNING) (.*)$")
TARGET_S = 10.0  # notice and handle within this; "a few seconds" in the issue


@dataclass
class Drop:
    mode: str
    detected_s: float | None  # drop -> the client's next apps.connections.open
    handled_s: float | None  # drop -> the ack of the envelope queued at the drop
    cpu_s: float | None  # the client process's CPU time, drop -> ack
    errors: int
    warnings: int
    answered: int  # times the envelope's command was answered (1: exactly once)
    first_error: str = ""


@dataclass
class ClientRun:
    client: str
    idle_cpu_pct: float | None  # CPU while connected and idle, % of one core
    drops: list[Drop] = field(default_factory=list)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--drops", type=int, default=3, help="drops per mode and client (default 3)")
    p.add_argument("--modes", default="silent,eof", help="silent, eof, reset (comma-separated)")
    p.add_argument("--clients", default="old,new", help=f"of {', '.join(CLIENTS)}")
    p.add_argument("--timeout", type=float, default=180.0, help="max wait per drop (s)")
    p.add_argument("--seed", type=int, default=11, help="for the pause before each drop")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    p.add_argument("--child", choices=sorted(CLIENTS), help=argparse.SUPPRESS)
    return p.parse_args()


# -- the client's process ------------------------------------------------------------------------
def child(kind: str) -> int:
    """Run one client with leadbot's Bolt app until SIGTERM; log as `leadbot serve` does."""
    from bot.app import create_app
    from bot.cli import LOG_FORMAT
    from bot.config.load import load_config
    from bot.settings import Settings

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    settings = Settings.from_env()
    app = create_app(settings, load_config(settings.config_path), socket_mode=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    client = _client(kind, app.bolt, str(settings.slack_app_token), settings.slack_api_url)
    client.connect()
    stop.wait()
    client.close()
    app.stop()
    return 0


def _client(kind: str, bolt: Any, token: str, api_url: str) -> Any:
    if kind == "new":
        from bot.socket_mode import SocketMode

        return SocketMode(bolt, token, api_url)
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(bolt, token, **({"ping_interval": 2} if kind == "tuned" else {}))


def start_child(kind: str, tmp: Path, fake: FakeSlack) -> tuple[subprocess.Popen[bytes], Path]:
    (tmp / "leadbot.yml").write_text(CONFIG)
    log = tmp / f"{kind}.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": fake.url,
        "DATABASE_URL": f"sqlite:///{tmp / f'{kind}.db'}",
        "LEADBOT_CONFIG": str(tmp / "leadbot.yml"),
    }
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    with log.open("wb") as out:  # a file, not a pipe: a full pipe would stall the client
        process = subprocess.Popen(command, env=env, cwd=tmp, stdout=out, stderr=out)
    return process, log


# -- measuring -----------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc); None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu_pct(pid: int, seconds: float) -> float | None:
    """CPU a connected, idle client uses over `seconds`, in % of one core."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    after = cpu_seconds(pid)
    return None if before is None or after is None else (after - before) / seconds * 100


def send_command(fake: FakeSlack, name: str) -> str:
    body = slash_command(
        "help", user_id="U0BO", channel_id="C0QUEUE", response_url=fake.response_url(name)
    )
    return fake.socket_mode.send("slash_commands", envelope_payload(body))


def answered(fake: FakeSlack, name: str, wait: float) -> int:
    """How many times the command named `name` was answered (after up to `wait` s for one)."""
    path = f"/response/{name}"
    try:
        fake.wait_for("response_url", where=lambda c: c.path == path, timeout=wait)
    except AssertionError:
        return 0
    time.sleep(0.5)  # a second answer would come right behind the first
    return sum(1 for c in fake.calls("response_url") if c.path == path)


def log_counts(log: Path, offset: int) -> tuple[int, int, str]:
    """ERROR (and CRITICAL) and WARNING records written after `offset`; the first ERROR's text."""
    errors, warnings, first = 0, 0, ""
    with log.open("rb") as f:
        f.seek(offset)
        for line in f.read().decode(errors="replace").splitlines():
            if found := LOG_LINE.match(line):
                if found.group(1) == "WARNING":
                    warnings += 1
                else:
                    errors, first = errors + 1, first or found.group(2)[:160]
    return errors, warnings, first


def one_drop(fake: FakeSlack, pid: int, log: Path, mode: str, n: int, timeout: float) -> Drop:
    opens_before = len(fake.calls("apps.connections.open"))
    offset, cpu0, started = log.stat().st_size, cpu_seconds(pid), time.monotonic()
    fake.socket_mode.drop(cast(DropKind, mode))
    envelope = send_command(fake, f"{mode}-{n}")
    try:
        handled: float | None = fake.socket_mode.wait_for_ack(envelope, timeout).at - started
    except AssertionError:
        handled = None
    cpu1 = cpu_seconds(pid)
    opens = fake.calls("apps.connections.open")[opens_before:]
    errors, warnings, first = log_counts(log, offset)
    return Drop(
        mode=mode,
        detected_s=opens[0].at - started if opens else None,
        handled_s=handled,
        cpu_s=cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None,
        errors=errors,
        warnings=warnings,
        answered=answered(fake, f"{mode}-{n}", 10.0 if handled is not None else 0.0),
        first_error=first,
    )


def measure(kind: str, args: argparse.Namespace, tmp: Path) -> ClientRun:
    """One client in its own process against a fresh fake Slack: idle, then every drop."""
    rng = random.Random(args.seed)
    with FakeSlack() as fake:
        process, log = start_child(kind, tmp, fake)
        try:
            try:
                fake.socket_mode.wait_for_hellos(1, 60)
            except AssertionError:
                sys.exit(f"the {kind} client did not connect:\n{log.read_text()}")
            fake.socket_mode.wait_for_ack(send_command(fake, "warm-up"), 30)
            run = ClientRun(kind, idle_cpu_pct(process.pid, 5.0))
            for mode in args.modes.split(","):
                for n in range(args.drops):
                    time.sleep(2 + rng.uniform(0, 2))  # settled, at another point of its pings
                    run.drops.append(one_drop(fake, process.pid, log, mode, n, args.timeout))
                    if run.drops[-1].handled_s is None:
                        return run  # never came back: nothing more to measure
            return run
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


# -- the report ----------------------------------------------------------------------------------
def summary(drops: list[Drop]) -> dict[str, Any]:
    def spread(values: list[float | None]) -> dict[str, float | None]:
        got = [v for v in values if v is not None]
        if not got:
            return {"median": None, "max": None}
        return {"median": statistics.median(got), "max": max(got)}

    return {
        "drops": len(drops),
        "recovered": sum(1 for d in drops if d.handled_s is not None),
        "detected_s": spread([d.detected_s for d in drops]),
        "handled_s": spread([d.handled_s for d in drops]),
        "cpu_s": spread([d.cpu_s for d in drops]),
        "errors_per_drop": statistics.fmean(d.errors for d in drops),
        "warnings_per_drop": statistics.fmean(d.warnings for d in drops),
        "exactly_once": sum(1 for d in drops if d.answered == 1),
    }


def verdict(s: dict[str, Any]) -> bool:
    """Noticed and handling again within TARGET_S, no ERROR, at most one WARNING a drop, under a
    second of CPU: the issue's "within a few seconds", without the noise and the spinning."""
    worst, cpu = s["handled_s"]["max"], s["cpu_s"]["max"]
    return (
        s["recovered"] == s["drops"] == s["exactly_once"]
        and worst is not None
        and worst <= TARGET_S
        and s["errors_per_drop"] == 0
        and s["warnings_per_drop"] <= 1
        and (cpu is None or cpu < 1.0)
    )


def report(r: dict[str, Any], console: Console) -> None:
    console.print(
        f"command:  {r['command']}\nmachine:  Python {r['python']}, {r['cpu_count']} CPUs, "
        f"{r['platform']}\n{r['drops']} drop(s) per mode and client; times from the drop, "
        f"seconds (median / max); CPU: the client's process, drop → ack"
    )
    table = Table(title="Socket Mode after an abrupt drop")
    for column in ("client", "mode", "noticed", "handled", "CPU s", "ERROR", "WARN", "once", ""):
        table.add_column(column, justify="left" if column in ("client", "mode") else "right")
    for run in r["runs"]:
        for mode, s in run["by_mode"].items():
            cells = [_pair(s["detected_s"]), _pair(s["handled_s"]), _pair(s["cpu_s"], 2)]
            table.add_row(
                run["client"],
                mode,
                *cells,
                f"{s['errors_per_drop']:.1f}",
                f"{s['warnings_per_drop']:.1f}",
                f"{s['exactly_once']}/{s['drops']}",
                "[green]PASS[/]" if s["pass"] else "[red]MISS[/]",
            )
    console.print(table)
    for run in r["runs"]:
        idle = run["idle_cpu_pct"]
        console.print(
            f"{run['client']}: {CLIENTS[run['client']]}; idle CPU "
            f"{'n/a' if idle is None else f'{idle:.2f} %'}"
            + (f"; ERROR e.g. [yellow]{run['first_error']}[/]" if run["first_error"] else "")
        )
    console.print(
        f"ERROR, WARN: log records per drop; once: the envelope's command answered exactly once; "
        f"PASS: handled within {TARGET_S:g} s, no ERROR, ≤ 1 WARNING, < 1 s CPU"
    )


def _pair(s: dict[str, float | None], digits: int = 1) -> str:
    if s["median"] is None:
        return "-"
    return f"{s['median']:.{digits}f} / {s['max']:.{digits}f}"


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.clients.split(","):
            run = measure(kind, args, Path(tmp))
            by_mode = {}
            for mode in args.modes.split(","):
                s = summary(
                    [d for d in run.drops if d.mode == mode]
                    or [Drop(mode, None, None, None, 0, 0, 0)]
                )
                by_mode[mode] = {**s, "pass": verdict(s)}
            first = next((d.first_error for d in run.drops if d.first_error), "")
            runs.append({**asdict(run), "by_mode": by_mode, "first_error": first})
    return {
        **run_facts(),
        **{k: v for k, v in vars(args).items() if k != "child"},
        "runs": runs,
    }


def main() -> int:
    args = parse_args()
    if args.child:
        return child(args.child)
    unknown = set(args.clients.split(",")) - set(CLIENTS)
    unknown |= set(args.modes.split(",")) - {"silent", "eof", "reset"}
    if unknown:
        sys.exit(f"unknown client(s) or mode(s): {', '.join(sorted(unknown))}")
    result = run_all(args)
    show(result, report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
