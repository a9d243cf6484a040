"""Exports as they arrive (bot/review/audit/reader.py, parallel.py): encodings, delimiters,
broken files and rows. Bad rows are counted and listed with their line, never fatal; a file
that cannot be read at all is refused in one message that says what to pass."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from bot.cli import main
from bot.review.audit.parallel import split
from bot.review.audit.reader import AuditRow, BadRow, Options, read_layout, read_rows
from bot.review.audit.run import Outputs, run_audit

HEADER = "Record ID,Create Date,First outreach date,Contact owner,Original Source\n"


def write(tmp_path: Path, text: str | bytes, name: str = "export.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return str(path)


def refusal(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["audit", *args]) == 2
    return capsys.readouterr().err


def test_files_that_cannot_be_read_are_refused_in_one_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert "No such file or directory" in refusal(capsys, str(tmp_path / "missing.csv"))
    assert "the file is empty: no header row" in refusal(capsys, write(tmp_path, "\n\n"))
    no_created = refusal(capsys, write(tmp_path, "Name,Email\nAna,a@x\n"), "--preset", "hubspot")
    assert "no column for 'created' (the hubspot preset looks for 'Create Date')" in no_created
    typo = refusal(capsys, write(tmp_path, HEADER), "--map", "created=Create Dat",
                   "--map", "frist_touch=X", "--map", "owner")  # fmt: skip
    assert (
        "--map 'frist_touch=X': unknown field 'frist_touch' (did you mean 'first_touch'?)" in typo
    )
    assert "--map 'owner': expected FIELD=COLUMN" in typo
    nothing = refusal(capsys, write(tmp_path, "Create Date,Owner\n2024-03-12 09:14,Jo\n"),
                      "--map", "created=Create Date", "--tz", "UTC")  # fmt: skip
    assert "nothing in this export says when a lead was first contacted" in nothing
    assert "not a time zone name" in refusal(capsys, write(tmp_path, HEADER), "--tz", "Mars/Base")


def test_a_misspelt_column_gets_a_suggestion(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    err = refusal(capsys, write(tmp_path, HEADER + "1,2024-03-12 09:14,,Jo,Web\n"),
                  "--map", "created=Create Dat", "--preset", "hubspot", "--tz", "UTC")  # fmt: skip
    assert "--map created='Create Dat': no such column (did you mean 'Create Date'?)" in err


def test_bom_semicolons_and_windows_1252(tmp_path: Path) -> None:
    text = "\ufeffRecord ID;Create Date;First outreach date;Contact owner;Original Source\r\n"
    text += "1;2024-03-12 09:14;2024-03-12 09:20;Jürgen Weiß;Messe\r\n"
    for name, data in (("utf8.csv", text.encode("utf-8")),
                       ("cp1252.csv", text[1:].encode("cp1252"))):  # fmt: skip
        layout = read_layout(write(tmp_path, data, name), Options("hubspot", [], ZoneInfo("UTC")))
        assert layout.delimiter == ";" and layout.mapping.names["created"] == "Create Date"
        with open(tmp_path / name, encoding=layout.encoding, newline="") as stream:
            rows = list(read_rows(stream, layout))
        assert [r.owner for r in rows if isinstance(r, AuditRow)] == ["Jürgen Weiß"]


def test_bad_rows_are_listed_by_line_and_the_rest_counted(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER
                 + '1,2024-03-12 09:14,2024-03-12 09:20,"Jo\nSmith",Web\n'  # spans lines 2-3
                 + "2,,2024-03-12 09:20,Jo,Web\n"
                 + "3,2024-02-30 10:00,,Jo,Web\n"
                 + "4,2024-03-12 09:14,yesterday,Jo,Web\n"
                 + "5,2024-03-12 09:14\n")  # fmt: skip
    layout = read_layout(path, Options("hubspot", [], ZoneInfo("UTC")))
    with open(path, encoding="utf-8", newline="") as stream:
        rows = list(read_rows(stream, layout))
    assert [(type(r).__name__, r.line) for r in rows] == [
        ("AuditRow", 2), ("BadRow", 4), ("BadRow", 5), ("BadRow", 6), ("AuditRow", 7)]  # fmt: skip
    reasons = [r.reason for r in rows if isinstance(r, BadRow)]
    assert reasons[0] == "Create Date is empty"
    assert reasons[1].startswith("Create Date: '2024-02-30 10:00' is not a date")
    assert reasons[2].startswith("First outreach date: 'yesterday' is not a date")
    assert rows[-1] == AuditRow(7, "5", rows[-1].created, None, False, False, "", "", None, None)


CELLS = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(CELLS, max_size=7), max_size=25))
def test_any_rows_give_rows_or_bad_rows_never_an_error(rows: list[list[str]]) -> None:
    """Whatever the cells hold (quotes, newlines, dates that are not), each row is read as a
    row or a bad row with a reason, and the tally reports without raising."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "Record ID",
            "Create Date",
            "First outreach date",
            "Contact owner",
            "Original Source",
            "Number of Sales Activities",
            "Lead response time",
        ]
    )
    writer.writerow(["0", "2024-03-12 09:14", "2024-03-12 09:20", "Jo", "Web", "1", ""])
    writer.writerows(rows)
    layout = read_layout_from(buffer.getvalue())
    read = list(read_rows(io.StringIO(buffer.getvalue(), newline=""), layout))
    assert all(isinstance(r, AuditRow | BadRow) for r in read)
    assert all(r.reason for r in read if isinstance(r, BadRow))


