"""Sync state carried by every syncable record, the append-only SyncEvent history, and the
ErpExport outbox that connectors deliver to the ERP.

The transitions themselves (send, accept, reject, ...) live in ``models/workflow.py``.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

import models.audit  # noqa: F401 - the audit trail listens to every session's flushes
from models.base import Base, Money, UTCDateTime, utcnow
from models.enums import ExportStatus, Origin, RecordType, SyncStatus
from models.errors import DomainError, ErrorCode
from models.policy import Actor


def _enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    # native_enum=False: a VARCHAR + CHECK on both backends, so adding a value is a plain migration.
    return Enum(enum_cls, name=name, native_enum=False, validate_strings=True, length=32)


class SyncState:
    """Columns every syncable record carries (DESIGN.md section 3)."""

    RECORD_TYPE: RecordType  # set by each syncable model
    if TYPE_CHECKING:
        id: int  # every syncable model's primary key

    sync_status: Mapped[SyncStatus] = mapped_column(
        _enum(SyncStatus, "sync_status"), default=SyncStatus.NOT_SENT, nullable=False, index=True
    )
    origin: Mapped[Origin] = mapped_column(_enum(Origin, "origin"), default=Origin.COSTBRIDGE, nullable=False)
    origin_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sync_messages: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    synced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # sent while ERP direct exports were on: it went to the outbox without an approver, so the
    # approver's queue and digest leave it out
    exported_directly: Mapped[bool] = mapped_column(default=False, nullable=False)

    @declared_attr
    def sent_by_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("users.id"))

    @declared_attr
    def decided_by_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("users.id"))

    @property
    def is_locked_by_sync(self) -> bool:
        """Sent records are read-only until retrieved, rejected or failed; synced ones until unlinked."""
        return self.sync_status in (SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING, SyncStatus.SYNCED)


class SyncEvent(Base):
    """One transition of one record. Append-only: rows are never updated or deleted."""

    __tablename__ = "sync_events"
    __table_args__ = (Index("ix_sync_events_record", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_type: Mapped[RecordType] = mapped_column(_enum(RecordType, "record_type"), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    from_status: Mapped[SyncStatus | None] = mapped_column(_enum(SyncStatus, "sync_status"))
    to_status: Mapped[SyncStatus] = mapped_column(_enum(SyncStatus, "sync_status"), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str | None] = mapped_column(String(200))  # kept even if the user is renamed
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    # the record's amount when the step happened (None for records without one): what the
    # accountant report shows and totals
    amount: Mapped[Decimal | None] = mapped_column(Money)


class ErpExport(Base):
    """The outbox: one accepted record mapped to the ERP's fields, waiting for a connector."""

    __tablename__ = "erp_exports"
    __table_args__ = (
        Index("ix_erp_exports_record", "record_type", "record_id"),
        # At most one open (not yet acknowledged or failed) export per record: the
        # concurrent-accept guard. ``open_key`` is NULL once the export is closed.
        UniqueConstraint("open_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_type: Mapped[RecordType] = mapped_column(_enum(RecordType, "record_type"), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    open_key: Mapped[str | None] = mapped_column(String(64))
    erp_system: Mapped[str] = mapped_column(String(32), nullable=False)
    # the ERP-side table name, e.g. "Job", "AP Vendor", "Subcontract"
    erp_entity: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    status: Mapped[ExportStatus] = mapped_column(
        _enum(ExportStatus, "export_status"), default=ExportStatus.PENDING, nullable=False, index=True
    )
    origin_id: Mapped[str | None] = mapped_column(String(64))
    messages: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    connector: Mapped[str | None] = mapped_column(String(32))
    delivered_file: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


def ensure_editable(record: SyncState, what: str | None = None) -> None:
    """Refuse edits to a record that is with the ERP (sent, exporting or synced)."""
    if record.is_locked_by_sync:
        label = what or record.RECORD_TYPE.value.replace("_", " ").lower()
        raise DomainError(
            ErrorCode.RECORD_LOCKED_BY_SYNC,
            f"This {label} is {record.sync_status.value} with the ERP and is read-only; "
            "retrieve it (before a decision) or unlink it first",
        )


def record_transition(
    session: Session,
    record: SyncState,
    action: str,
    to_status: SyncStatus,
    actor: Actor,
    *,
    note: str | None = None,
    at: dt.datetime | None = None,
    born: bool = False,
) -> SyncEvent:
    """Apply one sync transition to ``record`` and append its SyncEvent: the only way a sync status
    changes, so the history always ends at the record's current status.

    ``actor`` is who acted: a user, or a named system actor (its name is what the history shows);
    ``born`` marks a record that enters with this event (it had no status before).
    """
    if record.id is None:
        session.flush()
    event = SyncEvent(
        record_type=record.RECORD_TYPE,
        record_id=record.id,
        action=action,
        from_status=None if born else record.sync_status,
        to_status=to_status,
        actor_id=actor.user_id,
        actor_name=actor.name,
        note=note,
        at=at or utcnow(),
    )
    session.add(event)
    record.sync_status = to_status
    return event


def mark_born_synced(
    session: Session,
    record: SyncState,
    origin_id: str,
    actor: Actor,
    *,
    action: str = "receive",
    note: str | None = None,
    at: dt.datetime | None = None,
) -> SyncEvent:
    """A record that came from the ERP: SYNCED from birth, origin ERP, keyed by the ERP's id."""
    record.origin = Origin.ERP
    record.origin_id = origin_id
    record.synced_at = at or utcnow()
    return record_transition(
        session, record, action, SyncStatus.SYNCED, actor, note=note, at=record.synced_at, born=True
    )
