"""The accounting acceptance workflow: one state machine for every syncable record (DESIGN.md
section 3), the outbox transitions a connector drives (acknowledge, fail), the approver's queue
and daily digest.

    NOT_SENT --send--> READY_TO_EXPORT --accept--> EXPORTING --ack--> SYNCED --unlink--> NOT_SENT
       ^                 |      |                      |
       +---retrieve------+      +--reject--> REJECTED  +--fail--> FAILED_TO_EXPORT
                                     REJECTED / FAILED_TO_EXPORT --resend--> READY_TO_EXPORT

Every transition appends a SyncEvent. A refused transition raises a DomainError before anything
is changed. Accepting maps the record to the ERP's fields; the mapping lives in ``exporters`` (which
depends on ``models``, not the other way round), so ``accept`` is given the mapper to use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from models import registry
from models.base import utcnow
from models.company import CompanySettings, get_settings
from models.enums import (
    ErpSystem,
    ExportStatus,
    Origin,
    PermissionLevel,
    RecordType,
    SyncStatus,
    Tool,
)
from models.errors import DomainError, ErrorCode
from models.preflight import Blocker, preflight
from models.projects import Project
from models.registry import load_record, load_records
from models.sync import ErpExport, SyncEvent, record_transition
from models.users import User, require, require_approver

S = SyncStatus

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[SyncStatus], SyncStatus]] = {
    "send": (frozenset({S.NOT_SENT}), S.READY_TO_EXPORT),
    "retrieve": (frozenset({S.READY_TO_EXPORT}), S.NOT_SENT),
    "resend": (frozenset({S.REJECTED, S.FAILED_TO_EXPORT}), S.READY_TO_EXPORT),
    "accept": (frozenset({S.READY_TO_EXPORT}), S.EXPORTING),
    "reject": (frozenset({S.READY_TO_EXPORT}), S.REJECTED),
    "acknowledge": (frozenset({S.EXPORTING}), S.SYNCED),
    "fail": (frozenset({S.EXPORTING}), S.FAILED_TO_EXPORT),
    "unlink": (frozenset({S.SYNCED}), S.NOT_SENT),
}

_HINTS = {
    "send": {
        S.REJECTED: "it was rejected: fix it and resend it",
        S.FAILED_TO_EXPORT: "its export failed: fix it and resend it",
    },
    "retrieve": {
        S.EXPORTING: "the approver already accepted it",
        S.REJECTED: "the approver already rejected it; it is editable again",
        S.SYNCED: "it is already synced; unlink it instead",
    },
    "resend": {S.SYNCED: "it is already synced", S.NOT_SENT: "it was never sent: send it"},
}

MAX_ORIGIN_ID = 64

PayloadBuilder = Callable[[Session, Any, CompanySettings], tuple[str, dict[str, Any]]]


class BlockedError(DomainError):
    """Preflight found blockers: the code is the first one's, all of them are in ``blockers``."""

    def __init__(self, noun: str, blockers: Sequence[Blocker]) -> None:
        first = blockers[0]
        text = "; ".join(b.message for b in blockers)
        super().__init__(first.code, f"This {noun} cannot go to the ERP: {text}", first.field)
        self.blockers = list(blockers)


def _noun(record) -> str:
    return registry.spec_of(record).noun


def _actor_name(actor: User | None, fallback: str) -> str:
    return actor.name if actor is not None else fallback


def check_transition(record, action: str) -> SyncStatus:
    allowed, target = TRANSITIONS[action]
    if record.sync_status not in allowed:
        current = record.sync_status
        hint = _HINTS.get(action, {}).get(current)
        expected = " or ".join(sorted(s.value for s in allowed))
        raise DomainError(
            ErrorCode.INVALID_STATUS_TRANSITION,
            f"Cannot {action} this {_noun(record)}: it is {current.value}"
            + (f" ({hint})" if hint else f"; {action} needs {expected}"),
            "id",
        )
    return target


def _record_event(
    session: Session, record, action: str, target: SyncStatus, actor: User | None, note: str | None, by: str
) -> SyncEvent:
    return record_transition(session, record, action, target, actor, note=note, by=by)


