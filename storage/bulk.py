"""Rows written many at a time. Inside `collected(session)`, `add_row` keeps each new row as
plain values, and the scope ends with one INSERT per table instead of an ORM object and a
unit-of-work entry per row: the sweep writes hundreds of rows a tick, and per-object flushing
was a third of its time. Outside the scope `add_row` is a plain `session.add`.

On PostgreSQL that INSERT is `INSERT … SELECT FROM json_to_recordset(<the rows as one JSON
document>)`: one statement, executed once, where an executemany runs the INSERT once a row. 100
outbox rows, psycopg alone (measured): task cards 2.3 ms against 3.5, reminders 2.7 against
3.6. Large rows keep the executemany (`_small`). A multi-row VALUES took 23 ms, and an
`unnest` of one array a column 87 ms for the agenda's DMs (psycopg escapes every quote of every
string in an array). On SQLite the INSERT stays one a row, run by the driver's executemany in C
(`execute_plain`: without SQLAlchemy's own work per row, three quarters of what it cost).

Rows collected this way are not in the session until the scope ends, so a query inside the
scope does not see them (the sweep, the one user, runs with autoflush off anyway)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Enum,
    Float,
    Insert,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    bindparam,
    cast,
    column,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler

PENDING = "leadbot.collected_rows"
ROW_BYTES = 1024
ORDER = "leadbot_row"  # each row's place in the JSON document (no table has such a column)
Rows = list[tuple[type[DeclarativeBase], dict[str, Any]]]
# A parameter of a plain executemany: (the row key it takes, else None; its value then; the
# bind processor of the row's value).
Bound = tuple[str | None, Any, Callable[[Any], Any] | None]
_JSON_TYPES = (Integer, String, Boolean, DateTime, Date, JSON, Float, Numeric)


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
    the outbox's order among equals, follow it). On PostgreSQL the tables' INSERTs go as one
    statement where they can (`insert_json_tables`)."""
    groups: dict[tuple[type[DeclarativeBase], frozenset[str]], list[dict[str, Any]]] = {}
    for model, values in rows:
        groups.setdefault((model, frozenset(values)), []).append(values)
    if not groups:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    batches = [(_table(model), columns, values) for (model, columns), values in groups.items()]
    if postgres:
        batches = _insert_together(session, batches)
    for table, columns, values in batches:
        if len(values) == 1:
            session.execute(insert(table), values)
        elif postgres and _as_json(table, columns) and _small(values[0]):
            insert_json_rows(session, table, values)
        elif not postgres and _plain_defaults(table, columns):
            execute_plain(session, _insert_of(table), values, columns=True)
        else:
            session.execute(insert(table), values)  # Core: no ORM bookkeeping per row


Batch = tuple[Table, frozenset[str], list[dict[str, Any]]]


def _table(model: type[DeclarativeBase]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)  # a mapped class's, not a join's
    return table


def _insert_together(session: Session, batches: list[Batch]) -> list[Batch]:
    """PostgreSQL: the batches that can be written as one statement are (a lead's events and
    its cards: one round trip, not two); the rest are returned. Only a table with one batch
    joins: two INSERTs into one table in one statement number their rows in no set order."""
    tables = [table for table, _, _ in batches]
    joins = [
        tables.count(table) == 1
        and _plain_defaults(table, columns)
        and _as_json(table, columns | frozenset(_defaults(table, columns)))
        and _small(values[0])
        for table, columns, values in batches
    ]
    if sum(joins) < 2:
        return batches
    insert_json_tables(session, [(t, v) for (t, _, v), j in zip(batches, joins, strict=True) if j])
    return [batch for batch, joined in zip(batches, joins, strict=True) if not joined]


def execute_plain(
    session: Session, statement: Executable, rows: list[dict[str, Any]], *, columns: bool = False
) -> int:
    """`session.execute(statement, rows)` less SQLAlchemy's work per row (12 of a 100-row
    INSERT's 16 µs a row on SQLite, measured): compiled once, each value through its type's
    bind processor (a datetime to SQLite's text, JSON to its text), then the driver's
    executemany. `statement`: one kept for reuse (the plan is cached per statement); `columns`:
    an INSERT of the rows' keys, as SQLAlchemy compiles one for an executemany. Every row has
    the same keys. Returns the rows the statement matched, all executions together."""
    keys = tuple(rows[0])
    sql, plan = _plan(statement, session.get_bind().dialect, keys, columns)
    params = [
        tuple(
            value if name is None else (row[name] if process is None else process(row[name]))
            for name, value, process in plan
        )
        for row in rows
    ]
    return session.connection().exec_driver_sql(sql, params).rowcount


@lru_cache(maxsize=64)
def _insert_of(table: Table) -> Insert:
    return insert(table)


def _plain_defaults(table: Table, names: frozenset[str]) -> bool:
    """Whether every column left out has no default or one value for every row: a callable or
    SQL default is computed per row, which only SQLAlchemy's own INSERT does."""
    return all(
        column.default is None or column.default.is_scalar
        for column in table.c
        if column.key not in names
    )


