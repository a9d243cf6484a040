"""The export's date format, detected from its own values, and a fast parser for it.

CRMs write dates as their user's locale says: `2024-03-12 09:14` (HubSpot), `3/15/2024 2:30 PM`
(Salesforce, US), `15/03/2024 14:30` or `15.03.2024 14:30` (elsewhere), ISO with an offset
(APIs). A day/month order is decided by the values (a 13 or more in either place) across all the
date columns of one file, never guessed: when every value fits both orders the audit asks for
`--date-order`. Values without an offset are wall times in the CRM account's zone, so the audit
asks for `--tz` then. Parsers return POSIX seconds (UTC): a million rows are summed, not shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

Parse = Callable[[str], float]
ISO = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?)?"
                 r"\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?")  # fmt: skip
NUMERIC = re.compile(r"(\d{1,4})([/.-])(\d{1,2})\2(\d{2,4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
                     r"\s*([AaPp][Mm])?)?")  # fmt: skip
ORDERS = ("mdy", "dmy", "ymd")


class DateFormatError(Exception):
    """The export's dates cannot be read as they are: what to pass to read them."""


@dataclass(frozen=True)
class ColumnFormat:
    family: str  # "iso" or "numeric"
    separator: str  # numeric: "/", "." or "-"
    offset: bool  # ISO values carry their own offset


def classify(value: str) -> tuple[str, str, bool] | None:
    text = value.strip()
    if match := ISO.fullmatch(text):
        return "iso", "-", match.group(1) is not None
    if match := NUMERIC.fullmatch(text):
        return "numeric", match.group(2), False
    return None


def order_evidence(values: Iterable[str]) -> set[str]:
    """The orders these numeric dates rule in: `dmy` if a first part is over 12, and so on."""
    seen: set[str] = set()
    for value in values:
        match = NUMERIC.fullmatch(value.strip())
        if match is None:
            continue
        first, second = int(match.group(1)), int(match.group(3))
        if len(match.group(1)) == 4:
            seen.add("ymd")
        elif first > 12 and second <= 12:
            seen.add("dmy")
        elif second > 12 and first <= 12:
            seen.add("mdy")
        elif match.group(2) == ".":
            seen.add("dmy")  # 03.04.2024 is day first wherever dots are written
    return seen


def detect(
    samples: dict[str, Sequence[str]], order: str | None, tz: ZoneInfo | None
) -> tuple[dict[str, ColumnFormat], str]:
    """Each column's format and the file's day/month order, from sampled values (`samples`:
    header -> values); raise `DateFormatError` naming what to pass when they cannot be known."""
    formats: dict[str, ColumnFormat] = {}
    for column, values in samples.items():
        kinds = [k for k in map(classify, values) if k is not None]
        if not kinds:
            shown = next((v for v in values if v.strip()), "")
            raise DateFormatError(f"{column!r}: {shown!r} is not a date format the audit reads "
                                  "(e.g. 2024-03-12 09:14, 3/15/2024 2:30 PM, 15.03.2024 14:30, "
                                  "ISO 8601)")  # fmt: skip
        family, separator, _ = max(set(kinds), key=kinds.count)
        offset = all(k[2] for k in kinds if k[0] == family)
        formats[column] = ColumnFormat(family, separator, offset)
    order = order or _order(samples, formats)
    naive = [c for c, f in formats.items() if not f.offset]
    if naive and tz is None:
        raise DateFormatError(
            f"{', '.join(map(repr, naive))}: the dates carry no time zone; pass --tz with the "
            "CRM account's zone (e.g. --tz America/New_York)"
        )
    return formats, order


