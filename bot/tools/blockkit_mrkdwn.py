"""Slack mrkdwn as HTML, roughly as Slack's own client draws it, for the README's pictures of
what reps and managers see (bot/tools/blockkit_html.py, bot/tools/pictures.py).

Pure: a string in, an HTML fragment out. Every piece of text is HTML-escaped on the way out, so a
lead named `<script>` is drawn as those characters. As in Slack, `<…>` tokens are found on the
mrkdwn-escaped text (a lead's own `<` always arrives as `&lt;`), then the text between them is
unescaped, formatted and HTML-escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from blocks.mrkdwn import ZERO_WIDTH_SPACE, unescape
from bot.tools.text import format_date

_TOKEN = re.compile(r"<([^<>\n]+)>")
_BROADCASTS = frozenset({"channel", "here", "everyone"})
_LINK_SCHEMES = ("http://", "https://", "mailto:")
# Private-use characters stand in for rendered tokens while the text around them is formatted;
# any a lead typed are dropped first, so a placeholder can only be one of ours.
_OPEN_PH, _CLOSE_PH = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN_PH}(\\d+){_CLOSE_PH}")
# Slack opens a marker only at the line's start or after a space or opening punctuation, and
# closes it only before a space, punctuation or the line's end: the zero-width spaces
# blocks/mrkdwn.literal puts around a lead's own `*` therefore keep it from formatting.
_OPEN = "(?<![^\\s(\\[{\"'“‘/-])"
_CLOSE = "(?![^\\s)\\]}\"'”’.,;:!?/-])"
_TAGS = {"`": "code", "*": "b", "_": "i", "~": "s"}  # code first: nothing formats inside it


def _marker(mark: str) -> re.Pattern[str]:
    m = re.escape(mark)
    guarded = f"{ZERO_WIDTH_SPACE}{m}{ZERO_WIDTH_SPACE}"  # a lead's literal marker, not ours
    body = f"(?:{guarded}|[^{m}\\n])+?"
    return re.compile(f"{_OPEN}{m}(?=\\S)(?P<body>{body})(?<=\\S){m}{_CLOSE}")


_MARKERS = [(tag, _marker(mark)) for mark, tag in _TAGS.items()]


@dataclass(frozen=True)
class Reader:
    """Who reads the message: the names Slack shows for ids, and, when both are given, the time
    zone and moment that `<!date…>` tokens are formatted for (else their fallback is shown)."""

    names: Mapping[str, str] = field(default_factory=dict)
    tz: tzinfo | None = None
    now: datetime | None = None


def escape(text: str) -> str:
    """HTML-escaped text; quotes too, so the result is safe in an attribute as well."""
    return html.escape(text, quote=True)


def plain_html(text: str) -> str:
    """A plain_text object: shown exactly as sent (`*`, `<` and `@` mean nothing in it)."""
    return escape(text)


def mrkdwn_html(text: str, reader: Reader) -> str:
    """A mrkdwn string as HTML: paragraphs, `>` quotes and ``` blocks as block elements."""
    parts = text.split("```")
    if len(parts) % 2 == 0:  # an unclosed fence is shown as typed
        parts[-2:] = [parts[-2] + "```" + parts[-1]]
    out: list[str] = []
    for index, part in enumerate(parts):
        if index % 2:
            code = unescape(part).removeprefix("\n").removesuffix("\n")
            out.append(f'<pre class="pre">{escape(code)}</pre>')
            continue
        # Slack drops the line break between a paragraph and a code block.
        part = part.removeprefix("\n") if index else part
        part = part.removesuffix("\n") if index < len(parts) - 1 else part
        out.extend(_paragraphs(part, reader))
    return "".join(out)


def _paragraphs(text: str, reader: Reader) -> list[str]:
    """Runs of plain lines and of `>` lines (a quote), each as one block element."""
    runs: list[tuple[bool, list[str]]] = []
    for line in text.split("\n"):
        quoted = line.startswith(">")
        body = line[1:] if quoted else line
        if runs and runs[-1][0] == quoted:
            runs[-1][1].append(body)
        else:
            runs.append((quoted, [body]))
    out: list[str] = []
    for quoted, lines in runs:
        inner = "\n".join(inline_html(line, reader) for line in lines)
        out.append(f'<div class="{"quote" if quoted else "p"}">{inner}</div>')
    return out


def inline_html(text: str, reader: Reader) -> str:
    """One line of mrkdwn: tokens (mentions, links, dates) and *bold* _italic_ ~strike~ `code`."""
    rendered: list[str] = []
    pieces: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        pieces.append(_plain(text[pos : match.start()]))
        rendered.append(_token(match.group(1), reader))
        pieces.append(f"{_OPEN_PH}{len(rendered) - 1}{_CLOSE_PH}")
        pos = match.end()
    pieces.append(_plain(text[pos:]))
    formatted = _format("".join(pieces))
    # Zero-width spaces only guard a lead's markers from Slack's parser: nothing to show.
    formatted = formatted.replace(ZERO_WIDTH_SPACE, "")
    return _PLACEHOLDER.sub(lambda m: rendered[int(m.group(1))], formatted)


def _plain(escaped: str) -> str:
    return unescape(escaped).replace(_OPEN_PH, "").replace(_CLOSE_PH, "")


def _format(text: str) -> str:
    """HTML-escape `text`, drawing its formatting markers as tags (nested ones too)."""
    out: list[str] = []
    pos = 0
    while True:
        found = [(m.start(), order, tag, m) for order, (tag, pattern) in enumerate(_MARKERS)
                 if (m := pattern.search(text, pos))]  # fmt: skip
        if not found:
            break
        _, _, tag, match = min(found, key=lambda item: item[:2])
        body = match.group("body")
        inner = escape(body) if tag == "code" else _format(body)
        out.append(f"{escape(text[pos : match.start()])}<{tag}>{inner}</{tag}>")
        pos = match.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def _token(body: str, reader: Reader) -> str:
    target, _, raw_label = body.partition("|")
    label = unescape(raw_label)
    if target[:1] in "@#":
        sigil, key = target[0], target[1:]
        name = reader.names.get(key) or label.lstrip(sigil) or key
        return f'<span class="mention">{escape(sigil + name)}</span>'
    if target.startswith("!"):
        return _command(target[1:], label, reader)
    url = unescape(target)
    shown = label or url.removeprefix("mailto:")
    if not url.startswith(_LINK_SCHEMES):
        return escape(shown)
    return f'<a class="link" href="{escape(url)}">{escape(shown)}</a>'


def _command(body: str, label: str, reader: Reader) -> str:
    name, _, arg = body.partition("^")
    if name == "date":
        return escape(_date(arg, reader) or label)
    if name in _BROADCASTS:
        return f'<span class="mention broadcast">@{escape(name)}</span>'
    if name == "subteam":
        shown = label or "@" + reader.names.get(arg, arg)
        return f'<span class="mention">{escape(shown)}</span>'
    return escape(label or f"@{name}")


def _date(arg: str, reader: Reader) -> str | None:
    """`<!date^stamp^tokens…>` as the reader's Slack shows it, or None (the fallback is shown)."""
    if reader.tz is None or reader.now is None:
        return None
    stamp, _, rest = arg.partition("^")
    tokens = unescape(rest.partition("^")[0])
    try:
        when = datetime.fromtimestamp(int(stamp), UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return format_date(when, tokens, tz=reader.tz, now=reader.now)
