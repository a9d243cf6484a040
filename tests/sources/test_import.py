"""`leadbot import FILE.csv` into a running bot's database: HubSpot-shaped rows become leads
routed in turn, carded by the running bot, the channel's backlog summarised; bad rows are
refused alone, with their line and why; a second import creates nothing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.cli import main
from bot.clock import SystemClock
from bot.fakeslack.server import FakeSlack
from bot.leads.service import LeadService
from bot.services import Deps
from bot.sources.importer import Importer, columns
from bot.sources.importer import rows as read_rows
from storage.crm import CrmWrite
from storage.db import Database
from storage.models import Lead
from tests.conftest import BASE_CONFIG, make_config, start_bot
from tests.fakes.harness import Harness

# Slack's real pace into #leads, so 30 channel copies would take 30 s: summarised after 5.
SLOW_CHANNEL = {"post_per_channel": 1, "post_burst": 1, "summarise_after": "5s",
                "tier3_per_minute": 600}  # fmt: skip
HEADER = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name",
          "Country/Region", "Lifecycle Stage", "Create Date"]  # fmt: skip


def hubspot_rows() -> list[list[str]]:
    rows = [[str(1000 + n), f"Ada{n}", "Lovelace", f"ada{n}@analytical.example",
             "+44 20 7946 0000", "Analytical Engines", "United Kingdom", "lead",
             "2026-11-20 09:14"] for n in range(30)]  # fmt: skip
    rows.append(["2000", "", "", "", "", "Nameless Ltd", "", "lead", ""])  # line 32: no one
    rows.append(["2001", "Bad", "Email", "not-an-email", "", "", "", "lead", ""])  # line 33
    rows.append(rows[0])  # line 34: Record ID 1000 again
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def running(fake_slack: FakeSlack, database_url: str, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:  # fmt: skip
    config = {**BASE_CONFIG, "delivery": SLOW_CHANNEL}
    (tmp_path / "leadbot.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setenv("LEADBOT_CONFIG", str(tmp_path / "leadbot.yml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    harness = start_bot(fake_slack, database_url, make_config(delivery=SLOW_CHANNEL))
    yield harness
    harness.app.stop()


def count(db: Database, *where: Any) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Lead).where(*where)) or 0)


def test_an_import_is_routed_in_turn_carded_and_idempotent(
    running: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "contacts.csv", HEADER, hubspot_rows())
    assert main(["import", str(path), "--preset", "hubspot", "--source", "webinar"]) == 1
    out = capsys.readouterr().out
    assert "33 rows: 30 created, 1 already there, 2 refused" in out
    for rep in ("Alice", "Bo", "Chen"):  # the default pool in turn: fair across the file
        assert f"  {rep}: 10" in out
    refused = list(csv.reader((tmp_path / "contacts.csv.refused.csv").open(encoding="utf-8")))
    assert refused[0] == ["line", "reason"] and [r[0] for r in refused[1:]] == ["32", "33"]
    assert "at least one of name, email or phone" in refused[1][1]
    assert "is not an email address" in refused[2][1]
    db = running.app.services.db
    with db.read() as session:
        lead = session.scalars(select(Lead).where(Lead.external_id == "1000")).one()
        assert (lead.name, lead.source, lead.company) == (
            "Ada0 Lovelace", "webinar", "Analytical Engines")  # fmt: skip
        assert lead.fields["Lifecycle Stage"] == "lead"
        assert lead.fields["Create Date"] == "2026-11-20 09:14"
    # The running bot cards them all; #leads gets a summary rather than 30 s of cards.
    dms = running.fake.wait_for("chat.postMessage", 30, timeout=60,
                                where=lambda c: c.args["channel"].startswith("D"))  # fmt: skip
    assert len(dms) == 30

    def summary(call: Any) -> bool:
        said = call.args.get("text", "")
        return call.args["channel"] == "C0LEADS" and "arrived faster than Slack" in said

    assert running.fake.wait_for("chat.postMessage", timeout=60, where=summary)
    assert main(["import", str(path), "--preset", "hubspot", "--source", "webinar"]) == 1
    assert "0 created, 31 already there, 2 refused" in capsys.readouterr().out
    assert count(db) == 30


def test_a_dry_run_stores_nothing(running: Harness, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    path = write_csv(tmp_path / "contacts.csv", HEADER, hubspot_rows()[:5])
    assert main(["import", str(path), "--preset", "hubspot", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 5
    assert count(running.app.services.db) == 0


@pytest.mark.parametrize(("extra", "said"), [
    (["--map", "email=Work Email"], "no column 'Work Email'"),
    (["--map", "mail=Email"], "not a lead field"),
    (["--map", "email"], "expected FIELD=COLUMN"),
])  # fmt: skip
def test_options_that_cannot_be_used_are_named(
    running: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    extra: list[str], said: str,
) -> None:  # fmt: skip
    path = write_csv(tmp_path / "contacts.csv", HEADER, hubspot_rows()[:2])
    assert main(["import", str(path), *extra]) == 2
    assert said in capsys.readouterr().err
    assert count(running.app.services.db) == 0


CELLS = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELLS, min_size=0, max_size=len(HEADER) + 1), min_size=1, max_size=8))
def test_generated_rows_are_each_taken_or_refused_alone(
    sqlite_url: str, rows: list[list[str]]
) -> None:
    db = Database(sqlite_url)
    db.upgrade()
    leads = LeadService(Deps.create(db, make_config(), SystemClock()))
    text = io.StringIO()
    csv.writer(text).writerows([HEADER, *rows])
    text.seek(0)
    header, found = read_rows(text)
    before = count(db)
    done = Importer(leads, "import").run(found, columns(header, "hubspot", {}))
    assert count(db) == before + done.created
    assert done.rows <= len(rows)
    db.dispose()


def test_an_import_into_a_write_back_source_asks_for_each_owner_to_be_written(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """`leadbot import --source hub` assigns HubSpot's contacts as the server would, so each
    owner is asked for in HubSpot too: the server's writer sends them."""
    hub = {"kind": "hubspot", "secret_env": "HUB_SECRET", "token_env": "HUB_TOKEN",
           "api_url": "http://127.0.0.1:9/", "write_owner": True}  # fmt: skip
    config = {**BASE_CONFIG, "sources": {"hub": hub}}
    (tmp_path / "leadbot.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setenv("LEADBOT_CONFIG", str(tmp_path / "leadbot.yml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    path = write_csv(tmp_path / "contacts.csv", HEADER, hubspot_rows()[:3])
    assert main(["import", str(path), "--preset", "hubspot", "--source", "hub"]) == 0
    assert "3 rows: 3 created" in capsys.readouterr().out
    db = Database(database_url)
    try:
        with db.read() as session:
            asked = session.execute(
                select(CrmWrite.record_id, CrmWrite.owner, CrmWrite.status)
                .join(Lead, Lead.id == CrmWrite.lead_id)
                .where(CrmWrite.owner == Lead.owner_id)
                .order_by(CrmWrite.record_id)
            ).all()
    finally:
        db.dispose()
    assert [tuple(row) for row in asked] == [
        ("1000", "U0ALICE", "pending"), ("1001", "U0BO", "pending"), ("1002", "U0CHEN", "pending")
    ]  # fmt: skip
