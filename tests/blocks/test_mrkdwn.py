from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blocks.mrkdwn import (
    BIDI_CONTROLS,
    ELLIPSIS,
    ZERO_WIDTH_SPACE,
    date,
    escape,
    escape_truncated,
    link,
    literal,
    literal_truncated,
    quote_truncated,
    safe_url,
    truncate,
    truncate_mrkdwn,
    unescape,
    user,
)
from bot.tools.text import render_mrkdwn

HOSTILE_NAMES = ["<!channel>", "<!here|here>", "<@U123>", "<https://x|y>", "A & B", "&lt;b&gt;"]


def test_escape_replaces_only_the_three_control_characters() -> None:
    assert escape("A & B <c> \"d\" 'e'") == "A &amp; B &lt;c&gt; \"d\" 'e'"


def test_escape_does_not_double_escape_its_own_entities() -> None:
    assert escape("&lt;") == "&amp;lt;"
    assert unescape(escape("&lt;")) == "&lt;"


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_lead_name_renders_as_plain_text(name: str) -> None:
    escaped = escape(name)
    assert "<" not in escaped and ">" not in escaped
    # Rendered the way a Slack client would: the literal name, no mention, no link.
    assert render_mrkdwn(escaped) == name


def test_link_escapes_label() -> None:
    assert link("https://crm.example.com/l/42", "Acme <Corp> & Co") == (
        "<https://crm.example.com/l/42|Acme &lt;Corp&gt; &amp; Co>"
    )


def test_link_without_label() -> None:
    assert link("https://crm.example.com/l/42", "") == "<https://crm.example.com/l/42>"


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://example.com/x", "mailto:a@example.com", "https://", "/relative"],
)
def test_link_rejects_non_http_urls(url: str) -> None:
    assert safe_url(url) is None
    assert link(url, "Open <lead>") == "Open &lt;lead&gt;"


def test_link_percent_encodes_characters_that_would_break_the_token() -> None:
    assert link("https://x.example/a b|c<d>e\tf", "L") == (
        "<https://x.example/a%20b%7Cc%3Cd%3Ee%09f|L>"
    )


def test_link_keeps_query_ampersand_as_entity() -> None:
    assert link("https://x.example/?a=1&b=2", "L") == "<https://x.example/?a=1&amp;b=2|L>"
    assert render_mrkdwn(link("https://x.example/?a=1&b=2", "L")) == (
        "L (https://x.example/?a=1&b=2)"
    )


def test_link_with_label_that_looks_like_a_mention_stays_text() -> None:
    assert render_mrkdwn(link("https://x.example", "<!channel>")) == (
        "<!channel> (https://x.example)"
    )


@pytest.mark.parametrize("user_id", ["U123ABC", "W0123"])
def test_user_mention(user_id: str) -> None:
    assert user(user_id) == f"<@{user_id}>"


@pytest.mark.parametrize(
    ("user_id", "expected"),
    [("u123", "u123"), ("U123>", "U123&gt;"), ("<!channel>", "&lt;!channel&gt;"), ("", "")],
)
def test_user_rejects_non_ids(user_id: str, expected: str) -> None:
    assert user(user_id) == expected


def test_user_rejects_trailing_newline() -> None:
    # `$` in a regex would accept "U123\n"; the id must match in full.
    assert user("U123\n") == "U123\n"


def test_date_token() -> None:
    dt = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert date(dt, "{date_short_pretty} at {time}", "Nov 14, 22:13 UTC") == (
        "<!date^1700000000^{date_short_pretty} at {time}|Nov 14, 22:13 UTC>"
    )


def test_date_uses_the_instant_not_the_wall_clock() -> None:
    dt = datetime(2023, 11, 14, 23, 13, 20, tzinfo=timezone(timedelta(hours=1)))
    assert date(dt, "{ago}", "a & b").startswith("<!date^1700000000^{ago}|a &amp; b>")


def test_date_rejects_naive_datetime_and_bad_tokens() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        date(datetime(2023, 11, 14), "{date}", "x")
    with pytest.raises(ValueError, match="token_string"):
        date(datetime(2023, 11, 14, tzinfo=UTC), "{date}|x", "x")


def test_truncate() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("exactly10!", 10) == "exactly10!"
    assert truncate("abcdefghijk", 5) == "abcd…"
    assert truncate("abc", 1) == "…"
    with pytest.raises(ValueError):
        truncate("abc", 0)


def test_truncate_keeps_accents_with_their_letter() -> None:
    decomposed = "Zoe\u0301 Martin"  # "Zoé" with a combining acute accent
    assert truncate(decomposed, 4) == "Zo…"


