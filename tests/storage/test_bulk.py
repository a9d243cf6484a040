"""`storage.bulk`: rows collected in a scope are written at its end, in order, or not at all;
on PostgreSQL through one JSON document (`json_to_recordset`), stored to the character as a
plain INSERT stores them. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import String, cast, event, insert, select

from storage.bulk import ROW_BYTES, add_row, collected
from storage.db import Database
from storage.models import Lead, LeadEvent, OutboxMessage

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
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


def _outbox(n: int, payload: object) -> dict[str, Any]:
    held = NOW + timedelta(hours=9, microseconds=123457 + n)
    return {
        "lead_id": 1, "kind": "message", "copy_kind": "dm" if n % 2 else None,
        "target": f"U0\"ODD\\{n}📌", "lane": None if n % 3 else "U0ALICE", "priority": n % 4,
        "created_at": NOW, "next_attempt_at": held if n % 2 else NOW, "payload": payload,
    }  # fmt: skip


def _with_reference(db: Database, rows: list[dict[str, Any]]) -> list[Any]:
    """`rows` stored again by a plain INSERT (the reference, one per row), then every outbox
    row: its id and each other column read back as text, in id order."""
    with db.write() as session:
        session.execute(insert(OutboxMessage.__table__), rows)
    table = OutboxMessage.__table__
    stored = [cast(column, String) for column in table.c if column.name != "id"]
    with db.read() as session:
        return list(session.execute(select(table.c.id, *stored).order_by(table.c.id)).all())


PAYLOADS: list[object] = [
    None,  # JSON null, as a plain INSERT stores it (not SQL NULL)
    {"task_id": 7},
    {"text": 'She said "now", then\\n left \\ ✉️ 📌 — ok', "guard": {}, "alert": False},
    {"lines": ["a", None, 1.5, True], "nested": {"deep": [[], {}]}},
    [],
]


@pytest.mark.parametrize("size", ["small", "large"])
def test_many_rows_are_stored_as_one_insert_per_row_stores_them(db: Database, size: str) -> None:
    """Each value as a plain INSERT stores it, read back as text: JSON as `json.dumps` wrote it,
    None in a JSON column as JSON null, datetimes to the microsecond, strings with quotes,
    backslashes and emoji, the columns' defaults; ids in the order the rows were added. Large
    rows (an agenda's blocks) take the executemany path on PostgreSQL too."""
    padding = "x" * (ROW_BYTES if size == "large" else 0)
    rows = [_outbox(n, {"pad": padding, "p": p} if padding else p) for n, p in enumerate(PAYLOADS)]
    with db.write() as session, collected(session):
        for row in rows:
            add_row(session, OutboxMessage, **row)
    written = _with_reference(db, rows)
    ids = [row[0] for row in written]
    assert ids == sorted(ids) and len(ids) == 2 * len(rows)
    collected_rows, reference = written[: len(rows)], written[len(rows) :]
    assert [row[1:] for row in collected_rows] == [row[1:] for row in reference]
    with db.read() as session:
        back = session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id)).all()
    assert back[: len(rows)] == [row["payload"] for row in rows]


def test_a_column_default_applies_to_every_collected_row(db: Database) -> None:
    with db.write() as session, collected(session):
        for kind in ("a", "b", "c"):
            add_row(session, LeadEvent, lead_id=1, at=NOW, actor="t", kind=kind)
    assert _kinds(db) == [("a", {}), ("b", {}), ("c", {})]


def test_rows_of_several_tables_are_stored_as_their_own_inserts_store_them(db: Database) -> None:
    """A lead's events and cards, collected together: each table's rows as a plain INSERT
    stores them (its defaults too) and in the order added. On PostgreSQL both tables go as one
    statement; a table with rows of two column sets keeps its two INSERTs, in order."""
    outbox = [_outbox(n, p) for n, p in enumerate(PAYLOADS[:3])]
    statements: list[str] = []
    listen = partial(event.listen, db.engine, "before_cursor_execute")
    listen(lambda _c, _cur, sql, *_: sql.startswith("BEGIN") or statements.append(sql))
    with db.write() as session, collected(session):
        _event(session, "received", source="web")
        for row in outbox:
            add_row(session, OutboxMessage, **row)
        _event(session, "assigned", owner="U0ALICE")
    postgres = db.engine.dialect.name == "postgresql"
    assert len(statements) == (1 if postgres else 2)  # events, outbox
    written = _with_reference(db, outbox)
    assert [row[1:] for row in written[:3]] == [row[1:] for row in written[3:]]
    assert _kinds(db) == [("received", {"source": "web"}), ("assigned", {"owner": "U0ALICE"})]
    statements.clear()
    with db.write() as session, collected(session):  # LeadEvent with two sets of columns
        _event(session, "a", n=1)
        add_row(session, LeadEvent, lead_id=1, at=NOW, actor="t", kind="b")
        add_row(session, OutboxMessage, **outbox[0])
    assert len(statements) == 3
    assert [kind for kind, _ in _kinds(db)][2:] == ["a", "b"]
