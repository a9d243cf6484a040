"""`leadbot route` input (bot/tools/route.py): JSON and CSV leads, and errors naming the place."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.tools.route import RouteInputError, read_leads


def test_route_input_errors_name_the_place(tmp_path: Path) -> None:
    broken = tmp_path / "lead.json"
    broken.write_text('{"name": "x",\n  "email": }')
    with pytest.raises(RouteInputError, match=r"lead.json: line 2, column 12: Expecting value"):
        read_leads(str(broken))
    with pytest.raises(RouteInputError, match=r"missing.json: No such file or directory"):
        read_leads(str(tmp_path / "missing.json"))
    rows = tmp_path / "leads.csv"
    rows.write_text("name,email,company_size,fields.utm\nDana,d@x.test,1200,q4\n")
    assert read_leads(str(rows)) == [
        (
            f"{rows}: row 2",
            {"name": "Dana", "email": "d@x.test", "company_size": 1200, "fields": {"utm": "q4"}},
        ),
    ]
