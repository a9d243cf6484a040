"""Two `leadbot serve` instances on one PostgreSQL, as deployed: one is killed with -9 while its
posts are in flight, and the other delivers every card, once (#11). The survivor takes the dead
one's rows because its database session ended (bot/delivery/liveness.py), not because its
heartbeat went stale: the log says which."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from bot.fakeslack.server import FakeSlack
from storage.models import OutboxMessage
from tests.conftest import _fresh_postgres
from tests.fakes.serving import served, wait_until

CONFIG = (
    "channels: {queue: C0QUEUE}\n"
    "reps: [{id: U0ALICE, name: Alice}, {id: U0BO, name: Bo}]\n"
    "delivery: {post_per_channel: 50, post_burst: 10}\n"
)
LEADS = 8


@pytest.fixture
def slow_slack() -> Iterator[FakeSlack]:
    """Slack takes each post at once and answers a second later: a process killed meanwhile
    has posted cards it never recorded."""
    with FakeSlack(latency=1.0) as fake:
        yield fake


def _posts_by_row(fake: FakeSlack) -> Counter[object]:
    return Counter(
        (c.args.get("metadata") or {}).get("event_payload", {}).get("outbox_id")
        for c in fake.calls("chat.postMessage")
        if c.ok
    )


@pytest.mark.postgres
def test_a_killed_instances_cards_go_out_from_the_other_once(
    tmp_path: Path, slow_slack: FakeSlack, postgres_url: str
) -> None:
    url = _fresh_postgres(postgres_url)
    env = {"DATABASE_URL": url}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    engine = create_engine(url)
    leased = (
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.locked_by.isnot(None))
    )
    try:
        with (
            served(tmp_path / "b", slow_slack, CONFIG, env) as survivor,
            served(tmp_path / "a", slow_slack, CONFIG, env) as doomed,
        ):
            for n in range(LEADS):
                doomed.post_lead({"name": f"Dana {n}", "external_id": f"two-{n}"})
            with engine.connect() as connection:  # the doomed one's calls are in flight
                wait_until(lambda: connection.scalar(leased) == LEADS, "the cards leased")
            wait_until(lambda: len(slow_slack.calls("chat.postMessage")) >= 1, "a post sent")
            for pid in doomed.children():
                os.kill(pid, signal.SIGKILL)
            doomed.process.kill()
            doomed.process.wait()
            wait_until(
                lambda: set(_posts_by_row(slow_slack)) >= set(range(1, LEADS + 1)),
                "every card posted",
            )
            with engine.connect() as connection:
                wait_until(
                    lambda: (
                        connection.scalar(
                            select(func.count()).where(OutboxMessage.status == "pending")
                        )
                        == 0
                    ),
                    "every row recorded",
                )
            log = survivor.stderr()
    finally:
        engine.dispose()
    assert "lost its database session and stopped beating" in log
    assert max(_posts_by_row(slow_slack).values()) == 1  # found in history, not posted again
    assert len(slow_slack.calls("conversations.history")) >= 1
