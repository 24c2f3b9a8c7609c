"""Vendor list load: the AP vendor list an accountant exports from the ERP (Sage 100 4-4 Vendors,
Sage 300 AP Vendors with optional insurance), creating or updating ERP-origin vendors.

Vendors match by Vendor Record Number (origin_id) only. The load never merges an ERP vendor into a
CostBridge vendor on its own: a likely match by normalised name is reported as a warning and
``link_vendor`` links them on request."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from importers import cells
from importers.bulk import update_by_id
from importers.cells import CellError, CodeIndex
from importers.headers import Column
from importers.pipeline import ImportOptions, run_import
from importers.placement import PlacesWaitingJobCosts
from importers.plan import CellReporter, ErrorPolicy, Plan, Table
from importers.progress import CHECK, NO_PROGRESS, WRITE
from models import audit
from models.base import utcnow
from models.costs import DirectCost
from models.directory import Vendor, normalize_vendor_name
from models.enums import ImportKind, Origin, RecordType, SyncStatus, Tool
from models.errors import DomainError, ErrorCode
from models.imports import ImportRun
from models.policy import Actor, editing, require
from models.sync import SyncEvent, record_transition

COLUMNS = (
    Column(
        "number",
        "Vendor Record Number",
        ("Vendor ID", "Vendor Number", "Vendor #", "Vendor No", "Record Number", "ERP Vendor ID", "Vendor"),
        required=True,
    ),
    Column("name", "Name", ("Vendor Name", "Company", "Company Name"), required=True),
    Column("address", "Address", ("Address 1", "Address1", "Street", "Street Address")),
    Column("city", "City"),
    Column("state", "State", ("Province", "St")),
    Column("zip", "Zip", ("ZIP Code", "Zipcode", "Postal Code", "Postcode")),
    Column("policy_type", "Insurance Policy Type", ("Policy Type", "Insurance Type", "Insurance")),
    Column(
        "expires_on",
        "Insurance Expiration",
        ("Expiration Date", "Expiry", "Expires", "Insurance Expiry", "Policy Expiration", "Expiration"),
    ),
)
_TEXT = (("name", 200), ("address", 200), ("city", 100), ("state", 50), ("zip", 20), ("policy_type", 100))
_FIELD = {
    "name": "name",
    "address": "address",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "policy_type": "insurance_policy_type",
    "expires_on": "insurance_expires_on",
}


class VendorImporter(PlacesWaitingJobCosts):
    kind = ImportKind.VENDORS
    columns = COLUMNS
    # the status columns of a CostBridge vendor export, and the Error column of a failed-rows file
    ignored = ("Sync Status", "Sync Status Code", "Error")
    key_columns = ("number",)
    money_column = None
    project_id = None
    progress = NO_PROGRESS

    def __init__(self, actor: Actor):
        self.actor = actor
        # vendor id -> the values a planned update replaces (for the audit trail)
        self.old_values: dict[int, dict[str, Any]] = {}

    def check(self, session: Session) -> None:
        pass

    def plan(self, session: Session, table: Table, cell: CellReporter, policy: ErrorPolicy) -> Plan:
        plan = Plan()
        rows = table.rows
        existing = {
            v.origin_id: v
            for v in session.scalars(select(Vendor).where(Vendor.origin_id.is_not(None)))
            if v.origin_id is not None
        }
        by_number = CodeIndex([(k, k) for k in existing])
        unlinked: dict[str, tuple[int, str]] = {}
        for vid, name, norm in session.execute(
            select(Vendor.id, Vendor.name, Vendor.normalized_name).where(
                Vendor.origin == Origin.COSTBRIDGE, Vendor.origin_id.is_(None)
            )
        ):
            unlinked.setdefault(norm or normalize_vendor_name(name), (vid, name))
        present = [k for k in _FIELD if cell.layout.index.get(k) is not None]
        seen: dict[str, int] = {}
        for row in self.progress.each(CHECK, rows, len(rows)):
            raw = dict(zip((c.key for c in COLUMNS), row.values, strict=True))
            n = row.number
            before = len(plan.errors)
            number = cells.code(raw["number"])
            if not number:
                plan.fail(cell.issue(n, "number", ErrorCode.REQUIRED, "a vendor record number is required"))
            elif len(number) > 64:
                plan.fail(cell.issue(n, "number", ErrorCode.VALUE_TOO_LONG, "longer than 64 characters"))
            values: dict[str, Any] = {}
            for key, max_len in _TEXT:
                if raw[key] is None:
                    continue
                try:
                    values[key] = cells.text(raw[key], max_len)
                except CellError as exc:
                    plan.fail(cell.issue(n, key, exc.code, exc.message))
            if raw["expires_on"] is not None:
                try:
                    values["expires_on"] = (
                        None if cells.is_blank(raw["expires_on"]) else cells.date(raw["expires_on"])
                    )
                except CellError as exc:
                    plan.fail(cell.issue(n, "expires_on", exc.code, exc.message))
            if not values.get("name") and "name" not in [i.column for i in plan.errors[before:]]:
                plan.fail(cell.issue(n, "name", ErrorCode.REQUIRED, "a vendor name is required"))
            if len(plan.errors) > before:
                continue
            if number in seen:
                plan.fail(
                    cell.issue(
                        n, "number", ErrorCode.DUPLICATE_ROW, f"vendor {number} is also on row {seen[number]}"
                    )
                )
                continue
            seen[number] = n
            match = by_number.get(number)
            vendor = existing.get(match) if match else None
            if vendor is None:
                plan.creates.append((n, number, values))
                norm = normalize_vendor_name(values["name"])
                if norm in unlinked:
                    vid, name = unlinked[norm]
                    plan.warnings.append(
                        cell.issue(
                            n,
                            "name",
                            ErrorCode.POSSIBLE_DUPLICATE_VENDOR,
                            f"'{values['name']}' looks like the CostBridge vendor '{name}'; link them with "
                            "linkVendor if they are the same company",
                        )
                    )
                continue
            changes = {}
            for key in present:
                new = values.get(key)
                attr = _FIELD[key]
                if key == "policy_type" and new == "":
                    new = None
                if new != getattr(vendor, attr):
                    changes[attr] = new
            if "name" in changes:
                changes["normalized_name"] = normalize_vendor_name(changes["name"] or "")
            if changes:
                plan.updates.append({"id": vendor.id, **changes})
                self.old_values[vendor.id] = {k: getattr(vendor, k) for k in changes}
            else:
                plan.unchanged += 1
        return plan

    def apply(self, session: Session, plan: Plan, run: ImportRun) -> None:
        self.progress.start(WRITE, len(plan.creates) + len(plan.updates))
        now = utcnow()
        created: Sequence[int] = []
        if plan.creates:
            created = (
                session.execute(
                    insert(Vendor).returning(Vendor.id, sort_by_parameter_order=True),
                    [
                        {
                            "name": values["name"],
                            "normalized_name": normalize_vendor_name(values["name"]),
                            "address": values.get("address", ""),
                            "city": values.get("city", ""),
                            "state": values.get("state", ""),
                            "zip": values.get("zip", ""),
                            "insurance_policy_type": values.get("policy_type") or None,
                            "insurance_expires_on": values.get("expires_on"),
                            "sync_status": SyncStatus.SYNCED,
                            "origin": Origin.ERP,
                            "origin_id": number,
                            "synced_at": now,
                            "sync_messages": [],
                        }
                        for _, number, values in plan.creates
                    ],
                )
                .scalars()
                .all()
            )
            session.execute(
                insert(SyncEvent),
                [
                    {
                        "record_type": RecordType.VENDOR,
                        "record_id": vid,
                        "action": "import",
                        "from_status": None,
                        "to_status": SyncStatus.SYNCED,
                        "actor_id": self.actor.user_id,
                        "actor_name": self.actor.name,
                        "note": f"Loaded from vendor list {run.file_name}",
                        "at": now,
                    }
                    for vid in created
                ],
            )
        update_by_id(session, Vendor, plan.updates)
        self._audit(session, plan, created)
        session.expire_all()
        self.progress.finish()

    def _audit(self, session: Session, plan: Plan, created: Sequence[int]) -> None:
        """The audit trail of the bulk statements: a CREATE per new vendor, an UPDATE per changed one."""
        new = (
            audit.Change(
                Vendor,
                vendor_id,
                vendor_id,
                audit.CREATE,
                {_FIELD[key]: (None, value) for key, value in values.items() if key in _FIELD},
            )
            for vendor_id, (_, _, values) in zip(created, plan.creates, strict=True)
        )
        changed = (
            audit.Change(
                Vendor,
                change["id"],
                change["id"],
                audit.UPDATE,
                {
                    key: (self.old_values[change["id"]][key], value)
                    for key, value in change.items()
                    if key != "id"
                },
            )
            for change in plan.updates
        )
        audit.record_rows(session, self.actor, itertools.chain(new, changed))


def import_vendors(
    session: Session,
    actor: Actor,
    data: bytes,
    file_name: str,
    options: ImportOptions = ImportOptions(),
) -> ImportRun:
    """Load an ERP vendor list (needs STANDARD on the Directory tool)."""
    require(actor, editing(Tool.DIRECTORY), "Importing a vendor list")
    return run_import(session, VendorImporter(actor), data, file_name, actor, options)


def link_vendor(session: Session, actor: Actor, vendor_id: int, erp_vendor_id: int) -> Vendor:
    """Link a CostBridge vendor to the ERP vendor it duplicates: the CostBridge vendor takes the ERP
    Vendor Record Number and becomes SYNCED, and the ERP-origin row is removed. Refused (VENDOR_IN_USE)
    while anything references the ERP-origin row, since removing it would re-point records silently."""
    require(actor, editing(Tool.DIRECTORY), "Linking a vendor to the ERP")
    vendor = session.get(Vendor, vendor_id)
    erp = session.get(Vendor, erp_vendor_id)
    if vendor is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Vendor not found", "vendorId")
    if erp is None:
        raise DomainError(ErrorCode.NOT_FOUND, "ERP vendor not found", "erpVendorId")
    if erp.origin != Origin.ERP or not erp.origin_id:
        raise DomainError(
            ErrorCode.INVALID_VALUE, f"'{erp.name}' is not a vendor loaded from the ERP", "erpVendorId"
        )
    if vendor.id == erp.id or vendor.origin != Origin.COSTBRIDGE:
        raise DomainError(ErrorCode.INVALID_VALUE, f"'{vendor.name}' is not a CostBridge vendor", "vendorId")
    if vendor.origin_id and vendor.origin_id != erp.origin_id:
        raise DomainError(
            ErrorCode.VENDOR_ALREADY_LINKED,
            f"'{vendor.name}' is already linked to ERP vendor {vendor.origin_id}; unlink it first",
            "vendorId",
        )
    from models.commitments import Commitment

    uses = {
        "commitments": session.scalar(select(func.count()).where(Commitment.vendor_id == erp.id)),
        "direct costs": session.scalar(select(func.count()).where(DirectCost.vendor_id == erp.id)),
    }
    used = {k: v for k, v in uses.items() if v}
    if used:
        listed = ", ".join(f"{v} {k}" for k, v in used.items())
        raise DomainError(
            ErrorCode.VENDOR_IN_USE,
            f"ERP vendor {erp.origin_id} '{erp.name}' is already used by {listed}; it cannot be merged away",
            "erpVendorId",
        )
    number = erp.origin_id
    session.delete(erp)
    session.flush()
    vendor.origin_id = number
    vendor.synced_at = utcnow()
    record_transition(
        session,
        vendor,
        "link",
        SyncStatus.SYNCED,
        actor,
        note=f"Linked to ERP vendor {number}",
        at=vendor.synced_at,
    )
    session.flush()
    return vendor
