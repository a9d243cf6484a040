"""`/leads stats`: the maths, the period windows, the parser, the blocks, and the command through
real Bolt dispatch on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from blocks.stats import SECTION_LIMIT, stats_blocks, stats_text
from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack
from bot.review.report import (
    SHARED_QUEUE,
    RepRow,
    StatsReport,
    percentile,
    period_window,
    speed,
    summarize,
    visible_to,
)
from bot.review.stats import StatsService
from bot.vocabulary import LeadStatus
from handlers.args import CommandError, StatsArgs, parse_stats
from storage.db import Database
from storage.models import Lead
from tests.conftest import make_config, start_bot
from tests.fakes.harness import Harness

UTC_ZONE = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
SINGAPORE = ZoneInfo("Asia/Singapore")
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday; 10:00 in New York, 23:00 in Singapore


# -- percentiles and shares -----------------------------------------------------------------------
def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 11)]
    assert (percentile(values, 50), percentile(values, 90), percentile(values, 100)) == (5, 9, 10)
    assert percentile([7.0], 50) == percentile([7.0], 90) == 7
    assert percentile([1.0, 2.0], 50) == 1  # nearest rank: ceil(0.5 * 2) = the 1st value
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match=r"1\.\.100"):
        percentile(values, 0)


@given(st.lists(st.floats(0, 1e7), min_size=1), st.integers(1, 100))
def test_percentile_is_the_smallest_value_with_p_percent_at_or_below(
    values: list[float], p: int
) -> None:
    ordered = sorted(values)
    found = percentile(ordered, p)
    assert found in ordered
    assert 100 * sum(v <= found for v in ordered) >= p * len(ordered)
    assert 100 * sum(v < found for v in ordered) < p * len(ordered)


def test_shares_are_of_the_whole_cohort_and_limits_are_inclusive() -> None:
    waits = [60.0, 300.0, 301.0, 3600.0, 3601.0, 86400.0, 90000.0, None, None, None]
    result = speed(waits, len(waits))
    assert result.count == 7
    assert result.within == (0.2, 0.4, 0.6)  # ≤ 5 min, ≤ 1 h, ≤ 24 h
    assert result.never == pytest.approx(0.3)
    assert (result.median, result.p90) == (3600.0, 90000.0)  # ranks 4 and 7 of 7


def test_an_empty_cohort_has_no_median_and_no_shares() -> None:
    summary = summarize([])
    assert summary.leads == summary.breaches == summary.claim.count == 0
    assert (summary.claim.median, summary.contact.p90) == (None, None)
    assert summary.claim.within == (0.0, 0.0, 0.0) and summary.claim.never == 0.0


@given(
    st.lists(st.tuples(st.none() | st.floats(0, 1e6), st.none() | st.floats(0, 1e6), st.booleans()))
)
def test_summary_shares_add_up(times: list[tuple[float | None, float | None, bool]]) -> None:
    summary = summarize(times)
    assert summary.leads == len(times)
    assert summary.breaches == sum(t[2] for t in times)
    for measure in (summary.claim, summary.contact):
        assert list(measure.within) == sorted(measure.within)  # 5 min ⊆ 1 h ⊆ 24 h
        assert measure.within[-1] + measure.never <= 1 + 1e-9
        if times:
            assert measure.count == round((1 - measure.never) * len(times))
        if measure.count:
            assert measure.median is not None and measure.p90 is not None
            assert measure.median <= measure.p90


# -- periods --------------------------------------------------------------------------------------
def test_week_and_month_end_now_and_start_at_the_same_local_time() -> None:
    week = period_window("week", NOW, NEW_YORK)
    assert (week.start, week.end) == (NOW - timedelta(days=7), NOW)
    assert week.label == "Last 7 days (Feb 25 – Mar 4)"
    month = period_window("month", NOW, NEW_YORK)
    assert month.start == NOW - timedelta(days=30)
    assert month.label == "Last 30 days (Feb 2 – Mar 4)"
    across_new_year = period_window("month", datetime(2027, 1, 10, 12, tzinfo=UTC), UTC_ZONE)
    assert across_new_year.label == "Last 30 days (Dec 11, 2026 – Jan 10, 2027)"


def test_a_week_across_the_fall_back_is_seven_local_days_so_169_hours() -> None:
    # Thursday 5 Nov 2026 12:00 EST; a week earlier is Thursday 29 Oct 12:00 EDT.
    now = datetime(2026, 11, 5, 17, 0, tzinfo=UTC)
    week = period_window("week", now, NEW_YORK)
    assert week.start == datetime(2026, 10, 29, 16, 0, tzinfo=UTC)
    assert week.end - week.start == timedelta(hours=169)
    assert week.label == "Last 7 days (Oct 29 – Nov 5)"


def test_today_at_half_past_midnight_on_the_day_dst_ends() -> None:
    # 00:30 EDT on Sunday 1 Nov 2026: the day began 30 minutes ago, at 04:00 UTC.
    early = period_window("today", datetime(2026, 11, 1, 4, 30, tzinfo=UTC), NEW_YORK)
    assert early.start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    assert early.label == "Today (Sun Nov 1, since midnight)"
    # 01:30 EST, the second 01:30 of that day: still the same midnight, 2.5 hours ago.
    later = period_window("today", datetime(2026, 11, 1, 6, 30, tzinfo=UTC), NEW_YORK)
    assert later.start == early.start
    # On the day DST starts the day is 23 hours long: 03:30 EDT is 2.5 hours after midnight EST.
    spring = period_window("today", datetime(2026, 3, 8, 7, 30, tzinfo=UTC), NEW_YORK)
    assert spring.start == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)


def test_today_is_the_callers_own_date() -> None:
    # 15:00 UTC on 4 March is already 23:00 in Singapore but only 10:00 in New York.
    assert period_window("today", NOW, UTC_ZONE).start == datetime(2026, 3, 4, tzinfo=UTC)
    assert period_window("today", NOW, NEW_YORK).start == datetime(2026, 3, 4, 5, tzinfo=UTC)
    assert period_window("today", NOW, SINGAPORE).start == datetime(2026, 3, 3, 16, tzinfo=UTC)
    # One hour later Singapore has passed midnight: its "today" restarts at 16:00 UTC on the 4th.
    later = period_window("today", NOW + timedelta(hours=1), SINGAPORE)
    assert later.start == datetime(2026, 3, 4, 16, tzinfo=UTC)
    assert later.end == later.start  # exactly midnight: an empty window, not yesterday
    assert later.label == "Today (Thu Mar 5, since midnight)"


def test_today_where_midnight_does_not_exist() -> None:
    # Chile skips 00:00-01:00 on 6 Sep 2026: the day starts at 01:00 -03, i.e. 04:00 UTC.
    window = period_window(
        "today", datetime(2026, 9, 6, 12, tzinfo=UTC), ZoneInfo("America/Santiago")
    )
    assert window.start == datetime(2026, 9, 6, 4, tzinfo=UTC)


@given(
    st.datetimes(datetime(2000, 1, 2), datetime(2037, 12, 31), timezones=st.just(UTC)),
    st.timezones(),
)
def test_today_starts_at_the_first_instant_of_the_local_date(now: datetime, tz: ZoneInfo) -> None:
    window = period_window("today", now, tz)
    assert window.start <= window.end == now
    assert window.start.astimezone(tz).date() == now.astimezone(tz).date()
    assert (window.start - timedelta(seconds=1)).astimezone(tz).date() < now.astimezone(tz).date()


def test_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown period 'fortnight'"):
        period_window("fortnight", NOW, UTC_ZONE)


# -- parsing --------------------------------------------------------------------------------------
CONFIG = make_config()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", StatsArgs("week")),
        ("MONTH", StatsArgs("month")),
        ("<@U0BO|bo> today", StatsArgs("today", rep="U0BO")),
        ("today <@U0BO>", StatsArgs("today", rep="U0BO")),
        ("@alice", StatsArgs("week", rep="U0ALICE")),
        ("@CHEN month", StatsArgs("month", rep="U0CHEN")),
        ("#webform week", StatsArgs("week", source="webform")),
        ("<#C0123|webform>", StatsArgs("week", source="webform")),
        ("<#C0123|webform> <@U0BO|bo> today", StatsArgs("today", "U0BO", "webform")),
    ],
)
def test_parse_stats_accepts_words_in_any_order(text: str, expected: StatsArgs) -> None:
    assert parse_stats(text.split(), CONFIG) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "fortnight",
            "'fortnight' is not a period, a @rep or a #source: use today, week or month, a @rep "
            "such as @Alice, or a #source such as #website",
        ),
        ("alice", "'alice' is not a period, a @rep or a #source (did you mean '@alice'?): use"),
        ("week month", "'month': give at most one period (you also gave 'week')"),
        ("<@U0BO|bo> @alice", "'@alice': give at most one @rep (you also gave <@U0BO>)"),
        ("#web <#C1|partner>", "'#partner': give at most one #source (you also gave '#web')"),
        ("@zed", "'@zed' is not a rep in leadbot.yml: use one of Alice, Bo, Chen, or mention"),
        ("#", "'#': no source name in it; type the source after #, e.g. #website"),
        ("<!channel>", "'&lt;!channel&gt;' is not a period"),  # echoed, never a ping
    ],
)
def test_parse_stats_names_the_bad_word(text: str, message: str) -> None:
    with pytest.raises(CommandError) as err:
        parse_stats(text.split(), CONFIG)
    assert str(err.value).startswith(message)


def test_an_ambiguous_first_name_asks_for_a_mention() -> None:
    config = make_config(
        reps=[
            {"id": "U0ANA1", "name": "Ana Lima"},
            {"id": "U0ANA2", "name": "Ana Park"},
        ]
    )
    assert parse_stats(["@analima"], config).rep == "U0ANA1"
    with pytest.raises(CommandError, match="'@ana' could be Ana Lima and Ana Park: mention"):
        parse_stats(["@ana"], config)


# -- blocks ---------------------------------------------------------------------------------------
def report_of(rows: dict[str | None, list[tuple[float | None, float | None, bool]]]) -> StatsReport:
    period = period_window("week", NOW, NEW_YORK)
    reps = tuple(
        RepRow(owner, owner or SHARED_QUEUE, summarize(times)) for owner, times in rows.items()
    )
    everyone = [t for times in rows.values() for t in times]
    return StatsReport(period, summarize(everyone), reps, source="<!channel> & co")


def test_two_thousand_reps_fit_in_50_blocks_of_3000_characters() -> None:
    report = report_of({f"Rep & {n:04}": [(60.0 * n, None, n % 2 == 0)] for n in range(2000)})
    blocks = stats_blocks(report)
    dicts = [block.to_dict() for block in blocks]  # validates every block
    assert len(dicts) <= 50
    texts = [d["text"]["text"] for d in dicts if d["type"] == "section"]
    assert max(len(text) for text in texts) <= SECTION_LIMIT
    assert "Rep &amp; 0000" in texts[2] and "Rep & " not in json.dumps(dicts)
    assert dicts[-2]["elements"][0]["text"].endswith("more rows: too many for one message.")
    shown = sum(text.count("Rep &amp; ") for text in texts)
    hidden = int(dicts[-2]["elements"][0]["text"].split()[1])
    assert shown + hidden == 2001  # every rep and the team total, shown or counted


def test_lead_supplied_source_names_are_escaped() -> None:
    report = report_of({"U0ALICE": [(30.0, 90.0, False)]})
    everything = json.dumps([b.to_dict() for b in stats_blocks(report)]) + stats_text(report)
    assert "<!channel>" not in everything
    assert "#&lt;!channel&gt; &amp; co" in everything


def test_visible_to_keeps_a_reps_own_row_and_the_total() -> None:
    report = report_of({"U0ALICE": [(30.0, None, False)], "U0BO": [(60.0, None, True)]})
    mine = visible_to(report, "U0BO", sees_everyone=False)
    assert [row.owner_id for row in mine.rows] == ["U0BO"] and mine.total == report.total
    assert visible_to(report, "U0MAYA", sees_everyone=True) == report
    assert visible_to(report, "U0NOBODY", sees_everyone=False).rows == ()


# -- the query, on both databases -----------------------------------------------------------------
def add_lead(session: Any, received: datetime, **values: Any) -> None:
    defaults = {"source": "website", "tier": "warm", "status": LeadStatus.ASSIGNED}
    session.add(Lead(received_at=received, created_at=received, **(defaults | values)))


def test_sla_breaches_are_decided_in_sql(database_url: str) -> None:
    db = Database(database_url)
    db.upgrade()
    at, due, hour = NOW - timedelta(hours=5), NOW - timedelta(hours=4), timedelta(hours=1)
    claimed = {"status": LeadStatus.CLAIMED, "owner_id": "U0BO", "claim_wait_seconds": 60.0}
    with db.write() as session:
        # breached: marked by the sweep / claimed after the deadline / unclaimed past it
        add_lead(session, at, sla_due_at=due, sla_breached_at=due, **claimed, claimed_at=due)
        add_lead(session, at, sla_due_at=due, **claimed, claimed_at=due + hour)
        add_lead(session, at, sla_due_at=due, owner_id="U0BO")
        # not breached: due later / claimed in time / no deadline at all
        add_lead(session, at, sla_due_at=NOW + hour, owner_id="U0BO")
        add_lead(session, at, sla_due_at=due, **claimed, claimed_at=due - hour)
        add_lead(session, at, sla_due_at=None, owner_id=None, status=LeadStatus.QUEUED)
        add_lead(session, at, sla_due_at=None, **claimed, claimed_at=due)
        # outside the week, and arriving exactly now (the window is [start, now))
        add_lead(session, NOW - timedelta(days=8), sla_due_at=due, owner_id="U0BO")
        add_lead(session, NOW, sla_due_at=due, owner_id="U0BO")
    try:
        report = StatsService(db, CONFIG, FixedClock(NOW)).report(NEW_YORK, "week")
    finally:
        db.dispose()
    assert (report.total.leads, report.total.breaches, report.total.claim.count) == (7, 3, 4)
    rows = {row.name: (row.summary.leads, row.summary.breaches) for row in report.rows}
    assert rows == {"Alice": (0, 0), "Bo": (6, 3), "Chen": (0, 0), SHARED_QUEUE: (1, 0)}


# -- the command, end to end ----------------------------------------------------------------------
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
def stats_bot(fake_slack: FakeSlack, database_url: str) -> Iterator[Harness]:
    bot = start_bot(fake_slack, database_url, make_config(), clock=FixedClock(NOW))
    yield bot
    bot.app.stop()


@pytest.fixture
def seeded(stats_bot: Harness) -> Harness:
    clock = stats_bot.app.services.clock
    assert isinstance(clock, FixedClock)
    seed(stats_bot, clock)
    with stats_bot.app.services.db.read() as session:
        owners = [lead.owner_id for lead in session.query(Lead).order_by(Lead.id)]
    assert owners == ["U0ALICE", "U0BO", "U0ALICE", "U0CHEN", "U0BO", "U0CHEN"]
    return stats_bot


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


def test_an_empty_period_and_a_bad_word_are_answered_kindly(stats_bot: Harness) -> None:
    empty = ask(stats_bot, "today", "U0MAYA")
    assert empty["text"] == (
        "No leads arrived today (Wed Mar 4, since midnight) yet. "
        "`/leads stats month` looks further back."
    )
    assert len(empty["blocks"]) == 2
    assert ask(stats_bot, "#website month", "U0BO")["text"] == (
        "No leads arrived in the last 30 days (Feb 2 – Mar 4) from #website yet."
    )
    assert ask(stats_bot, "fortnight", "U0BO")["text"].startswith(
        "'fortnight' is not a period, a @rep or a #source: use today, week or month"
    )
