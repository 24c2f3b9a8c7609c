"""The sync state machine every syncable record follows (DESIGN.md section 3), and the
transitions people make: send, retrieve, resend (the sender), accept, reject (the accounting
approver), unlink.

    NOT_SENT --send--> READY_TO_EXPORT --accept--> EXPORTING --ack--> SYNCED --unlink--> NOT_SENT
       ^                 |      |                      |
       +---retrieve------+      +--reject--> REJECTED  +--fail--> FAILED_TO_EXPORT
                                     REJECTED / FAILED_TO_EXPORT --resend--> READY_TO_EXPORT

Every transition appends a SyncEvent. A refused transition raises a DomainError before anything
is changed. Accepting maps the record to the ERP's fields; the mapping lives in ``exporters`` (which
depends on ``models``, not the other way round), so ``accept`` is given the mapper to use. The ERP
key rule accepting applies is ``models.workflow.keys`` (the acknowledgement applies it too).
The connector's transitions (acknowledge, fail) are in ``models.workflow.outbox``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from models import registry
from models.base import utcnow
from models.company import CompanySettings, get_settings
from models.enums import ErpSystem, ExportStatus, Origin, SyncStatus
from models.errors import DomainError, ErrorCode
from models.policy import Actor, Need, administering, deciding, require, unlinking
from models.preflight import Blocker, Preflight, preflight
from models.sync import ErpExport, SyncEvent, record_transition
from models.workflow import keys

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
    # ERP direct exports on: the sender's own send goes on to the outbox, no approver step
    "direct_export": (frozenset({S.READY_TO_EXPORT}), S.EXPORTING),
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

PayloadBuilder = Callable[[Session, Any, CompanySettings], tuple[str, dict[str, Any]]]


class BlockedError(DomainError):
    """Preflight found blockers: the code is the first one's, all of them are in ``blockers``."""

    def __init__(self, noun: str, blockers: Sequence[Blocker]) -> None:
        first = blockers[0]
        text = "; ".join(b.message for b in blockers)
        super().__init__(first.code, f"This {noun} cannot go to the ERP: {text}", first.field)
        self.blockers = list(blockers)


def can_do(record: Any, action: str) -> bool:
    """Whether the record's status lets ``action`` (send, retrieve, resend, ...) happen now."""
    return record.sync_status in TRANSITIONS[action][0]


def can_send(record: Any, result: Preflight) -> bool:
    """Whether the record can go to ERP Integrations now: its status allows sending or resending
    it, and preflight found no blockers."""
    return (can_do(record, "send") or can_do(record, "resend")) and result.ok


def _noun(record: Any) -> str:
    return registry.spec_of(record).noun


def check_transition(record: Any, action: str) -> SyncStatus:
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


def record_event(
    session: Session, record: Any, action: str, target: SyncStatus, actor: Actor, note: str | None
) -> SyncEvent:
    event = record_transition(session, record, action, target, actor, note=note)
    event.amount = registry.spec_of(record).amount(record)
    return event


def _lock(session: Session, record: Any) -> None:
    """Re-read the record under a row lock (SELECT ... FOR UPDATE where the backend has one), so
    concurrent decisions on one record are serialised and each sees the other's outcome."""
    session.flush()
    session.refresh(record, with_for_update=True)


def _require(actor: Actor, need: Need, action: str, record: Any) -> None:
    require(actor, need, f"{action} a {_noun(record)}")


def _require_clear(
    session: Session, record: Any, settings: CompanySettings | None = None, *, deciding: bool = False
) -> None:
    result = preflight(session, record, settings, deciding=deciding)
    if result.blockers:
        raise BlockedError(_noun(record), result.blockers)


# --- the field side: send, retrieve, resend -----------------------------------------------------


def send(
    session: Session,
    actor: Actor,
    record: Any,
    note: str | None = None,
    *,
    build_payload: PayloadBuilder | None = None,
) -> Any:
    """NOT_SENT -> READY_TO_EXPORT, for the accounting approver to decide. Needs ADMIN on the
    record's tool and no preflight blockers. A REJECTED or FAILED_TO_EXPORT record is resent; a
    record already with the ERP is refused with preflight's own blocker (ALREADY_SENT, ...). With
    ERP direct exports on, the record goes on to the outbox at once (see ``_export_directly``), a
    resend too; ``build_payload`` maps it then."""
    _require(actor, administering(registry.spec_of(record).tool), "Sending", record)
    _lock(session, record)
    if can_do(record, "resend"):
        return resend(session, actor, record, note, build_payload=build_payload)
    if not can_do(record, "send"):
        _require_clear(session, record)
    target = check_transition(record, "send")
    _require_clear(session, record)
    record_event(session, record, "send", target, actor, note)
    _mark_sent(record, actor)
    _export_directly(session, actor, record, build_payload)
    session.flush()
    return record


def resend(
    session: Session,
    actor: Actor,
    record: Any,
    note: str | None = None,
    *,
    build_payload: PayloadBuilder | None = None,
) -> Any:
    """REJECTED or FAILED_TO_EXPORT -> READY_TO_EXPORT, once the sender fixed the record (and on to
    the outbox with direct exports on, as ``send``)."""
    _require(actor, administering(registry.spec_of(record).tool), "Resending", record)
    _lock(session, record)
    target = check_transition(record, "resend")
    _require_clear(session, record)
    record_event(session, record, "resend", target, actor, note)
    _mark_sent(record, actor)
    _export_directly(session, actor, record, build_payload)
    session.flush()
    return record


