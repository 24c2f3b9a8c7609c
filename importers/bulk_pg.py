"""The PostgreSQL side of the big loads: COPY text built a column at a time, and foreign keys the
load has already resolved proven once per referenced row instead of once per inserted row.

Per row, PostgreSQL checks each foreign key with a trigger that finds the referenced row and locks
it (FOR KEY SHARE); for a 100k-row job-cost load that is over half a million lookups, most of the
database's work. A load whose ids all come from lookups in its own transaction does that check once
per distinct referenced row: it locks them FOR KEY SHARE itself (as the trigger would: a concurrent
delete waits for the load, or has committed and the load stops), refuses the load if any is gone,
and runs the COPY with the row triggers off (``session_replication_role = replica``, for this
statement only). Unique indexes and NOT NULL still check every row. Setting that needs superuser
or, from PostgreSQL 15, ``GRANT SET ON PARAMETER session_replication_role`` to the application's
role; without it the COPY runs with the triggers, the same result, slower."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.exc import IntegrityError

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = ("\\", "\t", "\n", "\r")
_NONE = type(None)
_TEXT, _FLOAT, _INT = {str, _NONE}, {float}, {int}


def copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return NULL
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):  # datetimes too (ISO 8601 with the offset)
        return value.isoformat()
    raise TypeError(f"no COPY text for {type(value).__name__}")


def column_text(values: Sequence[Any]) -> list[str]:
    """A whole column in COPY's text format, by C-level maps for the usual shapes (text, with or
    without NULLs, escaped only when some value needs it; numbers), else once per distinct value."""
    kinds = set(map(type, values))
    if kinds <= _TEXT:
        nulls = _NONE in kinds
        joined = "".join(filter(None, values) if nulls else values)
        if any(ch in joined for ch in _SPECIAL):
            return [NULL if v is None else v.translate(_ESCAPES) for v in values]
        return [NULL if v is None else v for v in values] if nulls else list(values)
    if kinds == _FLOAT:
        return list(map(repr, values))
    if kinds == _INT:
        return list(map(str, values))
    texts = {value: copy_text(value) for value in set(values)}
    return list(map(texts.__getitem__, values))


def copy_columns(
    conn: Connection,
    target: str,
    values: Sequence[Sequence[Any]],
    tail: Sequence[Any],
    chunk: int,
    written: Callable[[int], None] | None,
) -> None:
    """COPY ``values`` (one sequence per column, already converted) plus the ``tail`` values every
    row shares into ``target`` ('table (col, ...)'), ``chunk`` rows at a time."""
    suffix = "".join("\t" + copy_text(v) for v in tail) + "\n"
    count = len(values[0]) if values else 0
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for start in range(0, count, chunk):
            texts = [column_text(column[start : start + chunk]) for column in values]
            lines = map("\t".join, zip(*texts, strict=True))
            copy.write((suffix.join(lines) + suffix).encode())
            if written is not None:
                written(min(chunk, count - start))


def may_skip_row_triggers(conn: Connection) -> bool:
    """Whether this session may turn row triggers off (superuser, or granted the setting)."""
    superuser, version = conn.exec_driver_sql(
        "SELECT current_setting('is_superuser'), current_setting('server_version_num')::int"
    ).one()
    if superuser == "on":
        return True
    if version < 150000:
        return False
    allowed = conn.exec_driver_sql("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    return bool(allowed.scalar())


def lock_references(conn: Connection, table: Table, columns: dict[str, set[Any]]) -> None:
    """Lock every row the inserted rows reference FOR KEY SHARE (the foreign-key trigger's own
    check, once per referenced row); IntegrityError when one is gone. ``columns`` holds the
    distinct non-null values of each foreign-key column of ``table``; every one must be there."""
    for column in table.c:
        for fk in column.foreign_keys:
            if column.name not in columns:
                raise ValueError(f"{table.name}.{column.name} is not proven: its values are missing")
            wanted = columns[column.name]
            if not wanted:
                continue
            key = fk.column
            found = set(
                conn.execute(
                    select(key)
                    .where(key.in_(bindparam("ids", expanding=True)))
                    .with_for_update(key_share=True, read=True),
                    {"ids": sorted(wanted)},
                ).scalars()
            )
            if found != wanted:
                missing = sorted(wanted - found)[:5]
                raise IntegrityError(
                    f"{table.name}.{column.name} -> {key.table.name}",
                    {"missing": missing},
                    LookupError(f"{key.table.name} rows {missing} are gone"),
                )


def copy_with_proven_references(
    conn: Connection,
    table: Table,
    target: str,
    values: Sequence[Sequence[Any]],
    names: Sequence[str],
    shared: dict[str, Any],
    chunk: int,
    written: Callable[[int], None] | None,
) -> None:
    """COPY with each referenced row locked once and the per-row foreign-key triggers off when the
    session may (else with them)."""
    if not may_skip_row_triggers(conn):
        copy_columns(conn, target, values, tuple(shared.values()), chunk, written)
        return
    keyed = {column.name for column in table.c if column.foreign_keys}
    distinct = {
        name: set(column) - {None} for name, column in zip(names, values, strict=True) if name in keyed
    }
    distinct.update({name: {value} - {None} for name, value in shared.items() if name in keyed})
    lock_references(conn, table, distinct)
    conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    copy_columns(conn, target, values, tuple(shared.values()), chunk, written)
    conn.exec_driver_sql("SET LOCAL session_replication_role = origin")
