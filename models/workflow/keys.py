"""ERP keys: the rule, once, that each ERP key (a record's ``originId``) belongs to one record.

Accepting a record and acknowledging its export both call ``claim_key``; acknowledging first asks
``acknowledged_key`` which key the ERP may give the record. Where a key comes from, per record type
(the record-type registry says which, and ``docs/workflow.md`` shows the table):

- typed by the approver when accepting (a project's ERP Job ID, a vendor's ERP Vendor ID): the
  acknowledgement must carry that key or none;
- the record's own number, carried in the export (a cost code, a sub job's extra number, a budget's
  job): the acknowledgement must carry that key or none;
- assigned by the ERP (the ERP's own key is the source of truth: subcontracts, purchase orders,
  change orders, budget change orders, AP invoices get a record number in the ERP): the
  acknowledgement may carry another key, which replaces the one the export proposed.

Either way a key held by another record of the type in the same scope (the whole company, or one
project, budget or commitment) is refused with the type's duplicate code (``DUPLICATE_ORIGIN_ID``;
for a project ``JOB_EXISTS_IN_BOTH_SYSTEMS``). Accepting reserves the key on the record
(``origin_id``), so two records accepted one after the other cannot both be given it; concurrent
claims of one key are serialised (a PostgreSQL advisory lock, SQLite's single writer).
"""

from __future__ import annotations

import enum
import hashlib
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from models import registry
from models.errors import DomainError, ErrorCode

MAX_ORIGIN_ID = 64


class KeySource(enum.StrEnum):
    """Who decides a record's ERP key."""

    APPROVER = "APPROVER"  # typed by the accounting approver when accepting
    RECORD = "RECORD"  # the record's own number, as the export carries it
    ERP = "ERP"  # the ERP assigns it; the acknowledgement says which


def key_source(spec: registry.RecordTypeSpec) -> KeySource:
    if spec.origin_id is not None:
        return KeySource.APPROVER
    return KeySource.ERP if spec.erp_owns_key else KeySource.RECORD


def key_label(spec: registry.RecordTypeSpec) -> str:
    return spec.origin_id.label if spec.origin_id is not None else f"ERP key of the {spec.noun}"


def clean_key(key: str | None, label: str, field: str | None) -> str | None:
    """The key without surrounding spaces (None when blank); INVALID_VALUE when too long."""
    text_ = (key or "").strip()
    if not text_:
        return None
    if len(text_) > MAX_ORIGIN_ID:
        raise DomainError(
            ErrorCode.INVALID_VALUE, f"The {label} is longer than {MAX_ORIGIN_ID} characters", field
        )
    return text_


def claim_key(session: Session, record: Any, key: str, *, field: str | None) -> str:
    """Refuse ``key`` when another record of the type holds it in the record's scope; return it.

    Nothing is changed on refusal. The caller then sets ``record.origin_id = key`` in the same
    transaction, which is what later claims see."""
    spec = registry.spec_of(record)
    label = key_label(spec)
    _serialise_claims(session, record, key)
    model = spec.model
    stmt = select(model).where(model.id != record.id, func.lower(model.origin_id) == key.lower())
    if spec.key_scope is not None:
        stmt = stmt.where(getattr(model, spec.key_scope) == getattr(record, spec.key_scope))
    other = session.scalars(stmt.limit(1)).first()
    if other is not None:
        code = spec.origin_id.duplicate_code if spec.origin_id is not None else ErrorCode.DUPLICATE_ORIGIN_ID
        hint = spec.origin_id.duplicate_hint if spec.origin_id is not None else ""
        raise DomainError(
            code,
            f"{label[0].upper()}{label[1:]} {key} is already linked to {spec.noun} {registry.label_of(other)}"
            + (f"; {hint}" if hint else "; each ERP key belongs to one record"),
            field,
        )
    return key


def acknowledged_key(session: Session, record: Any, assigned: str | None, given: str | None) -> str | None:
    """The key an acknowledgement gives the record: ``given`` (what the connector says the ERP
    calls it) or, when blank, ``assigned`` (what the export proposed: the approver's key or the
    record's number). Refused when another record holds it (the type's duplicate code), and
    refused (ORIGIN_ID_MISMATCH) when it differs from ``assigned`` and the ERP does not own the
    type's keys."""
    spec = registry.spec_of(record)
    label = key_label(spec)
    key = clean_key(given, label, "originId")
    if key is None:
        key = assigned
    if key is None:
        return None
    # a key another record holds is the worse problem: say that first
    claim_key(session, record, key, field="originId")
    if assigned is None or key.lower() == assigned.lower():
        return assigned or key  # the same key, spelled as assigned
    if key_source(spec) != KeySource.ERP:
        who = "the approver typed" if key_source(spec) == KeySource.APPROVER else "the export carries"
        raise DomainError(
            ErrorCode.ORIGIN_ID_MISMATCH,
            f"The {label} {who} is {assigned}, not {key}: a {spec.noun}'s ERP key is decided in "
            "CostBridge. If the ERP filed the record under another key, fail the export with the "
            "ERP's message so the record can be fixed and resent",
            "originId",
        )
    return key


def _serialise_claims(session: Session, record: Any, key: str) -> None:
    """Make concurrent claims of one key take turns, so the check above sees the winner's key."""
    spec = registry.spec_of(record)
    if session.get_bind().dialect.name == "postgresql":
        name = f"{spec.record_type.value}:{key.lower()}".encode()
        lock_id = int.from_bytes(hashlib.sha256(name).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
    else:
        # SQLite has one writer: writing first holds the database until commit, and the check then
        # reads what every earlier claim committed
        model = spec.model
        session.execute(
            update(model).where(model.id == record.id).values(origin_id=model.origin_id),
            execution_options={"synchronize_session": False},
        )
