"""Rows written many at a time. Inside `collected(session)`, `add_row` keeps each new row as
plain values, and the scope ends with one multi-row INSERT per table instead of an ORM object
and a unit-of-work entry per row: the sweep writes hundreds of rows a tick, and per-object
flushing was a third of its time. Outside the scope `add_row` is a plain `session.add`.

Rows collected this way are not in the session until the scope ends, so a query inside the
scope does not see them (the sweep, the one user, runs with autoflush off anyway)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import DeclarativeBase, Session

PENDING = "leadbot.collected_rows"
Rows = list[tuple[type[DeclarativeBase], dict[str, Any]]]


def add_row(session: Session, model: type[DeclarativeBase], **values: Any) -> None:
    pending: Rows | None = session.info.get(PENDING)
    if pending is None:
        session.add(model(**values))
    else:
        pending.append((model, values))


@contextmanager
def collected(session: Session) -> Iterator[None]:
    if PENDING in session.info:  # already collecting: the outer scope writes them
        yield
        return
    rows: Rows = []
    session.info[PENDING] = rows
    try:
        yield
    finally:
        del session.info[PENDING]
    write_rows(session, rows)  # only when the scope ended without an error


def write_rows(session: Session, rows: Rows) -> None:
    """One INSERT per table and set of columns, in the order the rows were added (ids, and so
    the outbox's order among equals, follow it)."""
    groups: dict[tuple[type[DeclarativeBase], frozenset[str]], list[dict[str, Any]]] = {}
    for model, values in rows:
        groups.setdefault((model, frozenset(values)), []).append(values)
    for (model, _columns), values in groups.items():
        session.execute(insert(model.__table__), values)  # Core: no ORM bookkeeping per row
