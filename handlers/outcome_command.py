"""`/leads won <lead> <amount> [note]` and `/leads lost <lead> <reason> [note]`: the card menu's
Won… and Lost…, for a lead whose card is far up the conversation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from blocks.outcome import NOTE_LIMIT, amount_text
from bot.leads.closing import Closing, parse_amount
from bot.vocabulary import LeadOutcome
from handlers.args import CommandError, parse_lead_ref
from handlers.context import SlashCommand

WON_USAGE = "usage: `/leads won <lead> <amount> [note]`, e.g. `/leads won 42 12500 annual plan`"
LOST_USAGE = "usage: `/leads lost <lead> <reason> [note]`, e.g. `/leads lost 42 no budget`"


@dataclass(frozen=True)
class OutcomeArgs:
    lead_id: int
    closing: Closing


def _note(words: list[str]) -> str | None:
    return " ".join(words)[:NOTE_LIMIT] or None


def parse_won(words: list[str]) -> OutcomeArgs:
    if len(words) < 2:
        raise CommandError(WON_USAGE)
    amount = parse_amount(words[1])
    if isinstance(amount, str):
        raise CommandError(f"{amount} ({WON_USAGE})")
    closing = Closing(LeadOutcome.WON, amount=amount, note=_note(words[2:]))
    return OutcomeArgs(parse_lead_ref(words[0]), closing)


def parse_lost(words: list[str], reasons: list[str]) -> OutcomeArgs:
    """The words after the lead must begin with one of `reasons` (any case); the rest is the
    note. The longest reason that fits wins ("no decision / went dark" over "no")."""
    if len(words) < 2:
        raise CommandError(f"{LOST_USAGE}. Reasons: {_listed(reasons)}")
    typed = [word.casefold() for word in words[1:]]
    for reason in sorted(reasons, key=lambda r: -len(r.split())):
        size = len(reason.split())
        if typed[:size] == reason.casefold().split():
            closing = Closing(LeadOutcome.LOST, reason=reason, note=_note(words[1 + size :]))
            return OutcomeArgs(parse_lead_ref(words[0]), closing)
    raise CommandError(f"Start the reason with one of: {_listed(reasons)}.")


def _listed(reasons: list[str]) -> str:
    return ", ".join(f"`{reason}`" for reason in reasons)


def won(cmd: SlashCommand) -> None:
    try:
        args = parse_won(cmd.words)
    except CommandError as err:
        cmd.answer(str(err))
        return
    outcome = cmd.services.closing.close(args.lead_id, cmd.user_id, args.closing)
    amount = args.closing.amount or Decimal(0)
    currency = cmd.services.config.followup.currency
    done = f"🏆 Lead #{args.lead_id} is won: {amount_text(amount, currency)}."
    cmd.answer(done if outcome.ok else outcome.message)


def lost(cmd: SlashCommand) -> None:
    try:
        args = parse_lost(cmd.words, cmd.services.config.followup.lost_reasons)
    except CommandError as err:
        cmd.answer(str(err))
        return
    outcome = cmd.services.closing.close(args.lead_id, cmd.user_id, args.closing)
    done = f"❌ Lead #{args.lead_id} is lost: {args.closing.reason}."
    cmd.answer(done if outcome.ok else outcome.message)
