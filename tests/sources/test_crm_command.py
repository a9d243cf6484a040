"""`leadbot crm list|retry` (bot/sources/crm_command.py): a write given up for a refused token
is listed, queued again once the token is fixed, and written by the writer's next tick; the
card's warning goes with it."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.clock import FixedClock
from bot.vocabulary import ExitCode
from tests.fakes.harness import Harness
from tests.fakes.hubspot import FakeHubSpot
from tests.sources import test_writeback as writeback
from tests.sources.test_writeback import patches, row_of, send_contact, writer

# The write-back tests' fixtures: a bot whose `hub` source writes owners to a fake HubSpot.
bot, hub_config, hubspot = writeback.bot, writeback.hub_config, writeback.hubspot


def leadbot(bot: Harness, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", bot.app.services.settings.database_url)
    return main(["crm", *argv])


def test_a_given_up_write_is_listed_retried_and_written(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    lead_id = send_contact(bot, clock, hubspot, "931")
    hubspot.token = "pat-na1-rotated"  # leadbot's token is refused
    writer(bot).tick()
    assert row_of(bot, lead_id).status == "failed"

    assert leadbot(bot, monkeypatch, "list") == ExitCode.OK
    listed = capsys.readouterr().out
    assert f"lead #{lead_id}" in listed and "HubSpot refused the token (401)" in listed
    assert leadbot(bot, monkeypatch, "list", "--json") == ExitCode.OK
    [row] = json.loads(capsys.readouterr().out)
    assert row["lead_id"] == lead_id and row["status"] == "failed" and row["owner"] == "U0BO"

    hubspot.token = "pat-na1-test"  # the admin fixed HUB_TOKEN (here: HubSpot takes it again)
    assert leadbot(bot, monkeypatch, "retry", str(lead_id)) == ExitCode.OK
    assert "1 owner write(s) queued again" in capsys.readouterr().out
    assert row_of(bot, lead_id).status == "pending" and row_of(bot, lead_id).attempts == 0
    writer(bot).tick()
    assert patches(hubspot) == [("931", "102")] and row_of(bot, lead_id).status == "written"
    assert leadbot(bot, monkeypatch, "list") == ExitCode.OK
    assert "No owner write is given up." in capsys.readouterr().out


def test_retry_names_a_lead_without_a_given_up_write(
    bot: Harness, clock: FixedClock, hubspot: FakeHubSpot, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    written = send_contact(bot, clock, hubspot, "941")
    writer(bot).tick()
    assert row_of(bot, written).status == "written"
    assert leadbot(bot, monkeypatch, "retry", str(written), "99999") == ExitCode.NOT_FOUND
    err = capsys.readouterr().err
    assert f"lead #{written} has no given-up owner write" in err and "lead #99999" in err
    assert row_of(bot, written).status == "written"
    assert leadbot(bot, monkeypatch, "retry", "--all-failed") == ExitCode.OK
    assert "0 owner write(s) queued again" in capsys.readouterr().out
