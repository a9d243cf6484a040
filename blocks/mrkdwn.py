"""Safe building blocks for Slack mrkdwn strings.

Slack gives meaning to `<...>` sequences (mentions, links, `<!channel>`), so every user-supplied
string must pass through `escape` before it enters mrkdwn or fallback text. Slack decodes only
`&amp;`, `&lt;` and `&gt;`; anything else (quotes, `&#39;`) would be shown literally, which is why
this is not `html.escape`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote, urlsplit

ELLIPSIS = "…"

# Order matters: `&` first, so the `&` of `&lt;` is not escaped again.
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_LINK_SCHEMES = frozenset({"http", "https"})
# Characters that would end or split a `<url|label>` token, or that Slack would not keep in a URL.
_URL_UNSAFE = re.compile(r"[|<>\s\x00-\x1f\x7f]")
_ZERO_WIDTH_JOINER = "\u200d"


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` so Slack shows `text` literally (quotes are left alone)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Inverse of `escape`; `&amp;` goes last so `&amp;lt;` becomes `&lt;`, not `<`."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def safe_url(url: str) -> str | None:
    """Return `url` made safe inside a `<url|label>` token, or None if it is not http(s)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if parts.scheme.lower() not in _LINK_SCHEMES or not parts.hostname:
        return None
    # Percent-encode rather than reject: a space in a CRM deep link is common and harmless.
    encoded = _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=""), url)
    # `&` stays meaningful in a query string; Slack decodes `&amp;` inside links too.
    return encoded.replace("&", "&amp;")


def link(url: str, label: str) -> str:
    """`<url|label>` with the label escaped; plain escaped label if the URL is not http(s)."""
    target = safe_url(url)
    if target is None:
        return escape(label)
    if not label:
        return f"<{target}>"
    return f"<{target}|{escape(label)}>"


def user(user_id: str) -> str:
    """A mention of a Slack user id; anything that is not a user id is shown as text."""
    if _USER_ID.fullmatch(user_id):
        return f"<@{user_id}>"
    return escape(user_id)


def date(dt: datetime, token_string: str, fallback: str) -> str:
    """`<!date^epoch^tokens|fallback>`: each reader sees `dt` in their own time zone.

    `token_string` uses Slack's tokens, e.g. "{date_short_pretty} at {time}" or "{ago}";
    `fallback` is shown by clients that cannot format dates (and in notifications).
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        # A naive datetime would silently be read as server-local time.
        raise ValueError("date() needs a timezone-aware datetime")
    if "^" in token_string or "|" in token_string:
        raise ValueError("token_string must not contain '^' or '|'")
    return f"<!date^{int(dt.timestamp())}^{escape(token_string)}|{escape(fallback)}>"


def _is_attached(char: str) -> bool:
    """True for characters that belong to the character before them (accents, emoji joins)."""
    return (
        bool(unicodedata.combining(char))
        or char == _ZERO_WIDTH_JOINER
        or "\ufe00" <= char <= "\ufe0f"
    )


def _cut(text: str, cut: int) -> int:
    """Move a cut position left so no accent or emoji modifier is separated from its base."""
    while 0 < cut < len(text) and _is_attached(text[cut]):
        cut -= 1
    while cut > 0 and text[cut - 1] == _ZERO_WIDTH_JOINER:
        cut -= 1
    return cut


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")


def truncate(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else a prefix ending in "…" that fits."""
    _check_limit(limit)
    if len(text) <= limit:
        return text
    return text[: _cut(text, limit - 1)] + ELLIPSIS


def escape_truncated(text: str, limit: int) -> str:
    """Escape, then fit in `limit` characters (Block Kit limits apply to the escaped string).

    Truncating first would let `&` → `&amp;` push the result over the limit; truncating the
    escaped string naively could cut `&amp;` into a stray `&am`. So cut the *source* at the last
    character whose escaped form still fits.
    """
    return _fitted(text, limit, lambda char: len(_ESCAPES.get(char, char)), escape)


# A zero-width space on each side keeps a lead's `*`, `_`, `~` and backtick from opening or
# closing Slack formatting (a marker needs a space or the line's edge beside it), so a name
# like "*VIP* Dana" shows its stars and leaves the card's own bold alone.
_FORMATTING = frozenset("*_~`")
ZERO_WIDTH_SPACE = "\u200b"
# Explicit direction controls (embeddings, overrides, isolates): a right-to-left override
# would show a lead's text reversed, e.g. a company name that reads like another.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _literal_char(char: str) -> str:
    if char in BIDI_CONTROLS:
        return ""
    if char in _FORMATTING:
        return f"{ZERO_WIDTH_SPACE}{char}{ZERO_WIDTH_SPACE}"
    return _ESCAPES.get(char, char)


# `_literal_char` for every character it changes, as one table: str.translate runs it in C, and
# a lead's name, company and message pass through it for every card and reminder.
_LITERAL_TABLE = {
    ord(char): _literal_char(char) for char in (*BIDI_CONTROLS, *_FORMATTING, *_ESCAPES)
}


def literal(text: str) -> str:
    """A person's text shown as they typed it inside mrkdwn: escaped like `escape`, with no
    formatting of its own and no direction overrides."""
    return text.translate(_LITERAL_TABLE)


def literal_truncated(text: str, limit: int) -> str:
    """`literal`, fitting in `limit` characters measured on what is sent."""
    return _fitted(text, limit, lambda char: len(_literal_char(char)), literal)


def quote_truncated(text: str, limit: int) -> str:
    """`text` as a block quote (">" opens every line), shown as `literal`, fitting in `limit`.

    Measured after escaping and quoting: a many-line message grows by one character a line, so
    cutting it to the limit first and quoting it after can overflow a section by hundreds.
    """

    def quoted(part: str) -> str:
        return literal(part).replace("\n", "\n>")

    def cost_of(char: str) -> int:
        return len(_literal_char(char)) + (char == "\n")

    return ">" + _fitted(text, limit - 1, cost_of, quoted)


def _fitted(
    text: str, limit: int, cost_of: Callable[[str], int], show: Callable[[str], str]
) -> str:
    """`show(text)` if it fits in `limit`, else `show` of the longest prefix that fits, with
    "…": the cut is made on the source, never inside an entity or a quote marker."""
    _check_limit(limit)
    shown = show(text)
    if len(shown) <= limit:
        return shown
    budget = limit - len(ELLIPSIS)
    used = cut = 0
    for char in text:
        cost = cost_of(char)
        if used + cost > budget:
            break
        used += cost
        cut += 1
    return show(text[: _cut(text, cut)]) + ELLIPSIS


def truncate_mrkdwn(text: str, limit: int) -> str:
    """Mrkdwn built already (escaped, with mentions and dates) cut to fit in `limit`, never inside
    a `<…>` token or an `&…;` entity, which would show as broken markup."""
    _check_limit(limit)
    if len(text) <= limit:
        return text
    cut = _cut(text, limit - len(ELLIPSIS))
    for opener, closer in (("<", ">"), ("&", ";")):
        opened = text.rfind(opener, 0, cut)
        if opened != -1 and text.find(closer, opened, cut) == -1:
            cut = min(cut, opened)
    return text[:cut] + ELLIPSIS
