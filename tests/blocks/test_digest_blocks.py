"""The digest's Block Kit (blocks/digest.py): within Slack's limits however big the team."""

from __future__ import annotations

from datetime import UTC, datetime

from blocks.digest import digest_blocks
from bot.review.digest_report import Digest, Standing, Week
from bot.review.followup_report import NO_FOLLOWUP
from bot.review.report import Period

PERIOD = Period("week", datetime(2026, 2, 23, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC),
                "UTC", "Feb 23 – Mar 1")  # fmt: skip
WEEK = Week(PERIOD, 10, 60.0, 600.0, 120.0, 1)


def board(you: int | None) -> Digest:
    standings = tuple(Standing(f"Rep <{i}>", 3, 60.0 * i, i == you) for i in range(1, 101))
    return Digest("the team", (WEEK,) * 4, (), NO_FOLLOWUP, (), (), standings, "UTC")


def leaderboard_text(digest: Digest) -> str:
    texts = [b.to_dict().get("text", {}).get("text", "") for b in digest_blocks(digest)]
    return next(t for t in texts if t.startswith("*Leaderboard*"))


def test_a_hundred_reps_show_the_first_ten_and_your_own_place() -> None:
    text = leaderboard_text(board(you=57))
    lines = text.splitlines()
    assert lines[1] == "1. Rep &lt;1&gt;: 1m median claim, 3 leads"
    assert lines[10].startswith("10. ") and lines[11] == "…"
    assert lines[12] == "57. *Rep &lt;57&gt;* (you): 57m median claim, 3 leads"
    assert len(text) < 3000
    assert leaderboard_text(board(you=None)).endswith("… and 90 more")
