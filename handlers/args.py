"""Parsing `/leads` arguments: precise messages that say which word is wrong and why.

`/leads stats [today|week|month] [@rep|#source]` takes words in any order, at most one of each;
`/leads stats templates [today|week|month]` ranks the outreach templates (a month by default;
the team's numbers, so no @rep or #source).
With `should_escape: true` Slack sends a user as `<@U0ALICE|alice>` (or `<@U0ALICE>`) and a
channel as `<#C0123|webform>`; people may also type `@Alice` (a configured name, any case) or a
plain `#webform`.

`/leads away [until]` takes one time, optionally after the word `until`: a duration, `tomorrow`, a
weekday or an ISO date (see `parse_away`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from blocks.mrkdwn import escape, escape_truncated, unescape, user
from bot.config.schema import Config, Person
from bot.durations import parse_duration
from bot.hours import TOMORROW_MORNING, WEEKDAYS
from bot.leads.availability import (
    MAX_AWAY_DURATION,
    AwayChoice,
    NextWeekday,
    OnDate,
    Tomorrow,
)
from bot.review.report import DEFAULT_PERIOD, PERIODS
from bot.review.template_report import DEFAULT_TEMPLATE_PERIOD

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
    return SnoozeArgs(parse_lead_ref(words[0]), _until(words[1], SNOOZE_USAGE))


AWAY_USAGE = (
    "usage: `/leads away [until]`: a duration (`2h`), `tomorrow`, a weekday (`friday`) or a date "
    "(`2026-12-01`), mornings at 9:00 your time; with none, until `/leads back`"
)
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_NUMBERS: dict[str, int] = {
    name: number for names in (WEEKDAYS, _DAY_NAMES) for number, name in enumerate(names)
}
# ASCII digits only: `\d` would let "２０２６-１２-０１" through to int() as a date.
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def parse_away(words: list[str]) -> AwayChoice | None:
    """None: away until `/leads back`; else a duration, tomorrow, a weekday or a date, with an
    optional leading `until`. Only the form is checked here: whether a date is still ahead
    depends on the rep's today (bot/leads/availability.py decides)."""
    if words and words[0].lower() == "until":
        if len(words) == 1:
            raise CommandError(
                f"{_shown(words[0])} needs a time after it, e.g. `/leads away until friday` "
                f"({AWAY_USAGE})"
            )
        words = words[1:]
    if not words:
        return None
    if len(words) > 1:
        raise CommandError(
            f"{_shown(words[1])}: give one time only (you already gave {_shown(words[0])}) "
            f"({AWAY_USAGE})"
        )
    return _away_choice(words[0])


def _away_choice(word: str) -> AwayChoice:
    lowered = word.lower()
    if lowered == TOMORROW_MORNING:
        return Tomorrow()
    if lowered in _WEEKDAY_NUMBERS:
        return NextWeekday(_WEEKDAY_NUMBERS[lowered])
    if parts := _ISO_DATE.fullmatch(word):
        return OnDate(_real_date(word, *(int(part) for part in parts.groups())))
    try:
        length = parse_duration(lowered)
    except ValueError:
        raise CommandError(
            f"{_shown(word)} is not a duration, a weekday or a date ({AWAY_USAGE})"
        ) from None
    except OverflowError:  # more seconds than a timedelta holds: far more than a year anyway
        length = MAX_AWAY_DURATION + timedelta(days=1)
    if length > MAX_AWAY_DURATION:
        raise CommandError(
            f"{_shown(word)} is more than a year: give at most 365d, or just `/leads away` "
            "(until `/leads back`)"
        )
    return length


def _real_date(word: str, year: int, month: int, day: int) -> date:
    """The date `word` names, or a refusal saying which part cannot be."""
    if year < 1:
        raise CommandError(f"{_shown(word)} is not a date: years start at 0001")
    if not 1 <= month <= 12:
        raise CommandError(f"{_shown(word)} is not a date: months go from 01 to 12")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise CommandError(
            f"{_shown(word)} is not a date: {calendar.month_name[month]} {year} has days "
            f"01 to {days}"
        )
    return date(year, month, day)


def _until(word: str, usage: str) -> str:
    """A duration ("90m") or "tomorrow", lower-cased; the refusal says why and how to use it."""
    choice = word.lower()
    if choice != "tomorrow":
        try:
            length = parse_duration(choice)
        except ValueError as err:
            raise CommandError(f"{err} ({usage})") from None
        except OverflowError:  # more seconds than a timedelta holds
            length = MAX_AWAY_DURATION + timedelta(days=1)
        if length > MAX_AWAY_DURATION:  # `now + length` would overflow a datetime
            raise CommandError(f"{_shown(word)} is more than a year: give at most 365d ({usage})")
    return choice


