"""Blocks as Slack's JSON, the way `slack_sdk.models` `to_dict()` writes them, without its
validation on every call: validating is four fifths of drawing a card (about 0.8 ms a card, on
every post and every redraw). The builders are pure and tested against Slack's limits (the fake
Slack enforces them, and a property test holds `wire` equal to `to_dict`); a block Slack would
still refuse comes back as `invalid_blocks`, a permanent failure the admins are told about.

Objects whose class writes its own JSON (`ConfirmObject`, …) keep their `to_dict()`; `Option`
is written here the way its `to_dict()` writes it in blocks.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.basic_objects import EMPTY_ALLOWED_TYPE_AND_PROPERTY_LIST, JsonObject
from slack_sdk.models.blocks.basic_components import Option, PlainTextObject

_EMPTY_ALLOWED = {(rule["type"], rule["property"]) for rule in EMPTY_ALLOWED_TYPE_AND_PROPERTY_LIST}
_PLAIN: dict[type, bool] = {}  # class -> writes its JSON the way JsonObject does
_FIELDS: dict[type, list[str]] = {}  # class -> its `attributes`, sorted (a constant per class)


def wire(value: Any) -> Any:
    """`value` (a block, an element, a list of them) as JSON-ready dicts and lists."""
    way = _WAYS.get(type(value))
    if way is None:
        way = _WAYS[type(value)] = _way(type(value))
    if way is _AS_IS:
        return value
    if way is _LIST:
        return [wire(item) for item in value]
    if way is _PLAIN_OBJECT:
        kind = getattr(value, "type", None)
        fields = {}
        for key in _fields(value):
            item = getattr(value, key, None)
            if item is None:
                continue
            sized = getattr(item, "__len__", None) is not None
            if sized and len(item) == 0 and (kind, key) not in _EMPTY_ALLOWED:
                continue
            fields[key] = wire(item)
        return fields
    if way is _OPTION:
        return _option(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return {key: wire(item) for key, item in to_dict().items()}
    return value


# How each class is written, decided once per class: a card draws about 130 values, and
# `isinstance` against JsonObject (an ABC) on each was a fifth of drawing one.
_AS_IS, _LIST, _PLAIN_OBJECT, _OPTION, _OWN = "as is", "list", "plain", "option", "own"
_WAYS: dict[type, str] = {str: _AS_IS, int: _AS_IS, float: _AS_IS, bool: _AS_IS}


def _way(cls: type) -> str:
    if issubclass(cls, list | tuple):
        return _LIST
    if issubclass(cls, JsonObject) and _plain(cls):
        return _PLAIN_OBJECT
    if cls is Option:
        return _OPTION
    return _OWN


def _option(option: Option) -> dict[str, Any]:
    # Option.to_dict("block") without its validation: menus repeat the same few options on
    # every line of a list (an agenda of 15 tasks draws 100 of them).
    text = option._text or PlainTextObject.from_str(option.label or "")
    drawn: dict[str, Any] = {"text": wire(text), "value": option.value}
    if option._block_description:
        drawn["description"] = wire(option._block_description)
    if option.url:
        drawn["url"] = option.url
    return drawn


def _plain(cls: type) -> bool:
    if cls not in _PLAIN:
        _PLAIN[cls] = all(
            getattr(cls, name) is getattr(JsonObject, name)
            for name in ("to_dict", "get_non_null_attributes", "get_object_attribute")
        )
    return _PLAIN[cls]


def _fields(value: JsonObject) -> list[str]:
    cls = type(value)
    if cls not in _FIELDS:
        _FIELDS[cls] = sorted(value.attributes)
    return _FIELDS[cls]
