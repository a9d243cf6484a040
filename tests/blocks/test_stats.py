"""The `/leads stats` blocks (blocks/stats.py): inside Slack's limits however many reps there
are, and every lead-supplied string escaped."""

from __future__ import annotations

import json

from blocks.stats import SECTION_LIMIT, stats_blocks, stats_text
from tests.review.test_report import report_of


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
