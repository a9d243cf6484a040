"""`/leads stats templates` and the follow-up table of `/leads stats`, as signed slash commands
through real Bolt dispatch (SQLite and PostgreSQL); the rows are inserted directly, like
tests/review/test_followup_stats.py, whose hand-computed numbers they reuse."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from bot.config.schema import Config
from handlers.args import CommandError, StatsArgs, parse_stats
from tests.conftest import make_config
from tests.fakes.harness import Harness
from tests.handlers.test_stats_command import NOW, ask
from tests.review.test_followup_stats import seed_followup, seed_templates

CONFIG = make_config(followup={"min_template_uses": 3})


@pytest.fixture
def clock_start() -> datetime:
    return NOW


@pytest.fixture
def bot_config() -> Config:
    return CONFIG


def sections(answer: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in answer.get("blocks", []) if b["type"] == "section"]


def test_templates_ranked_for_anyone_with_the_team_numbers(timed_bot: Harness) -> None:
    seed_templates(timed_bot.app.services.db)
    rep = ask(timed_bot, "templates", "U0BO")  # a month by default
    assert rep["response_type"] == "ephemeral"
    assert rep["text"] == (
        "Outreach templates, in the last 30 days (Feb 2 – Mar 4): 9 uses; best reply rate value "
        "(3 of 4 · 75.0%)."
    )
    ranked = next(text for text in sections(rep) if text.startswith("*Ranked by reply rate*"))
    rows = [line.split() for line in ranked.split("\n")[3:-1]]
    assert rows == [
        ["1", "value", "3", "of", "4", "·", "75.0%", "0", "of", "4", "·", "0.0%"],
        ["2", "intro", "1", "of", "4", "·", "25.0%", "1", "of", "4", "·", "25.0%"],
    ]
    assert "breakup                   not enough uses yet (1/3)" in json.dumps(
        rep["blocks"], ensure_ascii=False
    )
    manager = ask(timed_bot, "TEMPLATES month", "U0MAYA")
    assert manager["blocks"] == rep["blocks"]  # templates are shared: the same numbers for all
    week = ask(timed_bot, "week templates", "U0CHEN")
    assert week["text"] == (
        "Outreach templates, in the last 7 days (Feb 25 – Mar 4): 3 uses, no template has 3 uses "
        "yet."
    )


def test_templates_take_no_rep_or_source(timed_bot: Harness) -> None:
    answer = ask(timed_bot, "templates <@U0ALICE|alice>", "U0MAYA")
    assert answer["text"] == (
        "<@U0ALICE>: templates are ranked over the whole team's touches, with no @rep; use "
        "`/leads stats templates [today|week|month]`"
    )
    assert "blocks" not in answer
    empty = ask(timed_bot, "templates today", "U0BO")
    assert empty["text"] == (
        "No outreach template was used today (Wed Mar 4, since midnight) yet: a use is a task "
        "done with its template. `/leads stats templates month` looks further back."
    )


def followup_table(answer: dict[str, Any]) -> dict[str, list[str]]:
    text = next(t for t in sections(answer) if "*Follow-up by rep*" in t)
    return {line.split()[0]: line.split()[1:] for line in text.split("\n")[4:-1]}


def test_stats_shows_follow_up_by_rep(timed_bot: Harness) -> None:
    seed_followup(timed_bot.app.services.db)
    manager = followup_table(ask(timed_bot, "week", "U0MAYA"))
    assert manager == {
        "Alice": ["1", "of", "2", "·", "50%", "2.0", "2", "1", "of", "2", "·", "50%"],
        "Bo": ["1", "of", "5", "·", "20%", "1.8", "2", "1", "of", "4", "·", "25%"],
        "Chen": ["–", "–", "–", "–"],
        "Team": ["total", "2", "of", "7", "·", "29%", "1.9", "2", "2", "of", "6", "·", "33%"],
    }
    chen = followup_table(ask(timed_bot, "", "U0CHEN"))  # their own row and the team's
    assert chen == {"Chen": manager["Chen"], "Team": manager["Team"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("templates", StatsArgs("month", templates=True)),
        ("Templates week", StatsArgs("week", templates=True)),
        ("today templates", StatsArgs("today", templates=True)),
        ("week", StatsArgs("week")),
    ],
)
def test_parse_stats_templates(text: str, expected: StatsArgs) -> None:
    assert parse_stats(text.split(), CONFIG) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("templates #website", "'#website': templates are ranked over the whole team's touches"),
        ("@bo templates", "'@bo': templates are ranked over the whole team's touches, with no"),
        ("templates templates", "'templates': give at most one report (you also gave"),
        ("template", "'template' is not a period, a @rep or a #source: use today, week or month"),
    ],
)
def test_parse_stats_templates_refusals(text: str, message: str) -> None:
    with pytest.raises(CommandError) as err:
        parse_stats(text.split(), CONFIG)
    assert str(err.value).startswith(message)
