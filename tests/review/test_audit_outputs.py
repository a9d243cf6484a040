"""What `leadbot audit` writes: export data stays text in HTML and in spreadsheets, and
leadbot.yml's reps and business hours are used when there is one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

HOSTILE = "<img src=x onerror=alert(1)>"
EXPORT = (
    "Record ID,Create Date,First outreach date,Contact owner,Original Source\n"
    f'1,2024-03-12 09:14,2024-03-12 09:20,"{HOSTILE}","=HYPERLINK(""http://evil.test"")"\n'
    "2,2024-03-12 10:00,2024-03-12 10:30,alice@acme.test,Web\n"
)


def test_export_text_is_never_markup_or_a_formula(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    code = main(["audit", "export.csv", "--preset", "hubspot", "--tz", "UTC",
                 "--html", "r.html", "--csv", "r.csv"])  # fmt: skip
    capsys.readouterr()
    assert code == 0
    page = (tmp_path / "r.html").read_text()
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    rows = (tmp_path / "r.csv").read_text()
    assert "'=HYPERLINK" in rows and "\n=HYPERLINK" not in rows and ",=HYPERLINK" not in rows


def test_leadbot_yml_names_reps_and_sets_business_hours(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "leadbot.yml"
    config.write_text(
        "timezone: Europe/Berlin\n"
        'business_hours: {start: "10:00", end: "18:00"}\n'
        "channels: {leads: C0LEADS, queue: C0QUEUE}\n"
        "reps: [{id: U0ALICE, name: Alice, email: Alice@Acme.test}]\n",
        encoding="utf-8",
    )
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    out = tmp_path / "r.json"
    code = main(["audit", str(tmp_path / "export.csv"), "--preset", "hubspot", "--tz", "UTC",
                 "--config", str(config), "--json", str(out)])  # fmt: skip
    capsys.readouterr()
    assert code == 0
    report = json.loads(out.read_text())
    assert {g["name"] for g in report["by_owner"]} == {HOSTILE, "Alice"}
    # 09:14–09:20 UTC is 10:14–10:20 in Berlin: open; 10:00–10:30 UTC too. Both in hours.
    assert report["in_hours"]["leads"] == 2
    assert report["overall"]["business_median"] == 6 * 60
    assert report["audit"]["business_hours"] == (
        "Business time: leadbot.yml's business hours (Europe/Berlin)"
    )


def test_a_broken_leadbot_yml_is_reported_not_ignored(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "leadbot.yml"
    config.write_text("reps: 3\n", encoding="utf-8")
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    code = main(["audit", str(tmp_path / "export.csv"), "--preset", "hubspot", "--tz", "UTC",
                 "--config", str(config)])  # fmt: skip
    assert code == 2 and "leadbot.yml" in capsys.readouterr().err
