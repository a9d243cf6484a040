"""Command arguments (handlers/args.py): `/leads stats` takes its words in any order, and a
word it cannot use is named in the answer."""

from __future__ import annotations

import pytest

from handlers.args import CommandError, StatsArgs, parse_stats
from tests.conftest import make_config

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
