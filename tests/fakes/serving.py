"""`leadbot serve` as deployed, for tests: its own process (with its delivery worker), a real
environment, a free port, its stderr in a file (a full pipe would stall it)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.fakeslack.server import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "t0k"


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    log: Path

    def stderr(self) -> str:
        return self.log.read_text()

    def post_lead(self, lead: dict[str, object]) -> dict[str, object]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/leads",
            data=json.dumps(lead).encode(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            return dict(json.loads(response.read()))

    def health(self, path: str = "/healthz") -> tuple[int, dict[str, object]]:
        """`/healthz` (alive) or, with `path="/readyz"`, whether it can do its work."""
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def ready(self) -> tuple[int, dict[str, object]]:
        return self.health("/readyz")

    def metrics(self) -> str:
        url = f"http://127.0.0.1:{self.port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(response.read().decode())

    def children(self) -> list[int]:
        """The pids of the server's child processes (its delivery worker)."""
        return children_of(self.process.pid)


@contextmanager
def served(
    tmp_path: Path, fake_slack: FakeSlack, config: str, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """Run `leadbot serve` with `config` as leadbot.yml until the block ends (then SIGTERM,
    and kill if it does not stop within 20 s)."""
    (tmp_path / "leadbot.yml").write_text(config)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "LEADBOT_CONFIG": str(tmp_path / "leadbot.yml"),
        "LEADBOT_INTAKE_TOKEN": TOKEN,
        "SLACK_API_URL": fake_slack.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LEADBOT_"))}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**clean, "PYTHONPATH": str(ROOT), **settings, **(env or {})},
            cwd=tmp_path,
            stderr=out,
            text=True,
        )
    server = Served(process, port, log)
    try:
        # Ready, not only alive: migrated, its scheduler (or worker) started, Slack answering.
        wait_until(lambda: server.ready()[0] == 200, f"leadbot serve on port {port}", process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(
    condition: object, what: str, process: subprocess.Popen[str] | None = None, seconds: float = 30
) -> None:
    """Poll `condition()` (errors count as False) until it holds; fail naming `what`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():  # type: ignore[operator]
                return
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}")
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {seconds} s")


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"
