"""Which column of an export holds which field: a preset per CRM, then `--map field=COLUMN`.

The presets name the columns of each vendor's standard export (see tests/review/exports/ for a
file shaped like each). A preset lists, per field, the headers that may hold it, first match
wins; anything it does not find can be mapped by hand. Header matching ignores case and
surrounding blanks, since exports re-saved from spreadsheets drift in both.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

# The fields the audit reads. Only `created` is required; the rest widen the report.
FIELDS: dict[str, str] = {
    "id": "the record id, shown for the worst cases",
    "created": "when the lead arrived (required)",
    "assigned": "when an owner was assigned (HubSpot's response time counts from it)",
    "first_touch": "the first outreach: the moment response time ends",
    "response_time": "the CRM's own response time from assignment: milliseconds or HH:mm:ss",
    "last_activity": "the last activity: the first touch when only one touch was made",
    "touches": "how many sales activities (calls, emails, meetings) the lead had",
    "owner": "the rep who owned it",
    "source": "where it came from",
    "status": "its status or stage, read for conversion (--won)",
    "converted": "when it converted (a date; any value counts as converted)",
}
REQUIRED = ("created",)

PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "hubspot": {
        "id": ("Record ID", "Contact ID"),
        "created": ("Create Date",),
        "assigned": ("Owner Assigned Date", "Contact owner assigned date"),
        "first_touch": ("First outreach date",),
        "response_time": (
            "Lead response time (HH:mm:ss)",
            "Lead response time",
            "Time to first engagement",
        ),
        "last_activity": ("Last Contacted", "Last Activity Date"),
        "touches": ("Number of Sales Activities", "Number of times contacted"),
        "owner": ("Contact owner",),
        "source": ("Original Source",),
        "status": ("Lifecycle Stage",),
        "converted": ("Became a Customer Date",),
    },
    "salesforce": {
        "id": ("Lead ID", "Lead Id"),
        "created": ("Create Date", "Created Date"),
        "first_touch": ("First Activity", "First Activity Date", "Activity Date"),
        "last_activity": ("Last Activity",),
        "owner": ("Lead Owner",),
        "source": ("Lead Source",),
        "status": ("Lead Status",),
        "converted": ("Converted Date", "Converted"),
    },
    "pipedrive": {
        "id": ("Lead - ID", "Deal - ID"),
        "created": ("Lead - Lead created", "Lead - Created", "Deal - Deal created"),
        "last_activity": (
            "Deal - Last activity date",
            "Lead - Last activity date",
            "Person - Last activity date",
        ),
        "touches": ("Deal - Done activities", "Person - Done activities"),
        "owner": ("Lead - Owner", "Deal - Owner", "Person - Owner"),
        "source": ("Lead - Source", "Deal - Source", "Lead - Source channel"),
        "status": ("Deal - Status", "Lead - Status"),
        "converted": ("Deal - Won time",),
    },
    "zoho": {
        "id": ("Record Id", "Lead Id"),
        "created": ("Created Time",),
        "first_touch": ("First Activity Time",),
        "last_activity": ("Last Activity Time",),
        "owner": ("Lead Owner",),
        "source": ("Lead Source",),
        "status": ("Lead Status",),
        "converted": ("Is Converted", "Converted Time"),
    },
    "leadbot": {
        "id": ("external_id", "id"),
        "created": ("received_at", "created_at"),
        "assigned": ("assigned_at",),
        "first_touch": ("first_contact_at",),
        "touches": ("touches",),
        "owner": ("owner",),
        "source": ("source",),
        "status": ("outcome", "status"),
    },
}
# Status values that count as converted unless --won says otherwise.
WON_BY_PRESET: dict[str, tuple[str, ...]] = {
    "hubspot": ("opportunity", "customer", "evangelist"),
    "salesforce": ("closed - converted", "converted", "qualified"),
    "pipedrive": ("won",),
    "zoho": ("converted", "qualified"),
    "leadbot": ("won", "meeting_booked"),
}


class MappingError(Exception):
    """The header and the options cannot be matched up: every problem, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, int]  # field -> column index
    names: dict[str, str]  # field -> the header as written in the file

    def has(self, field: str) -> bool:
        return field in self.columns


def _key(name: str) -> str:
    return " ".join(name.strip().casefold().split())


def parse_maps(items: Sequence[str]) -> dict[str, str]:
    """`--map field=COLUMN` items, checked: known field, a column named, each field once."""
    maps: dict[str, str] = {}
    problems: list[str] = []
    for item in items:
        field, sep, column = item.partition("=")
        field = field.strip()
        if not sep or not column.strip():
            problems.append(f"--map {item!r}: expected FIELD=COLUMN, e.g. created='Create Date'")
        elif field not in FIELDS:
            hint = difflib.get_close_matches(field, FIELDS, n=1)
            also = f" (did you mean {hint[0]!r}?)" if hint else ""
            problems.append(f"--map {item!r}: unknown field {field!r}{also}; fields: "
                            + ", ".join(FIELDS))  # fmt: skip
        elif field in maps:
            problems.append(f"--map {item!r}: {field!r} is mapped twice")
        else:
            maps[field] = column.strip()
    if problems:
        raise MappingError(problems)
    return maps


def resolve(header: Sequence[str], preset: str | None, maps: dict[str, str]) -> Mapping:
    """Each field's column: an explicit `--map` first, then the preset's candidates."""
    index = {}
    for position, name in enumerate(header):
        index.setdefault(_key(name), position)
    columns: dict[str, int] = {}
    problems: list[str] = []
    for field, column in maps.items():
        if _key(column) in index:
            columns[field] = index[_key(column)]
        else:
            problems.append(f"--map {field}={column!r}: no such column{_hint(column, header)}")
    for field, candidates in PRESETS.get(preset or "", {}).items():
        if field in columns or field in maps:
            continue
        found = next((index[_key(c)] for c in candidates if _key(c) in index), None)
        if found is not None:
            columns[field] = found
    for field in REQUIRED:
        if field not in columns and field not in maps:
            expected = PRESETS.get(preset or "", {}).get(field)
            looks = ", ".join(map(repr, expected or ()))
            named = f" (the {preset} preset looks for {looks})" if expected else ""
            problems.append(f"no column for {field!r}{named}: pass --map {field}=COLUMN")
    if problems:
        raise MappingError(problems)
    return Mapping(columns, {field: header[i].strip() for field, i in columns.items()})


def _hint(column: str, header: Sequence[str]) -> str:
    close = difflib.get_close_matches(column, [h.strip() for h in header], n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    shown = ", ".join(repr(h.strip()) for h in header[:12])
    return f"; the header has {shown}{' …' if len(header) > 12 else ''}"
