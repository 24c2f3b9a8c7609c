"""Placing job-cost transactions: resolving an ERP row's job, sub job, cost code, cost type and vendor
to CostBridge ids, and ``place_unplaced_job_costs`` which turns every kept-but-unplaced row that has
become placeable (after a later import or a mapping fix) into a direct cost."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from importers import lookups
from models.base import utcnow
from models.costs import DirectCost, UnplacedJobCost
from models.enums import DirectCostStatus, DirectCostType
from models.errors import ErrorCode
from models.policy import PLACE_JOB_COSTS, Actor, require

# Sage source names (normalised: lower case, letters and digits only) -> direct cost type
SOURCES = {
    "apcost": DirectCostType.INVOICE,
    "ap": DirectCostType.INVOICE,
    "invoice": DirectCostType.INVOICE,
    "apcostwithcommitment": DirectCostType.SUBCONTRACTOR_INVOICE,
    "apcommitment": DirectCostType.SUBCONTRACTOR_INVOICE,
    "apcostcommitment": DirectCostType.SUBCONTRACTOR_INVOICE,
    "subcontractorinvoice": DirectCostType.SUBCONTRACTOR_INVOICE,
    "prcost": DirectCostType.PAYROLL,
    "pr": DirectCostType.PAYROLL,
    "payroll": DirectCostType.PAYROLL,
    "jccost": DirectCostType.EXPENSE,
    "jc": DirectCostType.EXPENSE,
    "expense": DirectCostType.EXPENSE,
}
AP_TYPES = (DirectCostType.INVOICE, DirectCostType.SUBCONTRACTOR_INVOICE)


def source_type(source: str) -> DirectCostType | None:
    return SOURCES.get("".join(ch for ch in source.lower() if ch.isalnum()))


@dataclass(frozen=True, slots=True)
class Placed:
    project_id: int | None
    sub_job_id: int | None = None
    cost_code_id: int | None = None
    cost_type_id: int | None = None
    vendor_id: int | None = None
    reason_code: ErrorCode | None = None
    reason: str = ""


class Resolver:
    """Lookups loaded once; ``resolve`` is memoised because a load repeats the same few
    job/code/type combinations thousands of times."""

    def __init__(self, session: Session):
        self.projects = lookups.projects(session)
        self.subs = lookups.sub_jobs(session)
        self.codes = lookups.cost_codes(session)
        self.types = lookups.cost_types(session)
        self.vendors = lookups.VendorIndex(session)
        self._memo: dict[tuple[str, str, str, str], Placed] = {}
        self._vendors: dict[str, int | None] = {}
        self._full: dict[tuple[str, str, str, str, str], Placed] = {}

    def resolve(self, job: str, sub_job: str, cost_code: str, cost_type: str, vendor: str) -> Placed:
        full = (job, sub_job, cost_code, cost_type, vendor)
        found = self._full.get(full)
        if found is None:
            found = self._full[full] = self._resolve(job, sub_job, cost_code, cost_type, vendor)
        return found

    def resolve_parts(
        self, job: str, sub_job: str, cost_code: str, cost_type: str, vendor: str
    ) -> tuple[Placed, int | None]:
        """Like ``resolve`` without building a Placed per vendor: (line placement, vendor id)."""
        key = (job, sub_job, cost_code, cost_type)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._resolve_line(*key)
        if not vendor or found.reason_code is not None:
            return found, None
        vendor_id = self._vendors.get(vendor, 0)
        if vendor_id == 0:
            vendor_id = self._vendors[vendor] = self.vendors.get(vendor)
        if vendor_id is None:
            return self.resolve(job, sub_job, cost_code, cost_type, vendor), None
        return found, vendor_id

    def _resolve(self, job: str, sub_job: str, cost_code: str, cost_type: str, vendor: str) -> Placed:
        key = (job, sub_job, cost_code, cost_type)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._resolve_line(*key)
        if not vendor or found.reason_code is not None:
            return found
        vendor_id = self._vendors.get(vendor, 0)
        if vendor_id == 0:
            vendor_id = self._vendors[vendor] = self.vendors.get(vendor)
        if vendor_id is None:
            return Placed(
                found.project_id,
                reason_code=ErrorCode.UNKNOWN_VENDOR,
                reason=f"Vendor '{vendor}' matches no vendor (by record number or name)",
            )
        return Placed(found.project_id, found.sub_job_id, found.cost_code_id, found.cost_type_id, vendor_id)

    def _resolve_line(self, job: str, sub_job: str, cost_code: str, cost_type: str) -> Placed:
        project_id = self.projects.get(job) if job else None
        if project_id is None:
            return Placed(
                None,
                reason_code=ErrorCode.UNKNOWN_JOB,
                reason=f"Job '{job}' matches no project (by ERP Job ID or number)",
            )
        sub_job_id = None
        if sub_job:
            index = self.subs.get(project_id)
            sub_job_id = index.get(sub_job) if index else None
            if sub_job_id is None:
                return Placed(
                    project_id,
                    reason_code=ErrorCode.UNKNOWN_SUB_JOB,
                    reason=f"Phase/extra '{sub_job}' is not a sub job of job {job}",
                )
        cost_code_id = self.codes.get(cost_code)
        if cost_code_id is None:
            return Placed(
                project_id,
                reason_code=ErrorCode.UNKNOWN_COST_CODE,
                reason=f"Cost code '{cost_code}' is not in the company cost code list",
            )
        cost_type_id = self.types.get(cost_type)
        if cost_type_id is None:
            return Placed(
                project_id,
                reason_code=ErrorCode.UNKNOWN_COST_TYPE,
                reason=f"Cost type '{cost_type}' is not a known cost type",
            )
        return Placed(project_id, sub_job_id, cost_code_id, cost_type_id)


def place_unplaced_job_costs(session: Session, actor: Actor) -> int:
    """Place every unplaced job-cost row that can now be placed (STANDARD on ERP Integrations);
    returns how many were placed."""
    require(actor, PLACE_JOB_COSTS, "Placing job costs")
    return place_pending_job_costs(session)


def place_pending_job_costs(session: Session) -> int:
    """Place every unplaced job-cost row that can now be placed; refresh the reason of the others.
    Returns how many were placed. A step of every job-cost and vendor import (which the importing
    actor was allowed), not an action of its own."""
    pending = (
        session.execute(
            select(UnplacedJobCost)
            .where(UnplacedJobCost.direct_cost_id.is_(None))
            .order_by(UnplacedJobCost.id)
        )
        .scalars()
        .all()
    )
    if not pending:
        return 0
    resolver = Resolver(session)
    now = utcnow()
    to_place, placed_rows, reasons = [], [], []
    for row in pending:
        cost_type = source_type(row.source) or DirectCostType.EXPENSE
        is_ap = cost_type in AP_TYPES
        found = resolver.resolve(
            row.job, row.sub_job, row.cost_code, row.cost_type, row.vendor if is_ap else ""
        )
        if found.reason_code is not None:
            if found.reason_code != row.reason_code or found.project_id != row.project_id:
                reasons.append(
                    {
                        "id": row.id,
                        "reason_code": str(found.reason_code),
                        "reason": found.reason,
                        "project_id": found.project_id,
                    }
                )
            continue
        placed_rows.append(row)
        to_place.append(
            {
                "project_id": found.project_id,
                "sub_job_id": found.sub_job_id,
                "cost_code_id": found.cost_code_id,
                "cost_type_id": found.cost_type_id,
                "type": cost_type,
                "status": DirectCostStatus.APPROVED,
                "item_date": row.item_date,
                "description": row.description,
                "vendor_id": found.vendor_id,
                "invoice_number": row.invoice_number if is_ap else None,
                "amount": row.amount,
                "erp_transaction_id": row.erp_transaction_id,
                "dedupe_key": row.dedupe_key,
                "import_run_id": row.import_run_id,
                "created_at": now,
                "updated_at": now,
            }
        )
    if reasons:
        session.execute(update(UnplacedJobCost), reasons)
    if to_place:
        ids = (
            session.execute(
                insert(DirectCost).returning(DirectCost.id, sort_by_parameter_order=True), to_place
            )
            .scalars()
            .all()
        )
        session.execute(
            update(UnplacedJobCost),
            [
                {"id": row.id, "direct_cost_id": dc_id, "placed_at": now, "project_id": values["project_id"]}
                for row, dc_id, values in zip(placed_rows, ids, to_place, strict=True)
            ],
        )
    session.expire_all()
    return len(to_place)