@lru_cache(maxsize=64)
def _plan(
    statement: Executable, dialect: Dialect, keys: tuple[str, ...], columns: bool
) -> tuple[str, tuple[Bound, ...]]:
    """The SQL, and for each of its parameters: the row key it takes (with the type's bind
    processor), or the value it always has (a column's default, a literal such as `+ 1`)."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) if columns else None)
    assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None
    defaults = {column.key: column.default for column in compiled.insert_prefetch}
    plan: list[Bound] = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name in keys:
            plan.append((name, None, process))
            continue
        default = defaults.get(name)
        if default is None and (bind.required or bind.callable is not None):
            raise ValueError(f"{name}: neither a row key nor a value of the statement")
        value = default.arg if default is not None else bind.value
        plan.append((None, process(value) if process else value, None))
    return compiled.string, tuple(plan)


def array_rows(**columns: Any) -> Any:
    """PostgreSQL: parallel arrays as rows, `unnest(:b_ids, :b_versions, …)`, one array bound
    per column as `b_<name>s` (`columns`: name -> SQL type of one value). A batch UPDATE joins
    it on the key: it plans once, where a row-value `IN` list of 100 rows took longer to plan
    than to run."""
    arrays = [bindparam(f"b_{name}s", type_=ARRAY(kind)) for name, kind in columns.items()]
    return func.unnest(*arrays).table_valued(*columns).render_derived()


def insert_json_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: `rows` (all with the same keys) as one INSERT … SELECT FROM
    json_to_recordset, in their order. Values are stored as a plain INSERT stores them (JSON
    values as `json.dumps` writes them, None in a JSON column as JSON null), and the columns'
    Python-side defaults apply as in one."""
    session.execute(_json_rows_insert(table, tuple(rows[0])), {"b_rows": _document(rows)})


def insert_json_tables(session: Session, batches: list[tuple[Table, list[dict[str, Any]]]]) -> None:
    """PostgreSQL: several tables' rows (each as `insert_json_rows` takes them, one batch a
    table) in one statement, all but the last INSERT as data-modifying CTEs. The columns'
    defaults must be one value each (`_plain_defaults`): they are written into the rows,
    because SQLAlchemy computes none for an INSERT that carries CTEs."""
    batches = [(table, _with_defaults(table, rows)) for table, rows in batches]
    shapes = tuple((table, tuple(rows[0])) for table, rows in batches)
    params = {f"b_rows_{n}": _document(rows) for n, (_, rows) in enumerate(batches)}
    session.execute(_json_tables_insert(shapes), params)


def _with_defaults(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    defaults = _defaults(table, frozenset(rows[0]))
    return [{**defaults, **row} for row in rows] if defaults else rows


@lru_cache(maxsize=64)
def _defaults(table: Table, names: frozenset[str]) -> dict[str, Any]:
    """The one-value defaults of the columns a row leaves out."""
    left_out = (column for column in table.c if column.key not in names)
    return {
        column.key: column.default.arg
        for column in left_out
        if column.default is not None and column.default.is_scalar
    }


def _document(rows: list[dict[str, Any]]) -> str:
    return json.dumps([{**row, ORDER: n} for n, row in enumerate(rows)], default=_plain)


@lru_cache(maxsize=64)
def _json_tables_insert(shapes: tuple[tuple[Table, tuple[str, ...]], ...]) -> Insert:
    *first, (table, names) = shapes
    ctes = [
        _json_rows_insert(each, columns, f"b_rows_{n}").cte(f"leadbot_rows_{n}")
        for n, (each, columns) in enumerate(first)
    ]
    return _json_rows_insert(table, names, f"b_rows_{len(first)}").add_cte(*ctes)


@lru_cache(maxsize=64)
def _as_json(table: Table, names: frozenset[str]) -> bool:
    """Whether PostgreSQL reads these columns' values back from JSON as their types would bind
    them: not an Enum (it stores names) or a TypeDecorator (it converts first)."""
    kinds = [table.c[name].type for name in names]
    return all(isinstance(kind, _JSON_TYPES) and not isinstance(kind, Enum) for kind in kinds)


def _small(row: dict[str, Any]) -> bool:
    """Whether rows like this one gain from one statement: past about 1 kB of JSON a row (an
    agenda's blocks), parsing the document costs the server more than executing the INSERT
    once per row (100 rows, one statement against one a row, measured: 640 B 3.9 against
    4.6 ms, 1.2 kB 5.6 against 5.5, 2.5 kB 9.3 against 7.1)."""
    return len(json.dumps(row, default=_plain)) <= ROW_BYTES


def _plain(value: object) -> str:
    """What json.dumps cannot write, as text PostgreSQL reads back into the column's type."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a column value leadbot writes in bulk")


@lru_cache(maxsize=64)
def _json_rows_insert(table: Table, names: tuple[str, ...], bind: str = "b_rows") -> Insert:
    """Built once per table and columns (a tick would otherwise build and key it anew)."""
    fields = [column(name, table.c[name].type) for name in names]
    document = cast(bindparam(bind, type_=Text), JSON)
    records = (
        func.json_to_recordset(document)
        .table_valued(*fields, column(ORDER, Integer))
        .render_derived(with_types=True)
    )
    values = [_stored(records.c[name], table.c[name].type) for name in names]
    return insert(table).from_select(names, select(*values).order_by(records.c[ORDER]))


def _stored(field: ColumnElement[Any], kind: Any) -> ColumnElement[Any]:
    # json_to_recordset reads JSON null as SQL NULL; a JSON column stores None as JSON null
    # unless it says none_as_null, as SQLAlchemy's own INSERT does.
    if isinstance(kind, JSON) and not kind.none_as_null:
        return func.coalesce(field, cast(literal("null"), JSON))
    return field
