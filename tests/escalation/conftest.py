"""Shared by the escalation tests: a lead to receive, and one tick of the virtual clock."""

from __future__ import annotations

from datetime import datetime

from bot.clock import FixedClock
from bot.leads.input import LeadIn, parse_lead
from tests.fakes.harness import Harness


def lead(n: int, **extra: object) -> LeadIn:
    data = {"external_id": f"q-{n}", "name": f"Lead {n}", "company": "Acme", **extra}
    return parse_lead(data, ["hot", "warm", "cold"])


def tick(bot: Harness, clock: FixedClock, moment: datetime) -> None:
    bot.settle()
    clock.set(moment)
    bot.app.services.escalator.sweep()
    # Rows held until a moment the virtual clock just jumped to (quiet hours) are due now; a
    # real dispatcher sleeps until then, this one would wait out its idle timer.
    bot.app.services.dispatcher.wake()
    bot.settle()
