"""The values an outreach template sees: `lead`, `owner` and `cadence`, built from plain values
(never from the ORM row, so previews, `leadbot templates check` and tests build them the same way).

A value that is unknown is left out of its mapping rather than set to None or "": only a missing
key is Undefined to Jinja, and only Undefined takes `| default("there")`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_KEEP_IN_TEXT = frozenset("\n\t")


@dataclass(frozen=True)
class OutreachContext:
    """What one render sees; `label` names it in `leadbot templates check` warnings."""

    lead: Mapping[str, Any]
    owner: Mapping[str, Any] = field(default_factory=dict)
    cadence: Mapping[str, Any] = field(default_factory=dict)
    label: str = "lead"


def _clean(value: object, *, multiline: bool = False) -> str | None:
    """Text without control characters (an email is plain text; a NUL or an escape code in it
    is junk), one line unless `multiline`; None when nothing is left."""
    if value is None:
        return None
    text = "".join(
        char
        for char in str(value)
        if char in _KEEP_IN_TEXT or unicodedata.category(char) not in ("Cc", "Cs")
    )
    if not multiline:
        text = " ".join(text.split())
    return text.strip() or None


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """(first, last): the first word, and the rest as one ("Ana María López" -> "Ana",
    "María López"). Forms put family names last far more often than not, and guessing which
    words of a multi-word name belong together is worse than this. A name that is an email
    address (a form's name field filled with one) gives neither."""
    cleaned = _clean(name)
    if cleaned is None or "@" in cleaned or not any(char.isalpha() for char in cleaned):
        return None, None
    first, _, last = cleaned.partition(" ")
    return first, last or None


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def lead_values(
    *,
    id: int | None = None,  # shadows the builtin: the template variable is `lead.id`
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    company: str | None = None,
    product: str | None = None,
    message: str | None = None,
    country: str | None = None,
    region: str | None = None,
    source: str | None = None,
    fields: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The `lead` mapping: text cleaned, unknown values left out, the name split in two."""
    first, last = split_name(name)
    values = {
        "id": id,
        "name": _clean(name),
        "first_name": first,
        "last_name": last,
        "email": _clean(email),
        "phone": _clean(phone),
        "company": _clean(company),
        "product": _clean(product),
        "message": _clean(message, multiline=True),
        "country": _clean(country),
        "region": _clean(region),
        "source": _clean(source),
    }
    kept = _present(values)
    # Custom form fields keep their JSON types; a blank one is unknown like any other value.
    kept["fields"] = {
        str(key): value
        for key, value in (fields or {}).items()
        if value is not None and not (isinstance(value, str) and not value.strip())
    }
    return kept


def owner_values(*, name: str | None = None, email: str | None = None) -> dict[str, Any]:
    """The `owner` mapping (the rep who sends the message)."""
    first, _ = split_name(name)
    return _present({"name": _clean(name), "first_name": first, "email": _clean(email)})


def cadence_values(
    *,
    name: str | None = None,
    day: int | None = None,
    step: int | None = None,
    steps: int | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """The `cadence` mapping: `step` of `steps` (from 1), due on business `day`."""
    return _present(
        {"name": _clean(name), "day": day, "step": step, "steps": steps, "channel": channel}
    )


def sample_contexts() -> list[OutreachContext]:
    """What `leadbot templates check` renders each template with: a lead with everything, one
    with only an email, one with only a phone and a name outside ASCII (and no cadence: a
    preview outside one)."""
    owner = owner_values(name="Alice Moreno", email="alice@leadbot.example")
    cadence = cadence_values(name="default", day=1, step=1, steps=6, channel="email")
    full = lead_values(
        id=42,
        name="Dana Whitfield",
        email="dana@northwind.example",
        phone="+1 555 0100",
        company="Northwind Traders",
        product="Analytics",
        message="We need a demo for our ops team before the end of the quarter.",
        country="US",
        region="NA",
        source="website",
        fields={"industry": "Logistics", "team_size": 40},
    )
    return [
        OutreachContext(full, owner, cadence, label="a full lead"),
        OutreachContext(
            lead_values(id=43, email="ops@example.com"),
            owner_values(name="Alice Moreno"),
            cadence,
            label="a lead with only an email",
        ),
        OutreachContext(
            lead_values(id=44, name="Søren Ødegård", phone="+45 20 12 34 56"),
            owner,
            label="a lead with only a phone and a non-ASCII name",
        ),
    ]