def read_layout_from(text: str) -> object:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8",
                                     newline="") as file:  # fmt: skip
        file.write(text)
    return read_layout(file.name, Options("hubspot", [], ZoneInfo("UTC")))


def test_parts_read_in_parallel_give_the_same_report(tmp_path: Path) -> None:
    """Cut into small parts (one quoted cell spans lines near every cut) and read by worker
    processes, the report equals the one read in one piece, bad rows and lines included."""
    lines = [HEADER]
    for i in range(3000):
        owner = f'"Rep {i % 7}\n(EMEA)"' if i % 50 == 0 else f"Rep {i % 7}"
        created = "not a date" if i % 997 == 0 else f"2024-03-{1 + i % 28:02d} {i % 24:02d}:15"
        lines.append(f"{i},{created},2024-04-01 10:{i % 60:02d},{owner},S{i % 3}\n")
    path = write(tmp_path, "".join(lines))
    assert len(split(path, 8_000)) > 5
    reports = []
    for part_bytes in (8_000, 10**9):
        out = tmp_path / f"{part_bytes}.json"
        options = Options("hubspot", [], ZoneInfo("Europe/Berlin"))
        console = Console(file=io.StringIO())
        assert run_audit(path, options, Outputs(json=str(out)), None, console, part_bytes) == 0
        reports.append(json.loads(out.read_text()))
    assert reports[0] == reports[1]
    assert reports[0]["bad"] == 4 and reports[0]["rows"] == 3000
    # Record 997 starts on line 2 + 997 + 20: records 0, 50, … 950 each take two lines.
    assert [b["line"] for b in reports[0]["bad_rows"]][:2] == [2, 1019]


def test_a_touch_in_the_repeated_hour_is_read_the_second_time_round(tmp_path: Path) -> None:
    """New York, 2024-11-03: 01:00–01:59 happens twice. Created at 01:36 (the first time) and
    touched at 01:05 can only mean the second 01:05, 29 minutes later, not a bad row."""
    path = write(tmp_path, HEADER + "1,2024-11-03 01:36,2024-11-03 01:05,Jo,Web\n"
                 + "2,2024-11-03 03:00,2024-11-03 01:05,Jo,Web\n")  # fmt: skip
    layout = read_layout(path, Options("hubspot", [], ZoneInfo("America/New_York")))
    with open(path, encoding="utf-8", newline="") as stream:
        first, second = read_rows(stream, layout)
    assert isinstance(first, AuditRow) and first.answered is not None
    assert first.answered - first.created == 29 * 60
    assert (
        isinstance(second, BadRow) and second.reason == "First outreach date is before Create Date"
    )


def test_creation_dates_without_a_time_are_said_to_overstate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, HEADER + "1,2024-03-12,2024-03-12 09:20,Jo,Web\n"
                 + "2,2024-03-12 09:00,2024-03-12 09:20,Jo,Web\n")  # fmt: skip
    out = tmp_path / "r.json"
    assert main(["audit", path, "--preset", "hubspot", "--tz", "UTC", "--json", str(out)]) == 0
    assert "1 leads have a creation date without a time" in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["undated"] == 1 and report["overall"]["median"] == 20 * 60
