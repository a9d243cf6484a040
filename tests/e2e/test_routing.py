"""Routing rules through intake, and `leadbot route` answering exactly as intake would."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FixedClock
from bot.config.schema import Config
from bot.fakeslack.server import FakeSlack
from bot.tools.route import decide_all, read_leads
from storage.models import RepAway
from tests.conftest import MakeBot, make_config
from tests.fakes.concurrency import all_at_once

REPS = [
    {"id": "U0ANA", "name": "Ana", "timezone": "Europe/Berlin"},
    {"id": "U0BO", "name": "Bo", "timezone": "Europe/Berlin"},
    {"id": "U0CHEN", "name": "Chen", "timezone": "Asia/Singapore"},
]
TEAMS = {
    "emea": {
        "reps": ["U0ANA", "U0BO"],
        "strategy": "weighted",
        "weights": {"U0ANA": 2, "U0BO": 1},
        "daily_cap": 3,
    },
}
ROUTING = {
    "rules": [
        {
            "name": "EMEA",
            "when": {"field": "region", "in": ["EMEA"]},
            "pool": "emea",
            "fallback": [{"reps": ["U0CHEN"]}],
        },
    ]
}


def config() -> Config:
    return make_config(reps=REPS, teams=TEAMS, routing=ROUTING)


def leads(n: int, region: str = "EMEA") -> list[dict]:
    return [
        {"name": f"Lead {i}", "email": f"l{i}@{region.lower()}.test", "region": region}
        for i in range(n)
    ]


def test_rules_weights_caps_and_away_through_intake(make_bot: MakeBot) -> None:
    bot = make_bot(config())
    answers = [bot.post_lead(lead)[1] for lead in leads(4)]
    assert [a["owner"] for a in answers] == ["U0ANA", "U0BO", "U0ANA", "U0ANA"]
    assert answers[0]["reason"] == "EMEA rule · weighted round robin"
    # Ana is at her cap of 3 today; Bo takes the next two; then the rule's fallback.
    fifth, sixth, seventh = (bot.post_lead(lead)[1] for lead in leads(7)[4:])
    assert (fifth["owner"], sixth["owner"], seventh["owner"]) == ("U0BO", "U0BO", "U0CHEN")
    assert fifth["reason"] == "EMEA rule · weighted round robin · Ana skipped (cap 3/3)"
    assert seventh["reason"] == (
        "EMEA rule · fallback 1 · round robin · Ana skipped (cap 3/3), Bo skipped (cap 3/3)"
    )
    with bot.app.services.db.write() as session:
        session.add(RepAway(user_id="U0CHEN", since=datetime.now(UTC), until=None))
    others = [bot.post_lead(lead)[1] for lead in leads(3, region="NA")]
    assert [a["owner"] for a in others] == ["U0ANA", "U0BO", "U0ANA"]
    assert others[2]["reason"] == "default pool · round robin · Chen skipped (away)"
    card = bot.dm_card("U0ANA", others[2]["id"])
    assert "Routing: default pool · round robin · Chen skipped (away)" in json.dumps(
        card.args["blocks"], ensure_ascii=False
    )


def test_dry_run_matches_intake_and_stores_nothing(
    make_bot: MakeBot, sqlite_url: str, tmp_path: Path
) -> None:
    batch = leads(3) + leads(2, region="NA")
    source = tmp_path / "leads.json"
    source.write_text(json.dumps(batch))
    dry = decide_all(config(), sqlite_url, read_leads(str(source)))
    again = decide_all(config(), sqlite_url, read_leads(str(source)))
    assert dry == again  # nothing was stored by the first run
    bot = make_bot(config())
    real = [bot.post_lead(lead)[1] for lead in batch]
    assert [(d["owner"], d["reason"]) for d in dry] == [(r["owner"], r["reason"]) for r in real]


def test_a_dry_run_after_intake_moves_no_pointer(make_bot: MakeBot, database_url: str) -> None:
    """Intake on PostgreSQL moves pointers in a transaction of its own; a rehearsal must not."""
    batch = leads(2, region="NA")
    bot = make_bot(config(), url=database_url)
    before = [bot.post_lead(lead)[1]["owner"] for lead in batch]
    fresh = [("lead", {"name": f"New {i}", "region": "NA"}) for i in range(2)]
    dry = decide_all(config(), database_url, fresh)
    again = decide_all(config(), database_url, fresh)
    assert [d["owner"] for d in dry] == [d["owner"] for d in again] == ["U0CHEN", "U0ANA"]
    assert before == ["U0ANA", "U0BO"]


def test_concurrent_intake_never_overfills_a_daily_cap(
    make_bot: MakeBot, database_url: str
) -> None:
    """A capped pool keeps its pointer row locked until the lead commits (routing.router):
    overlapping intakes would otherwise both see a rep's last free slot."""
    bot = make_bot(config(), url=database_url)
    batch = leads(10)
    answers = all_at_once(len(batch), lambda i: bot.post_lead(batch[i]))
    assert [status for status, _ in answers] == [201] * 10
    owners = Counter(answer["owner"] for _, answer in answers)
    assert owners == {"U0ANA": 3, "U0BO": 3, "U0CHEN": 4}


