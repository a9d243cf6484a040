"""What a rep can log after reaching out to a lead. The keys are stored and sent on the wire
(the card's Log contact menu): never rename one."""

from __future__ import annotations

CONTACT_OUTCOMES: dict[str, str] = {
    "call": "📞 Call",
    "email": "✉️ Email",
    "linkedin": "💼 LinkedIn",
    "meeting": "📅 Meeting booked",
    "not_a_fit": "🚫 Not a fit",
}
# Logging this closes the lead: there is nothing left to follow up.
CLOSING_OUTCOMES = frozenset({"not_a_fit"})


def outcome_label(key: str | None) -> str:
    return CONTACT_OUTCOMES.get(key or "", key or "")