def _export_directly(
    session: Session, actor: Actor, record: Any, build_payload: PayloadBuilder | None
) -> ErpExport | None:
    """With ERP direct exports on, a just-sent record skips the approver: READY_TO_EXPORT ->
    EXPORTING with its ErpExport, the sender recorded as the decider. Preflight already ran in the
    send. A record whose ERP key the approver types (a project's Job ID, a vendor's Vendor ID) still
    waits for the approver: only accounting assigns ERP keys."""
    settings = get_settings(session)
    if not settings.direct_exports or registry.spec_of(record).origin_id is not None:
        return None
    if build_payload is None:
        raise TypeError("direct exports are on: send needs build_payload to map the record")
    export = _open_export(session, actor, record, settings, build_payload)
    target = check_transition(record, "direct_export")
    record_event(
        session, record, "direct_export", target, actor, "Direct export: sent to the outbox without approval"
    )
    record.decided_at = utcnow()
    record.decided_by_id = actor.user_id
    record.exported_directly = True
    return export


def _mark_sent(record: Any, actor: Actor) -> None:
    record.sent_at = utcnow()
    record.sent_by_id = actor.user_id
    record.decided_at = None
    record.decided_by_id = None
    record.reject_reason = None
    record.sync_messages = []
    record.exported_directly = False


def retrieve(session: Session, actor: Actor, record: Any, note: str | None = None) -> Any:
    """READY_TO_EXPORT -> NOT_SENT: take a record back before the approver decides."""
    _require(actor, administering(registry.spec_of(record).tool), "Retrieving", record)
    _lock(session, record)
    target = check_transition(record, "retrieve")
    record_event(session, record, "retrieve", target, actor, note)
    record.sent_at = None
    record.sent_by_id = None
    session.flush()
    return record


# --- the approver: accept, reject ---------------------------------------------------------------


def accept(
    session: Session,
    actor: Actor,
    record: Any,
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
    ``origin_id``, or the entry of ``typed_ids`` (keyed by attribute: ``erp_job_id``, ...) that the
    record type asks for, so a caller hands over everything the approver typed.
    """
    _require(actor, deciding(registry.spec_of(record).tool), "Accepting", record)
    _lock(session, record)
    target = check_transition(record, "accept")
    spec = registry.spec_of(record)
    typed = spec.origin_id
    if origin_id is None and typed is not None and typed_ids:
        origin_id = typed_ids.get(typed.attribute)
    key = _typed_origin_id(session, record, origin_id)
    settings = get_settings(session)
    _require_clear(session, record, settings, deciding=True)
    if key is not None:
        record.origin_id = key
    export = _open_export(session, actor, record, settings, build_payload)
    record_event(session, record, "accept", target, actor, note)
    record.decided_at = utcnow()
    record.decided_by_id = actor.user_id
    session.flush()
    return export


def _open_export(
    session: Session, actor: Actor, record: Any, settings: CompanySettings, build_payload: PayloadBuilder
) -> ErpExport:
    """The outbox row of an accepted (or directly exported) record, mapped to the ERP's fields,
    with the ERP key the export proposes claimed and the type's acceptance step run."""
    spec = registry.spec_of(record)
    entity, payload = build_payload(session, record, settings)
    if spec.origin_id is None:
        # the key the export proposes (the record's number) is claimed now, by the same rule the
        # acknowledgement applies, so no two records go to the ERP under one key
        proposed = keys.clean_key(payload.get("origin_id"), keys.key_label(spec), None)
        if proposed is not None:
            record.origin_id = keys.claim_key(session, record, proposed, field=None)
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
        created_by_id=actor.user_id,
        created_at=utcnow(),
    )
    session.add(export)
    if spec.on_accept is not None:
        spec.on_accept(session, record)
    return export


def _typed_origin_id(session: Session, record: Any, origin_id: str | None) -> str | None:
    typed = registry.spec_of(record).origin_id
    if typed is None:
        return None
    field_name, label = typed.field, typed.label
    key = keys.clean_key(origin_id, label, field_name)
    if key is None:
        raise DomainError(
            ErrorCode.ORIGIN_ID_REQUIRED,
            f"Accepting a {_noun(record)} needs the {label} the record gets in the ERP",
            field_name,
        )
    return keys.claim_key(session, record, key, field=field_name)


def reject(session: Session, actor: Actor, record: Any, reason: str | None) -> Any:
    """READY_TO_EXPORT -> REJECTED with the reason the sender reads; the record is editable again."""
    _require(actor, deciding(registry.spec_of(record).tool), "Rejecting", record)
    text = (reason or "").strip()
    if not text:
        raise DomainError(
            ErrorCode.REASON_REQUIRED, "Say why the record is rejected: the sender reads it", "reason"
        )
    _lock(session, record)
    target = check_transition(record, "reject")
    record_event(session, record, "reject", target, actor, text)
    record.reject_reason = text
    record.decided_at = utcnow()
    record.decided_by_id = actor.user_id
    session.flush()
    return record


def unlink(session: Session, actor: Actor, record: Any, note: str | None = None) -> Any:
    """SYNCED -> NOT_SENT: break the link to the ERP record (the ERP keeps its copy)."""
    _require(actor, unlinking(registry.spec_of(record).tool), "Unlinking", record)
    _lock(session, record)
    target = check_transition(record, "unlink")
    former = record.origin_id
    text = f"was linked to ERP id {former}" if former else None
    if note:
        text = f"{note} ({text})" if text else note
    record_event(session, record, "unlink", target, actor, text)
    record.origin_id = None
    record.origin = Origin.COSTBRIDGE
    record.synced_at = None
    record.sent_at = None
    record.sent_by_id = None
    record.decided_at = None
    record.decided_by_id = None
    record.sync_messages = []
    record.exported_directly = False
    session.flush()
    return record
