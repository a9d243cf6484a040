from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageElement,
    MarkdownTextObject,
    SectionBlock,
)

from blocks.mrkdwn import date, escape, link, user
from bot.tools.text import format_date, render_blocks, render_message, render_mrkdwn

NEW_YORK = ZoneInfo("America/New_York")
STAMP = 1700000000  # 2023-11-14 22:13:20 UTC, 17:13:20 in New York
WHEN = datetime.fromtimestamp(STAMP, UTC)
NOW = WHEN + timedelta(minutes=3)


def md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def lead_card() -> list[Block]:
    received = date(WHEN, "{date_short_pretty} at {time}", "Nov 14 at 22:13 UTC")
    return [
        HeaderBlock(text="New lead: Acme <Corp>"),
        SectionBlock(
            text=f"*{escape('Acme & Co')}* wants a demo. Owner: {user('U123')}\n"
            f"Received {received} ({date(WHEN, '{ago}', '22:13 UTC')})",
            fields=[
                md("*Company*\n" + escape("Acme & Co")),
                md("*Source*\nWeb form"),
                md("*Email*\n<mailto:jo@acme.test|jo@acme.test>"),
                md("*Name*\n" + escape("<!channel>")),
            ],
        ),
        ContextBlock(elements=[md("Routed by rule `enterprise`"), md("SLA 30 min")]),
        ActionsBlock(
            elements=[
                ButtonElement(text="Claim", action_id="claim", style="primary"),
                ButtonElement(text="Snooze", action_id="snooze"),
                ButtonElement(text="Pass", action_id="pass", style="danger"),
                ButtonElement(text="Open in CRM", action_id="crm", url="https://crm.test/l/1"),
            ]
        ),
        DividerBlock(),
    ]


def test_render_lead_card() -> None:
    message = {"text": "New lead", "blocks": [b.to_dict() for b in lead_card()]}
    out = render_message(message, names={"U123": "Dana"}, tz=NEW_YORK, now=NOW, width=60)
    assert out == (
        "■ New lead: Acme <Corp>\n"
        "*Acme & Co* wants a demo. Owner: @Dana\n"
        "Received Today at 5:13 PM (3 minutes ago)\n"
        "*Company*                      *Source*\n"
        "Acme & Co                      Web form\n"
        "*Email*                        *Name*\n"
        "jo@acme.test                   <!channel>\n"
        "Routed by rule `enterprise`  ·  SLA 30 min\n"
        "[ Claim ]  [ Snooze ]  [ Pass ]  [ Open in CRM ↗ ]\n" + "─" * 60
    )


def test_render_blocks_accepts_slack_sdk_objects() -> None:
    as_objects = render_blocks(lead_card(), tz=NEW_YORK, now=NOW, width=60)
    as_dicts = render_blocks([b.to_dict() for b in lead_card()], tz=NEW_YORK, now=NOW, width=60)
    assert as_objects == as_dicts
    assert "Owner: @U123" in as_objects  # no name known: the id is shown


def test_message_without_blocks_renders_text() -> None:
    message = {"text": f"New lead for {user('U9')}: {escape('<b> & co')}"}
    assert render_message(message, names={"U9": "Ana"}, now=NOW) == "New lead for @Ana: <b> & co"


def test_odd_field_count_and_accessory() -> None:
    block = SectionBlock(
        text="Pick one",
        fields=[md("*A*"), md("*B*"), md("*C*")],
        accessory=ButtonElement(text="Open", action_id="open", url="https://x.test"),
    )
    assert render_blocks([block], now=NOW, width=20) == "Pick one\n*A*        *B*\n*C*\n[ Open ↗ ]"


def test_long_text_wraps_but_urls_stay_whole() -> None:
    text = "word " * 5 + "https://crm.example.com/a/very/long/path"
    out = render_blocks([SectionBlock(text=text)], now=NOW, width=20)
    assert out == "word word word word\nword\nhttps://crm.example.com/a/very/long/path"


def test_context_with_image_and_plain_image_block() -> None:
    blocks = [
        ContextBlock(elements=[ImageElement(image_url="https://x.test/a.png", alt_text="logo")]),
        {"type": "image", "image_url": "https://x.test/b.png", "alt_text": "chart"},
    ]
    assert render_blocks(blocks, now=NOW) == "[image: logo]\n[image: chart]"


