"""Render a Slack message as plain terminal text, roughly as a rep would read it in Slack.

Used for terminal previews (`leadbot demo`, `simulate`) and for tests that should assert on what a
person sees rather than on Block Kit JSON. Only the inline syntax Slack itself interprets is
rendered (`<@U…>`, `<#C…>`, links, `<!date…>`, `<!channel>`); `*bold*` and friends are kept as
typed, which reads fine in a plain terminal.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from itertools import zip_longest
from typing import Any
from zoneinfo import ZoneInfo

from blocks.mrkdwn import ZERO_WIDTH_SPACE, unescape

CONTEXT_SEPARATOR = "  ·  "
COLUMN_GAP = "  "
# A real token can only be written with a literal `<`: escaped user text never contains one.
_TOKEN = re.compile(r"<([^<>\n]+)>")
_DATE_TOKEN = re.compile(r"\{(\w+)\}")
_LEADING_PRETTY = re.compile(r"\{date(?:_short|_long)?_pretty\}")
_BROADCASTS = frozenset({"channel", "here", "everyone"})


@dataclass(frozen=True)
class _Ctx:
    names: Mapping[str, str]
    tz: tzinfo
    now: datetime
    width: int


def _context(
    names: Mapping[str, str] | None, tz: tzinfo | None, now: datetime | None, width: int
) -> _Ctx:
    if now is not None and now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    # Reading the clock only when the caller gave no `now` keeps tests deterministic. A floor on
    # the width keeps the two field columns from collapsing to nothing.
    return _Ctx(names or {}, tz or UTC, now or datetime.now(UTC), max(width, 20))


# --- dates -------------------------------------------------------------------------------------


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _date(d: datetime) -> str:
    return f"{d:%B} {_ordinal(d.day)}, {d.year}"


def _date_short(d: datetime) -> str:
    return f"{d:%b} {d.day}, {d.year}"


def _date_long(d: datetime) -> str:
    return f"{d:%A}, {_date(d)}"


def _time(d: datetime, seconds: bool = False) -> str:
    # Slack follows each user's 12/24-hour preference; a preview shows the 12-hour default.
    clock = f"{d.hour % 12 or 12}:{d:%M}" + (f":{d:%S}" if seconds else "")
    return f"{clock} {'AM' if d.hour < 12 else 'PM'}"


def _pretty(plain: Callable[[datetime], str]) -> Callable[[datetime, datetime], str]:
    def render(d: datetime, now: datetime) -> str:
        days = (d.date() - now.date()).days
        return {-1: "yesterday", 0: "today", 1: "tomorrow"}.get(days) or plain(d)

    return render


_AGO_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600))


def _ago(d: datetime, now: datetime) -> str:
    seconds = int((d - now).total_seconds())
    span = abs(seconds)
    if span < 60:
        return "just now"
    unit, size = next(((u, s) for u, s in _AGO_UNITS if span >= s), ("minute", 60))
    count = span // size
    amount = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


_DATE_FORMATS: dict[str, Callable[[datetime, datetime], str]] = {
    "date_num": lambda d, _: f"{d:%Y-%m-%d}",
    "date": lambda d, _: _date(d),
    "date_short": lambda d, _: _date_short(d),
    "date_long": lambda d, _: _date_long(d),
    "date_pretty": _pretty(_date),
    "date_short_pretty": _pretty(_date_short),
    "date_long_pretty": _pretty(_date_long),
    "time": lambda d, _: _time(d),
    "time_secs": lambda d, _: _time(d, seconds=True),
    "ago": _ago,
}


def format_date(when: datetime, tokens: str, *, tz: tzinfo, now: datetime) -> str | None:
    """Fill Slack date tokens ("{date_short_pretty} at {time}") for `when` seen in `tz`.

    Returns None for an unknown token: Slack then shows the fallback text, and so do we.
    """
    if any(name not in _DATE_FORMATS for name in _DATE_TOKEN.findall(tokens)):
        return None
    local, local_now = when.astimezone(tz), now.astimezone(tz)
    out = _DATE_TOKEN.sub(lambda m: _DATE_FORMATS[m.group(1)](local, local_now), tokens)
    # Slack capitalises "today"/"yesterday"/"tomorrow" when they open the text.
    return out[:1].upper() + out[1:] if _LEADING_PRETTY.match(tokens) else out


def _render_date(arg: str, fallback: str, ctx: _Ctx) -> str:
    stamp, _, rest = arg.partition("^")
    tokens, _, url = rest.partition("^")
    try:
        when = datetime.fromtimestamp(int(stamp), UTC)
    except (ValueError, OverflowError, OSError):
        return fallback
    text = format_date(when, unescape(tokens), tz=ctx.tz, now=ctx.now)
    if text is None:
        return fallback
    return f"{text} ({unescape(url)})" if url else text


# --- inline mrkdwn -----------------------------------------------------------------------------


def _render_command(body: str, label: str, ctx: _Ctx) -> str:
    name, _, arg = body.partition("^")
    if name == "date":
        return _render_date(arg, label, ctx)
    if name in _BROADCASTS:
        return f"@{name}"
    if name == "subteam":
        return label or f"@{ctx.names.get(arg, arg)}"
    return label or f"@{name}"


def _render_token(body: str, ctx: _Ctx) -> str:
    target, _, raw_label = body.partition("|")
    label = unescape(raw_label)
    if target.startswith("@"):
        return "@" + ctx.names.get(target[1:], label.lstrip("@") or target[1:])
    if target.startswith("#"):
        return "#" + ctx.names.get(target[1:], label.lstrip("#") or target[1:])
    if target.startswith("!"):
        return _render_command(target[1:], label, ctx)
    url = unescape(target)
    if not label or label in (url, url.removeprefix("mailto:")):
        return label or url
    if url.startswith("mailto:") and len(url) > 80:  # a whole email, encoded: the label says it
        return f"{label} (mailto:{url.removeprefix('mailto:').partition('?')[0]}?…)"
    return f"{label} ({url})"


def _inline(text: str, ctx: _Ctx) -> str:
    # Tokens are found on the escaped text, and only the text between them is unescaped: so an
    # escaped `&lt;!channel&gt;` comes out as the literal "<!channel>", never as a mention.
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        out.append(unescape(text[pos : match.start()]))
        out.append(_render_token(match.group(1), ctx))
        pos = match.end()
    out.append(unescape(text[pos:]))
    # A terminal shows no formatting: the zero-width spaces that keep a lead's own `*` from
    # formatting in Slack have nothing to guard here.
    return "".join(out).replace(ZERO_WIDTH_SPACE, "")


def render_mrkdwn(
    text: str,
    *,
    names: Mapping[str, str] | None = None,
    tz: ZoneInfo | None = None,
    now: datetime | None = None,
) -> str:
    """Render one mrkdwn string (no wrapping)."""
    return _inline(text, _context(names, tz, now, 72))


# --- blocks ------------------------------------------------------------------------------------


def _text(obj: Mapping[str, Any] | None, ctx: _Ctx) -> str:
    if not obj:
        return ""
    # plain_text is shown exactly as sent: Slack gives no meaning to `<`, `@` or `*` in it.
    return _inline(obj["text"], ctx) if obj.get("type") == "mrkdwn" else obj["text"]


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for line in text.split("\n"):
        # Long words (URLs) stay whole: a broken URL cannot be clicked in a terminal.
        wrapped = textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)
        lines.extend(wrapped or [""])
    return lines


def _element(el: Mapping[str, Any], ctx: _Ctx) -> str:
    kind = el.get("type")
    if kind == "button":
        label = _text(el.get("text"), ctx)
        return f"[ {label} ↗ ]" if el.get("url") else f"[ {label} ]"
    if kind == "image":
        return f"[image: {el.get('alt_text', '')}]"
    if kind in ("mrkdwn", "plain_text"):
        return _text(el, ctx)
    if kind == "overflow":
        return "[ … ]"
    placeholder = _text(el.get("placeholder"), ctx) or str(kind)
    return f"[ {placeholder} ▾ ]"


def _columns(fields: Sequence[Mapping[str, Any]], ctx: _Ctx) -> list[str]:
    # Slack lays section fields out two per row; mirror that with padded columns.
    col = (ctx.width - len(COLUMN_GAP)) // 2
    lines: list[str] = []
    for i in range(0, len(fields), 2):
        left = _wrap(_text(fields[i], ctx), col)
        right = _wrap(_text(fields[i + 1], ctx), col) if i + 1 < len(fields) else []
        for a, b in zip_longest(left, right, fillvalue=""):
            lines.append(f"{a:<{col}}{COLUMN_GAP}{b}".rstrip() if b else a)
    return lines


def _section(block: Mapping[str, Any], ctx: _Ctx) -> list[str]:
    lines = _wrap(_text(block.get("text"), ctx), ctx.width) if block.get("text") else []
    lines += _columns(block.get("fields") or [], ctx)
    if block.get("accessory"):
        lines.append(_element(block["accessory"], ctx))
    return lines


def _block(block: Mapping[str, Any], ctx: _Ctx) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [f"■ {_text(block['text'], ctx)}"]
    if kind == "section":
        return _section(block, ctx)
    if kind == "context":
        joined = CONTEXT_SEPARATOR.join(_element(el, ctx) for el in block.get("elements", []))
        return _wrap(joined, ctx.width)
    if kind == "actions":
        return ["  ".join(_element(el, ctx) for el in block.get("elements", []))]
    if kind == "divider":
        return ["─" * ctx.width]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    return [f"[{kind} block]"]


def _as_dict(block: Any) -> Mapping[str, Any]:
    # Accept slack_sdk.models blocks as well as their to_dict() output.
    return block.to_dict() if hasattr(block, "to_dict") else block


def render_blocks(
    blocks: Iterable[Mapping[str, Any] | Any],
    *,
    names: Mapping[str, str] | None = None,
    tz: ZoneInfo | None = None,
    now: datetime | None = None,
    width: int = 72,
) -> str:
    """Render Block Kit blocks (dicts or slack_sdk.models blocks), one block after another."""
    ctx = _context(names, tz, now, width)
    return "\n".join(line for block in blocks for line in _block(_as_dict(block), ctx))


def render_message(
    message: Mapping[str, Any],
    *,
    names: Mapping[str, str] | None = None,
    tz: ZoneInfo | None = None,
    now: datetime | None = None,
    width: int = 72,
) -> str:
    """Render a chat.postMessage payload: its blocks if any, else its `text`.

    Slack shows the blocks and uses `text` only for notifications, so `text` is ignored when
    there are blocks.
    """
    if message.get("blocks"):
        return render_blocks(message["blocks"], names=names, tz=tz, now=now, width=width)
    ctx = _context(names, tz, now, width)
    return "\n".join(_wrap(_inline(message.get("text", ""), ctx), ctx.width))
