"""The delivery worker (bot/worker/), through `leadbot serve` as deployed: cards go out from
the worker process, the worker never outlives its server, and a dead worker is replaced."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
from pathlib import Path

import pytest

from bot.app import create_services
from bot.fakeslack.server import FakeSlack
from tests.conftest import bot_settings, make_config
from tests.fakes.serving import alive, served, wait_until

CONFIG = "channels: {queue: C0QUEUE}\nreps: [{id: U0ALICE, name: Alice}]\nscheduler: {tick: 1s}\n"


def _cards(fake_slack: FakeSlack) -> int:
    return len([c for c in fake_slack.calls("chat.postMessage") if c.ok])


def test_cards_go_out_from_a_worker_process_that_stops_with_the_server(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    with served(tmp_path, fake_slack, CONFIG) as server:
        [worker] = server.children()
        server.post_lead({"name": "Dana"})
        wait_until(lambda: _cards(fake_slack) == 1, "Dana's card")
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
    assert not alive(worker)
    assert "delivery worker started" in server.stderr()
    assert "did not stop" not in server.stderr()  # it stopped, and the server saw it stop


def test_a_worker_whose_server_is_killed_finishes_and_exits(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    """kill -9 of the server closes its end of the pipe: the worker must not live on,
    sending for a server that a restart will replace."""
    with served(tmp_path, fake_slack, CONFIG) as server:
        [worker] = server.children()
        server.process.kill()
        server.process.wait()
        # An orphan is re-parented (to init), which reaps it: gone, not a zombie.
        wait_until(lambda: not alive(worker), "the orphaned worker's exit")


def test_a_killed_worker_is_replaced_the_admins_told_and_delivery_goes_on(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    config = CONFIG.replace("{queue: C0QUEUE}", "{queue: C0QUEUE, alerts: C0ALERTS}")
    with served(tmp_path, fake_slack, config) as server:
        [first] = server.children()
        wait_until(lambda: "delivery worker started" in server.stderr(), "the first worker")
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: [p for p in server.children() if p != first], "a new worker")
        server.post_lead({"name": "Dana"})
        wait_until(
            lambda: _cards(fake_slack) == 2, "the alarm, and Dana's card from the new worker"
        )
        wait_until(lambda: server.ready()[0] == 200, "ready again")
    [alarm] = [c for c in fake_slack.calls("chat.postMessage") if c.args["channel"] == "C0ALERTS"]
    assert "delivery worker stopped (exit code -9)" in alarm.args["text"]
    log = server.stderr()
    assert "ERROR bot.worker: the delivery worker exited (code -9)" in log
    assert log.count("delivery worker started") == 2


def test_inline_delivery_runs_in_one_process(tmp_path: Path, fake_slack: FakeSlack) -> None:
    env = {"LEADBOT_DELIVERY_PROCESS": "inline"}
    with served(tmp_path, fake_slack, CONFIG, env) as server:
        assert server.children() == []
        server.post_lead({"name": "Dana"})
        wait_until(lambda: _cards(fake_slack) == 1, "Dana's card")


def test_an_unknown_delivery_process_is_named_in_one_line(tmp_path: Path) -> None:
    from tests.test_cli import leadbot

    env = {"SLACK_BOT_TOKEN": "xoxb-1", "LEADBOT_DELIVERY_PROCESS": "threads"}
    result = leadbot("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "leadbot: LEADBOT_DELIVERY_PROCESS must be separate or inline, not 'threads'\n"
    )


def test_on_sqlite_a_worker_waits_until_no_other_process_sends_from_the_file(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    """A server killed -9 leaves its worker finishing what it had in flight; the new worker
    frees every lease it finds, so it must start only once the old one is gone."""
    holder = os.open(tmp_path / "x.db.sender.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as the old worker would hold it
    try:
        with served(tmp_path, fake_slack, CONFIG) as server:
            server.post_lead({"name": "Dana"})
            wait_until(lambda: "sends from this SQLite file: waiting" in server.stderr(), "wait")
            assert _cards(fake_slack) == 0
            os.close(holder)  # the old worker exits
            holder = -1
            wait_until(lambda: _cards(fake_slack) == 1, "Dana's card once the old one is gone")
    finally:
        if holder >= 0:
            os.close(holder)


def test_ctrl_c_reaching_server_and_worker_is_a_stop_not_a_crash(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    """Ctrl-C (or `pkill leadbot`) signals both processes: the worker stopped first, and the
    server, still closing its HTTP side, took that for a crash: an ERROR, a restart and a
    "delivery stopped" message to the admins on every stop."""
    config = CONFIG.replace("{queue: C0QUEUE}", "{queue: C0QUEUE, alerts: C0ALERTS}")
    with served(tmp_path, fake_slack, config) as server:
        [worker] = server.children()
        wait_until(lambda: "delivery worker started" in server.stderr(), "the worker")
        server.process.send_signal(signal.SIGINT)
        os.kill(worker, signal.SIGINT)
        assert server.process.wait(timeout=30) == 0
    assert not alive(worker)
    assert "exited" not in server.stderr() and " ERROR " not in server.stderr()
    assert not [c for c in fake_slack.calls("chat.postMessage") if c.args["channel"] == "C0ALERTS"]


def _sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample of a /metrics scrape (0 when it is not there)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def test_the_workers_counts_reach_the_servers_metrics_and_outlive_a_killed_worker(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    """The cards are posted by the worker process; /metrics is the server's. The worker sends
    its totals over a pipe (bot/ops/worker_reports.py), and a dead worker's last totals stay."""
    posted = {"method": "chat.postMessage", "result": "ok"}
    with served(tmp_path, fake_slack, CONFIG) as server:
        [first] = server.children()
        server.post_lead({"name": "Dana"})
        wait_until(lambda: _cards(fake_slack) == 1, "Dana's card")
        wait_until(
            lambda: _sample(server.metrics(), "leadbot_slack_calls_total", **posted) == 1,
            "the worker's chat.postMessage in the server's /metrics",
        )
        wait_until(lambda: server.ready() == (200, {"ok": True}), "the worker's scheduler ticks")
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: [p for p in server.children() if p != first], "a new worker")
        assert _sample(server.metrics(), "leadbot_slack_calls_total", **posted) == 1
        server.post_lead({"name": "Eve"})
        wait_until(
            lambda: _sample(server.metrics(), "leadbot_slack_calls_total", **posted) == 2,
            "both workers' posts counted",
        )
    assert "unreadable report" not in server.stderr()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_workers_services_are_built_without_the_database_or_slack(
    tmp_path: Path, fake_slack: FakeSlack, backend: str
) -> None:
    """The worker builds and freezes its services while the server still migrates and starts
    (bot/worker/process.py), so that after a crash its first card waits for neither: building
    them must open no connection to the database (not migrated yet) and make no Slack call."""
    database = tmp_path / "leadbot.db"  # SQLite creates the file when it first connects
    with socket.socket() as listener:  # PostgreSQL's stand-in: any connection would queue here
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        url = {
            "sqlite": f"sqlite:///{database}",
            "postgresql": f"postgresql+psycopg://leadbot:leadbot@127.0.0.1:{port}/leadbot",
        }[backend]
        services = create_services(bot_settings(fake_slack, url), make_config())
        services.db.dispose()
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert not database.exists()
    assert fake_slack.calls() == []