@pytest.mark.parametrize(
    ("mrkdwn", "expected"),
    [
        ("<@U123>", "@Dana"),
        ("<@U999>", "@U999"),
        ("<@U999|old>", "@old"),
        ("<#C123>", "#sales"),
        ("<#C777|leads-emea>", "#leads-emea"),
        ("<#C777>", "#C777"),
        ("<https://x.test/a?b=1&amp;c=2|Open &amp; go>", "Open & go (https://x.test/a?b=1&c=2)"),
        ("<https://x.test>", "https://x.test"),
        ("<!channel> and <!here|here> and <!everyone>", "@channel and @here and @everyone"),
        ("<!subteam^S1|@sales-team>", "@sales-team"),
        ("&lt;!channel&gt;", "<!channel>"),
        ("&lt;@U123&gt; &amp;lt;", "<@U123> &lt;"),
        ("*bold* _it_", "*bold* _it_"),
    ],
)
def test_inline_mrkdwn(mrkdwn: str, expected: str) -> None:
    names = {"U123": "Dana", "C123": "sales"}
    assert render_mrkdwn(mrkdwn, names=names, now=NOW) == expected


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ("{date_num}", "2023-11-14"),
        ("{date}", "November 14th, 2023"),
        ("{date_short}", "Nov 14, 2023"),
        ("{date_long}", "Tuesday, November 14th, 2023"),
        ("{date_pretty}", "Today"),
        ("{date_short_pretty} at {time}", "Today at 5:13 PM"),
        ("due {date_long_pretty}", "due today"),
        ("{time_secs}", "5:13:20 PM"),
        ("{ago}", "3 minutes ago"),
        ("{nonsense} {time}", "FALLBACK"),
    ],
)
def test_date_tokens(tokens: str, expected: str) -> None:
    token = f"<!date^{STAMP}^{tokens}|FALLBACK>"
    assert render_mrkdwn(token, tz=NEW_YORK, now=NOW) == expected


def test_pretty_dates_depend_on_the_readers_time_zone() -> None:
    when = datetime(2023, 11, 15, 2, 0, tzinfo=UTC)
    now = datetime(2023, 11, 15, 12, 0, tzinfo=UTC)
    assert format_date(when, "{date_pretty}", tz=UTC, now=now) == "Today"
    assert format_date(when, "{date_pretty}", tz=NEW_YORK, now=now) == "Yesterday"
    later = now + timedelta(days=1)
    assert format_date(later, "{date_short_pretty}", tz=NEW_YORK, now=now) == "Tomorrow"
    assert format_date(now + timedelta(days=2), "{date_short_pretty}", tz=UTC, now=now) == (
        "Nov 17, 2023"
    )


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=-20), "just now"),
        (timedelta(minutes=-1), "1 minute ago"),
        (timedelta(hours=-5, minutes=-59), "5 hours ago"),
        (timedelta(hours=2), "in 2 hours"),
        (timedelta(days=-1), "1 day ago"),
        (timedelta(days=45), "in 1 month"),
        (timedelta(days=-800), "2 years ago"),
    ],
)
def test_ago(delta: timedelta, expected: str) -> None:
    assert format_date(NOW + delta, "{ago}", tz=UTC, now=NOW) == expected


def test_ordinals() -> None:
    days = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23]
    out = [format_date(datetime(2023, 1, d, tzinfo=UTC), "{date}", tz=UTC, now=NOW) for d in days]
    suffixes = [s.split(",")[0].removeprefix("January ") for s in out if s]
    assert suffixes == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd"]


def test_date_with_link_and_bad_timestamp() -> None:
    linked = f"<!date^{STAMP}^{{date_num}}^https://x.test/l/1|fallback>"
    assert render_mrkdwn(linked, tz=NEW_YORK, now=NOW) == "2023-11-14 (https://x.test/l/1)"
    assert render_mrkdwn("<!date^soon^{date}|fallback &amp; more>", now=NOW) == "fallback & more"


def test_link_builder_round_trip() -> None:
    out = render_mrkdwn(link("https://crm.test/l/1?x=1&y=2", "Acme <Corp>"), now=NOW)
    assert out == "Acme <Corp> (https://crm.test/l/1?x=1&y=2)"


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render_mrkdwn("x", now=datetime(2023, 11, 14))
