"""Bulk writes for the big loads, inside the session's transaction.

SQLAlchemy's Core executemany builds and processes a parameter dict per row (most of a 100k-row
load's write time). Here the caller gets each column's own bind processor (the conversion
SQLAlchemy itself would apply: enum to name, Decimal to the backend's form, dates to SQLite text),
memoised for repeating values, and builds plain tuples (or whole columns) once. On SQLite they go to
one DBAPI executemany, with the values every row shares written once into the statement; on
PostgreSQL they stream through COPY (``bulk_pg``: whole columns as COPY text, and references a load
resolved itself proven once per referenced row)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.orm import Session

from importers import bulk_pg


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


def column_converter(session: Session, table: Table, column: str) -> Callable[[list[Any]], list[Any]]:
    """Whole column (no None in it) -> what the driver gets, one C-level map when a conversion is
    needed at all."""
    process = table.c[column].type._cached_bind_processor(session.connection().dialect)
    if process is None:
        return lambda values: values
    return lambda values: list(map(process, values))


# rows per executemany (or between progress reports through COPY): large enough to keep the driver
# busy, small enough to report progress
_CHUNK = 20_000


def insert_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    shared: dict[str, Any] | None = None,
    written: Callable[[int], None] | None = None,
) -> None:
    """Insert ``rows`` (tuples of ``columns``, already converted with ``converter``); ``shared``
    holds converted values every row has (run id, timestamps, a fixed status); ``written`` is told
    how many rows each chunk wrote."""
    shared = shared or {}
    conn = session.connection()
    dialect = conn.dialect
    preparer = dialect.identifier_preparer
    names = [*columns, *shared]
    target = "{} ({})".format(preparer.format_table(table), ", ".join(preparer.quote(c) for c in names))
    if dialect.name == "postgresql":
        tail = tuple(shared.values())
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        count = 0
        with cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row + tail)
                count += 1
                if written is not None and count % _CHUNK == 0:
                    written(_CHUNK)
        if written is not None and count % _CHUNK:
            written(count % _CHUNK)
        return
    listed = rows if isinstance(rows, list) else list(rows)
    if not listed:
        return
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    values = [marker] * len(columns) + [_literal(v) for v in shared.values()]
    sql = f"INSERT INTO {target} VALUES ({', '.join(values)})"
    for start in range(0, len(listed), _CHUNK):
        chunk = listed[start : start + _CHUNK] if len(listed) > _CHUNK else listed
        conn.exec_driver_sql(sql, chunk)
        if written is not None:
            written(len(chunk))


def insert_columns(
    session: Session,
    table: Table,
    columns: Sequence[str],
    values: Sequence[Sequence[Any]],
    shared: dict[str, Any] | None = None,
    written: Callable[[int], None] | None = None,
    *,
    references_resolved: bool = False,
) -> None:
    """``insert_rows`` for rows held column by column (``values[j]`` is ``columns[j]`` of every row).
    ``references_resolved``: every foreign-key value was looked up in this transaction, so on
    PostgreSQL each referenced row is locked and checked once instead of once per inserted row."""
    shared = shared or {}
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name != "postgresql":
        insert_rows(session, table, columns, list(zip(*values, strict=True)), shared, written)
        return
    if not values or not len(values[0]):
        return
    preparer = dialect.identifier_preparer
    names = [*columns, *shared]
    target = "{} ({})".format(preparer.format_table(table), ", ".join(preparer.quote(c) for c in names))
    if references_resolved:
        bulk_pg.copy_with_proven_references(conn, table, target, values, columns, shared, _CHUNK, written)
    else:
        bulk_pg.copy_columns(conn, target, values, tuple(shared.values()), _CHUNK, written)


def _literal(value: Any) -> str:
    """A shared value written into the statement: only the numbers, text and NULL this module makes."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no literal for {type(value).__name__}")


def update_by_id(session: Session, model: type[Any], changes: list[dict[str, Any]]) -> None:
    """ORM bulk UPDATE by primary key: one executemany per set of changed columns."""
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        by_shape.setdefault(tuple(sorted(change)), []).append(change)
    for group in by_shape.values():
        session.execute(update(model), group)