def test_escape_truncated_counts_escaped_length() -> None:
    assert escape_truncated("A & B", 20) == "A &amp; B"
    # Truncating before escaping would give "A & …" → "A &amp; …": 9 characters, over the limit.
    assert escape_truncated("A & B & C", 6) == "A …"
    assert len(escape_truncated("A & B & C", 6)) <= 6


def test_escape_truncated_never_cuts_an_entity() -> None:
    assert escape_truncated("&&&&&", 8) == "&amp;…"
    assert escape_truncated("<<<", 4) == "…"


ENTITY_OR_CHAR = re.compile(r"&amp;|&lt;|&gt;|[^&]")


@given(st.text(), st.integers(min_value=1, max_value=60))
def test_escape_truncated_property(text: str, limit: int) -> None:
    out = escape_truncated(text, limit)
    assert len(out) <= limit
    body = out.removesuffix(ELLIPSIS) if out != escape(text) else out
    # Only whole entities: the body is exactly the escape of a prefix of the input.
    assert "".join(ENTITY_OR_CHAR.findall(body)) == body
    assert text.startswith(unescape(body))


@given(st.text())
def test_escape_property(text: str) -> None:
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert unescape(escaped) == text


@given(st.text(), st.integers(min_value=1, max_value=60))
def test_truncate_property(text: str, limit: int) -> None:
    out = truncate(text, limit)
    assert len(out) <= limit
    assert out == text or (out.endswith(ELLIPSIS) and text.startswith(out[:-1]))


# -- quoting and cutting measured on what is sent --------------------------------------------


def test_a_quote_opens_every_line_and_escapes() -> None:
    assert quote_truncated("a <b>\nc & d", 100) == ">a &lt;b&gt;\n>c &amp; d"


def test_a_quote_of_many_short_lines_fits_with_its_markers() -> None:
    quoted = quote_truncated("x\n" * 1100, 2900)
    assert len(quoted) <= 2900 and quoted.endswith("…")
    assert quoted.startswith(">x\n>x\n>")


@given(text=st.text(alphabet=st.sampled_from("ab&<>\n\u0301👍")), limit=st.integers(3, 400))
def test_a_quote_always_fits_and_keeps_a_prefix(text: str, limit: int) -> None:
    quoted = quote_truncated(text, limit)
    assert len(quoted) <= limit and quoted.startswith(">")
    shown = unescape(quoted[1:].replace("\n>", "\n")).removesuffix("…")
    assert text.startswith(shown)


def test_cutting_mrkdwn_never_splits_a_token_or_an_entity() -> None:
    assert truncate_mrkdwn("hi <@U0ALICE> there", 8) == "hi …"
    assert truncate_mrkdwn("Tom &amp; Jerry", 8) == "Tom …"
    assert truncate_mrkdwn("short", 8) == "short"


@given(text=st.text(alphabet=st.sampled_from("ab <>&;@U!\n")), limit=st.integers(2, 60))
def test_cut_mrkdwn_always_fits(text: str, limit: int) -> None:
    cut = truncate_mrkdwn(text, limit)
    assert len(cut) <= limit
    assert text.startswith(cut.removesuffix("…"))


# -- a lead's text shows as typed: no formatting of its own, no direction overrides ----------

MARKERS = "*_~`"


@given(st.text())
def test_literal_text_cannot_format_or_reverse(text: str) -> None:
    shown = literal(text)
    assert "<" not in shown and ">" not in shown
    assert not any(char in shown for char in BIDI_CONTROLS)
    for index, char in enumerate(shown):
        if char in MARKERS:  # every marker is fenced, so it can neither open nor close
            assert shown[index - 1] == ZERO_WIDTH_SPACE == shown[index + 1]
    typed = "".join(char for char in text if char not in BIDI_CONTROLS)
    assert unescape(shown.replace(ZERO_WIDTH_SPACE, "")) == typed.replace(ZERO_WIDTH_SPACE, "")


@given(st.text(), st.integers(min_value=1, max_value=80))
def test_literal_truncated_fits_and_never_splits_a_fence(text: str, limit: int) -> None:
    shown = literal_truncated(text, limit)
    assert len(shown) <= limit
    body = shown.removesuffix(ELLIPSIS)
    for index, char in enumerate(body):
        if char in MARKERS:
            assert body[index - 1] == ZERO_WIDTH_SPACE == body[index + 1]


def test_a_name_with_markup_keeps_the_cards_own_bold() -> None:
    name = "*VIP* _Dana_ ~x~ `c` \u202eevil"
    shown = render_mrkdwn(f"*{literal(name)}*")
    assert shown == "**VIP* _Dana_ ~x~ `c` evil*"  # the card's stars around the name as typed
