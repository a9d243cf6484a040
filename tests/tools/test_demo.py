"""`leadbot demo` shows the whole flow on embedded defaults."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from rich.console import Console

from bot.tools.demo import run_demo

# The demo starts its virtual clock at the wall clock's time, so its story must hold at any hour.
# Pinned here: a working morning, and an evening (Berlin 19:00, Alice's time) after which the
# escalation's four hours end past the prospect's calling window, so Day 1's call is not due
# until the next morning. A run on CI one evening failed there before the demo learnt to wait.
MORNING = datetime.fromisoformat("2026-11-25T09:00:00+00:00")
EVENING = datetime.fromisoformat("2026-11-25T18:00:00+00:00")


@pytest.mark.parametrize("start", [MORNING, EVENING], ids=["morning", "evening"])
def test_demo_walks_through_intake_cards_and_claim(start: datetime) -> None:
    out = io.StringIO()
    assert run_demo(console=Console(file=out, width=100, color_system=None), start=start) == 0
    text = out.getvalue()
    assert text.count("HTTP 201") == 3
    for rep in ("Alice's DM", "Bo's DM", "Chen's DM"):
        assert rep in text
    assert "[ Claim ]  [ Log contact… ▾ ]  [ Snooze ]  [ Pass ]" in text
    # The hostile sample name is shown as text, never as a mention.
    assert "Luis Ortega <!channel>" in text and "@channel" not in text
    assert text.count("✅ Claimed by @Alice after 3m 12s") == 3  # both copies, then after contact
    assert "Only Bo sees: Lead #1 is already claimed by @Alice." in text
    # The virtual clock moves on: nudges, then the manager and the queue.
    assert text.count("👋 @Bo, *Luis Ortega <!channel>*") == 1
    assert "#2 has waited 2h, past" in text
    assert "#3 has waited 2h. Please claim" in text
    assert text.count("Maya's DM") == 2 and text.count("#C0QUEUE") == 2
    assert "manager @Maya told" in text
    # Alice logs the first contact; Maya's weekly review starts from /leads stats week.
    assert "📞 First contact after 3m 12s, @Alice · 📅 Meeting booked" in text
    assert "10. Maya types /leads stats week" in text
    assert "*3 leads* · *1 SLA breach (33%)*" in text
    # The follow-up: Day 1's task card with the intro written for Jonas, her "no answer", the
    # next morning's agenda, and the Day 2 card that knows what was tried.
    assert "Day 1 of 6 · ✉️ Email + 📞 Call" in text and ">Hi Jonas," in text
    assert "✅ Done: 📞 Call: no answer by @Alice" in text
    assert "🗓 Your follow-ups for" in text
    assert "Day 2 of 6 · ✉️ Email" in text and "📞 Call: no answer (`intro`)" in text
    assert "15. Maya types /leads stats templates" in text
    assert "intro                     not enough uses yet (1/10)" in text
    moved = "(Not due yet: the virtual clock moves to Thu 09:00, its due time.)" in text
    assert moved == (start == EVENING)
