"""`/leads digest` through real Bolt dispatch, on SQLite and PostgreSQL: the weekly review of
the last complete week, the team's for a manager and a rep's own, worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.clock import FixedClock
from storage.models import Lead
from tests.fakes.harness import Harness

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday: the review is of Feb 23 – Mar 1
M, H = timedelta(minutes=1), timedelta(hours=1)
# (received, claim after, first contact after, outcome); round robin offers them to Alice, Bo,
# Chen, Alice. Each tier's SLA is 1 h (business hours always).
LEADS = [
    (datetime(2026, 2, 24, 14, tzinfo=UTC), 2 * M, 10 * M, "won"),  # Alice
    (datetime(2026, 2, 25, 14, tzinfo=UTC), 2 * H, 3 * H, None),  # Bo: claimed past the SLA
    (datetime(2026, 2, 26, 14, tzinfo=UTC), None, None, None),  # Chen: never claimed
    (datetime(2026, 2, 17, 14, tzinfo=UTC), 30 * M, None, None),  # Alice, the week before
]


@pytest.fixture
def clock_start() -> datetime:
    return LEADS[-1][0]


@pytest.fixture
def seeded(timed_bot: Harness, clock: FixedClock) -> Harness:
    for lead_id, (received, claim_after, contact_after, outcome) in enumerate(LEADS, 1):
        clock.set(received)
        lead = {"external_id": f"d-{lead_id}", "source": "website", "name": f"Lead {lead_id}",
                "company": "A&B <Co>"}  # fmt: skip
        status, body = timed_bot.post_lead(lead)
        assert status == 201
        if claim_after is not None:
            clock.set(received + claim_after)
            assert timed_bot.app.services.leads.claim(lead_id, body["owner"]).ok
        values: dict[str, Any] = {"outcome": outcome}
        if contact_after is not None:
            values |= {"first_contact_at": received + contact_after,
                       "first_contact_wait_seconds": contact_after.total_seconds()}  # fmt: skip
        with timed_bot.app.services.db.write() as session:
            session.execute(update(Lead).where(Lead.id == lead_id).values(**values))
    clock.set(datetime(2026, 2, 26, 15, tzinfo=UTC))
    leads = timed_bot.app.services.leads
    assert leads.snooze(3, "U0CHEN", NOW, reason="In a meeting").ok
    assert leads.snooze(3, "U0CHEN", NOW).ok  # from `/leads snooze`: no reason asked
    clock.set(NOW)
    return timed_bot


def digest(bot: Harness, user_id: str) -> tuple[str, str]:
    before = len(bot.fake.calls("response_url"))
    status, _ = bot.command("digest", user_id)
    assert status == 200
    answer = bot.fake.wait_for("response_url", count=before + 1)[-1]
    assert not answer.problems, answer.problems
    blocks = answer.args["blocks"]
    return answer.args["text"], "\n".join(
        json.dumps(b.get("text") or b.get("elements"), ensure_ascii=False) for b in blocks
    )


def test_a_manager_reads_the_teams_week(seeded: Harness) -> None:
    text, body = digest(seeded, "U0MAYA")
    assert text == "📊 Week of Feb 23 – Mar 1 for the team: 3 leads, median claim 2m"
    # Claims 2 min and 2 h: the nearest-rank median is 2 min; last week's one lead took 30 min.
    # Two breaches of three leads: 33 % within the SLA.
    assert "3 leads · median claim *2m* (faster ⬇ from 30m) · p90 2h" in body
    assert "*33%* within SLA (last week 100%)" in body
    # The worst: lead 3, never claimed, waited from Feb 26 14:00 to the week's end (Mar 2
    # 05:00 UTC); then lead 2, claimed after 2 h.
    assert "*SLA breaches*: 2; the worst:" in body
    worst = body.index("Lead 3 · A&amp;B &lt;Co&gt; #3: 3d 15h, still unclaimed · <@U0CHEN>")
    assert worst < body.index("Lead 2 · A&amp;B &lt;Co&gt; #2: 2h · <@U0BO>")
    assert "5 min – 1 h 1 of 1 · 100%" in body and "never 0 of 1 · 0%" in body
    assert "1. Alice: 2m median claim, 1 leads" in body and "2. Bo: 2h median claim" in body
    assert "*Snoozes*: 2 · In a meeting 1 · no reason given 1" in body


def test_a_rep_reads_their_own_week_and_an_anonymised_board(
    seeded: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = seeded.app.services.config
    anonymised = config.model_copy(update={"digest": config.digest.model_copy(
        update={"leaderboard": "anonymised"})})  # fmt: skip
    monkeypatch.setattr(seeded.app.services.digests, "config", anonymised)
    text, body = digest(seeded, "U0BO")
    assert text == "📊 Week of Feb 23 – Mar 1 for Bo: 1 leads, median claim 2h"
    assert "*0%* within SLA" in body and "no week before to compare" in body
    assert "Alice" not in body
    assert "1. Rep 1: 2m median claim" in body and "2. *Bo* (you): 2h median claim" in body


def test_an_empty_week_says_so_in_one_line(timed_bot: Harness) -> None:
    text, body = digest(timed_bot, "U0MAYA")
    assert text == "📊 Week of Feb 9 – Feb 15: no leads and no follow-up for the team."
    assert body.count("\n") == 1  # the header and that line
