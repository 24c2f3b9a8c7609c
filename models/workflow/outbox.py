"""The outbox side of the workflow: what a connector does with an accepted record's ErpExport
(mark it delivered, acknowledge it: SYNCED, fail it: FAILED_TO_EXPORT, or put it back in the
queue when its file never appeared)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.enums import ExportStatus, PermissionLevel, Tool
from models.errors import DomainError, ErrorCode
from models.registry import load_record
from models.sync import ErpExport
from models.users import User, require
from models.workflow.transitions import MAX_ORIGIN_ID, check_transition, record_event


def _require_connector(actor: User | None, action: str) -> None:
    if actor is not None:
        require(actor, Tool.ERP_INTEGRATIONS, PermissionLevel.ADMIN, action)


def get_export(session: Session, export_id: int, *, for_update: bool = False) -> ErpExport:
    stmt = select(ErpExport).where(ErpExport.id == export_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    export = session.scalars(stmt).one_or_none()
    if export is None:
        raise DomainError(ErrorCode.EXPORT_NOT_FOUND, f"No ERP export with id {export_id}", "exportId")
    return export


def mark_delivered(session: Session, export: ErpExport, connector: str, file_name: str | None = None) -> None:
    """A connector has taken the export (written its file, posted it); acknowledgement follows."""
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
    actor: User | None,
    export_id: int,
    origin_id: str | None = None,
    *,
    connector: str | None = None,
    note: str | None = None,
) -> ErpExport:
    """The ERP took the record: export ACKNOWLEDGED, record SYNCED with its ERP key.
    Acknowledging an acknowledged export returns it unchanged."""
    _require_connector(actor, "Acknowledging an ERP export")
    export = get_export(session, export_id, for_update=True)
    if export.status == ExportStatus.ACKNOWLEDGED:
        return export
    if export.status == ExportStatus.FAILED:
        raise DomainError(
            ErrorCode.EXPORT_ALREADY_CLOSED,
            f"Export {export.id} already failed; the record must be fixed and resent",
            "exportId",
        )
    key = (origin_id or "").strip() or export.origin_id or export.payload.get("origin_id")
    if key is not None and len(key) > MAX_ORIGIN_ID:
        raise DomainError(
            ErrorCode.INVALID_VALUE, f"originId is longer than {MAX_ORIGIN_ID} characters", "originId"
        )
    record = load_record(session, export.record_type, export.record_id, for_update=True)
    target = check_transition(record, "acknowledge")
    by = connector or export.connector or "connector"
    text = note or (f"delivered in {export.delivered_file}" if export.delivered_file else None)
    record_event(session, record, "acknowledge", target, actor, text, by)
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
    actor: User | None,
    export_id: int,
    messages: Iterable[str],
    *,
    connector: str | None = None,
) -> ErpExport:
    """The ERP refused the record: export FAILED, record FAILED_TO_EXPORT with the ERP's messages.
    Failing a failed export returns it unchanged."""
    _require_connector(actor, "Failing an ERP export")
    texts = [m.strip() for m in messages if m and m.strip()]
    export = get_export(session, export_id, for_update=True)
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
    record_event(
        session, record, "fail", target, actor, "; ".join(texts), connector or export.connector or "connector"
    )
    record.sync_messages = texts
    export.status = ExportStatus.FAILED
    export.messages = texts
    export.open_key = None
    export.closed_at = utcnow()
    session.flush()
    return export
