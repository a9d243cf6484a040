"""`/leads stats` through real Bolt dispatch, on SQLite and PostgreSQL: what a manager and a rep
see, the rep and source filters, "today" in the caller's time zone, and kind answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.clock import FixedClock
from storage.models import Lead
from tests.fakes.harness import Harness

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday; 10:00 in New York, 23:00 in Singapore

# (received before NOW, source, claimed by, claim after, first contact after); posted oldest first,
# so round robin offers them to Alice, Bo, Chen, Alice, Bo, Chen.
M, H = timedelta(minutes=1), timedelta(hours=1)
LEADS = [
    (timedelta(days=10), "partner", "U0ALICE", 1 * M, None),  # 1: a month ago, not this week
    (timedelta(days=3), "website", "U0BO", 2 * H, 3 * H),  # 2: claimed after its 1 h SLA
    (timedelta(days=2), "website", "U0ALICE", 3 * M, 20 * M),  # 3
    (19 * H, "webinar", "U0CHEN", timedelta(seconds=30), None),  # 4: today only in Singapore
    (10 * H, "webinar", None, None, None),  # 5: Bo's, unclaimed past its SLA; New York's midnight
    (5 * M, "website", None, None, None),  # 6: Chen's, arrived 5 minutes ago
]


@pytest.fixture
def clock_start() -> datetime:
    """The command is asked at NOW; `seed` posts LEADS before it."""
    return NOW


def set_first_contact(bot: Harness, lead_id: int, after: timedelta) -> None:
    """Stands in for "Log contact" (built separately): the columns it sets."""
    with bot.app.services.db.write() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        session.execute(
            update(Lead)
            .where(Lead.id == lead_id)
            .values(
                first_contact_at=lead.received_at + after,
                first_contact_wait_seconds=after.total_seconds(),
            )
        )


def seed(bot: Harness, clock: FixedClock) -> None:
    for lead_id, (ago, source, claimer, claim_after, contact_after) in enumerate(LEADS, 1):
        clock.set(NOW - ago)
        status, body = bot.post_lead(
            {"external_id": f"s-{lead_id}", "source": source, "name": f"Lead {lead_id}"}
        )
        assert (status, body["id"]) == (201, lead_id)
        if claimer is not None:
            clock.set(NOW - ago + claim_after)
            assert bot.app.services.leads.claim(lead_id, claimer).ok
        if contact_after is not None:
            set_first_contact(bot, lead_id, contact_after)
    clock.set(NOW)


@pytest.fixture
def seeded(timed_bot: Harness, clock: FixedClock) -> Harness:
    """The bot with LEADS posted and claimed at their times, and the clock back at NOW."""
    seed(timed_bot, clock)
    with timed_bot.app.services.db.read() as session:
        owners = [lead.owner_id for lead in session.query(Lead).order_by(Lead.id)]
    assert owners == ["U0ALICE", "U0BO", "U0ALICE", "U0CHEN", "U0BO", "U0CHEN"]
    return timed_bot


def ask(bot: Harness, text: str, user_id: str) -> dict[str, Any]:
    before = len(bot.fake.calls("response_url"))
    status, _ = bot.command(f"stats {text}".strip(), user_id)
    assert status == 200
    answer = bot.fake.wait_for("response_url", count=before + 1)[-1]
    assert not answer.problems, answer.problems
    return answer.args


def table(answer: dict[str, Any]) -> dict[str, list[str]]:
    """The rep table's rows, by first word: {"Alice": ["1", "3m", ...], "Team": [...]}."""
    rows: dict[str, list[str]] = {}
    for block in answer.get("blocks", []):
        text = block.get("text", {}).get("text", "")
        if "Leads" in text and "```" in text:
            for line in text.split("```")[1].strip().splitlines()[1:]:
                rows[line.split()[0]] = line.split()[1:]
    return rows


