"""Relay plumbing: opaque global IDs, the Node interface and registry, cursor connections with
``totalCount`` and a hard page-size cap."""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from api.permissions import denied
from models import registry
from models.errors import DomainError, ErrorCode
from models.policy import Actor, Need

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
# primary keys are 32-bit integer columns (PostgreSQL's integer): anything larger is not an id, and
# no list is long enough for an offset past that either
MAX_ID = 2**31 - 1
MAX_OFFSET = 2**31 - 1

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
            ErrorCode.INVALID_ID, f"'{gid}' is a {type_name} ID, expected {' or '.join(expected)}", field
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


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        kind, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        offset = int(raw)
        if kind != "offset" or not 0 <= offset < MAX_OFFSET:
            raise ValueError
        return offset + 1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphQLError(
            f"'{cursor[:100]}' is not a valid cursor", extensions={"code": ErrorCode.INVALID_CURSOR.value}
        ) from None


def check_page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise GraphQLError(
            f"first must be between 0 and {MAX_PAGE_SIZE}",
            extensions={"code": ErrorCode.PAGE_SIZE_TOO_LARGE.value, "max": MAX_PAGE_SIZE},
        )
    return first


def build_connection(items: Sequence[T], offset: int, total: int) -> Connection[T]:
    edges = [Edge(cursor=_cursor(offset + i), node=item) for i, item in enumerate(items)]
    return Connection(
        edges=edges,
        nodes=list(items),
        page_info=PageInfo(
            has_next_page=offset + len(items) < total,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


def paginate(
    session: Session,
    stmt: Select,
    convert: Callable[[Any], T],
    first: int | None,
    after: str | None,
) -> Connection[T]:
    """Run ``stmt`` (already filtered and ordered) one page at a time: one COUNT, one SELECT."""
    limit = check_page_size(first)
    offset = _offset(after)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(limit).offset(offset)).all() if limit else []
    return build_connection([convert(r) for r in rows], offset, total)


def paginate_list(items: Sequence[T], first: int | None, after: str | None) -> Connection[T]:
    """Page over an already loaded list (small nested lists such as a budget's lines)."""
    limit = check_page_size(first)
    offset = _offset(after)
    return build_connection(list(items[offset : offset + limit]), offset, len(items))
