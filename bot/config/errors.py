"""What counts as wrong in ``leadbot.yml`` and how to say it: one ``path: message`` per problem.

The people editing ``leadbot.yml`` are sales ops, not Python developers: they need the YAML path
(``reps[2].timezone``) and a sentence, not pydantic's ``loc`` tuples, class names and doc URLs.
So the value checks used by the models raise plain sentences, and pydantic's own errors are
rewritten here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import typing
from collections.abc import Callable, Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

__all__ = [
    "CHANNEL_ID",
    "DAYS",
    "USER_ID",
    "ConfigError",
    "Loc",
    "Problem",
    "check_channel_id",
    "check_email",
    "check_quiet_hours",
    "check_time_zone",
    "check_user_id",
    "describe",
    "format_path",
    "one_of",
    "parse_clock",
    "problems_from",
    "to_clock_time",
    "to_date",
    "to_weekday",
]

Loc = tuple[int | str, ...]
_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, 0x85, 0x2028, 0x2029)}
Problem = tuple[Loc, str]
"""One error before formatting: where (a pydantic-style ``loc``) and what, in plain words."""


class ConfigError(Exception):
    """An invalid configuration; ``errors`` lists every problem found as ``"path: message"``,
    and ``lines`` the line of leadbot.yml each is on (None when not known, or not from a file)."""

    def __init__(
        self,
        errors: Sequence[str],
        source: str = "leadbot.yml",
        lines: Sequence[int | None] | None = None,
    ) -> None:
        self.errors: list[str] = list(errors)
        self.source = source
        self.lines: list[int | None] = list(lines or [None] * len(self.errors))
        # Every argument in args, so copies (pickle, copy.copy) rebuild the same error.
        super().__init__(self.errors, source, self.lines)

    def __str__(self) -> str:
        # A key may hold any character: a newline in one must not start a line of its own.
        return "\n".join(
            f"{self.source}: {error.translate(_CONTROL)}" + (f" (line {line})" if line else "")
            for error, line in zip(self.errors, self.lines, strict=True)
        )

    @classmethod
    def from_problems(
        cls,
        problems: Iterable[Problem],
        source: str,
        line_of: Callable[[Problem], int | None] | None = None,
    ) -> ConfigError:
        listed = list(problems)
        errors = [f"{format_path(loc)}: {msg}" if loc else msg for loc, msg in listed]
        lines = [line_of(problem) if line_of else None for problem in listed]
        return cls(errors, source, lines)


def one_of(values: Iterable[str]) -> str:
    """``'a', 'b' or 'c'``: the way pydantic lists the values a key accepts."""
    quoted = [repr(str(value)) for value in values]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def format_path(loc: Loc) -> str:
    """``("reps", 2, "timezone")`` -> ``"reps[2].timezone"``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def describe(value: object) -> str:
    """Say what a YAML value was, for "expected X, got Y" messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def problems_from(exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Rewrite every pydantic error of ``exc`` (validated against ``root``) in plain words."""
    return [(tuple(err["loc"]), _message(err, root)) for err in exc.errors()]


_EXPECTED = {
    "string_type": "expected text",
    "model_type": "expected a mapping",
    "dict_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "date_type": "expected a date like 2026-12-25",
    "date_parsing": "expected a date like 2026-12-25",
    "date_from_datetime_parsing": "expected a date like 2026-12-25",
    "date_from_datetime_inexact": "expected a date like 2026-12-25",
    "invalid_key": "keys must be text",
}


def _message(err: ErrorDetails, root: type[BaseModel]) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return _unknown_key(tuple(err["loc"]), root)
    if kind in ("too_short", "string_too_short") and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind in ("literal_error", "enum"):
        return f"expected {ctx.get('expected')}, got {describe(err['input'])}"
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}, got {describe(err['input'])}"
    return err["msg"]


def _unknown_key(loc: Loc, root: type[BaseModel]) -> str:
    key = str(loc[-1])
    model = _model_at(root, loc[:-1])
    known = list(model.model_fields) if model else []
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"unknown key (did you mean {close[0]!r}?)" if close else "unknown key"


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    # Follows field annotations down the path, so a new section gets key hints without any change
    # here; list indexes stay inside the same annotation (list[Rep] -> Rep).
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None
        model = _find_model(model.model_fields[part].annotation)
    return model


def _find_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    # Unwraps Optional, list[...] and Annotated[...]; get_args is empty for plain types.
    for arg in typing.get_args(annotation):
        found = _find_model(arg)
        if found is not None:
            return found
    return None


# --- Checks on single values (used as pydantic validators by bot.config) ---------------------

USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_user_id(value: str) -> str:
    if not USER_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a Slack user id: use a member id such as U0123ABCD")
    return value


def check_channel_id(value: str) -> str:
    if not CHANNEL_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a Slack channel id: use the id such as C0123ABCD "
            "(shown at the bottom of the channel's About tab), not the channel name"
        )
    return value


def check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


def check_email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def parse_clock(text: str) -> dt.time | None:
    """``"09:00"`` -> ``time(9, 0)``; ``None`` when the text is not HH:MM."""
    match = _CLOCK.fullmatch(text.strip())
    return dt.time(int(match.group(1)), int(match.group(2))) if match else None


def to_clock_time(value: object) -> dt.time:
    if isinstance(value, dt.time):
        return value
    # YAML 1.1 reads an unquoted 17:30 as the base-60 number 1050, so say how to fix it.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError('expected a time in quotes, like "17:30" (unquoted, YAML reads a number)')
    parsed = parse_clock(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(f'expected a time like "09:00" (HH:MM), got {describe(value)}')
    return parsed


def check_quiet_hours(value: str) -> str:
    start, _, end = (parse_clock(part) for part in value.partition("-"))
    if start is None or end is None:
        raise ValueError(f'expected a range like "20:00-08:00" (HH:MM-HH:MM), got {value!r}')
    if start == end:
        raise ValueError(f"{value!r} starts and ends at the same time")
    return value


def to_weekday(value: object) -> str:
    text = value.strip().lower() if isinstance(value, str) else None
    if text in _FULL_DAYS:
        return DAYS[_FULL_DAYS.index(text)]
    if text not in DAYS:
        shown = repr(value) if isinstance(value, str) else describe(value)
        raise ValueError(f"{shown} is not a day: use mon, tue, wed, thu, fri, sat or sun")
    return text


def to_date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date like 2026-12-25, got {describe(value)}")


def check_distinct(labels: list[str]) -> list[str]:
    """Labels a person picks from (lost reasons, snooze reasons): each once, whatever the case."""
    seen: set[str] = set()
    for label in labels:
        key = label.strip().casefold()
        if key in seen:
            raise ValueError(f"{label!r} is listed twice")
        seen.add(key)
    return labels