def _lock(session: Session, record) -> None:
    """Re-read the record under a row lock (SELECT ... FOR UPDATE where the backend has one), so
    concurrent decisions on one record are serialised and each sees the other's outcome."""
    session.flush()
    session.refresh(record, with_for_update=True)


def _require_sender(actor: User | None, record, action: str) -> None:
    if actor is not None:
        require(actor, registry.spec_of(record).tool, PermissionLevel.ADMIN, f"{action} a {_noun(record)}")


def _require_clear(session: Session, record, settings: CompanySettings | None = None) -> None:
    result = preflight(session, record, settings)
    if result.blockers:
        raise BlockedError(_noun(record), result.blockers)


# --- the field side: send, retrieve, resend -----------------------------------------------------


def send(session: Session, actor: User | None, record, note: str | None = None):
    """NOT_SENT -> READY_TO_EXPORT, for the accounting approver. Needs ADMIN on the record's tool
    and no preflight blockers."""
    _require_sender(actor, record, "Sending")
    _lock(session, record)
    target = check_transition(record, "send")
    _require_clear(session, record)
    _record_event(session, record, "send", target, actor, note, "system")
    _mark_sent(record, actor)
    session.flush()
    return record


def resend(session: Session, actor: User | None, record, note: str | None = None):
    """REJECTED or FAILED_TO_EXPORT -> READY_TO_EXPORT, once the sender fixed the record."""
    _require_sender(actor, record, "Resending")
    _lock(session, record)
    target = check_transition(record, "resend")
    _require_clear(session, record)
    _record_event(session, record, "resend", target, actor, note, "system")
    _mark_sent(record, actor)
    session.flush()
    return record


def _mark_sent(record, actor: User | None) -> None:
    record.sent_at = utcnow()
    record.sent_by_id = actor.id if actor is not None else None
    record.decided_at = None
    record.decided_by_id = None
    record.reject_reason = None
    record.sync_messages = []


def retrieve(session: Session, actor: User | None, record, note: str | None = None):
    """READY_TO_EXPORT -> NOT_SENT: take a record back before the approver decides."""
    _require_sender(actor, record, "Retrieving")
    _lock(session, record)
    target = check_transition(record, "retrieve")
    _record_event(session, record, "retrieve", target, actor, note, "system")
    record.sent_at = None
    record.sent_by_id = None
    session.flush()
    return record


# --- the approver: accept, reject ---------------------------------------------------------------


def accept(
    session: Session,
    actor: User | None,
    record,
    *,
    build_payload: PayloadBuilder,
    origin_id: str | None = None,
    typed_ids: Mapping[str, str | None] | None = None,
    note: str | None = None,
) -> ErpExport:
    """READY_TO_EXPORT -> EXPORTING and one ErpExport (the outbox row) holding the record mapped
    to the configured ERP's fields by ``build_payload``.

    The record row is locked (SELECT ... FOR UPDATE) and re-read first, so of two approvers
    accepting at once the second sees EXPORTING and is refused; ``ErpExport.open_key`` (unique)
    backs this up on backends without row locks.

    The ERP key the approver types (the ERP Job ID of a project, the ERP Vendor ID of a vendor) is
    ``origin_id``, or the entry of ``typed_ids`` (keyed by input field: ``erpJobId``, ...) that the
    record type asks for.
    """
    if actor is not None:
        require_approver(actor, "Accepting an export")
    _lock(session, record)
    target = check_transition(record, "accept")
    typed = registry.spec_of(record).origin_id
    if origin_id is None and typed is not None and typed_ids:
        origin_id = typed_ids.get(typed.field)
    key = _typed_origin_id(session, record, origin_id)
    settings = get_settings(session)
    _require_clear(session, record, settings)
    if key is not None:
        record.origin_id = key
    entity, payload = build_payload(session, record, settings)
    export = ErpExport(
        record_type=record.RECORD_TYPE,
        record_id=record.id,
        open_key=f"{record.RECORD_TYPE.value}:{record.id}",
        erp_system=ErpSystem(settings.erp_system).value,
        erp_entity=entity,
        payload=payload,
        status=ExportStatus.PENDING,
        origin_id=payload.get("origin_id"),
        messages=[],
        created_by_id=actor.id if actor is not None else None,
        created_at=utcnow(),
    )
    session.add(export)
    _record_event(session, record, "accept", target, actor, note, "system")
    record.decided_at = utcnow()
    record.decided_by_id = actor.id if actor is not None else None
    session.flush()
    return export


