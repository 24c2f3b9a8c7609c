"""Preflight: can this record be sent to (and exported into) the configured ERP, and if not, why.

Each blocker carries a code, a message and the fix. ``send``, ``resend`` and ``accept`` refuse with
the same blockers, so what the front end shows before sending is what the workflow enforces. The
rules themselves are in ``models.preflight_checks``; the record-type registry says which apply.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import registry
from models.company import CompanySettings, get_settings
from models.enums import ErpSystem, Origin, SyncStatus
from models.erp import ERP_NAMES
from models.errors import ErrorCode
from models.preflight_checks import Blocker, CheckContext, Preflight, sage300_code_problem

__all__ = ["Blocker", "Preflight", "preflight", "sage300_code_problem"]


def preflight(session: Session, record: Any, settings: CompanySettings | None = None) -> Preflight:
    settings = settings or get_settings(session)
    system = ErpSystem(settings.erp_system)
    entry = registry.spec_of(record)
    result = Preflight(record.RECORD_TYPE, record.id, system)
    cap = entry.capability(system)
    if not cap.export_supported:
        result.block(
            ErrorCode.UNSUPPORTED_BY_ERP,
            f"{ERP_NAMES[system]} does not take {entry.noun}s from CostBridge: {cap.notes}",
            f"Create the {entry.noun} in {ERP_NAMES[system]} and import it into CostBridge.",
        )
        return result
    if _already_with_erp(result, record, entry.noun):
        return result
    if record.origin == Origin.ERP and entry.erp_origin_is_final:
        result.block(
            ErrorCode.UNSUPPORTED_BY_ERP,
            f"This {entry.noun} came from the ERP; it is maintained there",
            "Make the change in the ERP; the next sync brings it into CostBridge.",
        )
        return result
    entry.preflight(CheckContext(session, settings, result), record)
    return result


def _already_with_erp(result: Preflight, record: Any, noun: str) -> bool:
    """A synced record, or one being exported, cannot be sent: say so rather than list content
    rules that no longer apply (a completed, synced purchase order is not "not approved")."""
    if record.sync_status == SyncStatus.SYNCED:
        result.block(
            ErrorCode.ALREADY_SYNCED,
            f"This {noun} is already synced with the ERP"
            + (f" as {record.origin_id}" if record.origin_id else ""),
            "Nothing to send. To send it again, unlink it from the ERP first.",
        )
        return True
    if record.sync_status == SyncStatus.EXPORTING:
        result.block(
            ErrorCode.EXPORT_IN_PROGRESS,
            f"This {noun} was accepted and is being exported to the ERP",
            "Wait for the connector to acknowledge or fail the export.",
        )
        return True
    return False
