"""`leadbot audit` on files shaped like each CRM's export (tests/review/exports/), through the
real command line. The expected numbers are worked out by hand in the comments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main

EXPORTS = Path(__file__).parent / "exports"
HOUR, MINUTE = 3600.0, 60.0


def audit(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "report.json"
    assert main(["audit", *args, "--json", str(out)]) == 0
    capsys.readouterr()
    return json.loads(out.read_text())


def test_hubspot(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)  # no leadbot.yml: business time is Mon–Fri 09:00–17:00
    report = audit(capsys, tmp_path, str(EXPORTS / "hubspot.csv"), "--preset", "hubspot",
                   "--tz", "America/New_York")  # fmt: skip
    # 101: 2 min (first outreach). 102: no touches, never. 103: Sat 11:00 -> Mon 09:30, 46 h 30
    # wall, 30 min business. 104: no first outreach; response time 1:30 from assignment at
    # 10:10 -> 11:40, 1 h 40. 105: its only touch at 12:20, 20 min (approximate). 106: bad
    # date. 107: 08:00 -> 08:45, before opening: 45 min wall, 0 business. 108: touch before
    # creation, bad.
    assert (report["rows"], report["bad"], report["overall"]["leads"]) == (8, 2, 6)
    assert [(b["line"], b["record"]) for b in report["bad_rows"]] == [(7, "106"), (9, "108")]
    assert report["bad_rows"][0]["reason"] == (
        "Create Date: 'not a date' is not a date in the file's format (like '2024-03-12 09:14')"
    )
    assert report["bad_rows"][1]["reason"] == "First outreach date is before Create Date"
    overall = report["overall"]
    # waits 120, 1200, 2700, 6000, 167400: nearest rank p50 is the 3rd, p90 the 5th.
    assert (overall["median"], overall["p90"]) == (45 * MINUTE, 46.5 * HOUR)
    # business 0, 120, 1200, 1800, 6000
    assert (overall["business_median"], overall["business_p90"]) == (20 * MINUTE, 6000.0)
    assert report["buckets"] == {"within 5 min": 1, "5 min – 1 h": 2, "1 h – 24 h": 1,
                                 "over 24 h": 1, "never": 1}  # fmt: skip
    assert overall["never"] == pytest.approx(1 / 6)
    assert report["approximate"] == 1
    assert report["touches"] == {"0": 1, "1": 2, "2+": 3, "unknown": 0}
    # Only 107 converted (Customer, and a "Became a Customer Date").
    assert [(c["bucket"], c["converted"]) for c in report["conversion"] if c["converted"]] == [
        ("5 min – 1 h", 1)
    ]
    hours = {g["name"]: g["leads"] for g in (report["in_hours"], report["after_hours"])}
    assert hours == {"in business hours": 4, "after hours": 2}  # 103 on a Saturday, 107 at 8:00
    owners = {g["name"]: (g["leads"], g["median"]) for g in report["by_owner"]}
    assert owners == {"Jane Rep": (3, 2 * MINUTE), "Omar Rep": (3, 100 * MINUTE)}
    # The never-answered lead waited from Fri 16:00 until the export's last date (Mon 09:30).
    worst = report["worst"][0]
    assert (worst["record"], worst["never"], worst["wait"]) == ("102", True, 65.5 * HOUR)
    assert worst["created"] == "2024-03-15T20:00:00+00:00"
    tuesday_9 = report["heat_leads"][1][9]  # Tue 2024-03-12 09:14 New York
    assert tuesday_9 == 1 and report["heat_median"][1][9] == 2 * MINUTE


def test_salesforce_report_with_its_footer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every value quoted, `3/15/2024, 2:30 PM`, a multi-line cell, a blank line and the notes
    Salesforce writes under a report. Last Activity is a date without a time: contacted, but
    the export cannot say when, and the report says so rather than guessing."""
    out = tmp_path / "report.json"
    code = main(["audit", str(EXPORTS / "salesforce.csv"), "--preset", "salesforce",
                 "--tz", "America/Chicago", "--json", str(out)])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    report = json.loads(out.read_text())
    assert (report["rows"], report["bad"], report["notes_skipped"]) == (4, 0, 3)
    assert report["overall"]["unknown"] == 3 and report["buckets"]["never"] == 1
    assert report["overall"]["median"] is None
    assert report["first"] == "2024-03-15T19:30:00+00:00"  # 2:30 PM CDT
    assert [c["converted"] for c in report["conversion"]] == [0, 0, 0, 0, 0]  # unknown times
    assert "says who was contacted but not when" in text


def test_pipedrive(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = audit(capsys, tmp_path, str(EXPORTS / "pipedrive.csv"), "--preset", "pipedrive",
                   "--tz", "Europe/Berlin")  # fmt: skip
    # Acme: one done activity 16 min after creation (approximate); Beta: none, never; Ng: 3
    # activities, only the last one's time known: contacted, time unknown.
    assert report["overall"]["median"] == 16 * MINUTE
    assert (report["approximate"], report["overall"]["unknown"]) == (1, 1)
    assert report["buckets"]["never"] == 1
    assert report["conversion"][1] == {"bucket": "5 min – 1 h", "leads": 1, "converted": 1}


def test_zoho(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = audit(capsys, tmp_path, str(EXPORTS / "zoho.csv"), "--preset", "zoho",
                   "--tz", "Asia/Kolkata")  # fmt: skip
    # 10:00 -> 10:05 (5 min: within 5 min, limits included); 18:30, never; Sat 09:00 -> Mon
    # 11:00 = 50 h wall, 2 h business. "Is Converted" true only for the last.
    assert report["buckets"] == {"within 5 min": 1, "5 min – 1 h": 0, "1 h – 24 h": 0,
                                 "over 24 h": 1, "never": 1}  # fmt: skip
    assert report["overall"]["business_p90"] == 2 * HOUR
    assert [c["converted"] for c in report["conversion"]] == [0, 0, 0, 1, 0]
    assert report["tz"] == "Asia/Kolkata"


def test_explicit_map_for_any_other_crm(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    export = tmp_path / "other.csv"
    export.write_text("Ref;Eingang;Erster Kontakt;Berater\n"
                      "A1;15.03.2024 14:30;15.03.2024 14:45;Jana\n"
                      "A2;16.03.2024 09:00;;Jana\n", encoding="utf-8")  # fmt: skip
    report = audit(capsys, tmp_path, str(export), "--map", "created=Eingang",
                   "--map", "first_touch=Erster Kontakt", "--map", "owner=Berater",
                   "--map", "id=Ref", "--tz", "Europe/Berlin")  # fmt: skip
    assert report["overall"]["median"] == 15 * MINUTE and report["buckets"]["never"] == 1
    assert report["audit"]["columns"] == {"created": "Eingang", "first_touch": "Erster Kontakt",
                                          "owner": "Berater", "id": "Ref"}  # fmt: skip


def test_outputs_html_and_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    html, table = tmp_path / "r.html", tmp_path / "r.csv"
    code = main(["audit", str(EXPORTS / "hubspot.csv"), "--preset", "hubspot", "--tz",
                 "America/New_York", "--html", str(html), "--csv", str(table)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "Median first response 45m (p90 1d 22h)" in out
    assert "line 7 (106): Create Date: 'not a date'" in out
    page = html.read_text()
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org", "")
    rows = table.read_text().splitlines()
    assert rows[0].startswith("section,name,leads,answered,median_seconds")
    assert rows[1].startswith("overall,all leads,6,5,2700.0,167400.0,1200.0,6000.0")