def _typed_origin_id(session: Session, record, origin_id: str | None) -> str | None:
    typed = registry.spec_of(record).origin_id
    if typed is None:
        return None
    field_name, label = typed.field, typed.label
    key = (origin_id or "").strip()
    if not key:
        raise DomainError(
            ErrorCode.ORIGIN_ID_REQUIRED,
            f"Accepting a {_noun(record)} needs the {label} the record gets in the ERP",
            field_name,
        )
    if len(key) > MAX_ORIGIN_ID:
        raise DomainError(
            ErrorCode.INVALID_VALUE, f"The {label} is longer than {MAX_ORIGIN_ID} characters", field_name
        )
    model = type(record)
    other = session.scalar(
        select(model).where(model.id != record.id, func.lower(model.origin_id) == key.lower())
    )
    if other is not None:
        raise DomainError(
            typed.duplicate_code,
            f"{label} {key} is already linked to {_noun(other)} {registry.label_of(other)}"
            + (f"; {typed.duplicate_hint}" if typed.duplicate_hint else ""),
            field_name,
        )
    return key


def reject(session: Session, actor: User | None, record, reason: str | None):
    """READY_TO_EXPORT -> REJECTED with the reason the sender reads; the record is editable again."""
    if actor is not None:
        require_approver(actor, "Rejecting an export")
    text = (reason or "").strip()
    if not text:
        raise DomainError(
            ErrorCode.REASON_REQUIRED, "Say why the record is rejected: the sender reads it", "reason"
        )
    _lock(session, record)
    target = check_transition(record, "reject")
    _record_event(session, record, "reject", target, actor, text, "system")
    record.reject_reason = text
    record.decided_at = utcnow()
    record.decided_by_id = actor.id if actor is not None else None
    session.flush()
    return record


def unlink(session: Session, actor: User | None, record, note: str | None = None):
    """SYNCED -> NOT_SENT: break the link to the ERP record (the ERP keeps its copy)."""
    if actor is not None:
        require(actor, Tool.ERP_INTEGRATIONS, PermissionLevel.STANDARD, f"Unlinking a {_noun(record)}")
    _lock(session, record)
    target = check_transition(record, "unlink")
    former = record.origin_id
    text = f"was linked to ERP id {former}" if former else None
    if note:
        text = f"{note} ({text})" if text else note
    _record_event(session, record, "unlink", target, actor, text, "system")
    record.origin_id = None
    record.origin = Origin.COSTBRIDGE
    record.synced_at = None
    record.sent_at = None
    record.sent_by_id = None
    record.decided_at = None
    record.decided_by_id = None
    record.sync_messages = []
    session.flush()
    return record


# --- the connector side: the outbox -------------------------------------------------------------


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
    _record_event(session, record, "acknowledge", target, actor, text, by)
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
    _record_event(
        session, record, "fail", target, actor, "; ".join(texts), connector or export.connector or "connector"
    )
    record.sync_messages = texts
    export.status = ExportStatus.FAILED
    export.messages = texts
    export.open_key = None
    export.closed_at = utcnow()
    session.flush()
    return export


# --- the queue ----------------------------------------------------------------------------------


QUEUE_STATUSES = (S.READY_TO_EXPORT, S.EXPORTING, S.FAILED_TO_EXPORT, S.REJECTED, S.SYNCED)


def queue_query(
    *,
    statuses: Sequence[SyncStatus] | None = None,
    record_types: Sequence[RecordType] | None = None,
    project_id: int | None = None,
):
    """A subquery of (record_type, record_id, project_id, status, since) over every syncable
    table, filtered by record type and project (status is filtered by the caller, so that the
    counts per status can share it)."""
    parts = [entry.queue_select() for entry in registry.specs(record_types or None)]
    queue = union_all(*parts).subquery("sync_queue")
    stmt = select(queue)
    if project_id is not None:
        stmt = stmt.where(queue.c.project_id == project_id)
    if statuses:
        stmt = stmt.where(queue.c.status.in_([SyncStatus(s).value for s in statuses]))
    return queue, stmt


