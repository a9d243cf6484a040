"""Block Kit blocks as HTML that looks like Slack's client, for the README's pictures
(`make pictures`, bot/tools/pictures.py; the page around them is bot/tools/blockkit_page.py).

Pure: blocks (dicts, or slack_sdk.models blocks) in, an HTML fragment out; every text is escaped
(bot/tools/blockkit_mrkdwn.py). A block or element it cannot draw is shown as "unsupported …",
which the tests look for, so a new kind of block cannot slip into a picture unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.tools.blockkit_mrkdwn import Reader, escape, mrkdwn_html, plain_html

UNSUPPORTED = "unsupported"
Json = Mapping[str, Any]


def text_html(obj: Json | None, reader: Reader) -> str:
    """A text object (mrkdwn or plain_text) as HTML; empty for none."""
    if not obj:
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_html(str(obj.get("text", "")), reader)
    return plain_html(str(obj.get("text", "")))


def _plain(obj: Json | None) -> str:
    """The words of a label (buttons, options, placeholders): plain_text in practice."""
    return plain_html(str((obj or {}).get("text", "")))


def _unsupported(kind: object, what: str) -> str:
    return f'<div class="{UNSUPPORTED}">{UNSUPPORTED} {what}: {escape(str(kind))}</div>'


# --- elements ----------------------------------------------------------------------------------


def _button(el: Json, _: Reader) -> str:
    style = el.get("style")
    kind = f" {style}" if style in ("primary", "danger") else ""
    return f'<span class="button{kind}">{_plain(el.get("text"))}</span>'


def _select(el: Json, _: Reader) -> str:
    chosen = el.get("initial_option") or {}
    users = el.get("initial_user") or el.get("initial_users")
    label = _plain(chosen.get("text")) if chosen else _plain(el.get("placeholder"))
    if not label and users:
        label = escape(f"@{users if isinstance(users, str) else ', @'.join(users)}")
    return f'<span class="select"><span>{label or "Select an item"}</span></span>'


def _overflow(_: Json, __: Reader) -> str:
    return '<span class="button overflow" aria-label="more">⋮</span>'


def _image(el: Json, _: Reader) -> str:
    # Pictures are drawn offline: an image's URL is not fetched, its alt text stands in.
    return f'<span class="image-el" title="{escape(str(el.get("alt_text", "")))}"></span>'


def _text_input(el: Json, _: Reader) -> str:
    lines = " multiline" if el.get("multiline") else ""
    shown = escape(str(el.get("initial_value", ""))) or _plain(el.get("placeholder"))
    return f'<span class="input{lines}">{shown}</span>'


def _choices(el: Json, _: Reader) -> str:
    mark = "radio" if el.get("type") == "radio_buttons" else "checkbox"
    chosen = el.get("initial_option") or {}
    rows = [
        f'<div class="choice"><span class="{mark}{" on" if opt == chosen else ""}"></span>'
        f"{_plain(opt.get('text'))}</div>"
        for opt in el.get("options", [])
    ]
    return f'<div class="choices">{"".join(rows)}</div>'


def _picker(el: Json, _: Reader) -> str:
    icon = "🕑" if el.get("type") == "timepicker" else "📅"
    value = el.get("initial_date") or el.get("initial_time")
    shown = escape(str(value)) if value else _plain(el.get("placeholder")) or "Select a date"
    return f'<span class="select picker">{icon} <span>{shown}</span></span>'


# Every select menu: of options, external data, users, conversations or channels; one or many.
_SELECTS = [
    f"{many}{source}_select"
    for many in ("", "multi_")
    for source in ("static", "external", "users", "conversations", "channels")
]
_ELEMENTS: dict[str, Callable[[Json, Reader], str]] = {
    "button": _button,
    "overflow": _overflow,
    "image": _image,
    "plain_text_input": _text_input,
    "number_input": _text_input,
    "email_text_input": _text_input,
    "url_text_input": _text_input,
    "radio_buttons": _choices,
    "checkboxes": _choices,
    "datepicker": _picker,
    "timepicker": _picker,
    **dict.fromkeys(_SELECTS, _select),
}


def element_html(el: Json, reader: Reader) -> str:
    """An interactive or image element (a context's text elements are drawn by the context)."""
    draw = _ELEMENTS.get(str(el.get("type")))
    return draw(el, reader) if draw else _unsupported(el.get("type"), "element")


# --- blocks ------------------------------------------------------------------------------------


def _header(block: Json, _: Reader) -> str:
    return f'<div class="header">{_plain(block.get("text"))}</div>'


def _section(block: Json, reader: Reader) -> str:
    main = f'<div class="text">{text_html(block.get("text"), reader)}</div>'
    if block.get("fields"):
        cells = "".join(f'<div class="field">{text_html(f, reader)}</div>' for f in block["fields"])
        main += f'<div class="fields">{cells}</div>'
    accessory = block.get("accessory")
    side = f'<div class="accessory">{element_html(accessory, reader)}</div>' if accessory else ""
    return f'<div class="section"><div class="main">{main}</div>{side}</div>'


def _context(block: Json, reader: Reader) -> str:
    parts = [
        text_html(el, reader) if el.get("type") in ("mrkdwn", "plain_text")
        else element_html(el, reader)
        for el in block.get("elements", [])
    ]  # fmt: skip
    return f'<div class="context">{"".join(f"<div>{p}</div>" for p in parts)}</div>'


def _actions(block: Json, reader: Reader) -> str:
    parts = "".join(element_html(el, reader) for el in block.get("elements", []))
    return f'<div class="actions">{parts}</div>'


def _divider(_: Json, __: Reader) -> str:
    return '<hr class="divider">'


def _image_block(block: Json, reader: Reader) -> str:
    title = f'<div class="image-title">{_plain(block["title"])}</div>' if block.get("title") else ""
    alt = escape(str(block.get("alt_text", "")))
    return f'<div class="image-block">{title}<div class="image-box">🖼 {alt}</div></div>'


def _input(block: Json, reader: Reader) -> str:
    optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
    label = f'<div class="label">{_plain(block.get("label"))}{optional}</div>'
    hint = block.get("hint")
    note = f'<div class="hint">{text_html(hint, reader)}</div>' if hint else ""
    element = element_html(block.get("element", {}), reader)
    return f'<div class="input-block">{label}{element}{note}</div>'


_BLOCKS: dict[str, Callable[[Json, Reader], str]] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "actions": _actions,
    "divider": _divider,
    "image": _image_block,
    "input": _input,
}


def _as_dict(block: Any) -> Json:
    # slack_sdk.models blocks as well as their to_dict() output (what the fake Slack records).
    return block.to_dict() if hasattr(block, "to_dict") else block  # type: ignore[no-any-return]


def blocks_html(blocks: Iterable[Json | Any], reader: Reader) -> str:
    """Blocks one under another, as in a message or a view."""
    out: list[str] = []
    for block in map(_as_dict, blocks):
        draw = _BLOCKS.get(str(block.get("type")))
        out.append(draw(block, reader) if draw else _unsupported(block.get("type"), "block"))
    return "".join(out)
