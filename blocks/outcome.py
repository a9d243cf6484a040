"""How a closed lead ended, on its card; the card menu's Won / Lost; their modals. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from slack_sdk.models.blocks import (
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from blocks import ids
from blocks.mrkdwn import escape_truncated, literal_truncated
from bot.vocabulary import LeadOutcome

NOTE_LIMIT = 500  # what a closer's note may hold (the modal's max_length)


def amount_text(amount: Decimal, currency: str) -> str:
    """ "USD 12,500", or "USD 12,500.50" when it has cents."""
    whole = amount == amount.to_integral_value()
    return f"{currency} {amount:,.0f}" if whole else f"{currency} {amount:,.2f}"


def outcome_line(
    outcome: str | None,
    amount: Decimal | None,
    reason: str | None,
    note: str | None,
    currency: str,
) -> str | None:
    """ "🏆 Won · USD 12,500", "❌ Lost: Chose a competitor", each with the closer's note."""
    if outcome == LeadOutcome.WON:
        line = "🏆 Won" + (f" · {amount_text(amount, currency)}" if amount is not None else "")
    elif outcome == LeadOutcome.LOST:
        line = "❌ Lost" + (f": {escape_truncated(reason, 100)}" if reason else "")
    else:
        return None
    if note:
        line += f"\n> {escape_truncated(' '.join(note.split()), 300)}"
    return line


def outcome_options(lead_id: int) -> list[Option]:
    """The card menu's entries that close a claimed lead: "won:42", "lost:42"."""
    return [
        Option(value=f"won:{lead_id}", text="🏆 Won…"),
        Option(value=f"lost:{lead_id}", text="❌ Lost…"),
    ]


def _note_input() -> InputBlock:
    return InputBlock(
        block_id=ids.OUTCOME_NOTE_BLOCK,
        label="Note",
        optional=True,
        element=PlainTextInputElement(
            action_id=ids.OUTCOME_NOTE, multiline=True, max_length=NOTE_LIMIT
        ),
    )


def won_modal(lead_id: int, lead_name: str | None, currency: str) -> View:
    amount = InputBlock(
        block_id=ids.OUTCOME_AMOUNT_BLOCK,
        label=f"Amount ({currency})",
        element=NumberInputElement(
            action_id=ids.OUTCOME_AMOUNT, is_decimal_allowed=True, min_value="0"
        ),
    )
    return _closing_modal(ids.WON_MODAL, lead_id, lead_name, "🏆", "won", amount)


def lost_modal(lead_id: int, lead_name: str | None, reasons: Sequence[str]) -> View:
    # The reason itself is the value (60 characters at most, config says): an index would
    # name another reason if leadbot.yml changed while the modal was open.
    options = [Option(value=reason, text=literal_truncated(reason, 75)) for reason in reasons]
    why = InputBlock(
        block_id=ids.OUTCOME_REASON_BLOCK,
        label="Why",
        element=StaticSelectElement(
            action_id=ids.OUTCOME_REASON, placeholder="Pick a reason", options=options
        ),
    )
    return _closing_modal(ids.LOST_MODAL, lead_id, lead_name, "❌", "lost", why)


def _closing_modal(
    callback: str, lead_id: int, lead_name: str | None, icon: str, word: str, ask: InputBlock
) -> View:
    name = literal_truncated(lead_name or f"lead #{lead_id}", 200)
    intro = f"{icon} *{name}* is {word}: the lead closes and its follow-up ends."
    return View(
        type="modal",
        callback_id=callback,
        private_metadata=str(lead_id),
        title=f"Mark {word}",
        submit=f"Mark {word}",
        close="Cancel",
        blocks=[
            SectionBlock(text=intro),
            ask,
            _note_input(),
        ],
    )


_TALLY = (
    (LeadOutcome.WON, "🏆", "won"),
    (LeadOutcome.LOST, "❌", "lost"),
    (LeadOutcome.NOT_A_FIT, "🚫", "not a fit"),
    (LeadOutcome.MEETING_BOOKED, "📅", "meeting booked"),
    (LeadOutcome.REPLIED, "↩️", "replied"),
    (LeadOutcome.NO_RESPONSE, "🔕", "no response after the last step"),
    (LeadOutcome.STOPPED, "⏹", "follow-up stopped"),
)


def outcomes_text(counts: dict[str, int], won: Decimal, lost_reasons: Sequence[tuple[str, int]],
                  currency: str) -> str:  # fmt: skip
    """`/leads stats`: "*Outcomes*: 🏆 3 won (USD 42,000) · ❌ 2 lost (No budget 2) · …"."""
    parts = []
    for outcome, icon, label in _TALLY:
        n = counts.get(outcome, 0)
        if not n:
            continue
        part = f"{icon} {n:,} {label}"
        if outcome == LeadOutcome.WON:
            part += f" ({amount_text(won, currency)})"
        if outcome == LeadOutcome.LOST and lost_reasons:
            top = ", ".join(f"{escape_truncated(r, 60)} {k}" for r, k in lost_reasons[:3])
            part += f" ({top})"
        parts.append(part)
    return "*Outcomes*: " + " · ".join(parts)