def test_a_manager_sees_every_rep_and_the_team_total(seeded: Harness) -> None:
    answer = ask(seeded, "", "U0MAYA")  # week by default
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == (
        "Speed to lead, in the last 7 days (Feb 25 – Mar 4): 5 leads, time to claim median 3m, "
        "first contact median 20m, 2 SLA breaches."
    )
    everything = json.dumps(answer["blocks"], ensure_ascii=False)
    assert "*Last 7 days (Feb 25 – Mar 4)*, America/New_York time" in everything
    assert "*5 leads* · *2 SLA breaches (40%)*" in everything
    # Claims 30 s, 3 m, 2 h; contacts 20 m, 3 h; of 5 leads.
    assert answer["blocks"][2]["text"]["text"] == "\n".join(
        [
            "```",
            "                   Claim  First contact",
            "Done             3 (60%)        2 (40%)",
            "Median                3m            20m",
            "p90                   2h             3h",
            "Within 5 min         40%             0%",
            "Within 1 h           40%            20%",
            "Within 24 h          60%            40%",
            "Not yet              40%            60%",
            "```",
        ]
    )
    assert table(answer) == {
        # name: leads, claim median, p90, contact median, p90, not contacted, SLA breaches
        "Alice": ["1", "3m", "3m", "20m", "20m", "0%", "0"],
        "Bo": ["2", "2h", "2h", "3h", "3h", "50%", "2"],
        "Chen": ["2", "30s", "30s", "–", "–", "100%", "0"],
        "Team": ["total", "5", "3m", "2h", "20m", "3h", "60%", "2"],
    }


def test_a_rep_sees_their_own_row_and_the_team_total(seeded: Harness) -> None:
    assert table(ask(seeded, "week", "U0BO")) == {
        "Bo": ["2", "2h", "2h", "3h", "3h", "50%", "2"],
        "Team": ["total", "5", "3m", "2h", "20m", "3h", "60%", "2"],
    }
    assert table(ask(seeded, "<@U0BO|bo>", "U0BO"))["Bo"][0] == "2"  # themselves: fine


def test_a_rep_may_not_see_another_reps_numbers(seeded: Harness) -> None:
    answer = ask(seeded, "<@U0ALICE|alice> month", "U0BO")
    assert answer["text"] == (
        "Only managers can see another rep's numbers. "
        "`/leads stats month` shows yours next to the team's totals."
    )
    assert "blocks" not in answer


def test_rep_and_source_filters(seeded: Harness) -> None:
    alice = ask(seeded, "month @alice", "U0MAYA")
    assert alice["text"].startswith("Speed to lead, in the last 30 days (Feb 2 – Mar 4) for Alice:")
    assert table(alice) == {"Alice": ["2", "1m", "3m", "20m", "20m", "50%", "0"]}
    website = ask(seeded, "<#C0WEB|website>", "U0MAYA")
    assert website["text"].startswith("Speed to lead, in the last 7 days (Feb 25 – Mar 4) from")
    assert "Source: *#website*" in json.dumps(website["blocks"], ensure_ascii=False)
    rows = table(website)
    assert (rows["Alice"][0], rows["Bo"][0], rows["Chen"][0], rows["Team"][1]) == (
        "1",
        "1",
        "1",
        "3",
    )


def test_today_is_counted_in_the_callers_time_zone(seeded: Harness) -> None:
    # Maya (New York, 10:00): leads 5 and 6; Chen (Singapore, 23:00): leads 4, 5 and 6.
    assert table(ask(seeded, "today", "U0MAYA"))["Team"][1] == "2"
    chen = ask(seeded, "today", "U0CHEN")
    assert table(chen) == {
        "Chen": ["2", "30s", "30s", "–", "–", "100%", "0"],
        "Team": ["total", "3", "30s", "30s", "–", "–", "100%", "1"],
    }
    assert "Today (Wed Mar 4, since midnight)*, Asia/Singapore time" in json.dumps(
        chen["blocks"], ensure_ascii=False
    )


def test_an_empty_period_and_a_bad_word_are_answered_kindly(timed_bot: Harness) -> None:
    empty = ask(timed_bot, "today", "U0MAYA")
    assert empty["text"] == (
        "No leads arrived today (Wed Mar 4, since midnight) yet. "
        "`/leads stats month` looks further back."
    )
    assert len(empty["blocks"]) == 2
    assert ask(timed_bot, "#website month", "U0BO")["text"] == (
        "No leads arrived in the last 30 days (Feb 2 – Mar 4) from #website yet."
    )
    assert ask(timed_bot, "fortnight", "U0BO")["text"].startswith(
        "'fortnight' is not a period, a @rep or a #source: use today, week or month"
    )
