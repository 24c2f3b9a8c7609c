"""Relay plumbing: opaque global IDs, the Node interface and registry, cursor connections with
``totalCount`` and a hard page-size cap, paged by keyset (stable under concurrent writes)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.types import TypeDecorator
from strawberry.types.nodes import SelectedField

from api.dataloaders import read_rows
from api.permissions import denied
from models import registry
from models.errors import DomainError, ErrorCode
from models.policy import Actor, Need

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
# primary keys are 32-bit integer columns (PostgreSQL's integer): anything larger is not an id
MAX_ID = 2**31 - 1

T = TypeVar("T")


@functools.lru_cache(maxsize=65536)
def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode())


def from_global_id(gid: str | strawberry.ID, *expected: str, field: str | None = "id") -> tuple[str, int]:
    """Decode a global ID; ``expected`` restricts the type names accepted. Raises INVALID_ID."""
    try:
        type_name, _, raw_pk = base64.urlsafe_b64decode(str(gid).encode()).decode().partition(":")
        pk = int(raw_pk)
        if not 0 <= pk <= MAX_ID:
            raise ValueError
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise DomainError(ErrorCode.INVALID_ID, f"'{str(gid)[:100]}' is not a valid ID", field) from None
    if expected and type_name not in expected:
        raise DomainError(
            ErrorCode.INVALID_ID,
            f"'{str(gid)[:100]}' is a {type_name[:40]} ID, expected {' or '.join(expected)}",
            field,
        )
    return type_name, pk


def decode_id(gid: str | strawberry.ID, expected: str, field: str | None = "id") -> int:
    return from_global_id(gid, expected, field=field)[1]


def decode_optional_id(
    gid: str | strawberry.ID | None, expected: str, field: str | None = None
) -> int | None:
    return None if gid is None else decode_id(gid, expected, field)


@strawberry.interface(description="An object with a globally unique, opaque ID.")
class Node:
    id: strawberry.ID


@dataclass(frozen=True)
class NodeType:
    """What ``node(id:)`` needs to answer for one ID prefix: the ORM model, the strawberry type's
    converter, and the policy's read need (``row_need`` when it depends on the row, checked after
    ``need``, which is checked before the row is loaded)."""

    model: type
    strawberry_type: type
    convert: Callable[[Any], Any]
    need: Need
    row_need: Callable[[Any], Need] | None = None
    what: str = "Reading this record"


# ID prefix -> NodeType. The prefix is written literally where each type registers (syncable types
# take theirs from the record-type registry), never derived from a class name, so renaming a class
# keeps every ID a client stored.
NODE_REGISTRY: dict[str, NodeType] = {}


def register_node(
    model: type,
    type_name: str,
    need: Need,
    *,
    row_need: Callable[[Any], Need] | None = None,
    what: str | None = None,
):
    """Class decorator: lets ``node(id:)`` resolve IDs with prefix ``type_name`` to this type for
    actors the policy lets read it. The class needs ``from_row``."""
    record_type = getattr(model, "RECORD_TYPE", None)
    if record_type is not None:
        assert registry.spec(record_type).type_name == type_name, f"{type_name} is not the registry's name"

    def wrap(cls):
        assert type_name not in NODE_REGISTRY, f"ID prefix {type_name} registered twice"
        NODE_REGISTRY[type_name] = NodeType(
            model, cls, cls.from_row, need, row_need, what or f"Reading a {type_name}"
        )
        return cls

    return wrap


def resolve_node(session: Session, actor: Actor, gid: strawberry.ID):
    """The object an ID names, if the actor may read it; None for a well-formed ID that names
    nothing (no such row, or a type this API does not have); an INVALID_ID error (raised) for
    anything that is not an ID of this API, and a PERMISSION_DENIED error when the policy refuses."""
    type_name, pk = from_global_id(gid)
    entry = NODE_REGISTRY.get(type_name)
    if entry is None:
        return None
    # refused before the row is looked up, so a refusal does not tell whether the row exists
    if not entry.need.allows(actor):
        raise denied(f"{entry.what} needs {entry.need.describe()}")
    row = session.get(entry.model, pk)
    if row is None:
        return None
    if entry.row_need is not None:
        need = entry.row_need(row)
        if not need.allows(actor):
            raise denied(f"{entry.what} needs {need.describe()}")
    return entry.convert(row)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T]
    page_info: PageInfo
    total_count: int


# --- keyset pagination --------------------------------------------------------------------------
#
# Every connection pages by keyset: its rows are ordered by a tuple of sort keys that ends in a
# unique column, and a cursor holds the values of those keys for its row (opaque: base64 of JSON).
# The next page is "the rows after these values", so rows acknowledged, inserted or removed while
# a client pages never make it skip or repeat another row (an offset would shift). The order comes
# from the statement's ORDER BY: a list ordered by name or by a cost code's sort key carries the
# name or sort key and the id in its cursors.

MAX_CURSOR_LENGTH = 2000
MAX_CURSOR_TEXT = 500
# primary keys and other integer keys are 32-bit integer columns; a cursor value outside that
# range is not one of ours
MIN_INT, MAX_INT = -(2**31), 2**31 - 1
MAX_DECIMAL = Decimal(10) ** 15


def invalid_cursor(cursor: str) -> GraphQLError:
    return GraphQLError(
        f"'{cursor[:100]}' is not a valid cursor", extensions={"code": ErrorCode.INVALID_CURSOR.value}
    )


@dataclass(frozen=True)
class SortKey:
    """One column of a connection's order: the expression, how its values travel in a cursor
    (``int``, ``str``, ``datetime``, ``date``, ``decimal``), whether it sorts descending, and the
    name a result row carries it under."""

    column: Any
    kind: str
    descending: bool = False
    name: str = ""

    def value_of(self, row: Any) -> Any:
        return getattr(row, self.name)

    def encode(self, value: Any) -> Any:
        if self.kind in ("datetime", "date"):
            return value.isoformat()
        if self.kind == "decimal":
            return str(value)
        if self.kind == "str" and isinstance(value, enum.Enum):
            return str(value.value)
        return value

    def decode(self, raw: Any) -> Any:
        """The value from a cursor; ValueError for anything this key could not have produced."""
        if self.kind == "int":
            if type(raw) is not int or not MIN_INT <= raw <= MAX_INT:
                raise ValueError
            return raw
        if not isinstance(raw, str) or len(raw) > MAX_CURSOR_TEXT:
            raise ValueError
        if self.kind == "datetime":
            value = dt.datetime.fromisoformat(raw)
            if value.tzinfo is None:
                raise ValueError
            return value
        if self.kind == "date":
            return dt.date.fromisoformat(raw)
        if self.kind == "decimal":
            try:
                number = Decimal(raw)
            except InvalidOperation:
                raise ValueError from None
            # money columns are Numeric(15, 2): NaN, infinities and wider values are not ours
            if not number.is_finite() or abs(number) >= MAX_DECIMAL:
                raise ValueError
            return number
        return raw


_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "int"),
    (int, "int"),
    (dt.datetime, "datetime"),
    (dt.date, "date"),
    (Decimal, "decimal"),
    (str, "str"),
)


def _kind_of(column: Any) -> str:
    sql_type = column.type
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    try:
        python_type = sql_type.python_type
    except NotImplementedError:
        python_type = str
    for cls, kind in _KINDS:
        if issubclass(python_type, cls):
            return kind
    raise TypeError(f"cannot page by {column!r}: {python_type} values")


@dataclass(frozen=True)
class Keyset:
    """A connection's order, as sort keys; the last one must be unique."""

    keys: tuple[SortKey, ...]

    @classmethod
    def of(cls, stmt: Select) -> Keyset:
        """The keyset of a statement's ORDER BY (plain columns, each maybe ``.desc()``)."""
        keys = []
        for clause in stmt._order_by_clauses:
            descending = isinstance(clause, UnaryExpression) and clause.modifier is operators.desc_op
            column = clause.element if isinstance(clause, UnaryExpression) else clause
            name = getattr(column, "key", None)
            if not name:
                raise TypeError(f"cannot page by {clause!r}: order by a named column")
            keys.append(SortKey(column, _kind_of(column), descending, name))
        if not keys:
            raise TypeError("a paged statement must be ordered, ending with a unique column")
        return cls(tuple(keys))

    @functools.cached_property
    def tag(self) -> str:
        """Binds a cursor to this order: a cursor of another list is refused, not misread."""
        text = ",".join(f"{k.name}:{k.kind}:{int(k.descending)}" for k in self.keys)
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    def order_by(self) -> list[Any]:
        return [k.column.desc() if k.descending else k.column.asc() for k in self.keys]

    def cursor(self, row: Any) -> str:
        values = [self.tag, *(k.encode(k.value_of(row)) for k in self.keys)]
        return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode()

    def decode(self, cursor: str) -> tuple[Any, ...]:
        """The sort-key values a cursor holds; INVALID_CURSOR for garbage, a cursor of another list,
        or values out of range."""
        try:
            if len(cursor) > MAX_CURSOR_LENGTH:
                raise ValueError
            values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            if not isinstance(values, list) or len(values) != len(self.keys) + 1 or values[0] != self.tag:
                raise ValueError
            return tuple(k.decode(raw) for k, raw in zip(self.keys, values[1:], strict=True))
        except (binascii.Error, UnicodeError, ValueError, TypeError, RecursionError):
            raise invalid_cursor(cursor) from None

    def after(self, values: tuple[Any, ...]) -> ColumnElement[bool]:
        """Rows that come after ``values`` in this order: (k1 > v1) or (k1 = v1 and k2 > v2) ..."""
        ors = []
        for i, key in enumerate(self.keys):
            ties = [self.keys[j].column == values[j] for j in range(i)]
            beyond = key.column < values[i] if key.descending else key.column > values[i]
            ors.append(and_(*ties, beyond))
        return or_(*ors)


