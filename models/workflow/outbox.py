"""The outbox side of the workflow: what a connector does with an accepted record's ErpExport
(mark it delivered, acknowledge it: SYNCED, fail it: FAILED_TO_EXPORT, or put it back in the
queue when it was taken but never delivered). Every step needs the connector (``CONNECTOR``:
ADMIN on ERP Integrations and the connector privilege); reading the outbox needs ``OUTBOX``."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import registry
from models.base import utcnow
from models.enums import ExportStatus
from models.errors import DomainError, ErrorCode
from models.policy import CONNECTOR, OUTBOX, Actor, require
from models.registry import load_record
from models.sync import ErpExport
from models.workflow import keys
from models.workflow.transitions import check_transition, record_event


def get_export(session: Session, actor: Actor, export_id: int, *, for_update: bool = False) -> ErpExport:
    """One outbox row (STANDARD on ERP Integrations), or EXPORT_NOT_FOUND."""
    require(actor, OUTBOX, "Reading the ERP outbox")
    stmt = select(ErpExport).where(ErpExport.id == export_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    export = session.scalars(stmt).one_or_none()
    if export is None:
        raise DomainError(ErrorCode.EXPORT_NOT_FOUND, f"No ERP export with id {export_id}", "exportId")
    return export


def pending_exports(session: Session, actor: Actor) -> list[ErpExport]:
    """The exports no connector has taken yet, oldest first, locked for this delivery (rows another
    connector run holds are skipped)."""
    require(actor, CONNECTOR, "Delivering ERP exports")
    stmt = (
        select(ErpExport)
        .where(ErpExport.status == ExportStatus.PENDING)
        .order_by(ErpExport.id)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def delivered_exports(session: Session, actor: Actor, connector: str) -> list[ErpExport]:
    """The exports ``connector`` delivered and nobody has acknowledged or failed yet."""
    require(actor, CONNECTOR, "Delivering ERP exports")
    stmt = (
        select(ErpExport)
        .where(ErpExport.status == ExportStatus.DELIVERED, ErpExport.connector == connector)
        .order_by(ErpExport.id)
    )
    return list(session.scalars(stmt))


def mark_delivered(
    session: Session, actor: Actor, export: ErpExport, connector: str, file_name: str | None = None
) -> None:
    """A connector has taken the export (written its file, posted it); acknowledgement follows."""
    require(actor, CONNECTOR, "Delivering an ERP export")
    if export.status not in (ExportStatus.PENDING, ExportStatus.DELIVERED):
        raise DomainError(
            ErrorCode.EXPORT_ALREADY_CLOSED, f"Export {export.id} is already {export.status.value}"
        )
    export.status = ExportStatus.DELIVERED
    export.connector = connector
    export.delivered_file = file_name
    export.delivered_at = utcnow()
    session.flush()


def acknowledge_export(
    session: Session,
    actor: Actor,
    export_id: int,
    origin_id: str | None = None,
    *,
    connector: str | None = None,
    note: str | None = None,
) -> ErpExport:
    """The ERP took the record: export ACKNOWLEDGED, record SYNCED with its ERP key.

    ``origin_id`` is what the ERP calls the record; left out, the key the export proposed. The key
    rules of ``models.workflow.keys`` apply (the same as accepting): a key another record holds is
    refused, and so is a key other than the proposed one unless the ERP assigns the type's keys.
    A refusal changes nothing. Acknowledging an acknowledged export returns it unchanged."""
    require(actor, CONNECTOR, "Acknowledging an ERP export")
    export = get_export(session, actor, export_id, for_update=True)
    if export.status == ExportStatus.ACKNOWLEDGED:
        return export
    if export.status == ExportStatus.FAILED:
        raise DomainError(
            ErrorCode.EXPORT_ALREADY_CLOSED,
            f"Export {export.id} already failed; the record must be fixed and resent",
            "exportId",
        )
    record = load_record(session, export.record_type, export.record_id, for_update=True)
    target = check_transition(record, "acknowledge")
    assigned = export.origin_id or export.payload.get("origin_id")
    key = keys.acknowledged_key(session, record, assigned, origin_id)
    text = note or (f"delivered in {export.delivered_file}" if export.delivered_file else None)
    record_event(session, record, "acknowledge", target, actor, text)
    if key:
        record.origin_id = key
    record.synced_at = utcnow()
    record.sync_messages = []
    export.status = ExportStatus.ACKNOWLEDGED
    export.origin_id = key
    export.open_key = None
    export.closed_at = utcnow()
    if connector and not export.connector:
        export.connector = connector
    session.flush()
    return export


def fail_export(
    session: Session,
    actor: Actor,
    export_id: int,
    messages: Iterable[str],
    *,
    connector: str | None = None,
) -> ErpExport:
    """The ERP refused the record: export FAILED, record FAILED_TO_EXPORT with the ERP's messages.
    A key the export proposed (the record's number) is released; a key the approver typed stays
    with the record until it is accepted again. Failing a failed export returns it unchanged."""
    require(actor, CONNECTOR, "Failing an ERP export")
    texts = [m.strip() for m in messages if m and m.strip()]
    export = get_export(session, actor, export_id, for_update=True)
    if export.status == ExportStatus.FAILED:
        return export
    if export.status == ExportStatus.ACKNOWLEDGED:
        raise DomainError(
            ErrorCode.EXPORT_ALREADY_CLOSED,
            f"Export {export.id} was already acknowledged; unlink the record instead",
            "exportId",
        )
    if not texts:
        raise DomainError(ErrorCode.REQUIRED, "Say why the export failed: the sender reads it", "messages")
    record = load_record(session, export.record_type, export.record_id, for_update=True)
    target = check_transition(record, "fail")
    record_event(session, record, "fail", target, actor, "; ".join(texts))
    if connector and not export.connector:
        export.connector = connector
    if keys.key_source(registry.spec_of(record)) != keys.KeySource.APPROVER:
        # the key the export proposed was only reserved: the ERP does not have the record
        record.origin_id = None
    record.sync_messages = texts
    export.status = ExportStatus.FAILED
    export.messages = texts
    export.open_key = None
    export.closed_at = utcnow()
    session.flush()
    return export


def requeue_export(session: Session, actor: Actor, export: ErpExport) -> None:
    """Put a DELIVERED export whose delivery never happened back in the queue, so the next
    connector run delivers it. (The file connector never needs this: its delivery journal knows
    what it wrote.)"""
    require(actor, CONNECTOR, "Requeuing an ERP export")
    if export.status != ExportStatus.DELIVERED:
        raise DomainError(
            ErrorCode.EXPORT_ALREADY_CLOSED,
            f"Export {export.id} is {export.status.value}; only a delivered export goes back in the queue",
            "exportId",
        )
    export.status = ExportStatus.PENDING
    export.delivered_file = None
    export.delivered_at = None
    session.flush()
