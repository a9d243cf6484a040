"""Database trouble (bot/http/health.py): a database that cannot take writes gets 503 with
Retry-After and a reason, never a bare 500 or a traceback with a lead's details; `/readyz`
says not ready until a write works (`/healthz`, liveness, still answers: restarting leadbot
cures no database), and leadbot recovers by itself once it does."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from blocks import ids
from tests.conftest import MakeBot
from tests.fakes.harness import Harness

LEAD = {"source": "website", "name": "Dana", "email": "dana.secret@northwind.test"}


@pytest.fixture
def read_only(sqlite_url: str) -> Iterator[Path]:
    """The SQLite file made immutable (as root, a read-only mode would not stop writes)."""
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    yield path
    subprocess.run(["chattr", "-i", str(path)], check=False, capture_output=True)


def make_read_only(path: Path) -> None:
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not available here: {done.stderr.strip()}")


def test_a_database_that_refuses_writes_answers_503_and_recovers(
    make_bot: MakeBot, read_only: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = make_bot()
    assert first.post_lead({**LEAD, "external_id": "before"})[0] == 201
    card = first.dm_card("U0ALICE", 1)
    first.settle()
    first.app.stop()
    make_read_only(read_only)
    bot: Harness = make_bot()  # a restart: its connections open the file as it is now
    status, answer = bot.post_lead({**LEAD, "external_id": "during"})
    assert status == 503
    assert answer["errors"][0]["message"].startswith("the database cannot take writes")
    # A click whose change cannot be stored is not acknowledged: Slack shows it did not work.
    click_status, _ = bot.click(ids.CLAIM, 1, "U0ALICE", card)
    assert click_status != 200
    status, health = bot.get("/readyz")
    assert status == 503
    assert "readonly database" in json.loads(health)["database"]
    assert bot.get("/healthz") == (200, '{"ok":true}')  # alive: a restart would not help
    subprocess.run(["chattr", "-i", str(read_only)], check=True)
    assert bot.post_lead({**LEAD, "external_id": "after"})[0] == 201
    assert bot.get("/readyz")[0] == 503  # a failure in the last 30 s still counts
    logged = "\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert "dana.secret" not in logged
    troubles = [r for r in caplog.records if r.name == "bot.http.health"]
    assert troubles and all(r.levelno == logging.ERROR for r in troubles)


def test_readyz_is_not_ready_while_the_delivery_worker_is_down(bot: Harness) -> None:
    """`leadbot serve` sets the worker (bot/worker/); its watcher keeps `running`."""
    worker = SimpleNamespace(running=False)
    bot.app.http.state.worker = worker
    status, health = bot.get("/readyz")
    assert status == 503
    assert json.loads(health) == {
        "ok": False,
        "delivery": "the delivery worker is down; it is being restarted",
    }
    assert bot.get("/healthz") == (200, '{"ok":true}')
    worker.running = True
    assert bot.get("/readyz") == (200, '{"ok":true}')
