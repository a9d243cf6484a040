"""`leadbot audit --compare`: the export beside leadbot's own leads, measured by the same code
(bot/review/audit/own.py), from a real database file."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from rich.console import Console

from bot.cli import main
from bot.config.load import parse_config
from bot.review.audit.reader import Options
from bot.review.audit.run import Compare, Outputs, run_audit
from bot.vocabulary import LeadStatus
from storage.db import Database
from storage.models import Lead

EXPORTS = Path(__file__).parent / "exports"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CONFIG_YML = """timezone: UTC
channels: {leads: C0LEADS, queue: C0QUEUE}
reps: [{id: U0ALICE, name: Alice}, {id: U0BO, name: Bo}]
"""


def lead(received: datetime, contact: timedelta | None, owner: str, **values: Any) -> Lead:
    return Lead(received_at=received, created_at=received, source="website", tier="warm",
                status=LeadStatus.CLAIMED, owner_id=owner,
                first_contact_at=received + contact if contact is not None else None,
                contact_count=0 if contact is None else 1, **values)  # fmt: skip


@pytest.fixture
def database(database_url: str) -> str:
    """leadbot's database with four leads, on SQLite and on PostgreSQL."""
    url = database_url
    db = Database(url)
    db.upgrade()
    with db.write() as session:
        session.add(lead(NOW - timedelta(days=2), timedelta(minutes=3), "U0ALICE", outcome="won"))
        session.add(lead(NOW - timedelta(days=1), timedelta(minutes=40), "U0BO"))
        session.add(lead(NOW - timedelta(days=3), None, "U0BO"))
        session.add(lead(NOW - timedelta(days=30), timedelta(hours=9), "U0BO"))  # before
    return url


def test_the_export_beside_leadbots_last_week(database: str, tmp_path: Path) -> None:
    """The HubSpot sample spans four days, so "auto" takes the last seven (the shortest)."""
    config = parse_config(yaml.safe_load(CONFIG_YML))
    out, screen = tmp_path / "r.json", io.StringIO()
    options = Options("hubspot", [], ZoneInfo("America/New_York"))
    outputs = Outputs(json=str(out), html=str(tmp_path / "r.html"))
    compare = Compare(database, "auto", NOW)
    console = Console(file=screen, width=120)
    code = run_audit(str(EXPORTS / "hubspot.csv"), options, outputs, config, console,
                     compare=compare)  # fmt: skip
    assert code == 0
    after = json.loads(out.read_text())["audit"]["compare"]
    assert after["label"] == "leadbot, 2026-11-13 to 2026-11-20"
    overall = after["overall"]
    assert (overall["leads"], overall["median"], overall["p90"]) == (3, 180.0, 2400.0)
    assert overall["within"][:2] == [pytest.approx(1 / 3), pytest.approx(2 / 3)]
    assert overall["never"] == pytest.approx(1 / 3)
    assert {g["name"] for g in after["by_owner"]} == {"Alice", "Bo"}
    text = screen.getvalue()
    assert "Before and after" in text and "leadbot, 2026-11-13 to 2026-11-20" in text
    line = next(row for row in text.splitlines() if "median first response" in row)
    assert [cell.strip() for cell in line.split("│")[1:4]] == ["median first response", "45m", "3m"]
    assert "Before and after" in (tmp_path / "r.html").read_text()


def test_compare_from_the_command_line_with_dates(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("DATABASE_URL", database)
    config = tmp_path / "leadbot.yml"
    config.write_text(CONFIG_YML, encoding="utf-8")
    out = tmp_path / "r.json"
    args = ["audit", str(EXPORTS / "hubspot.csv"), "--preset", "hubspot", "--tz", "UTC",
            "--config", str(config), "--json", str(out)]  # fmt: skip
    assert main([*args, "--compare", "2026-10-01..2026-11-30"]) == 0
    assert json.loads(out.read_text())["audit"]["compare"]["overall"]["leads"] == 4
    capsys.readouterr()
    assert main([*args, "--compare", "2026-11-30..2026-10-01"]) == 2
    assert "FROM must not be after TO" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'nowhere.db'}")
    assert main([*args, "--compare"]) == 3  # the database's trouble: ExitCode.DATABASE
    assert "which does not exist: there is no leadbot database there" in capsys.readouterr().err
    assert not (tmp_path / "nowhere.db").exists()