def _order(samples: dict[str, Sequence[str]], formats: dict[str, ColumnFormat]) -> str:
    numeric = [c for c, f in formats.items() if f.family == "numeric"]
    if not numeric:
        return "ymd"
    seen = order_evidence(v for c in numeric for v in samples[c])
    seen.discard("ymd")
    if len(seen) == 1:
        return seen.pop()
    example = next(v for c in numeric for v in samples[c] if NUMERIC.fullmatch(v.strip()))
    if seen:
        raise DateFormatError(f"{', '.join(map(repr, numeric))}: some dates are day first and "
                              f"some month first (e.g. {example!r}); pass --date-order mdy or "
                              "dmy, and rows in the other order are listed as bad")  # fmt: skip
    raise DateFormatError(
        f"{', '.join(map(repr, numeric))}: {example!r} could be month/day or day/month, and no "
        "value settles it; pass --date-order mdy (US) or --date-order dmy"
    )


def parser(fmt: ColumnFormat, order: str, tz: ZoneInfo | None, fold: int = 0) -> Parse:
    """`fold`: in the hour a zone repeats (clocks going back), 0 reads the first time round,
    1 the second; elsewhere both read the same."""
    if fmt.family == "iso":
        return remembered(_iso_parser(tz, fold))
    return remembered(_numeric_parser(order, tz, fold))


def remembered(parse: Parse, limit: int = 200_000) -> Parse:
    """The same text parses to the same instant: exports repeat their minutes (a year has
    525,600 of them and a big export several rows in each), so a bounded memo saves most
    of the zone arithmetic. Errors are not remembered: they raise again."""
    memo: dict[str, float] = {}

    def parse_once(value: str) -> float:
        seconds = memo.get(value)
        if seconds is None:
            if len(memo) >= limit:
                memo.clear()
            seconds = memo[value] = parse(value)
        return seconds

    return parse_once


def _iso_parser(tz: ZoneInfo | None, fold: int) -> Parse:
    def parse(value: str) -> float:
        text = value.strip()
        if text[-1:].isalpha():  # "… UTC", "…GMT" ("…Z" fromisoformat reads itself)
            for suffix in (" UTC", "UTC", " GMT", "GMT"):
                if text.endswith(suffix):
                    text = text[: -len(suffix)] + "+00:00"
                    break
        if "," in text:
            text = text.replace(",", ".")
        moment = datetime.fromisoformat(text)
        return _aware(moment, tz, fold).timestamp()

    return parse


def _numeric_parser(order: str, tz: ZoneInfo | None, fold: int) -> Parse:
    def parse(value: str) -> float:
        match = NUMERIC.fullmatch(value.strip())
        if match is None:
            raise ValueError(f"{value.strip()!r} is not in the file's date format")
        a, b, c = int(match.group(1)), int(match.group(3)), int(match.group(4))
        if len(match.group(1)) == 4:
            year, month, day = a, b, c
        else:
            month, day = (a, b) if order == "mdy" else (b, a)
            year = c + 2000 if c < 100 else c
        hour, minute = int(match.group(5) or 0), int(match.group(6) or 0)
        second = int(match.group(7) or 0)
        if meridiem := match.group(8):
            if not 1 <= hour <= 12:
                raise ValueError(f"{value.strip()!r}: hour {hour} with {meridiem}")
            hour = hour % 12 + (12 if meridiem.lower() == "pm" else 0)
        moment = datetime(year, month, day, hour, minute, second)
        return _aware(moment, tz, fold).timestamp()

    return parse


class NotInZone(ValueError):
    """A wall time the zone's clocks skipped: a CRM that converts from UTC never writes one,
    so the export is in another zone than --tz says, or the row was edited by hand."""


def _aware(moment: datetime, tz: ZoneInfo | None, fold: int = 0) -> datetime:
    if moment.tzinfo is not None:
        return moment
    if tz is None:
        raise ValueError("no time zone in the value and no --tz")
    local = moment.replace(tzinfo=tz, fold=fold)
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != moment:
        raise NotInZone(f"{moment:%Y-%m-%d %H:%M} never happened in {tz.key} (the clocks "
                        "went forward): is --tz the CRM's zone?")  # fmt: skip
    return local


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
