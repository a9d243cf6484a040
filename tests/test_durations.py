from datetime import timedelta

import pytest
from pydantic import BaseModel, ValidationError

from bot.durations import Duration, format_duration, parse_duration

HINT = "use a number and a unit s, m, h or d, e.g. 90s, 15m, 1h30m"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0s", timedelta(0)),
        ("0.5s", timedelta(milliseconds=500)),
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1.5h", timedelta(minutes=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d2h", timedelta(days=1, hours=2)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("  15 m ", timedelta(minutes=15)),
        ("120m", timedelta(hours=2)),
    ],
)
def test_parse_duration_valid(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", f"empty duration: {HINT}"),
        ("   ", f"empty duration: {HINT}"),
        ("10", "'10' is not a duration: add a unit s, m, h or d, e.g. 10s or 10m"),
        ("1.5", "'1.5' is not a duration: add a unit s, m, h or d, e.g. 1.5s or 1.5m"),
        ("5x", f"'5x' is not a duration: {HINT}"),
        ("2w", f"'2w' is not a duration: {HINT}"),
        ("m", f"'m' is not a duration: {HINT}"),
        ("1H", f"'1H' is not a duration: {HINT}"),
        ("-5m", "'-5m' is not a duration: it must not be negative, e.g. 5m"),
        (
            "1h1h",
            "'1h1h' is not a duration: unit 'h' appears twice; write each unit once, e.g. 1h30m",
        ),
        ("30m1h", "'30m1h' is not a duration: write units largest first, e.g. 1h30m"),
    ],
)
def test_parse_duration_invalid(text: str, message: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_duration(text)
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(milliseconds=500), "0.5s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=3, seconds=12), "3m 12s"),
        (timedelta(minutes=3, seconds=12, milliseconds=900), "3m 12s"),
        (timedelta(minutes=15), "15m"),
        (timedelta(hours=2, minutes=5, seconds=59), "2h 5m"),
        (timedelta(hours=2), "2h"),
        (timedelta(hours=2, seconds=30), "2h"),
        (timedelta(days=1, hours=3, minutes=20), "1d 3h"),
        (timedelta(days=400), "400d"),
        (-timedelta(minutes=3, seconds=12), "-3m 12s"),
        (-timedelta(milliseconds=250), "-0.25s"),
    ],
)
def test_format_duration(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


@pytest.mark.parametrize("text", ["45s", "3m 12s", "1d 3h", "15m"])
def test_format_then_parse_round_trips(text: str) -> None:
    assert format_duration(parse_duration(text)) == text


class _Model(BaseModel):
    wait: Duration


def test_duration_field_parses_strings_and_keeps_timedeltas() -> None:
    assert _Model.model_validate({"wait": "1h30m"}).wait == timedelta(minutes=90)
    assert _Model(wait=timedelta(seconds=7)).wait == timedelta(seconds=7)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10, "'10' is not a duration: add a unit s, m, h or d, e.g. 10s or 10m"),
        ("5x", f"'5x' is not a duration: {HINT}"),
        ([1], "expected a duration such as 90s, 15m or 1h30m, got list"),
        (True, "expected a duration such as 90s, 15m or 1h30m, got bool"),
    ],
)
def test_duration_field_rejects_with_clear_message(value: object, message: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        _Model.model_validate({"wait": value})
    (error,) = excinfo.value.errors()
    assert str(error["ctx"]["error"]) == message
