"""The audit trail: every create, update and delete of a financial record (each syncable record and
the lines that make up its amounts) stores who did it, when, and each changed field with its old
and new value. Append-only: no code path updates or deletes an entry, and the ORM refuses to.

It is written once, for every path: a session ``after_flush`` listener reads the changes of the
audited models from the unit of work (ids are known by then, and orphaned lines are among the
deleted), and bulk statements that bypass the unit of work (file imports) hand their changes to
``record_rows``. The actor is explicit: whoever opens a session for someone sets it with
``acting_as`` (the GraphQL request, the command line, an import, a connector, the demo loader);
a financial change flushed without one is refused with ``MissingActor``, never attributed to a guess.

Sync-state columns (status, ERP key, sent/decided/synced stamps) are left out: the sync history
(``SyncEvent``) records those steps. So are timestamps and derived columns.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Table, event, inspect
from sqlalchemy.orm import Mapped, Mapper, Session, UOWTransaction, attributes, mapped_column, sessionmaker

from models.base import Base, UTCDateTime, utcnow
from models.enums import RecordType
from models.policy import Actor

CREATE, UPDATE, DELETE = "CREATE", "UPDATE", "DELETE"
# lines a file import created, recorded as one entry on their record (the file is the detail)
IMPORT = "IMPORT"
ACTOR_KEY = "costbridge.actor"

# never audited: sync state (kept in the sync history), timestamps, derived columns
SKIPPED_COLUMNS = frozenset(
    {
        "sync_status",
        "origin",
        "origin_id",
        "sync_messages",
        "reject_reason",
        "sent_at",
        "decided_at",
        "synced_at",
        "sent_by_id",
        "decided_by_id",
        "exported_directly",
        "created_at",
        "updated_at",
        "normalized_name",
        "sub_job_key",
        "id",
    }
)


class AuditEntry(Base):
    """One change of one audited row. ``entity``/``entity_id`` name the row (its GraphQL type name
    and id: ``BudgetLine`` 7); ``record_type``/``record_id`` the syncable record it belongs to
    (the budget of that line), so a record's trail includes its lines."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_record", "record_type", "record_id"),
        Index("ix_audit_entries_entity", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_id: Mapped[int] = mapped_column(Integer, nullable=False)
    record_type: Mapped[str] = mapped_column(String(32), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(8), nullable=False)
    # {"originalAmount": {"old": "1500.00", "new": "1750.00"}, ...}
    changes: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)


_TABLE = cast(Table, AuditEntry.__table__)


class MissingActor(RuntimeError):
    """A financial record changed in a session nobody acts in: a programming error."""


class AppendOnly(RuntimeError):
    """Something tried to change or remove an audit entry."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_rewrite(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
    raise AppendOnly(f"audit entry {target.id} is append-only: it cannot be changed or removed")


# --- who acts ------------------------------------------------------------------------------------


def acting_as(session: Session, actor: Actor) -> Session:
    """Name the actor of the changes this session makes from now on; returns the session."""
    if actor is None:  # a programming error, not a permission question
        raise TypeError("an actor is required: a user or a named system actor")
    session.info[ACTOR_KEY] = actor
    return session


def sessions_acting_as(factory: sessionmaker[Session], actor: Actor) -> sessionmaker[Session]:
    """Make every session of ``factory`` act as ``actor`` (a set-up script's or a test's sessions);
    returns the factory."""
    factory.configure(info={ACTOR_KEY: actor})
    return factory


def acting_factory(factory: sessionmaker[Session], actor: Actor) -> sessionmaker[Session]:
    """A factory like ``factory`` (same engine and options) whose sessions act as ``actor``;
    ``factory`` itself is left as it was (a process may share it with other actors)."""
    if actor is None:
        raise TypeError("an actor is required: a user or a named system actor")
    options = dict(factory.kw)
    info = {**(options.pop("info", None) or {}), ACTOR_KEY: actor}
    return sessionmaker(class_=factory.class_, info=info, **options)


def actor_of(session: Session) -> Actor | None:
    actor: Actor | None = session.info.get(ACTOR_KEY)
    return actor


# --- what is audited -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Audited:
    entity: str  # the GraphQL type name (and global ID prefix) of the row
    record_type: RecordType  # the syncable record the row belongs to ...
    owner_attribute: str  # ... and the attribute holding that record's id ("id" for the record itself)
    columns: tuple[str, ...]  # the attributes whose changes are kept

    def owner(self, row: Any) -> tuple[RecordType, int]:
        return self.record_type, getattr(row, self.owner_attribute)


def _columns(model: type[Any]) -> tuple[str, ...]:
    mapper: Mapper[Any] = inspect(model)
    return tuple(c.key for c in mapper.column_attrs if c.key not in SKIPPED_COLUMNS)


@functools.cache
def audited_models() -> Mapping[type[Any], Audited]:
    """Every syncable record type (from the registry) and each line table that makes up an amount."""
    from models import registry
    from models.budgets import BudgetLine
    from models.commitments import CommitmentChangeOrderLine, CommitmentLine
    from models.invoices import SubcontractorInvoiceLine
    from models.prime_contracts import PrimeContractChangeOrderLine, PrimeContractLine

    found: dict[type[Any], Audited] = {}
    for spec in registry.REGISTRY:
        found[spec.model] = Audited(spec.type_name, spec.record_type, "id", _columns(spec.model))
    lines: tuple[tuple[type[Any], str, RecordType, str], ...] = (
        (BudgetLine, "BudgetLine", RecordType.BUDGET, "budget_id"),
        (CommitmentLine, "CommitmentLine", RecordType.COMMITMENT, "commitment_id"),
        (
            CommitmentChangeOrderLine,
            "CommitmentChangeOrderLine",
            RecordType.COMMITMENT_CHANGE_ORDER,
            "change_order_id",
        ),
        (
            SubcontractorInvoiceLine,
            "SubcontractorInvoiceLine",
            RecordType.SUBCONTRACTOR_INVOICE,
            "invoice_id",
        ),
        (PrimeContractLine, "PrimeContractLine", RecordType.PRIME_CONTRACT, "prime_contract_id"),
        (
            PrimeContractChangeOrderLine,
            "PrimeContractChangeOrderLine",
            RecordType.PRIME_CONTRACT_CHANGE_ORDER,
            "change_order_id",
        ),
    )
    for model, entity, record_type, parent in lines:
        found[model] = Audited(entity, record_type, parent, _columns(model))
    return found


# --- values --------------------------------------------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def plain(value: Any) -> Any:
    """A value as the trail stores it: money and quantities as decimal strings, dates ISO."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


