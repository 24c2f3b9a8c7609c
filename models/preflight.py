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


def preflight(
    session: Session, record: Any, settings: CompanySettings | None = None, *, deciding: bool = False
) -> Preflight:
    """The blockers (and warnings) of ``record`` now. ``deciding``: the approver is about to accept
    it, so being READY_TO_EXPORT is the expected state, not a blocker."""
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
    if _already_with_erp(result, record, entry.noun, deciding):
        return result
    if record.origin == Origin.ERP and entry.erp_origin_is_final:
        result.block(
            ErrorCode.UNSUPPORTED_BY_ERP,
            f"This {entry.noun} came from the ERP; it is maintained there",
            "Make the change in the ERP; the next sync brings it into CostBridge.",
        )
        return result
    _resend_notice(result, record, entry.noun)
    entry.preflight(CheckContext(session, settings, result), record)
    return result


def _already_with_erp(result: Preflight, record: Any, noun: str, deciding: bool) -> bool:
    """A synced record, one being exported or one waiting for the approver cannot be sent: say so
    rather than list content rules that no longer apply (a completed, synced purchase order is not
    "not approved")."""
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
    if record.sync_status == SyncStatus.READY_TO_EXPORT and not deciding:
        result.block(
            ErrorCode.ALREADY_SENT,
            f"This {noun} was already sent and waits for the accounting approver's decision",
            "Nothing to send. To change it, retrieve it first (retrieveFromErp), then send it again.",
        )
        return True
    return False


def _resend_notice(result: Preflight, record: Any, noun: str) -> None:
    """A rejected or failed record goes again as a resend (sendToErp and resendToErp both do it):
    say why it came back, so the sender fixes that first."""
    if record.sync_status == SyncStatus.REJECTED:
        why = f"the accounting approver rejected it: {record.reject_reason or 'no reason given'}"
    elif record.sync_status == SyncStatus.FAILED_TO_EXPORT:
        why = "its export failed: " + ("; ".join(record.sync_messages or []) or "no message from the ERP")
    else:
        return
    result.warn(
        ErrorCode.RESEND,
        f"This {noun} was sent before and {why}",
        "Fix what it says, then send it again: sendToErp (or resendToErp) resends it.",
    )
