"""Pure: the facts about a lead, and whether a condition holds for it: the one matcher for
routing rules (``when:``) and tiers (``match:``, turned into a condition by ``TierMatch``).

Text is compared case-insensitively (``emea`` matches ``EMEA``); numbers that arrive as text
(``fields.employees: "1200"``) compare as numbers. A leaf test on a field the lead lacks (missing,
empty, or a list/mapping) never matches; ``not`` simply inverts its inner result.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from bot.config.routing import SIZE_RULE, Condition, Routing

__all__ = [
    "FREE_MAIL_DOMAINS",
    "LeadFacts",
    "condition_matches",
    "lead_value",
    "owner_key",
    "size_matches",
]

# Matching owners by company domain must not hand every gmail.com lead to one rep.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
        "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net",
        "web.de", "yandex.ru", "mail.ru", "qq.com", "163.com",
    }
)  # fmt: skip

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}


@dataclass(frozen=True)
class LeadFacts:
    email: str | None = None
    domain: str | None = None  # the email's domain, or the company site's
    country: str | None = None
    region: str | None = None
    company_size: int | None = None
    product: str | None = None
    source: str | None = None
    tier: str | None = None
    fields: Mapping[str, object] = field(default_factory=dict)
    crm_owner: str | None = None  # as the sender said it: a rep's id, email or name


def lead_value(lead: LeadFacts, name: str) -> object:
    if name.startswith("fields."):
        return lead.fields.get(name.removeprefix("fields."))
    return getattr(lead, name)


def owner_key(lead: LeadFacts, routing: Routing) -> tuple[str, str] | None:
    """What the caller looks up in owner memory: ("email", x) or ("domain", x); None: nothing."""
    if routing.owner_memory <= timedelta(0):
        return None
    email = (lead.email or "").strip().lower() or None
    domain = (lead.domain or (email.rpartition("@")[2] if email else "")).strip().lower()
    if routing.match_owner_by == "domain" and domain and domain not in FREE_MAIL_DOMAINS:
        return ("domain", domain)
    return ("email", email) if email else None


def condition_matches(cond: Condition, lead: LeadFacts) -> bool:
    if cond.all is not None:
        return all(condition_matches(c, lead) for c in cond.all)
    if cond.any is not None:
        return any(condition_matches(c, lead) for c in cond.any)
    if cond.not_ is not None:
        return not condition_matches(cond.not_, lead)
    assert cond.field is not None  # the model guarantees a field on every leaf
    value = lead_value(lead, cond.field)
    if value is None or isinstance(value, list | tuple | dict | set) or value == "":
        return False
    return _leaf_matches(cond, value)


def _leaf_matches(cond: Condition, value: object) -> bool:
    if cond.equals is not None:
        return _same(value, cond.equals)
    if cond.in_ is not None:
        return any(_same(value, option) for option in cond.in_)
    if cond.regex is not None:
        return _compiled(cond.regex).search(_text(value)) is not None
    if cond.range is not None:
        number = _number(value)
        return (
            number is not None and number == int(number) and size_matches(cond.range, int(number))
        )
    assert cond.op is not None and cond.value is not None  # the model guarantees one operator
    left, right = _number(value), _number(cond.value)
    if left is not None and right is not None:
        return _COMPARE[cond.op](left, right)
    return cond.op == "==" and _same(value, cond.value)


def size_matches(rule: str, size: int) -> bool:
    """A company size against a validated SIZE_RULE: ">=1000", "<50" or "50-999"."""
    found = SIZE_RULE.match(rule)
    assert found is not None  # the config validated it
    op, bound, low, high = found.groups()
    if low is not None:
        return int(low) <= size <= int(high)
    limit = int(bound)
    return {">=": size >= limit, "<=": size <= limit, ">": size > limit, "<": size < limit}[op]


def _same(value: object, expected: object) -> bool:
    left, right = _number(value), _number(expected)
    if left is not None and right is not None:
        return left == right  # 1000 == "1000" == 1000.0
    return _text(value) == _text(expected)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # YAML's yes/true and the lead's "True" agree
    return str(value).strip().casefold()


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "").replace("_", ""))
        except ValueError:
            return None
        # "nan" and "Infinity" are words here (a product could be called that), not numbers.
        return number if math.isfinite(number) else None
    return None


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    # Patterns come from the config, which already compiled them once: this never raises.
    return re.compile(pattern, re.IGNORECASE)
