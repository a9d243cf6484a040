"""`storage.bulk`: rows collected in a scope are written at its end, in order, or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from storage.bulk import add_row, collected
from storage.db import Database
from storage.models import Lead, LeadEvent

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    database.upgrade()
    with database.write() as session:
        session.add(
            Lead(source="t", tier="warm", status="assigned", received_at=NOW, created_at=NOW)
        )
    yield database
    database.dispose()


def _event(session, kind: str, **detail: object) -> None:
    add_row(session, LeadEvent, lead_id=1, at=NOW, actor="t", kind=kind, detail=detail)


def _kinds(db: Database) -> list[tuple[str, dict]]:
    with db.read() as session:
        rows = session.execute(select(LeadEvent.kind, LeadEvent.detail).order_by(LeadEvent.id))
        return [(kind, detail) for kind, detail in rows]


def test_a_scope_writes_its_rows_at_the_end_in_the_order_added(db: Database) -> None:
    with db.write() as session, session.no_autoflush:
        with collected(session):
            _event(session, "a", n=1)
            add_row(session, LeadEvent, lead_id=1, at=NOW, actor="t", kind="b")  # other columns
            _event(session, "c", n=3)
            with collected(session):  # nested: the outer scope writes
                _event(session, "d")
            assert session.scalars(select(LeadEvent.kind)).all() == []  # not written yet
        assert session.scalars(select(LeadEvent.kind)).all() != []
    # One INSERT per set of columns, in the order each set first appeared: "b" (no detail:
    # the column's default) comes after the rows that name a detail.
    assert _kinds(db) == [("a", {"n": 1}), ("c", {"n": 3}), ("d", {}), ("b", {})]


def test_a_scope_that_fails_writes_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as session, collected(session):
        _event(session, "a")
        raise RuntimeError("half way")
    with db.write() as session:
        _event(session, "outside")  # no scope: a plain session.add
    assert _kinds(db) == [("outside", {})]