def check_page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise GraphQLError(
            f"first must be between 0 and {MAX_PAGE_SIZE}",
            extensions={"code": ErrorCode.PAGE_SIZE_TOO_LARGE.value, "max": MAX_PAGE_SIZE},
        )
    return first


def build_connection(
    items: Sequence[T], cursors: Sequence[str], total: int, *, has_next: bool, after: str | None
) -> Connection[T]:
    """A page: ``items`` with their ``cursors``; ``has_next`` when rows follow the last one."""
    edges = [Edge(cursor=c, node=item) for c, item in zip(cursors, items, strict=True)]
    return Connection(
        edges=edges,
        nodes=list(items),
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


def selects(info: Any, name: str) -> bool:
    """Whether the current field's selection asks for ``name`` directly below it (through fragments
    too; a field under ``@skip``/``@include`` counts as asked)."""
    pending: list[Any] = list(info.selected_fields)
    while pending:
        for child in pending.pop().selections:
            if isinstance(child, SelectedField):
                if child.name == name:
                    return True
            else:  # a fragment: its fields are the field's own
                pending.append(child)
    return False


def page_rows(
    session: Session,
    stmt: Select,
    first: int | None,
    after: str | None,
    *,
    scalars: bool = True,
    count: bool = True,
) -> tuple[list[Any], list[str], int, bool]:
    """One page of ``stmt`` (filtered and ordered, the order ending in a unique column): its rows,
    their cursors, the total count and whether more rows follow. One COUNT (unless ``count`` is
    false: a selection without ``totalCount``; the total is then 0, never shown), one SELECT."""
    limit = check_page_size(first)
    keyset = Keyset.of(stmt)
    page = stmt
    if after is not None:
        page = page.where(keyset.after(keyset.decode(after)))
    total = 0
    if count:
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if not limit:
        return [], [], total, False
    limited = page.limit(limit + 1)
    rows = list(session.scalars(limited) if scalars else read_rows(session, limited))
    has_next = len(rows) > limit
    rows = rows[:limit]
    return rows, [keyset.cursor(r) for r in rows], total, has_next


def paginate(
    session: Session,
    stmt: Select,
    convert: Callable[[Any], T],
    first: int | None,
    after: str | None,
) -> Connection[T]:
    """Page over ``stmt`` (filtered and ordered; the order ends in a unique column, e.g.
    ``order_by(Project.number, Project.id)``) by keyset."""
    rows, cursors, total, has_next = page_rows(session, stmt, first, after)
    return build_connection([convert(r) for r in rows], cursors, total, has_next=has_next, after=after)
