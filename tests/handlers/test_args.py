"""Command arguments (handlers/args.py): `/leads stats` takes its words in any order, `/leads
away` one time in any of its forms, and a word either cannot use is named in the answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.leads.availability import (
    AwayChoice,
    AwayRefused,
    NextWeekday,
    OnDate,
    Tomorrow,
    away_until,
)
from handlers.args import (
    AWAY_USAGE,
    CommandError,
    StatsArgs,
    parse_away,
    parse_snooze,
    parse_stats,
)
from tests.conftest import make_config
from tests.strategies import texts

CONFIG = make_config()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", StatsArgs("week")),
        ("MONTH", StatsArgs("month")),
        ("<@U0BO|bo> today", StatsArgs("today", rep="U0BO")),
        ("today <@U0BO>", StatsArgs("today", rep="U0BO")),
        ("@alice", StatsArgs("week", rep="U0ALICE")),
        ("@CHEN month", StatsArgs("month", rep="U0CHEN")),
        ("#webform week", StatsArgs("week", source="webform")),
        ("<#C0123|webform>", StatsArgs("week", source="webform")),
        ("<#C0123|webform> <@U0BO|bo> today", StatsArgs("today", "U0BO", "webform")),
    ],
)
def test_parse_stats_accepts_words_in_any_order(text: str, expected: StatsArgs) -> None:
    assert parse_stats(text.split(), CONFIG) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "fortnight",
            "'fortnight' is not a period, a @rep or a #source: use today, week or month, a @rep "
            "such as @Alice, or a #source such as #website",
        ),
        ("alice", "'alice' is not a period, a @rep or a #source (did you mean '@alice'?): use"),
        ("week month", "'month': give at most one period (you also gave 'week')"),
        ("<@U0BO|bo> @alice", "'@alice': give at most one @rep (you also gave <@U0BO>)"),
        ("#web <#C1|partner>", "'#partner': give at most one #source (you also gave '#web')"),
        ("@zed", "'@zed' is not a rep in leadbot.yml: use one of Alice, Bo, Chen, or mention"),
        ("#", "'#': no source name in it; type the source after #, e.g. #website"),
        ("<!channel>", "'&lt;!channel&gt;' is not a period"),  # echoed, never a ping
    ],
)
def test_parse_stats_names_the_bad_word(text: str, message: str) -> None:
    with pytest.raises(CommandError) as err:
        parse_stats(text.split(), CONFIG)
    assert str(err.value).startswith(message)


def test_an_ambiguous_first_name_asks_for_a_mention() -> None:
    config = make_config(
        reps=[
            {"id": "U0ANA1", "name": "Ana Lima"},
            {"id": "U0ANA2", "name": "Ana Park"},
        ]
    )
    assert parse_stats(["@analima"], config).rep == "U0ANA1"
    with pytest.raises(CommandError, match="'@ana' could be Ana Lima and Ana Park: mention"):
        parse_stats(["@ana"], config)


# -- /leads away ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("2h", timedelta(hours=2)),
        ("1H30M", timedelta(hours=1, minutes=30)),
        ("365d", timedelta(days=365)),
        ("tomorrow", Tomorrow()),
        ("Tomorrow", Tomorrow()),
        ("mon", NextWeekday(0)),
        ("friday", NextWeekday(4)),
        ("FRI", NextWeekday(4)),
        ("Sunday", NextWeekday(6)),
        ("2026-12-01", OnDate(date(2026, 12, 1))),
        ("2028-02-29", OnDate(date(2028, 2, 29))),
        ("until friday", NextWeekday(4)),
        ("UNTIL 2h", timedelta(hours=2)),
        ("until 2026-12-01", OnDate(date(2026, 12, 1))),
    ],
)
def test_parse_away_accepts_each_form(text: str, expected: AwayChoice | None) -> None:
    assert parse_away(text.split()) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", f"'soon' is not a duration, a weekday or a date ({AWAY_USAGE})"),
        ("fridays", f"'fridays' is not a duration, a weekday or a date ({AWAY_USAGE})"),
        ("10", f"'10' is not a duration, a weekday or a date ({AWAY_USAGE})"),
        ("-2h", f"'-2h' is not a duration, a weekday or a date ({AWAY_USAGE})"),
        ("2026/12/01", f"'2026/12/01' is not a duration, a weekday or a date ({AWAY_USAGE})"),
        ("<!channel>", f"'&lt;!channel&gt;' is not a duration, a weekday or a date ({AWAY_USAGE})"),
        ("2026-02-30", "'2026-02-30' is not a date: February 2026 has days 01 to 28"),
        ("2028-02-30", "'2028-02-30' is not a date: February 2028 has days 01 to 29"),
        ("2026-12-00", "'2026-12-00' is not a date: December 2026 has days 01 to 31"),
        ("2026-13-01", "'2026-13-01' is not a date: months go from 01 to 12"),
        ("0000-01-01", "'0000-01-01' is not a date: years start at 0001"),
        (
            "366d",
            "'366d' is more than a year: give at most 365d, or just `/leads away` "
            "(until `/leads back`)",
        ),
        (
            "9" * 30 + "d",
            f"'{'9' * 30}d' is more than a year: give at most 365d, or just `/leads away` "
            "(until `/leads back`)",
        ),
        ("friday 9am", f"'9am': give one time only (you already gave 'friday') ({AWAY_USAGE})"),
        ("until", f"'until' needs a time after it, e.g. `/leads away until friday` ({AWAY_USAGE})"),
        (
            "until until friday",
            f"'friday': give one time only (you already gave 'until') ({AWAY_USAGE})",
        ),
    ],
)
def test_parse_away_names_the_word_it_refuses(text: str, message: str) -> None:
    with pytest.raises(CommandError) as err:
        parse_away(text.split())
    assert str(err.value) == message


def test_the_away_usage_names_every_form() -> None:
    assert AWAY_USAGE == (
        "usage: `/leads away [until]`: a duration (`2h`), `tomorrow`, a weekday (`friday`) or a "
        "date (`2026-12-01`), mornings at 9:00 your time; with none, until `/leads back`"
    )


# Words near the grammar's edges, mixed into generated ones: forms, impossible dates, overflowing
# durations, non-ASCII digits and letters whose lower case changes length.
AWAY_WORDS = ["until", "UNTIL", "friday", "Sun", "tomorrow", "2h", "0m", "365d", "366d",
              "2026-12-01", "2026-02-30", "0000-00-00", "9999-12-31", "２０２６-１２-０１",
              "２h", "9" * 400 + "d", "1e9d", "1.5h", "-1h", "<@U0BO|bo>", "<!channel>", "İ",
              "ẞ"]  # fmt: skip
away_texts = (
    texts
    | st.text(max_size=30)
    | st.lists(st.sampled_from(AWAY_WORDS) | st.text(max_size=12), max_size=6).map(" ".join)
)
ZONES = ["America/New_York", "Australia/Sydney", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


@given(
    text=away_texts,
    now=st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
    zone=st.sampled_from(ZONES),
)
def test_parse_away_returns_a_usable_choice_or_a_short_refusal(
    text: str, now: datetime, zone: str
) -> None:
    """Whatever follows `/leads away`: a choice that ends after now (or a refusal of a date not
    ahead), or a CommandError short enough for Slack, never another exception."""
    try:
        choice = parse_away(text.split())
    except CommandError as err:
        assert 0 < len(str(err)) < 600
        return
    if choice is None:
        return
    assert isinstance(choice, timedelta | Tomorrow | NextWeekday | OnDate)
    try:
        until = away_until(choice, now, ZoneInfo(zone))
    except AwayRefused:
        assert isinstance(choice, OnDate)
        return
    assert now <= until <= now + timedelta(days=367)


@pytest.mark.parametrize("length", ["99999999999d", "366d", "1e400d"])
def test_a_snooze_longer_than_a_year_is_refused_not_a_crash(length: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse_snooze(["42", length])
    assert "is more than a year: give at most 365d" in str(
        refused.value
    ) or "not a duration" in str(refused.value)


@given(
    st.one_of(
        st.text(max_size=40), st.from_regex(r"[0-9]{1,16}(\.[0-9]{0,3})?[dhms]", fullmatch=True)
    )
)
def test_snooze_lengths_parse_or_are_refused(word: str) -> None:
    try:
        parsed = parse_snooze(["42", word])
    except CommandError:
        return
    assert parsed.choice == word.lower()
