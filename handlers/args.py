"""Parsing `/leads` arguments: precise messages that say which word is wrong and why."""

from __future__ import annotations

from dataclasses import dataclass

from bot.durations import parse_duration

SNOOZE_USAGE = "usage: `/leads snooze <lead> <duration>`, e.g. `/leads snooze 42 1h` or `tomorrow`"


class CommandError(ValueError):
    """Shown to the user as is (ephemeral)."""


@dataclass(frozen=True)
class SnoozeArgs:
    lead_id: int
    choice: str  # a duration ("90m") or "tomorrow"


def parse_lead_ref(word: str) -> int:
    digits = word.removeprefix("#")
    if not digits.isdigit() or int(digits) == 0:
        raise CommandError(
            f"'{word[:40]}' is not a lead number: use the number on the card, e.g. 42"
        )
    return int(digits)


def parse_snooze(words: list[str]) -> SnoozeArgs:
    if len(words) != 2:
        raise CommandError(SNOOZE_USAGE)
    lead_id = parse_lead_ref(words[0])
    choice = words[1].lower()
    if choice != "tomorrow":
        try:
            parse_duration(choice)
        except ValueError as err:
            raise CommandError(f"{err} ({SNOOZE_USAGE})") from None
    return SnoozeArgs(lead_id, choice)


AWAY_USAGE = (
    "usage: `/leads away [until]`, e.g. `/leads away`, `/leads away 2h` or `/leads away tomorrow`"
)


def parse_away(words: list[str]) -> str | None:
    """None: away until `/leads back`; else a duration or "tomorrow" (9:00 your time)."""
    if not words:
        return None
    if len(words) > 1:
        raise CommandError(AWAY_USAGE)
    choice = words[0].lower()
    if choice != "tomorrow":
        try:
            parse_duration(choice)
        except ValueError as err:
            raise CommandError(f"{err} ({AWAY_USAGE})") from None
    return choice
