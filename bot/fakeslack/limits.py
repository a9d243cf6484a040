"""The documented Block Kit limits (shared/slack/LIMITS.md, from Slack's reference), checked on
one block as Slack checks it: every text object, field, option, id and URL, wherever it sits.

slack_sdk's models check only some of these, and a payload over any of them is refused by Slack:
a builder that passes the SDK but not these would fail only in production.
"""

from collections.abc import Iterator
from typing import Any

ID_LIMIT = 255
TEXT_LIMIT = 3000  # any text object not named below
FIELD_LIMIT, FIELDS_PER_SECTION = 2000, 10
HEADER_LIMIT = 150
BUTTON = {"text": 75, "value": 2000, "url": 3000}
OPTION = {"text": 75, "value": 150, "description": 75}
LABELS = {"placeholder": 150, "label": 2000, "hint": 2000}
ELEMENTS = {"context": 10, "actions": 25}
OPTIONS_PER_ELEMENT = {"overflow": 5, "static_select": 100, "radio_buttons": 10, "checkboxes": 10}
OPTION_KEYS = ("options", "initial_option", "initial_options")

Node = dict[str, Any]


def limit_problems(block: Node) -> list[str]:
    """Every documented limit this block breaks, each as one sentence."""
    problems = _count_problems(block)
    for where, text, limit in _texts(block, None, None):
        if len(text) > limit:
            problems.append(f"{where} is {len(text)} chars, limit {limit}")
    for node in _dicts(block):
        problems += _node_problems(node)
    return problems


def _count_problems(block: Node) -> list[str]:
    kind, problems = block.get("type"), []
    elements = block.get("elements")
    if kind in ELEMENTS and isinstance(elements, list) and len(elements) > ELEMENTS[kind]:
        problems.append(f"{len(elements)} elements, limit {ELEMENTS[kind]}")
    fields = block.get("fields")
    if isinstance(fields, list) and len(fields) > FIELDS_PER_SECTION:
        problems.append(f"{len(fields)} fields, limit {FIELDS_PER_SECTION}")
    ids = [e.get("action_id") for e in elements or [] if isinstance(e, dict) and e.get("action_id")]
    if len(ids) != len(set(ids)):
        problems.append("an action_id is used twice in one block")
    return problems


def _node_problems(node: Node) -> list[str]:
    problems = []
    for key in ("block_id", "action_id", "callback_id"):
        value = node.get(key)
        if isinstance(value, str) and len(value) > ID_LIMIT:
            problems.append(f"{key} is {len(value)} chars, limit {ID_LIMIT}")
    kind = node.get("type")
    options = node.get("options")
    most = OPTIONS_PER_ELEMENT.get(kind) if isinstance(kind, str) else None
    if most is not None and isinstance(options, list) and len(options) > most:
        problems.append(f"{kind} has {len(options)} options, limit {most}")
    for key in OPTION_KEYS:
        found = node.get(key)
        for option in found if isinstance(found, list) else [found]:
            if isinstance(option, dict):
                problems += _strings_over(option, ("value",), OPTION, "option")
    if kind == "button":
        problems += _strings_over(node, ("value", "url"), BUTTON, "button")
        url = node.get("url")
        if isinstance(url, str) and not url.lower().startswith(("http://", "https://")):
            problems.append("button url must be http(s)")
    return problems


def _strings_over(
    node: Node, keys: tuple[str, ...], limits: dict[str, int], what: str
) -> list[str]:
    return [
        f"{what} {key} is {len(node[key])} chars, limit {limits[key]}"
        for key in keys
        if isinstance(node.get(key), str) and len(node[key]) > limits[key]
    ]


def _texts(node: object, key: str | None, parent: str | None) -> Iterator[tuple[str, str, int]]:
    """(where, text, limit) for every text object, with the limit of the place it sits in."""
    if isinstance(node, list):
        for item in node:
            yield from _texts(item, key, parent)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
        where = f"{parent} {key}" if parent in ("button", "option") else (key or "text")
        yield (where, node["text"], _limit_of(key, parent))
        return
    role = "option" if key in OPTION_KEYS else (kind if isinstance(kind, str) else parent)
    for child_key, value in node.items():
        yield from _texts(value, child_key, role)


def _limit_of(key: str | None, parent: str | None) -> int:
    if parent == "option":
        return OPTION.get(key or "", TEXT_LIMIT)
    if parent == "button" and key == "text":
        return BUTTON["text"]
    if parent == "header" and key == "text":
        return HEADER_LIMIT
    if key == "fields":
        return FIELD_LIMIT
    return LABELS.get(key or "", TEXT_LIMIT)


def _dicts(node: object) -> Iterator[Node]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _dicts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _dicts(item)