def test_concurrent_intake_on_an_uncapped_pool_takes_turns(
    make_bot: MakeBot, database_url: str
) -> None:
    bot = make_bot(make_config(reps=REPS), url=database_url)
    batch = leads(30, region="NA")
    answers = all_at_once(len(batch), lambda i: bot.post_lead(batch[i]))
    assert [status for status, _ in answers] == [201] * 30
    owners = Counter(answer["owner"] for _, answer in answers)
    assert owners == {"U0ANA": 10, "U0BO": 10, "U0CHEN": 10}
    assert sorted(answer["id"] for _, answer in answers) == list(range(1, 31))


def test_owner_memory_by_domain_matches_the_domain_literally(make_bot: MakeBot) -> None:
    bot = make_bot(make_config(reps=REPS, routing={"match_owner_by": "domain"}))
    first = bot.post_lead({"name": "A", "email": "a@axb.test"})[1]["owner"]
    wildcard = bot.post_lead({"name": "B", "email": "b@a_b.test"})[1]["owner"]
    again = bot.post_lead({"name": "C", "email": "c@AXB.test"})[1]["owner"]
    assert first != wildcard  # "_" is a character of the domain, not "any character"
    assert again == first


def test_owner_memory_window(make_bot: MakeBot) -> None:
    short = make_config(reps=REPS, routing={"owner_memory": "0s"})
    bot = make_bot(short)
    first = bot.post_lead({"name": "A", "email": "same@x.test"})[1]
    second = bot.post_lead({"name": "B", "email": "same@x.test"})[1]
    assert first["owner"] != second["owner"]  # memory off: plain rotation
    assert timedelta(0) == short.routing.owner_memory


def test_away_and_back_commands_steer_routing(make_bot: MakeBot, fake_slack: FakeSlack) -> None:
    bot = make_bot(make_config(reps=REPS))
    replies: list[str] = []
    for text, user_id in [
        ("away", "U0ANA"),
        ("away someday", "U0BO"),
        ("away 2h", "U0BO"),
        ("away", "U0MAYA"),
    ]:
        bot.command(text, user_id)
        replies.append(fake_slack.wait_for("response_url", count=len(replies) + 1)[-1].args["text"])
    assert replies[0].startswith("🏝️ You are away: new leads go to your teammates")
    assert replies[1].startswith("'someday' is not a duration")
    assert replies[2].startswith("🏝️ You are away until ")
    assert replies[3] == "You are not a rep in leadbot.yml: no leads come to you."
    first = bot.post_lead({"name": "A", "email": "a@x.test"})[1]
    assert first["owner"] == "U0CHEN"
    assert first["reason"] == "default pool · round robin · Ana skipped (away), Bo skipped (away)"
    bot.command("back", "U0ANA")
    back = fake_slack.wait_for("response_url", count=5)[-1].args["text"]
    assert back == "👋 Welcome back: new leads come to you again."
    assert bot.post_lead({"name": "B", "email": "b@x.test"})[1]["owner"] == "U0ANA"


def test_ack_timeout_hands_an_unclaimed_lead_to_the_next_rep_once(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    clock = FixedClock(start)
    cfg = make_config(reps=REPS, routing={"ack_timeout": "15m"})
    bot = make_bot(cfg, clock=clock)
    lead = bot.post_lead({"name": "Dana", "email": "d@x.test"})[1]
    assert lead["owner"] == "U0ANA"
    bot.settle()
    clock.set(start + timedelta(minutes=15))
    assert bot.app.services.escalator.sweep().steps == 1
    bo_card = bot.dm_card("U0BO", 1)
    assert "reassigned after 15m without a claim" in json.dumps(bo_card.args["blocks"])
    ana_card = bot.dm_card("U0ANA", 1)
    bot.fake.wait_for(
        "chat.update",
        where=lambda c: (
            c.args["ts"] == ana_card.response["ts"]
            and "Reassigned to <@U0BO> after 15m without a claim" in json.dumps(c.args["blocks"])
        ),
    )
    bot.settle()
    clock.set(start + timedelta(minutes=29))
    assert bot.app.services.escalator.sweep().steps == 0  # once only: no second backup
    clock.set(start + timedelta(minutes=30))
    bot.app.services.escalator.sweep()
    bot.settle()
    reminder = [c for c in fake_slack.calls("chat.postMessage") if "👋" in c.args["text"]]
    assert reminder[0].args["text"].startswith("👋 <@U0BO>")  # the chain goes on with Bo


def test_away_dates_in_config_count_in_the_reps_own_day(make_bot: MakeBot) -> None:
    # 23:30 UTC on 23 November is already 24 November in Berlin, Ana's day off.
    clock = FixedClock(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    reps = [{**REPS[0], "away": [{"from": "2026-11-24", "to": "2026-11-25"}]}, *REPS[1:]]
    bot = make_bot(make_config(reps=reps), clock=clock)
    answer = bot.post_lead({"name": "Dana", "email": "d@x.test"})[1]
    assert answer["owner"] == "U0BO"
    assert answer["reason"] == "default pool · round robin · Ana skipped (away)"
