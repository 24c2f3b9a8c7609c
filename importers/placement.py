"""Placing job-cost transactions: resolving an ERP row's job, sub job, cost code, cost type and vendor
to CostBridge ids, and ``place_unplaced_job_costs`` which turns every kept-but-unplaced row that has
become placeable (after a later import or a mapping fix) into a direct cost."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from importers import lookups
from importers.errors import Reason
from importers.progress import PLACE, Reporter
from importers.reasons import sub_job_subject
from models.base import utcnow
from models.costs import DirectCost, UnplacedJobCost
from models.enums import DirectCostStatus, DirectCostType
from models.errors import ErrorCode
from models.imports import ImportRun
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
    """Where a row goes, or every reason it cannot go anywhere yet (code, message), first reason first."""

    project_id: int | None
    sub_job_id: int | None = None
    cost_code_id: int | None = None
    cost_type_id: int | None = None
    vendor_id: int | None = None
    reasons: tuple[Reason, ...] = ()

    @property
    def reason_code(self) -> ErrorCode | None:
        return self.reasons[0].code if self.reasons else None

    @property
    def reason(self) -> str:
        """Every reason, as the unplaced row keeps it."""
        return reason_text(self.reasons)


class Resolver:
    """Lookups loaded once; every answer is memoised because a load repeats the same few
    job/code/type combinations and vendors thousands of times."""

    def __init__(self, session: Session):
        self.projects = lookups.projects(session)
        self.subs = lookups.sub_jobs(session)
        self.codes = lookups.cost_codes(session)
        self.types = lookups.cost_types(session)
        self.vendors = lookups.VendorIndex(session)
        self._lines: dict[tuple[str, str, str, str], Placed] = {}
        self._vendors: dict[str, int | None] = {}

    def line(self, job: str, sub_job: str, cost_code: str, cost_type: str) -> Placed:
        key = (job, sub_job, cost_code, cost_type)
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = self._line(*key)
        return found

    def vendor(self, text: str) -> int | None:
        found = self._vendors.get(text, 0)
        if found == 0:
            found = self._vendors[text] = self.vendors.get(text)
        return found

    def columns(
        self,
        jobs: list[str],
        sub_jobs: list[str],
        codes: list[str],
        types: list[str],
        vendors: list[str],
    ) -> Placement:
        """Ids for whole columns (one lookup per distinct value, mapped back at C speed), and every
        reason for each row that cannot be placed."""
        project_of = {j: self.projects.get(j) if j else None for j in set(jobs)}
        code_of = {c: self.codes.get(c) for c in set(codes)}
        type_of = {t: self.types.get(t) for t in set(types)}
        vendor_of = {v: self.vendor(v) if v else None for v in set(vendors)}
        pairs = list(zip(jobs, sub_jobs, strict=True))
        sub_of: dict[tuple[str, str], int | None] = {}
        for job, sub in set(pairs):
            project_id = project_of[job]
            index = self.subs.get(project_id) if sub and project_id is not None else None
            sub_of[(job, sub)] = index.get(sub) if index else None
        placement = Placement(
            list(map(project_of.__getitem__, jobs)),
            list(map(sub_of.__getitem__, pairs)),
            list(map(code_of.__getitem__, codes)),
            list(map(type_of.__getitem__, types)),
            list(map(vendor_of.__getitem__, vendors)),
            [()] * len(jobs),
        )
        bad_jobs = {j for j, found in project_of.items() if found is None}
        bad_pairs = {p for p, found in sub_of.items() if found is None and p[1] and p[0] not in bad_jobs}
        bad_codes = {c for c, found in code_of.items() if found is None}
        bad_types = {t for t, found in type_of.items() if found is None}
        bad_vendors = {v for v, found in vendor_of.items() if found is None and v}
        if bad_jobs or bad_pairs or bad_codes or bad_types or bad_vendors:
            for i, (job, sub) in enumerate(pairs):
                code, kind, vendor = codes[i], types[i], vendors[i]
                if (
                    job in bad_jobs
                    or (job, sub) in bad_pairs
                    or code in bad_codes
                    or kind in bad_types
                    or (vendor in bad_vendors)
                ):
                    placement.reasons[i] = self.resolve(job, sub, code, kind, vendor).reasons
        return placement

    def resolve(self, job: str, sub_job: str, cost_code: str, cost_type: str, vendor: str) -> Placed:
        """The line's placement, with the vendor's id (or the reason it is unknown) added."""
        found = self.line(job, sub_job, cost_code, cost_type)
        if not vendor:
            return found
        vendor_id = self.vendor(vendor)
        if vendor_id is None:
            return Placed(found.project_id, reasons=(*found.reasons, unknown_vendor(vendor)))
        if found.reasons:
            return found
        return Placed(found.project_id, found.sub_job_id, found.cost_code_id, found.cost_type_id, vendor_id)

    def _line(self, job: str, sub_job: str, cost_code: str, cost_type: str) -> Placed:
        """Every reason the line cannot be placed: the job (and its phase/extra, once the job is
        known), the cost code and the cost type are each looked up."""
        reasons: list[Reason] = []
        project_id = self.projects.get(job) if job else None
        if project_id is None and job:  # (a row without a job fails on its own: REQUIRED)
            reasons.append(
                Reason(
                    ErrorCode.UNKNOWN_JOB, job, f"Job '{job}' matches no project (by ERP Job ID or number)"
                )
            )
        sub_job_id = None
        if sub_job and project_id is not None:
            index = self.subs.get(project_id)
            sub_job_id = index.get(sub_job) if index else None
            if sub_job_id is None:
                reasons.append(
                    Reason(
                        ErrorCode.UNKNOWN_SUB_JOB,
                        sub_job_subject(job, sub_job),
                        f"Phase/extra '{sub_job}' is not a sub job of job {job}",
                    )
                )
        cost_code_id = self.codes.get(cost_code) if cost_code else None
        if cost_code_id is None and cost_code:
            reasons.append(
                Reason(
                    ErrorCode.UNKNOWN_COST_CODE,
                    cost_code,
                    f"Cost code '{cost_code}' is not in the company cost code list",
                )
            )
        cost_type_id = self.types.get(cost_type) if cost_type else None
        if cost_type_id is None and cost_type:
            reasons.append(
                Reason(
                    ErrorCode.UNKNOWN_COST_TYPE,
                    cost_type,
                    f"Cost type '{cost_type}' is not a known cost type",
                )
            )
        if reasons:
            return Placed(project_id, reasons=tuple(reasons))
        return Placed(project_id, sub_job_id, cost_code_id, cost_type_id)


@dataclass
class Placement:
    """Column-wise placement of a load's rows: the ids (None where unknown) and, per row, every
    reason it cannot be placed (empty when it can)."""

    project_ids: list[int | None]
    sub_job_ids: list[int | None]
    cost_code_ids: list[int | None]
    cost_type_ids: list[int | None]
    vendor_ids: list[int | None]
    reasons: list[tuple[Reason, ...]]


def unknown_vendor(vendor: str) -> Reason:
    message = f"Vendor '{vendor}' matches no vendor (by record number or name)"
    return Reason(ErrorCode.UNKNOWN_VENDOR, vendor, message)


def reason_text(reasons: tuple[Reason, ...]) -> str:
    """The reasons as one text (an unplaced row keeps them all, at most 500 characters)."""
    text = "; ".join(r.message for r in reasons)
    return text if len(text) <= 500 else text[:497] + "..."


class PlacesWaitingJobCosts:
    """For the loads that can make kept job-cost rows placeable (job costs, vendors, the ERP's jobs
    and cost codes): once the load is written, every waiting row that now can be is placed."""

    progress: Reporter

    def after_apply(self, session: Session, run: ImportRun) -> None:
        self.progress.start(PLACE, None)
        self.progress.finish(place_pending_job_costs(session))


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