@functools.cache
def field_name(attribute: str) -> str:
    return _camel(attribute)


# --- writing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A change made outside the unit of work (a bulk statement), for ``record_rows``."""

    model: type[Any]
    entity_id: int
    owner_id: int
    action: str
    values: Mapping[str, tuple[Any, Any]]  # attribute -> (old, new)


def _entry(
    entity: str,
    entity_id: int,
    owner: tuple[RecordType, int],
    action: str,
    changes: dict[str, dict[str, Any]],
    actor: Actor,
    at: dt.datetime,
) -> dict[str, Any]:
    return {
        "entity": entity,
        "entity_id": entity_id,
        "record_type": RecordType(owner[0]).value,
        "record_id": owner[1],
        "action": action,
        "changes": changes,
        "actor_id": actor.user_id,
        "actor_name": actor.name,
        "at": at,
    }


def _changes(pairs: Iterable[tuple[str, Any, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for attribute, old, new in pairs:
        old_plain, new_plain = plain(old), plain(new)
        if old_plain != new_plain:
            out[field_name(attribute)] = {"old": old_plain, "new": new_plain}
    return out


def _require_actor(session: Session) -> Actor:
    actor = actor_of(session)
    if actor is None:
        raise MissingActor(
            "a financial record changed in a session without an actor: call models.audit.acting_as"
        )
    return actor


def record_rows(session: Session, actor: Actor, changes: Iterable[Change]) -> int:
    """Write the entries of changes made by bulk statements (one executemany). Returns how many."""
    audited = audited_models()
    now = utcnow()
    rows = []
    for change in changes:
        spec = audited[change.model]
        values = _changes((attr, old, new) for attr, (old, new) in change.values.items())
        if change.action == UPDATE and not values:
            continue
        owner = (spec.record_type, change.owner_id)
        rows.append(_entry(spec.entity, change.entity_id, owner, change.action, values, actor, now))
    if rows:
        # a Core executemany: the ORM's bulk path costs several times more per row
        session.connection().execute(_TABLE.insert(), rows)
    return len(rows)


def _snapshot(obj: Any, columns: tuple[str, ...], *, old: bool) -> list[tuple[str, Any, Any]]:
    pairs = []
    for key in columns:
        value = getattr(obj, key)
        if value is None:
            continue
        pairs.append((key, value, None) if old else (key, None, value))
    return pairs


def _updated(obj: Any, columns: tuple[str, ...]) -> list[tuple[str, Any, Any]]:
    pairs = []
    for key in columns:
        history = attributes.get_history(obj, key, passive=attributes.PASSIVE_NO_INITIALIZE)
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        pairs.append((key, old, new))
    return pairs


def _deleted(session: Session, context: UOWTransaction) -> list[Any]:
    """What this flush deletes: ``session.deleted`` and the orphans of replaced line lists."""
    objects = {id(obj): obj for obj in session.deleted}
    for state, (is_delete, list_only) in context.states.items():
        obj = state.obj()
        if is_delete and not list_only and obj is not None:
            objects.setdefault(id(obj), obj)
    return list(objects.values())


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, context: UOWTransaction) -> None:
    audited = audited_models()
    found: list[tuple[Audited, Any, str, dict[str, dict[str, Any]]]] = []
    for obj in session.new:
        spec = audited.get(type(obj))
        if spec is not None:
            found.append((spec, obj, CREATE, _changes(_snapshot(obj, spec.columns, old=False))))
    deleted = _deleted(session, context)
    gone = {id(obj) for obj in deleted}
    for obj in session.dirty:
        spec = audited.get(type(obj))
        if spec is None or id(obj) in gone:
            continue
        values = _changes(_updated(obj, spec.columns))
        if values:
            found.append((spec, obj, UPDATE, values))
    for obj in deleted:
        spec = audited.get(type(obj))
        if spec is not None:
            found.append((spec, obj, DELETE, _changes(_snapshot(obj, spec.columns, old=True))))
    if not found:
        return
    actor = _require_actor(session)
    now = utcnow()
    rows = [
        _entry(spec.entity, obj.id, spec.owner(obj), action, values, actor, now)
        for spec, obj, action, values in found
    ]
    session.connection().execute(_TABLE.insert(), rows)
