"""`leadbot lead 42`: a lead's whole history (who, what, when) in the reader's zone, its state at
the top, its contact details hidden unless asked for; a table on a terminal, plain lines when
piped, JSON with --json; a lead that is not there is one line and exit 4."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from bot.cli import main
from bot.clock import FixedClock
from bot.leads.events import add_event_for
from bot.leads.history import lead_history
from bot.leads.input import parse_lead
from bot.leads.service import LeadService
from bot.services import Deps
from bot.tools.lead_command import show
from bot.tools.lead_view import HIDDEN, View
from bot.vocabulary import EventKind, ExitCode
from storage.db import Database
from tests.conftest import make_config

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
EMAIL, PHONE = "dana@northwind.test", "+1 555 0100"
CONFIG = (
    "channels: {queue: C0QUEUE}\n"
    "reps:\n  - {id: U0ALICE, name: Alice}\n  - {id: U0BO, name: Bo}\n"
    "managers:\n  - {id: U0MAYA, name: Maya}\n"
)


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """A lead received, claimed after 3m 12s, snoozed, and with a note quoting its email; the
    environment pointing `leadbot` at its database and a leadbot.yml naming the reps."""
    url = f"sqlite:///{tmp_path / 'leadbot.db'}"
    (tmp_path / "leadbot.yml").write_text(CONFIG)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LEADBOT_CONFIG", str(tmp_path / "leadbot.yml"))
    db = Database(url)
    db.upgrade()
    clock = FixedClock(START)
    leads = LeadService(Deps.create(db, make_config(), clock))
    data = {"name": "Dana", "company": "Northwind", "email": EMAIL, "phone": PHONE, "tier": "hot"}
    got = leads.receive(parse_lead(data, ["hot", "warm", "cold"]))
    clock.advance(timedelta(minutes=3, seconds=12))
    assert leads.claim(got.lead_id, "U0ALICE").ok
    clock.advance(timedelta(minutes=10))
    assert leads.snooze(got.lead_id, "U0ALICE", clock.now() + timedelta(hours=2)).ok
    with db.write() as session:
        add_event_for(session, got.lead_id, "U0ALICE", EventKind.CONTACTED, clock.now(),
                      outcome="email", note=f"wrote to {EMAIL}")  # fmt: skip
    db.dispose()
    return got.lead_id


def test_the_history_piped_is_plain_lines_in_the_zone_asked_for(
    stored: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lead", str(stored), "--tz", "America/New_York"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "\x1b[" not in out and "┃" not in out  # piped: no colour, no box drawing
    lines = out.splitlines()
    assert lines[0] == f"Lead:     #{stored} Dana · Northwind"
    assert "Status:   claimed by Alice at 2026-11-25 04:03:12, snoozed until" in out
    assert "Owner:    Alice" in out
    assert "SLA:      met: claimed after 3m 12s (due 2026-11-25 04:05:00)" in out
    assert "Tier:     hot" in out and "Source:   api" in out
    events = out.split("\n\n", 1)[1].splitlines()
    assert events[0] == "5 events, times in America/New_York"
    assert events[1] == "when                 who      what"
    assert events[2:6] == [
        "2026-11-25 04:00:00  intake   received from api",
        "2026-11-25 04:00:00  leadbot  assigned to Alice (reason: default pool · round robin)",
        "2026-11-25 04:03:12  Alice    claimed it after 3m 12s",
        "2026-11-25 04:13:12  Alice    snoozed it until 2026-11-25 06:13:12",
    ]
    assert EMAIL not in out and PHONE not in out
    assert f"Contact:  {HIDDEN}" in out
    assert f"note: wrote to {HIDDEN}" in out


def test_show_contact_shows_the_email_and_phone(
    stored: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lead", f"#{stored}", "--show-contact"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert f"Contact:  {EMAIL} · {PHONE}" in out
    assert f"note: wrote to {EMAIL}" in out


def test_json_has_the_state_and_every_event_without_contact(
    stored: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lead", str(stored), "--json", "--tz", "Europe/Berlin"]) == ExitCode.OK
    out = capsys.readouterr().out
    answer = json.loads(out)
    assert EMAIL not in out and PHONE not in out
    assert "email" not in answer["lead"] and "phone" not in answer["lead"]
    assert answer["lead"]["status"] == "claimed" and answer["lead"]["owner_id"] == "U0ALICE"
    assert answer["lead"]["received_at"] == "2026-11-25T10:00:00+01:00"
    assert answer["timezone"] == "Europe/Berlin"
    kinds = [event["kind"] for event in answer["events"]]
    assert kinds == ["received", "assigned", "claimed", "snoozed", "contacted"]
    claimed = answer["events"][2]
    assert (claimed["actor"], claimed["actor_name"]) == ("U0ALICE", "Alice")
    assert claimed["text"] == "claimed it after 3m 12s"
    assert answer["events"][4]["detail"]["note"] == f"wrote to {HIDDEN}"
    shown = json.loads(_json_of(stored, "--show-contact", capsys))
    assert shown["lead"]["email"] == EMAIL


def _json_of(lead_id: int, flag: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["lead", str(lead_id), "--json", flag]) == ExitCode.OK
    return capsys.readouterr().out


def test_on_a_terminal_the_history_is_tables(stored: int) -> None:
    db = Database(_url())
    history = lead_history(db, stored)
    db.dispose()
    assert history is not None
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system="standard")
    show(history, View(ZoneInfo("UTC"), lambda user: {"U0ALICE": "Alice"}.get(user, user)), console)
    text = screen.getvalue()
    assert "\x1b[" in text and "┃" in text
    assert "5 events, times in UTC" in text and EMAIL not in text


def _url() -> str:
    return os.environ["DATABASE_URL"]


def test_a_lead_that_is_not_there_is_one_line_and_exit_4(
    stored: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lead", str(stored + 41)]) == ExitCode.NOT_FOUND
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"leadbot: no lead #{stored + 41} in the SQLite file "
        f"{_url().removeprefix('sqlite:///')!r} (DATABASE_URL)"
    ]


def test_a_database_that_is_not_there_is_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///leadbot.db")
    assert main(["lead", "1"]) == ExitCode.DATABASE
    assert "names the SQLite file 'leadbot.db', which does not exist" in capsys.readouterr().err
    assert not (tmp_path / "leadbot.db").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [(["lead", "1", "--tz", "Mars/Olympus"], "not a time zone name"), (["lead", "x"], None)],
)
def test_bad_options_exit_2(
    args: list[str], words: str | None, stored: int, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(args)
    except SystemExit as exit_:  # argparse's own refusal of the id
        code = int(exit_.code or 0)
    assert code == ExitCode.USAGE
    if words:
        assert words in capsys.readouterr().err
