"""deploy/grafana/leadbot.json, the operators' dashboard: every metric it queries is one
`GET /metrics` serves (a renamed metric would leave a panel silently empty), and every metric
leadbot serves has a panel."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import MakeBot

DASHBOARD = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "leadbot.json"
METRIC = re.compile(r"\bleadbot_[a-z0-9_]+")
SERIES = {  # the series a family of each type is scraped as
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gauge": ("",),
}


def queries(dashboard: dict[str, Any]) -> list[str]:
    found = []
    for panel in dashboard["panels"]:
        found += [target["expr"] for target in panel.get("targets", [])]
    return found


def served_series(make_bot: MakeBot) -> tuple[set[str], set[str]]:
    """(every series name a scrape may hold, every family) of a running leadbot's /metrics."""
    status, text = make_bot().get("/metrics")
    assert status == 200
    series: set[str] = set()
    families: set[str] = set()
    for family in text_string_to_metric_families(text):
        # A `_created` sample (when a counter began) reads as a family of its own: not one.
        if family.name.startswith("leadbot_") and not family.name.endswith("_created"):
            families.add(family.name)
            series |= {family.name + suffix for suffix in SERIES[family.type]}
    return series, families


def test_every_metric_the_dashboard_queries_is_served(make_bot: MakeBot) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    series, families = served_series(make_bot)
    used = {name for expr in queries(dashboard) for name in METRIC.findall(expr)}
    assert used and not used - series, sorted(used - series)
    shown = {family for family in families if any(s.startswith(family) for s in used)}
    assert shown == families, f"no panel for {sorted(families - shown)}"


def test_the_dashboard_is_well_formed() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    variables = {variable["name"] for variable in dashboard["templating"]["list"]}
    assert variables == {"datasource", "job"}
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"] and panel["description"], panel["title"]
        for target in panel["targets"]:
            assert 'job=~"$job"' in target["expr"], target["expr"]
