"""The audit for machines: `--json` (the whole report) and `--csv` (one row per group)."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any, TextIO

from bot.review.audit.dates import from_epoch
from bot.review.audit.tally import AuditReport, GroupStats
from bot.review.report import RESPONSE_BUCKETS as BUCKETS
from bot.review.report import SHARE_LIMITS

GROUP_COLUMNS = ("section", "name", "leads", "answered", "median_seconds", "p90_seconds",
                 "business_median_seconds", "business_p90_seconds",
                 *(f"within_{int(limit)}s" for limit in SHARE_LIMITS), "never")  # fmt: skip


def _iso(seconds: float | None) -> str | None:
    return None if seconds is None else from_epoch(seconds).isoformat()


def as_json(report: AuditReport, meta: dict[str, Any]) -> dict[str, Any]:
    data = asdict(report)
    data["first"], data["last"] = _iso(report.first), _iso(report.last)
    data["buckets"] = dict(zip(BUCKETS, report.buckets, strict=True))
    data["bad_rows"] = [row._asdict() for row in report.bad_rows]
    for case in data["worst"]:
        case["created"] = _iso(case["created"])
    if report.conversion is not None:
        data["conversion"] = [{"bucket": b, "leads": n, "converted": c}
                              for b, n, c in report.conversion]  # fmt: skip
    data["share_limits_seconds"] = list(SHARE_LIMITS)
    return {"audit": meta, **data}


def write_json(stream: TextIO, report: AuditReport, meta: dict[str, Any]) -> None:
    json.dump(as_json(report, meta), stream, indent=2, ensure_ascii=False, default=_default)
    stream.write("\n")


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def write_csv(stream: TextIO, report: AuditReport) -> None:
    writer = csv.writer(stream)
    writer.writerow(GROUP_COLUMNS)
    sections: list[tuple[str, list[GroupStats]]] = [
        ("overall", [report.overall]),
        ("business_hours", [report.in_hours, report.after_hours]),
        ("source", report.by_source),
        ("owner", report.by_owner),
    ]
    for section, groups in sections:
        for g in groups:
            writer.writerow([section, _cell(g.name), g.leads, g.answered, g.median, g.p90,
                             g.business_median, g.business_p90,
                             *(f"{w:.4f}" for w in g.within), f"{g.never:.4f}"])  # fmt: skip


def _cell(text: str) -> str:
    """A name from the export, made inert for spreadsheets (=, +, -, @ start a formula)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
