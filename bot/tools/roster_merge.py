"""How a Slack roster changes the `reps:` entries of leadbot.yml (`leadbot roster sync`).

Slack owns three fields of a rep (name, timezone, email) and the id; everything else in an
entry is the admin's. A member already listed (by id, or by email when the entry has no id yet)
gets the Slack fields it lacks, and with `refresh` those that differ; the rest of the entry is
left as it is. New members are added; reps Slack no longer lists are reported, and with `prune`
removed unless something else in the file names them. Entries are the round-trip YAML mappings
(ruamel), changed in place, so their comments and order stay.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.tools.roster_slack import Member, Roster

SLACK_FIELDS = ("name", "timezone", "email")
# Where a filled-in field goes: after the fields before it in this order (the example's).
ORDER = ("id", "name", "email", "timezone")


@dataclass(frozen=True)
class Update:
    index: int  # the entry's place in `reps:`
    label: str
    fields: tuple[str, ...]


@dataclass
class Plan:
    added: list[Member] = field(default_factory=list)
    updated: list[Update] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # in leadbot.yml, not in Slack's list
    pruned: dict[int, str] = field(default_factory=dict)  # entry index -> label
    kept: list[tuple[str, str]] = field(default_factory=list)  # (label, where it is named)
    differs: list[str] = field(default_factory=list)  # Slack's value, left alone (no --refresh)

    @property
    def touched(self) -> set[int]:
        return {update.index for update in self.updated}

    @property
    def changes(self) -> bool:
        return bool(self.added or self.updated or self.pruned)


def merge(document: Mapping[str, Any], roster: Roster, refresh: frozenset[str] = frozenset(),
          prune: bool = False) -> Plan:  # fmt: skip
    """Change `document["reps"]` in place for updates; additions and removals are left to the
    caller (they are new lines of the file), listed in the plan."""
    entries = document.get("reps")
    entries = entries if isinstance(entries, list) else []
    plan, matched = Plan(), set[int]()
    for member in roster.members:
        index = _find(entries, member, matched)
        if index is None:
            plan.added.append(member)
            continue
        matched.add(index)
        changed, differs = _update(entries[index], member, refresh)
        who = label(entries[index])
        plan.differs += [f"{who}: Slack's {key} is {value!r}" for key, value in differs]
        if changed:
            plan.updated.append(Update(index, who, changed))
        else:
            plan.unchanged.append(who)
    for index, entry in enumerate(entries):
        if index not in matched:
            _missing(plan, document, index, entry, prune)
    return plan


def label(entry: object) -> str:
    if not isinstance(entry, Mapping):
        return repr(entry)
    name, rep_id = entry.get("name"), entry.get("id")
    if name and rep_id:
        return f"{name} ({rep_id})"
    return str(name or rep_id or "an entry without id or name")


def _find(entries: list[Any], member: Member, taken: set[int]) -> int | None:
    """The entry with the member's id, else one without an id but with their email."""
    for index, entry in enumerate(entries):
        if isinstance(entry, Mapping) and str(entry.get("id") or "") == member.id:
            return index
    if member.email is None:
        return None
    for index, entry in enumerate(entries):
        if index in taken or not isinstance(entry, Mapping) or entry.get("id"):
            continue
        if str(entry.get("email") or "").strip().casefold() == member.email.casefold():
            return index
    return None


def _update(
    entry: Any, member: Member, refresh: frozenset[str]
) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """The fields set, and the (field, Slack's value) pairs that differ but were kept."""
    if not isinstance(entry, CommentedMap):
        return (), []
    wanted = {"id": member.id, "name": member.name, "timezone": member.timezone,
              "email": member.email}  # fmt: skip
    changed, differs = [], []
    for key in ORDER:
        value, current = wanted[key], entry.get(key)
        if value is None or current == value:
            continue
        if current in (None, "") or key in refresh:
            put(entry, key, value)
            changed.append(key)
        elif key != "email":  # an address is not shown: the summary may be pasted anywhere
            differs.append((key, value))
    return tuple(changed), differs


def _missing(plan: Plan, document: Mapping[str, Any], index: int, entry: Any, prune: bool) -> None:
    who = label(entry)
    plan.missing.append(who)
    if not prune:
        return
    rep_id = str(entry.get("id") or "") if isinstance(entry, Mapping) else ""
    where = next(references(document, rep_id, index), None) if rep_id else None
    if where is None:
        plan.pruned[index] = who
    else:
        plan.kept.append((who, where))


def references(document: Mapping[str, Any], rep_id: str, own: int) -> Iterator[str]:
    """Where else the file names `rep_id` (a pool, a team, a manager, a template...), as
    paths like `routing.rules[0].pool`; the rep's own entry is not counted."""
    for path, text in _strings(document, ""):
        mine = path == f"reps[{own}]" or path.startswith(f"reps[{own}].")
        if rep_id in text and not mine:
            yield path


def _strings(node: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            yield where, str(key)
            yield from _strings(value, where)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")
    elif isinstance(node, str):
        yield path, node


def put(entry: CommentedMap, key: str, value: str) -> None:
    """Set `key`, a new one after the fields before it in ORDER (first when there are none)."""
    trim_trailing(entry)
    if key in entry:
        entry[key] = value
        return
    before = [k for k in ORDER[: ORDER.index(key)] if k in entry]
    entry.insert(list(entry).index(before[-1]) + 1 if before else 0, key, value)


def trim_trailing(node: object) -> None:
    """Drop the comment lines the YAML loader hung on a node's last value: they are the ones
    between this entry and the next (or the next section), kept in the file where they are;
    left on the entry they would follow it when it is written again. An end-of-line comment
    on the last line stays."""
    if isinstance(node, CommentedMap) and node:
        key: Any = list(node)[-1]
        slot = 2
    elif isinstance(node, CommentedSeq) and node:
        key, slot = len(node) - 1, 0
    else:
        return
    trim_trailing(node[key])
    comment = node.ca.items.get(key)
    if comment is None or len(comment) <= slot or comment[slot] is None:
        return
    head = comment[slot].value.split("\n", 1)[0]
    if head.strip():
        comment[slot].value = head + "\n"
    else:
        comment[slot] = None
