"""Bulk inserts for the big loads: DBAPI executemany of plain tuples, in large chunks.

SQLAlchemy's Core executemany builds and processes a parameter dict per row (most of a 100k-row
load's write time). Here the caller gets each column's own bind processor (the conversion
SQLAlchemy itself would apply: enum to name, Decimal to the backend's form, dates to SQLite text),
memoised for repeating values, builds final tuples once, and the driver's executemany runs them
inside the session's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.orm import Session


def table_of(model: type[Any]) -> Table:
    """The Table behind an ORM model."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def converter(session: Session, table: Table, column: str, *, memo: bool = True) -> Callable[[Any], Any]:
    """Value -> what the driver gets for ``table.column`` (identity when no conversion is needed)."""
    process = table.c[column].type._cached_bind_processor(session.connection().dialect)
    if process is None:
        return lambda value: value
    if not memo:
        return lambda value: None if value is None else process(value)
    cache: dict[Any, Any] = {None: None}

    def convert(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            done = cache[value] = process(value)
            return done

    return convert


# rows per executemany: large enough to keep the driver busy, small enough to report progress
_CHUNK = 20_000


def insert_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    written: Callable[[int], None] | None = None,
) -> None:
    """Insert ``rows`` (tuples already converted with ``converter``) with executemany, in chunks;
    ``written`` is told how many rows each chunk wrote."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    preparer = dialect.identifier_preparer
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        preparer.format_table(table),
        ", ".join(preparer.quote(c) for c in columns),
        ", ".join([marker] * len(columns)),
    )
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        conn.exec_driver_sql(sql, chunk)
        if written is not None:
            written(len(chunk))


def update_by_id(session: Session, model: type[Any], changes: list[dict[str, Any]]) -> None:
    """ORM bulk UPDATE by primary key: one executemany per set of changed columns."""
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        by_shape.setdefault(tuple(sorted(change)), []).append(change)
    for group in by_shape.values():
        session.execute(update(model), group)
