"""Human durations for config and messages: ``"90s"``, ``"15m"``, ``"1h30m"``, ``"1d 2h"``.

Durations in ``leadbot.yml`` always carry a unit: a bare ``10`` is rejected because readers
cannot tell whether it means seconds or minutes, and an SLA off by a factor of 60 is silent.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator

__all__ = ["Duration", "format_duration", "parse_duration"]

_UNIT_SECONDS: dict[str, int] = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_UNIT_ORDER = "dhms"
_HINT = "use a number and a unit s, m, h or d, e.g. 90s, 15m, 1h30m"

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_WHOLE = re.compile(rf"(?:{_NUMBER}\s*[dhms]\s*)+")
_PART = re.compile(rf"({_NUMBER})\s*([dhms])\s*")
_BARE_NUMBER = re.compile(rf"[+-]?{_NUMBER}")


def parse_duration(text: str) -> timedelta:
    """Parse ``"1h30m"``-style text; raise ``ValueError`` saying what is wrong and how to fix it."""
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"empty duration: {_HINT}")
    if _BARE_NUMBER.fullmatch(stripped):
        raise ValueError(
            f"{text!r} is not a duration: add a unit s, m, h or d, e.g. {stripped}s or {stripped}m"
        )
    if stripped.startswith("-") and _WHOLE.fullmatch(stripped[1:].lstrip()):
        example = stripped[1:].lstrip()
        raise ValueError(f"{text!r} is not a duration: it must not be negative, e.g. {example}")
    if not _WHOLE.fullmatch(stripped):
        raise ValueError(f"{text!r} is not a duration: {_HINT}")
    return _sum_parts(text, stripped)


def _sum_parts(text: str, stripped: str) -> timedelta:
    total = timedelta(0)
    previous = -1
    for match in _PART.finditer(stripped):
        number, unit = match.group(1), match.group(2)
        rank = _UNIT_ORDER.index(unit)
        if rank == previous:
            raise ValueError(
                f"{text!r} is not a duration: unit {unit!r} appears twice; "
                "write each unit once, e.g. 1h30m"
            )
        if rank < previous:
            raise ValueError(f"{text!r} is not a duration: write units largest first, e.g. 1h30m")
        previous = rank
        total += timedelta(seconds=float(number) * _UNIT_SECONDS[unit])
    return total


def format_duration(td: timedelta) -> str:
    """Format for people: the two most significant units, e.g. ``"3m 12s"``, ``"1d 3h"``.

    The smaller unit is dropped when it is zero (``"2h"``, not ``"2h 0m"``); anything below the
    second unit is truncated, never rounded up, so "2h 59m" is never shown as "3h" too early.
    """
    sign = "-" if td < timedelta(0) else ""
    magnitude = abs(td)
    if magnitude < timedelta(seconds=1):
        shown = f"{round(magnitude.total_seconds(), 3):g}s"
        return "0s" if shown == "0s" else sign + shown
    seconds = magnitude // timedelta(seconds=1)
    for position, unit in enumerate(_UNIT_ORDER):
        size = _UNIT_SECONDS[unit]
        if seconds < size:
            continue
        parts = [f"{seconds // size}{unit}"]
        if position + 1 < len(_UNIT_ORDER):
            small_unit = _UNIT_ORDER[position + 1]
            small = seconds % size // _UNIT_SECONDS[small_unit]
            if small:
                parts.append(f"{small}{small_unit}")
        return sign + " ".join(parts)
    raise AssertionError("unreachable: magnitude >= 1s always matches the 's' unit")


def _coerce_duration(value: object) -> timedelta:
    # Numbers are refused on purpose (see the module docstring); timedelta passes through so code
    # can build models with real values.
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_duration(str(value))
    raise ValueError(f"expected a duration such as 90s, 15m or 1h30m, got {type(value).__name__}")


Duration = Annotated[timedelta, BeforeValidator(_coerce_duration)]
"""A ``timedelta`` field that reads ``"15m"``-style strings in pydantic models."""


def format_seconds(seconds: float | None, none: str = "–") -> str:
    """`format_duration` of a number of seconds (rounded to the second, never below zero), or
    `none` when there is nothing to show: the audit's and the dashboard's cells."""
    if seconds is None:
        return none
    return format_duration(timedelta(seconds=round(max(seconds, 0.0))))
