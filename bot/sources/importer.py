"""`leadbot import FILE.csv`: a list of leads (a webinar's attendees, a trade show's scans, a CRM
export) through intake's own path: each row found by the same labels a form's are (shapes.py),
a preset's columns and `--map field=COLUMN` first, validated by `LeadService.parse` and stored by
`LeadService.receive_in`, 200 rows to a transaction, each in a savepoint of its own (a row that
fails rolls back alone). Every row is routed on its own, so round robin stays fair across the
whole file (one assignee for a whole bulk insert is a known failure of CRM round robins);
idempotent by external id, so importing a file twice creates nothing the second time. The
delivery worker of a running `leadbot serve` sends the cards at Slack's pace and folds a
channel's backlog into summary posts (`delivery/summaries.py`).
"""

from __future__ import annotations

import csv
import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.config.sources import MAPPABLE, Source
from bot.leads.group import receive_in_savepoint
from bot.leads.input import LeadIn, LeadInputError
from bot.leads.service import LeadService
from bot.sources.mapping import MappingProblem, lead_of
from bot.sources.presets import PRESETS
from bot.sources.shapes import Record, flat
from storage.db import TROUBLE

log = logging.getLogger(__name__)
CHUNK = 200  # rows a transaction
_IMPORT = Source(kind="json", secret_env="LEADBOT_IMPORT")


@dataclass
class Imported:
    created: int = 0
    duplicate: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    owners: dict[str, int] = field(default_factory=dict)  # who got the created ones

    @property
    def rows(self) -> int:
        return self.created + self.duplicate + len(self.refused)


class ImportRefused(Exception):
    """The file or the options cannot be used at all (one message)."""


def columns(header: list[str], preset: str | None, maps: dict[str, str]) -> dict[str, str]:
    """lead field -> column, from the preset then `--map`; every named column must exist."""
    chosen = {**PRESETS.get(preset or "", {}), **maps}
    missing = sorted({c for f, c in maps.items() if c not in header})
    if missing:
        raise ImportRefused(f"no column {', '.join(map(repr, missing))} in the header "
                           f"(columns: {', '.join(header[:20])})")  # fmt: skip
    unknown = sorted(set(maps) - set(MAPPABLE))
    if unknown:
        raise ImportRefused(f"--map {unknown[0]}=…: not a lead field ({', '.join(MAPPABLE)})")
    return {f: c for f, c in chosen.items() if c in header}


def rows(stream: TextIO) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header and (line, row) of a CSV file, its delimiter sniffed from the header."""
    first = stream.readline()
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(itertools.chain([first], stream), delimiter=delimiter)
    header = [cell.lstrip("\ufeff").strip() for cell in next(reader, [])]
    if not any(header):
        raise ImportRefused("the file is empty: no header row")

    def records() -> Iterator[tuple[int, dict[str, str]]]:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield reader.line_num, dict(zip(header, cells, strict=False))

    return header, records()


def lead_from(row: dict[str, str], chosen: dict[str, str], source: str) -> dict[str, Any]:
    record: Record = flat(dict(row))
    for lead_field, column in chosen.items():
        value = (row.get(column) or "").strip()
        if value:
            record.known[lead_field] = value
    return lead_of(record, _IMPORT, source)


class Importer:
    def __init__(self, leads: LeadService, source: str, *, dry_run: bool = False,
                 progress: Callable[[int], None] = lambda _n: None) -> None:  # fmt: skip
        self.leads, self.source, self.dry_run, self.progress = leads, source, dry_run, progress

    def run(self, found: Iterator[tuple[int, dict[str, str]]], chosen: dict[str, str]) -> Imported:
        done = Imported()
        chunk: list[tuple[int, LeadIn]] = []
        for line, row in found:
            try:
                chunk.append((line, self.leads.parse(lead_from(row, chosen, self.source))))
            except (LeadInputError, MappingProblem) as err:
                done.refused.append((line, str(err)))
            if len(chunk) >= CHUNK:
                self._store(chunk, done)
                chunk = []
        self._store(chunk, done)
        return done

    def _store(self, chunk: list[tuple[int, LeadIn]], done: Imported) -> None:
        if not chunk:
            return
        if self.dry_run:
            done.created += len(chunk)
        else:
            with self.leads.db.write() as session:
                for line, lead in chunk:
                    self._one(session, line, lead, done)
            self.leads.wake()
        self.progress(len(chunk))

    def _one(self, session: Any, line: int, lead: LeadIn, done: Imported) -> None:
        try:
            # The pool's pointer moves in this chunk's transaction: on PostgreSQL, moving it
            # apart (as a live intake does) cost a commit, a WAL flush, per row.
            got = receive_in_savepoint(self.leads, session, lead, "import", pointer_apart=False)
        except TROUBLE:
            raise  # the database itself: the import stops, every row so far is stored
        except Exception as err:  # this row only: its savepoint is rolled back
            log.exception("import: line %s could not be stored", line)
            done.refused.append((line, f"could not be stored ({type(err).__name__})"))
            return
        if got is None:
            done.refused.append((line, "could not be stored (a conflicting row)"))
        elif got.created:
            done.created += 1
            owner = got.owner_id or ""
            done.owners[owner] = done.owners.get(owner, 0) + 1
        else:
            done.duplicate += 1
