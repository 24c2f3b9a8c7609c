"""Words people read in place of internal codes in exported files."""

from __future__ import annotations

from models.enums import SyncStatus

SYNC_STATUS_LABELS = {
    SyncStatus.NOT_SENT: "Not sent",
    SyncStatus.READY_TO_EXPORT: "Ready to export",
    SyncStatus.EXPORTING: "Exporting",
    SyncStatus.SYNCED: "Synced",
    SyncStatus.FAILED_TO_EXPORT: "Failed to export",
    SyncStatus.REJECTED: "Rejected",
}


def sync_status_label(status: str | SyncStatus) -> str:
    try:
        return SYNC_STATUS_LABELS[SyncStatus(status)]
    except ValueError:
        return str(status)
