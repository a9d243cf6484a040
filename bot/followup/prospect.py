"""Which time zones a prospect may be in: their own `timezone`, else every zone of their country.

The country tables are the tz database's own (zone.tab, iso3166.tab), read once from the `tzdata`
package when it ships them (it is what zoneinfo falls back to), else from the system's copy. The
zones keep the table's order, so the first is the country's principal one (America/New_York for
US): a calling window that the zones of a wide country never share falls back to it.

Lead data comes from forms and CRMs: anything that is not a zone or a country we know (a typo, a
number, a path) means "we do not know", never an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

SYSTEM_TABLES = Path("/usr/share/zoneinfo")
# In the tz database but not a place: the server's own clock, and "local time unknown".
NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})
# What people type that iso3166.tab spells otherwise (its names are "United States",
# "Britain (UK)", "Korea (South)"); keys are normalised like the input (`_normal`).
ALIASES = {
    "usa": "US",
    "united states of america": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "south korea": "KR",
    "north korea": "KP",
    "czechia": "CZ",
    "türkiye": "TR",
    "uae": "AE",
    "holland": "NL",
}


def _table(name: str) -> Iterator[list[str]]:
    """The rows of a tz table, split on tabs, comments dropped; no rows if it cannot be read."""
    try:
        packaged = resources.files("tzdata") / "zoneinfo" / name
        text = packaged.read_text(encoding="utf-8")
    except (ImportError, OSError, ValueError):  # no tzdata package, or it lacks the table
        try:
            text = (SYSTEM_TABLES / name).read_text(encoding="utf-8")
        except (OSError, ValueError):
            return
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            yield line.split("\t")


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # KeyError: ZoneInfoNotFoundError
        return None


@cache
def _country_zones() -> dict[str, tuple[ZoneInfo, ...]]:
    """Country code -> its zones in table order. zone.tab, not zone1970.tab: the latter files
    Iceland under Africa/Abidjan and lists Europe/Zurich before Europe/Berlin for DE."""
    found: dict[str, list[ZoneInfo]] = {}
    for row in _table("zone.tab"):
        zone = _zone(row[2]) if len(row) >= 3 else None
        if zone is not None:
            found.setdefault(row[0].upper(), []).append(zone)
    return {code: tuple(zones) for code, zones in found.items()}


def _normal(text: str) -> str:
    # "U.S.", " united  states " and "United States" are the same country.
    return " ".join(text.replace(".", "").casefold().split())


@cache
def _country_codes() -> dict[str, str]:
    """Normalised code or English name (with or without its "(…)" part) -> country code."""
    codes: dict[str, str] = {}
    short: dict[str, set[str]] = {}
    for row in _table("iso3166.tab"):
        if len(row) < 2:
            continue
        code = row[0].upper()
        codes[_normal(code)] = code
        codes[_normal(row[1])] = code
        short.setdefault(_normal(re.sub(r"\(.*?\)", "", row[1])), set()).add(code)
    # "Britain (UK)" is also "Britain"; "Congo" (two of them) stays unknown.
    for name, owners in short.items():
        if len(owners) == 1:
            codes.setdefault(name, next(iter(owners)))
    for alias, code in ALIASES.items():
        codes.setdefault(alias, code)
    return codes


@cache
def _zone_names() -> frozenset[str]:
    # Membership, not just ZoneInfo(name): on a case-insensitive disk "america/chicago" would
    # load, and "zone.tab" or a path would reach the file system.
    return frozenset(available_timezones()) - NOT_PLACES


def _own_zone(timezone: object) -> ZoneInfo | None:
    if not isinstance(timezone, str) or timezone.strip() not in _zone_names():
        return None
    return _zone(timezone.strip())


def _country(country: object) -> tuple[ZoneInfo, ...]:
    if not isinstance(country, str):
        return ()
    code = _country_codes().get(_normal(country))
    return _country_zones().get(code, ()) if code else ()


def prospect_zones(
    timezone: str | None, country: str | None, fallback: ZoneInfo
) -> tuple[ZoneInfo, ...]:
    """The prospect's own zone, else every zone of their country, else `fallback`. Never raises:
    `timezone` and `country` are whatever the lead's data held."""
    own = _own_zone(timezone)
    if own is not None:
        return (own,)
    return _country(country) or (fallback,)


def calling_zone_label(zones: tuple[ZoneInfo, ...]) -> str:
    """For a card: "America/Chicago", "US (29 zones)", or the first zone and how many more."""
    if not zones:
        return ""
    if len(zones) == 1:
        return zones[0].key
    keys = [zone.key for zone in zones]
    for code, country in _country_zones().items():
        if [zone.key for zone in country] == keys:
            return f"{code} ({len(zones)} zones)"
    return f"{zones[0].key} and {len(zones) - 1} more"
