"""leadbot.yml reloaded without a restart (bot/serve.py, bot/config/reload.py), through
`leadbot serve` as deployed: on SIGHUP and on a change of the file, the new routing takes the
next lead while the process, its port and every accepted lead stay; a bad file is refused, the
old configuration kept, the log and the admins told."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from bot.fakeslack.server import FakeSlack
from tests.fakes.serving import Served, alive, served, wait_until

BASE = "channels: {queue: C0QUEUE, alerts: C0ALERTS}\nscheduler: {tick: 1s}\n"
ALICE = BASE + "reps: [{id: U0ALICE, name: Alice}]\n"
BO = BASE + "reps: [{id: U0BO, name: Bo}]\n"
TEAM = BASE + "reps: [" + ", ".join(f"{{id: U0R{i}, name: R{i}}}" for i in range(1, 7)) + "]\n"


def _owner(server: Served, name: str) -> object:
    return server.post_lead({"name": name})["owner"]


def _reloads(server: Served) -> int:
    return server.stderr().count("leadbot.yml reloaded")


def test_sighup_reloads_the_routing_and_replaces_the_worker(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    with served(tmp_path, fake_slack, ALICE) as server:
        assert _owner(server, "Dana") == "U0ALICE"
        [first_worker] = server.children()
        (tmp_path / "leadbot.yml").write_text(BO)
        server.process.send_signal(signal.SIGHUP)
        wait_until(lambda: _reloads(server) == 1, "the reload")
        assert _owner(server, "Eve") == "U0BO"
        wait_until(lambda: not alive(first_worker), "the old worker's exit")
        assert any("spawn_main" in _cmdline(pid) for pid in server.children())
        wait_until(
            lambda: len(_dm_cards(fake_slack)) == 2, "both cards, the second from the new worker"
        )
        assert server.process.poll() is None
    assert "did not stop" not in server.stderr()


def test_a_saved_file_is_seen_without_a_signal(tmp_path: Path, fake_slack: FakeSlack) -> None:
    with served(tmp_path, fake_slack, ALICE) as server:
        (tmp_path / "leadbot.yml").write_text(BO)
        wait_until(lambda: _reloads(server) == 1, "the reload of a saved file")
        assert _owner(server, "Eve") == "U0BO"
        (tmp_path / "leadbot.yml").write_text(BO)  # the same bytes again: not a reload
        server.process.send_signal(signal.SIGHUP)  # asked: read, though nothing changed
        wait_until(lambda: _reloads(server) == 2, "the asked-for reload")


def test_a_bad_file_is_refused_the_old_one_kept_and_the_admins_told(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    with served(tmp_path, fake_slack, ALICE) as server:
        (tmp_path / "leadbot.yml").write_text(ALICE + "escalation: {tiers: 7}\nreps: []\n")
        wait_until(lambda: "was not loaded" in server.stderr(), "the refusal")
        assert _owner(server, "Dana") == "U0ALICE"
        wait_until(lambda: _alerts(fake_slack), "the admins' message")
        [alert] = _alerts(fake_slack)
        assert "leadbot.yml changed but was not loaded" in alert
        assert "keeps running with the configuration it had" in alert
        server.process.send_signal(signal.SIGHUP)  # asked again, same bad bytes: told again
        wait_until(lambda: server.stderr().count("was not loaded") == 2, "the second refusal")
        (tmp_path / "leadbot.yml").write_text(BO)
        wait_until(lambda: _reloads(server) == 1, "the fixed file")
        assert _owner(server, "Eve") == "U0BO"
    assert "ERROR leadbot: " in server.stderr()


def test_leads_sent_during_reloads_are_each_accepted_once_and_carded(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    """The promise across a reload: every 201 becomes exactly one card."""
    with served(tmp_path, fake_slack, TEAM) as server:
        sent: list[object] = []
        done = threading.Event()

        def keep_sending() -> None:
            while not done.is_set():
                sent.append(server.post_lead({"name": f"Lead {len(sent)}"})["id"])
                done.wait(0.2)  # 5 a second over 6 reps: within Slack's pace for each DM

        sender = threading.Thread(target=keep_sending)
        sender.start()
        for config in (TEAM.replace("U0R6", "U0R7"), TEAM, TEAM.replace("U0R1", "U0R0")):
            (tmp_path / "leadbot.yml").write_text(config)
            before = _reloads(server)
            server.process.send_signal(signal.SIGHUP)
            wait_until(lambda before=before: _reloads(server) > before, "a reload")
        done.set()
        sender.join(timeout=30)
        wait_until(lambda: len(_dm_cards(fake_slack)) >= len(sent), "every lead's card", seconds=60)
    cards = _dm_cards(fake_slack)
    assert sorted(cards) == sorted(set(cards)) and len(cards) == len(sent) > 3


def _dm_cards(fake_slack: FakeSlack) -> list[object]:
    posts = [c for c in fake_slack.calls("chat.postMessage") if c.ok]
    return [
        c.args.get("metadata", {}).get("event_payload", {}).get("lead_id")
        for c in posts
        if c.args.get("channel") != "C0ALERTS"
    ]


def _alerts(fake_slack: FakeSlack) -> list[str]:
    posts = fake_slack.calls("chat.postMessage")
    return [str(c.args.get("text")) for c in posts if c.args.get("channel") == "C0ALERTS"]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