# -- /leads stats -----------------------------------------------------------------------------
MAX_SOURCE = 64  # Lead.source
_TOKEN = re.compile(r"<[^>]*>|\S+")  # a `<…>` mention stays one word even with spaces inside
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#C[A-Z0-9]+(?:\|([^>]*))?>")


TEMPLATES = "templates"


@dataclass(frozen=True)
class StatsArgs:
    period: str = DEFAULT_PERIOD
    rep: str | None = None  # a user id
    source: str | None = None
    templates: bool = False  # `/leads stats templates`: the outreach template ranking


def parse_stats(words: list[str], config: Config) -> StatsArgs:
    found: dict[str, tuple[str, str]] = {}  # kind -> (value, the word as typed)
    for word in _TOKEN.findall(" ".join(words)):
        kind, value = _classify(word, config)
        if kind in found:
            raise CommandError(
                f"{_shown(word)}: give at most one {kind} (you also gave {_shown(found[kind][1])})"
            )
        found[kind] = (value, word)
    templates = "report" in found
    if templates:
        for kind in ("@rep", "#source"):
            if kind in found:
                raise CommandError(
                    f"{_shown(found[kind][1])}: templates are ranked over the whole team's "
                    f"touches, with no {kind}; use `/leads stats templates [today|week|month]`"
                )
    default = DEFAULT_TEMPLATE_PERIOD if templates else DEFAULT_PERIOD
    return StatsArgs(
        period=found["period"][0] if "period" in found else default,
        rep=found["@rep"][0] if "@rep" in found else None,
        source=found["#source"][0] if "#source" in found else None,
        templates=templates,
    )


def _classify(word: str, config: Config) -> tuple[str, str]:
    if word.lower() in PERIODS:
        return "period", word.lower()
    if word.lower() == TEMPLATES:
        return "report", TEMPLATES
    if user := _USER.fullmatch(word):
        return "@rep", user.group(1)
    if channel := _CHANNEL.fullmatch(word):
        if not channel.group(1):
            raise CommandError(
                "Slack sent that channel without its name: type the source, e.g. #website"
            )
        return "#source", _source(word, channel.group(1))
    if word.startswith("#"):
        return "#source", _source(word, unescape(word[1:]))
    if word.startswith("@"):
        return "@rep", _person_named(word, config)
    raise CommandError(_not_understood(word, config))


def _source(word: str, name: str) -> str:
    if not name:
        raise CommandError(
            f"{_shown(word)}: no source name in it; type the source after #, e.g. #website"
        )
    if len(name) > MAX_SOURCE:
        raise CommandError(f"{_shown(word)} is not a source: names have at most {MAX_SOURCE} chars")
    return name


def _people(config: Config) -> list[Person]:
    return [*config.reps, *(m for m in config.managers if m.name and not config.rep(m.id))]


def _person_named(word: str, config: Config) -> str:
    wanted = _squash(word[1:])
    people = _people(config)
    exact = [p for p in people if p.id.casefold() == wanted or _squash(p.name or "") == wanted]
    first = [p for p in people if p.name and _squash(p.name.split()[0]) == wanted]
    matches = exact or first
    if len(matches) == 1:
        return matches[0].id
    if matches:
        names = " and ".join(escape(p.name or p.id) for p in matches[:2])
        raise CommandError(f"{_shown(word)} could be {names}: mention the one you mean with @")
    raise CommandError(
        f"{_shown(word)} is not a rep in leadbot.yml: use one of {_rep_names(config)}, "
        "or mention them with @"
    )


def _not_understood(word: str, config: Config) -> str:
    hint = ""
    if _person_named_quietly("@" + word, config):
        hint = f" (did you mean {_shown('@' + word)}?)"
    return (
        f"{_shown(word)} is not a period, a @rep or a #source{hint}: use today, week or month, "
        f"a @rep such as @{_first_rep(config)}, or a #source such as #website "
        "(`/leads stats templates` ranks the outreach templates)"
    )


def _person_named_quietly(word: str, config: Config) -> bool:
    try:
        _person_named(word, config)
    except CommandError:
        return False
    return True


def _rep_names(config: Config) -> str:
    names = [escape(r.name) for r in config.reps]
    shown = ", ".join(names[:10])
    return shown + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def _first_rep(config: Config) -> str:
    return escape(config.reps[0].name.split()[0]) if config.reps else "Alice"


def _squash(text: str) -> str:
    return "".join(text.split()).casefold()


def _shown(word: str) -> str:
    """The word as the user typed it, made safe for mrkdwn (Slack already escaped it once)."""
    if mention := _USER.fullmatch(word):
        return user(mention.group(1))
    if channel := _CHANNEL.fullmatch(word):
        word = "#" + (channel.group(1) or "")
    return f"'{escape_truncated(unescape(word), 40)}'"
