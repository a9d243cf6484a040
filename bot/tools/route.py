"""`leadbot route`: what intake would decide for each lead, without storing or posting anything."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy.orm import Session

from bot.clock import SystemClock
from bot.config.schema import Config
from bot.leads.input import LeadInputError
from bot.leads.service import LeadService
from bot.services import Deps
from bot.tools.table import print_table
from storage.db import Database


class RouteInputError(Exception):
    """The file (or stdin) could not be read as leads; the message says where."""


def read_leads(source: str) -> list[tuple[str, Any]]:
    """(where, raw lead) pairs from a JSON object, a JSON list, or a CSV with a header row."""
    text = sys.stdin.read() if source == "-" else _read(source)
    name = "stdin" if source == "-" else source
    if source.lower().endswith(".csv") or (source == "-" and text.lstrip()[:1] not in "[{"):
        rows = csv.DictReader(io.StringIO(text))
        return [(f"{name}: row {n}", _csv_lead(row)) for n, row in enumerate(rows, start=2)]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise RouteInputError(f"{name}: line {err.lineno}, column {err.colno}: {err.msg}") from None
    items = data if isinstance(data, list) else [data]
    return [(f"{name}: lead {n}" if len(items) > 1 else name, item) for n, item in enumerate(items)]


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise RouteInputError(f"{path}: {err.strerror or err}") from None


def _csv_lead(row: dict[str, str | None]) -> dict[str, Any]:
    lead: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
    if "company_size" in lead and str(lead["company_size"]).isdigit():
        lead["company_size"] = int(lead["company_size"])
    fields = {k.removeprefix("fields."): lead.pop(k) for k in list(lead) if k.startswith("fields.")}
    if fields:
        lead["fields"] = fields
    return lead


def decide_all(
    config: Config, database_url: str, leads: list[tuple[str, Any]]
) -> list[dict[str, Any]]:
    """Route the leads in order as intake would, each seeing the pointers the previous ones
    moved, in a transaction that is rolled back: nothing is stored or posted."""
    db = Database(database_url)
    db.upgrade()  # an empty database routes like a fresh install would
    service = LeadService(Deps.create(db, config, SystemClock()))
    answers: list[dict[str, Any]] = []
    try:
        with db.scratch() as session:
            for where, raw in leads:
                answers.append(_decide_one(session, service, where, raw))
    finally:
        db.dispose()
    return answers


def _decide_one(session: Session, service: LeadService, where: str, raw: Any) -> dict[str, Any]:
    try:
        data = service.parse(raw)
    except LeadInputError as err:
        return {"lead": where, "errors": err.problems}
    lead, decision = service.place(session, data, service.clock.now())
    return {
        "lead": where,
        "tier": lead.tier,
        "owner": decision.owner_id,
        "pool": decision.pool,
        "reason": decision.reason,
    }


def print_answers(answers: list[dict[str, Any]], config: Config, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answers, indent=2, ensure_ascii=False))
        return
    rows = []
    for answer in answers:
        if "errors" in answer:
            problems = "; ".join(f"{p['field']}: {p['message']}" for p in answer["errors"])
            rows.append([answer["lead"], "", "invalid", problems])
            continue
        owner = config.display_name(answer["owner"]) if answer["owner"] else "shared queue"
        rows.append([answer["lead"], answer["tier"], owner, answer["reason"]])
    print_table(Console(), ["lead", "tier", "owner", "why"], rows)
