"""Which zones a prospect may be in: their own zone, else their country's, else the fallback."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.followup.prospect import calling_zone_label, prospect_zones

BERLIN = ZoneInfo("Europe/Berlin")


def keys(zones: tuple[ZoneInfo, ...]) -> list[str]:
    return [zone.key for zone in zones]


@pytest.mark.parametrize("name", ["America/Chicago", "Asia/Kathmandu", "UTC", " Asia/Tokyo "])
def test_a_known_zone_wins_over_the_country(name: str) -> None:
    assert keys(prospect_zones(name, "DE", BERLIN)) == [name.strip()]


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "/etc/passwd",
        "america/chicago",  # IANA's spelling only: a case-insensitive disk must not decide
        "America/Chicago/..",
        "zone.tab",
        "localtime",  # the server's clock, not the prospect's
        "Factory",
        "Mars/Olympus",
        "",
        "a\x00b",
    ],
)
def test_anything_else_as_a_zone_falls_through_to_the_country(name: str) -> None:
    assert keys(prospect_zones(name, "DE", BERLIN)) == ["Europe/Berlin", "Europe/Busingen"]


@pytest.mark.parametrize(
    "country", ["US", "us", "Us", "United States", "united states", "USA", "U.S.", "u.s.a."]
)
def test_a_country_is_every_zone_of_it_principal_first(country: str) -> None:
    zones = keys(prospect_zones(None, country, BERLIN))
    assert zones[0] == "America/New_York"
    assert {"America/Chicago", "America/Los_Angeles", "Pacific/Honolulu"} <= set(zones)
    assert len(zones) == len(set(zones)) > 20


@pytest.mark.parametrize(
    ("country", "first"),
    [
        ("DE", "Europe/Berlin"),
        ("Germany", "Europe/Berlin"),
        ("germany", "Europe/Berlin"),
        ("UK", "Europe/London"),
        ("United Kingdom", "Europe/London"),
        ("Britain", "Europe/London"),  # iso3166.tab's "Britain (UK)" without its "(UK)"
        ("gb", "Europe/London"),
        ("IS", "Atlantic/Reykjavik"),  # zone.tab, not zone1970.tab's Africa/Abidjan
        ("RU", "Europe/Kaliningrad"),
        ("Russia", "Europe/Kaliningrad"),
        ("South Korea", "Asia/Seoul"),
        ("Korea (South)", "Asia/Seoul"),
    ],
)
def test_countries_by_code_or_name(country: str, first: str) -> None:
    assert keys(prospect_zones(None, country, BERLIN))[0] == first


@pytest.mark.parametrize(
    ("timezone", "country"),
    [(None, None), ("", ""), ("nowhere", "Atlantis"), (None, "Congo"), (None, "XX"), (None, "EU")],
)
def test_unknown_is_the_fallback(timezone: str | None, country: str | None) -> None:
    assert prospect_zones(timezone, country, BERLIN) == (BERLIN,)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)


@given(timezone=st.text() | JSON, country=st.text() | JSON)
def test_never_raises(timezone: object, country: object) -> None:
    # Lead fields are whatever a form or a CRM sent, not always text.
    zones = prospect_zones(timezone, country, BERLIN)  # type: ignore[arg-type]
    assert zones and all(isinstance(zone, ZoneInfo) for zone in zones)


def test_labels() -> None:
    assert calling_zone_label((ZoneInfo("America/Chicago"),)) == "America/Chicago"
    us = prospect_zones(None, "US", BERLIN)
    assert calling_zone_label(us) == f"US ({len(us)} zones)"
    pair = (ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles"))
    assert calling_zone_label(pair) == "America/New_York and 1 more"
    assert calling_zone_label(()) == ""
