"""The one validation of a lead (bot/leads/input.py) on its own: the received_at window, read
against the clock the caller gives, and the JSON a lead never holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.leads.input import LeadInputError, decode_json, parse_lead

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TIERS = ["hot", "warm", "cold"]


def problems(data: object, **window: timedelta) -> list[dict[str, str]]:
    with pytest.raises(LeadInputError) as err:
        parse_lead(data, TIERS, now=NOW, **window)
    return err.value.problems


def test_received_at_within_the_window_is_kept() -> None:
    lead = parse_lead({"name": "Dana", "received_at": "2026-11-23T14:00:00+01:00"}, TIERS, now=NOW)
    assert lead.received_at == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("received_at", "window", "message"),
    [
        ("2026-11-21T15:00:00Z", {"max_age": timedelta(days=1)}, "older than 1d"),
        ("2026-11-23T15:10:00Z", {}, "is in the future"),
        ("2026-11-23T15:10:00Z", {"max_ahead": timedelta(minutes=5)}, "is in the future"),
        ("0001-01-01T00:00:00+14:00", {}, "older than 365d"),
        ("9999-12-31T23:59:59-14:00", {}, "is in the future"),
    ],
)
def test_received_at_outside_the_window_is_named(
    received_at: str, window: dict[str, timedelta], message: str
) -> None:
    [problem] = problems({"name": "Dana", "received_at": received_at}, **window)
    assert problem["field"] == "received_at" and message in problem["message"]


def test_the_window_follows_the_clock_given_not_the_wall_clock() -> None:
    """Time is injected: a virtual clock a year ahead takes a lead from its own yesterday."""
    later = NOW + timedelta(days=400)
    data = {"name": "Dana", "received_at": (later - timedelta(days=1)).isoformat()}
    assert parse_lead(data, TIERS, now=later).received_at == later - timedelta(days=1)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"n": -' + b"1" * 31 + b"}", "31 digits"),
        (b'{"n": Infinity}', "Infinity is not a number"),
        (b'{"n": -Infinity}', "-Infinity is not a number"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b'{"n": 1', "not valid JSON: Expecting ',' delimiter at line 1, column 8"),
    ],
)
def test_json_a_lead_never_holds_is_refused_with_a_reason(body: bytes, says: str) -> None:
    with pytest.raises(LeadInputError) as err:
        decode_json(body)
    [problem] = err.value.problems
    assert problem["field"] == "(body)" and says in problem["message"]


def test_ordinary_json_decodes() -> None:
    assert decode_json(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