def queue_counts(
    session: Session, *, record_types: Sequence[RecordType] | None = None, project_id: int | None = None
) -> dict[SyncStatus, int]:
    queue, _ = queue_query(record_types=record_types, project_id=project_id)
    stmt = select(queue.c.status, func.count()).group_by(queue.c.status)
    if project_id is not None:
        stmt = stmt.where(queue.c.project_id == project_id)
    counts = {s: 0 for s in SyncStatus}
    for status, count in session.execute(stmt):
        counts[SyncStatus(status)] = count
    return counts


# --- the approver's daily digest -----------------------------------------------------------------


@dataclass
class DigestItem:
    record_type: RecordType
    record_id: int
    label: str
    project_number: str | None
    project_name: str | None
    sent_at: dt.datetime
    sent_by: str | None
    waiting: dt.timedelta
    record: Any = None


@dataclass
class DigestGroup:
    record_type: RecordType
    items: list[DigestItem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def longest_wait(self) -> dt.timedelta:
        return max((i.waiting for i in self.items), default=dt.timedelta(0))


@dataclass
class Digest:
    generated_at: dt.datetime
    groups: list[DigestGroup]
    failed_count: int

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes (stored as UTC)
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def approval_digest(session: Session, now: dt.datetime | None = None) -> Digest:
    """Everything awaiting acceptance, grouped by record type (in registry order), oldest
    first, with how long each has waited; plus how many exports failed."""
    now = now or utcnow()
    _, stmt = queue_query(statuses=[S.READY_TO_EXPORT])
    rows = session.execute(stmt).all()
    records = load_records(session, [(r.record_type, r.record_id) for r in rows])
    project_ids = {r.project_id for r in rows if r.project_id is not None}
    projects = (
        {p.id: p for p in session.scalars(select(Project).where(Project.id.in_(project_ids)))}
        if project_ids
        else {}
    )
    sender_ids = {r.sent_by_id for r in records.values() if r.sent_by_id is not None}
    users = (
        {
            uid: name
            for uid, name in session.execute(select(User.id, User.name).where(User.id.in_(sender_ids)))
        }
        if sender_ids
        else {}
    )
    groups: dict[RecordType, DigestGroup] = {}
    for row in rows:
        record = records[(row.record_type, row.record_id)]
        project = projects.get(row.project_id)
        sent_at = _aware(record.sent_at or record.created_at)
        rt = RecordType(row.record_type)
        groups.setdefault(rt, DigestGroup(rt)).items.append(
            DigestItem(
                record_type=rt,
                record_id=record.id,
                label=registry.label_of(record),
                project_number=project.number if project else None,
                project_name=project.name if project else None,
                sent_at=sent_at,
                sent_by=users.get(record.sent_by_id),
                waiting=max(now - sent_at, dt.timedelta(0)),
                record=record,
            )
        )
    ordered = [groups[e.record_type] for e in registry.specs() if e.record_type in groups]
    for group in ordered:
        group.items.sort(key=lambda i: (i.sent_at, i.record_id))
    failed = queue_counts(session)[S.FAILED_TO_EXPORT]
    return Digest(generated_at=now, groups=ordered, failed_count=failed)


def format_wait(waiting: dt.timedelta) -> str:
    minutes = int(waiting.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"


def digest_text(digest: Digest) -> str:
    """The digest as the plain text of the approver's daily summary."""
    lines = [f"CostBridge approval digest, {digest.generated_at:%Y-%m-%d %H:%M} UTC"]
    if not digest.groups:
        lines.append("Nothing is waiting for acceptance.")
    else:
        lines.append(f"{digest.total} item(s) waiting for acceptance:")
    for group in digest.groups:
        lines.append("")
        lines.append(f"{group.record_type.value.replace('_', ' ').title()} ({group.count})")
        for item in group.items:
            where = f" [{item.project_number}]" if item.project_number else ""
            who = f", sent by {item.sent_by}" if item.sent_by else ""
            lines.append(f"  - {item.label}{where}: waiting {format_wait(item.waiting)}{who}")
    if digest.failed_count:
        lines.append("")
        lines.append(
            f"{digest.failed_count} record(s) failed to export and wait for the sender to resend them."
        )
    return "\n".join(lines) + "\n"
