"""The `/leads stats templates` blocks (blocks/template_stats.py) and the follow-up table of
`/leads stats` (blocks/stats.py): counts with every rate, "–" where nothing divides, template
names escaped, and inside Slack's limits however many templates or reps there are."""

from __future__ import annotations

import json
from dataclasses import replace

from blocks.stats import SECTION_LIMIT, stats_blocks
from blocks.template_stats import rate, template_stats_blocks, template_stats_text
from bot.review.followup_report import FollowUp
from bot.review.report import period_window
from bot.review.template_report import TemplateReport, TemplateStats
from tests.review.test_report import NEW_YORK, NOW, report_of

MONTH = period_window("month", NOW, NEW_YORK)


def texts(blocks: list[object]) -> list[str]:
    dicts = [block.to_dict() for block in blocks]  # type: ignore[attr-defined]  # validates
    assert len(dicts) <= 50
    found = [d["text"]["text"] for d in dicts if d["type"] == "section"]
    assert max(len(text) for text in found) <= SECTION_LIMIT
    return found


def test_rates_come_with_their_counts() -> None:
    assert rate(3, 24) == "3 of 24 · 12.5%"
    assert rate(1234, 5678) == "1,234 of 5,678 · 21.7%"
    assert rate(0, 0) == "–"


def test_ranked_then_not_enough_uses_and_names_escaped() -> None:
    report = TemplateReport(
        MONTH,
        ranked=(TemplateStats("value", 24, 3, 1), TemplateStats("<!channel> & co", 10, 0, 0)),
        pending=(TemplateStats("breakup", 4, 1, 0),),
        min_uses=10,
    )
    found = texts(template_stats_blocks(report))
    assert "*38 uses* of 3 templates" in found[0]
    assert "  1  value" + " " * 24 + "3 of 24 · 12.5%" + " " * 6 + "1 of 24 · 4.2%\n" in found[1]
    assert "&lt;!channel&gt; &amp; co" in found[1] and "<!channel>" not in json.dumps(found)
    assert "breakup                   not enough uses yet (4/10)" in found[2]
    assert template_stats_text(report).endswith("best reply rate value (3 of 24 · 12.5%).")
    only_pending = replace(report, ranked=())
    assert template_stats_text(only_pending) == (
        "Outreach templates, in the last 30 days (Feb 2 – Mar 4): 4 uses, no template has 10 "
        "uses yet."
    )


def test_four_thousand_templates_fit_in_50_blocks() -> None:
    many = tuple(TemplateStats(f"t&{n:04}-" + "x" * 60, 100, n % 100, n % 7) for n in range(4000))
    report = TemplateReport(MONTH, many[:2400], many[2400:], 10)
    dicts = [block.to_dict() for block in template_stats_blocks(report)]
    assert len(dicts) <= 50
    counted = [d for d in dicts if d["type"] == "context" and "more rows" in json.dumps(d)]
    assert len(counted) == 2  # each table says how many rows it could not show
    assert all(len(d["text"]["text"]) <= SECTION_LIMIT for d in dicts if d["type"] == "section")


def test_the_follow_up_table_shows_a_dash_where_nothing_divides() -> None:
    report = report_of({"U0ALICE": [(30.0, 90.0, False)], "U0CHEN": []})
    alice = FollowUp(tasks=4, on_time=3, leads=2, touches_mean=2.5, touches_median=2,
                     claimed=3, single_touch=1)  # fmt: skip
    rows = (replace(report.rows[0], followup=alice), report.rows[1])
    report = replace(report, rows=rows, followup=alice)
    found = texts(stats_blocks(report))
    followup = next(text for text in found if "*Follow-up by rep*" in text)
    assert "tasks done on time *3 of 4 · 75%* · touches per lead *2.5* (median 2)" in followup
    lines = {line.split()[0]: line.split()[1:] for line in followup.split("\n")[3:-1]}
    assert lines["U0ALICE"] == ["3", "of", "4", "·", "75%", "2.5", "2", "1", "of", "3", "·", "33%"]
    assert lines["U0CHEN"] == ["–", "–", "–", "–"]
    assert "Leads" not in followup  # that word marks the speed-to-lead table


def test_two_thousand_reps_with_follow_up_still_fit() -> None:
    report = report_of({f"Rep & {n:04}": [(60.0 * n, None, False)] for n in range(2000)})
    some = FollowUp(tasks=1, on_time=1, leads=1, touches_mean=1.0, touches_median=1)
    report = replace(
        report, rows=tuple(replace(row, followup=some) for row in report.rows), followup=some
    )
    found = texts(stats_blocks(report))
    assert any("*By rep*" in text for text in found)
    assert any("*Follow-up by rep*" in text for text in found)
