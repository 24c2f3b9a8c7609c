"""Import mutations: budget, vendor list and job-cost uploads (multipart, strawberry ``Upload``), the
ERP set-up loads (cost code list, job list, estimates), linking an ERP vendor to a CostBridge vendor,
and placing unplaced job costs.

An import that started and then failed without recording itself (the database stayed busy, a
conflicting change, an unexpected error) still leaves a FAILED ImportRun saying why."""

from __future__ import annotations

import logging

import strawberry
from sqlalchemy import func, select
from strawberry.file_uploads import Upload

from api.context import Info
from api.errors import UserError, run_in_transaction
from api.permissions import IsAuthenticated
from api.relay import decode_id
from api.serving.failures import classify
from api.subscriptions.imports import ImportWatch
from api.types.directory import Vendor
from api.types.imports import ImportErrorPolicy, ImportRun
from importers.budget import import_budget
from importers.erp_setup import import_erp_cost_codes, import_erp_estimates, import_erp_jobs
from importers.job_costs import import_job_costs
from importers.limits import limits_from_env
from importers.pipeline import ImportOptions
from importers.placement import place_unplaced_job_costs
from importers.plan import ErrorPolicy
from importers.runs import record_failed_run
from importers.vendors import import_vendors, link_vendor
from models.costs import UnplacedJobCost
from models.enums import ImportKind
from models.errors import DomainError, ErrorCode
from models.projects import Project

log = logging.getLogger("costbridge.imports")


@strawberry.input
class ImportBudgetInput:
    project_id: strawberry.ID
    file: Upload
    dry_run: bool = False
    error_policy: ImportErrorPolicy = ErrorPolicy.ALL_OR_NOTHING  # type: ignore[valid-type]


@strawberry.input
class ImportVendorsInput:
    file: Upload
    dry_run: bool = False
    error_policy: ImportErrorPolicy = ErrorPolicy.ALL_OR_NOTHING  # type: ignore[valid-type]


@strawberry.input
class ImportJobCostsInput:
    file: Upload
    dry_run: bool = False
    error_policy: ImportErrorPolicy = ErrorPolicy.ALL_OR_NOTHING  # type: ignore[valid-type]


@strawberry.input
class ImportErpCostCodesInput:
    file: Upload
    dry_run: bool = False
    error_policy: ImportErrorPolicy = ErrorPolicy.ALL_OR_NOTHING  # type: ignore[valid-type]


@strawberry.input
class ImportErpJobsInput:
    file: Upload
    dry_run: bool = False
    error_policy: ImportErrorPolicy = ErrorPolicy.ALL_OR_NOTHING  # type: ignore[valid-type]


@strawberry.input
class ImportErpEstimatesInput:
    project_id: strawberry.ID = strawberry.field(description="The project (an ERP job) whose budget to load.")
    file: Upload
    dry_run: bool = False
    error_policy: ImportErrorPolicy = ErrorPolicy.ALL_OR_NOTHING  # type: ignore[valid-type]


@strawberry.type(description="The recorded ImportRun, and its errors repeated as UserErrors.")
class ImportPayload:
    import_run: ImportRun | None
    errors: list[UserError]


@strawberry.input
class LinkVendorInput:
    vendor_id: strawberry.ID = strawberry.field(description="The CostBridge vendor to keep.")
    erp_vendor_id: strawberry.ID = strawberry.field(description="The ERP-origin vendor it duplicates.")


@strawberry.type
class LinkVendorPayload:
    vendor: Vendor | None = strawberry.field(
        description="The CostBridge vendor, now SYNCED with the ERP's id."
    )
    errors: list[UserError]


@strawberry.type
class PlaceUnplacedJobCostsPayload:
    placed: int
    remaining: int
    errors: list[UserError]


def _read_upload(upload, limit: int) -> tuple[bytes, str]:
    # the operation runs on a database worker thread: the spooled upload is read directly; from
    # the start, so that a retried operation reads it whole again
    handle = upload.file
    handle.seek(0)
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise DomainError(
            ErrorCode.FILE_TOO_LARGE, f"The file is over the {limit:,}-byte limit; split it", "file"
        )
    return data, getattr(upload, "filename", None) or "upload"


# failures of an import that had started: recorded as a FAILED ImportRun (refusals such as a
# missing permission or an unknown project are answered without one)
_RECORDED_FAILURES = {
    ErrorCode.DATABASE_BUSY,
    ErrorCode.CONCURRENT_UPDATE,
    ErrorCode.INTERNAL_ERROR,
    ErrorCode.QUERY_TIMEOUT,
}


def _run(info: Info, input, kind: ImportKind, action, project_id: int | None = None) -> ImportPayload:
    limits = limits_from_env()
    ctx = info.context
    try:
        data, name = _read_upload(input.file, limits.max_file_bytes)
    except DomainError as exc:
        return ImportPayload(import_run=None, errors=[UserError.from_domain(exc)])
    # told to the importRunProgress subscription; its last event once the outcome is committed
    watch = ImportWatch(ctx.hub, ctx.actor, kind, name)
    try:
        run, errors = run_in_transaction(ctx.session, lambda s: action(s, data, name, limits, watch))
    except Exception as exc:
        code, message = classify(exc, ctx.request_id, f"import of {name}")
        run, errors = None, [UserError(code=code, message=message)]
    if run is None:
        failed = None
        if errors[0].code in _RECORDED_FAILURES:
            failed = _record_failure(ctx, input, kind, data, name, project_id, errors[0])
        if failed is not None or watch.run_id is not None:
            watch.finished(failed)
        return ImportPayload(import_run=ImportRun.from_row(failed) if failed else None, errors=errors)
    watch.finished(run)
    errors = [
        UserError(code=ErrorCode(e["code"]), message=e["message"], row=e.get("row"), column=e.get("column"))
        for e in run.errors
    ]
    return ImportPayload(import_run=ImportRun.from_row(run), errors=errors)


def _record_failure(ctx, input, kind: ImportKind, data: bytes, name: str, project_id, error: UserError):
    def record(s):
        known = project_id if project_id is not None and s.get(Project, project_id) is not None else None
        return record_failed_run(
            s,
            kind,
            data,
            name,
            ctx.actor,
            dry_run=input.dry_run,
            error_policy=str(ErrorPolicy(input.error_policy)),
            project_id=known,
            code=ErrorCode(error.code),
            message=error.message,
        )

    try:
        failed, problems = run_in_transaction(ctx.session, record)
    except Exception as exc:  # the failure stays in the log, under the request id
        classify(exc, ctx.request_id, f"recording the failed import of {name}")
        return None
    if problems:
        log.error(
            "request %s: the failed import of %s could not be recorded: %s", ctx.request_id, name, problems
        )
    return failed


def _options(input, limits, progress: ImportWatch) -> ImportOptions:
    return ImportOptions(
        dry_run=input.dry_run, error_policy=ErrorPolicy(input.error_policy), limits=limits, progress=progress
    )


def company_import(info: Info, input, kind: ImportKind, importer) -> ImportPayload:
    """An upload that loads company-wide records: ``importer(session, actor, data, name, options)``."""
    actor = info.context.actor
    return _run(
        info,
        input,
        kind,
        lambda s, data, name, limits, watch: importer(s, actor, data, name, _options(input, limits, watch)),
    )


def project_import(info: Info, input, kind: ImportKind, importer) -> ImportPayload:
    """An upload into one project (``input.project_id``):
    ``importer(session, actor, project, data, name, options)``; an unknown project is NOT_FOUND."""
    actor = info.context.actor
    try:
        project_id = decode_id(input.project_id, "Project", "projectId")
    except DomainError as exc:
        return ImportPayload(import_run=None, errors=[UserError.from_domain(exc)])

    def action(s, data, name, limits, watch):
        project = s.get(Project, project_id)
        if project is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Project not found", "projectId")
        return importer(s, actor, project, data, name, _options(input, limits, watch))

    return _run(info, input, kind, action, project_id)


@strawberry.type
class ImportMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Import a budget file (CSV, XLSX, XLS, XLSB, ODS) into a project's budget.",
    )
    def import_budget(self, info: Info, input: ImportBudgetInput) -> ImportPayload:
        return project_import(info, input, ImportKind.BUDGET, import_budget)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Load the ERP's AP vendor list.")
    def import_vendors(self, info: Info, input: ImportVendorsInput) -> ImportPayload:
        return company_import(info, input, ImportKind.VENDORS, import_vendors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Load ERP job-cost transactions as direct costs."
    )
    def import_job_costs(self, info: Info, input: ImportJobCostsInput) -> ImportPayload:
        return company_import(info, input, ImportKind.JOB_COSTS, import_job_costs)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Load the ERP's cost code list with its categories (Sage 300) or cost types (Sage 100): "
        "codes arrive SYNCED and ERP-origin (ADMIN on ERP Integrations).",
    )
    def import_erp_cost_codes(self, info: Info, input: ImportErpCostCodesInput) -> ImportPayload:
        return company_import(info, input, ImportKind.ERP_COST_CODES, import_erp_cost_codes)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Load the ERP's job list with phases (Sage 100) or extras (Sage 300): jobs arrive as "
        "SYNCED ERP-origin projects, the rules of receiveErpJobs applied (ADMIN on ERP Integrations).",
    )
    def import_erp_jobs(self, info: Info, input: ImportErpJobsInput) -> ImportPayload:
        return company_import(info, input, ImportKind.ERP_JOBS, import_erp_jobs)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Load the ERP's estimate of a job into its project's budget, which then belongs to the "
        "ERP (ADMIN on ERP Integrations).",
    )
    def import_erp_estimates(self, info: Info, input: ImportErpEstimatesInput) -> ImportPayload:
        return project_import(info, input, ImportKind.ERP_ESTIMATES, import_erp_estimates)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Link a CostBridge vendor to the ERP vendor it duplicates (it takes the record number).",
    )
    def link_vendor(self, info: Info, input: LinkVendorInput) -> LinkVendorPayload:
        ctx = info.context

        def action(s):
            vendor_id = decode_id(input.vendor_id, "Vendor", "vendorId")
            erp_id = decode_id(input.erp_vendor_id, "Vendor", "erpVendorId")
            return link_vendor(s, ctx.actor, vendor_id, erp_id)

        vendor, errors = run_in_transaction(ctx.session, action)
        return LinkVendorPayload(vendor=Vendor.from_row(vendor) if vendor else None, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Place every kept job-cost row whose job, codes and vendor can now be resolved.",
    )
    def place_unplaced_job_costs(self, info: Info) -> PlaceUnplacedJobCostsPayload:
        ctx = info.context

        def action(s):
            return place_unplaced_job_costs(s, ctx.actor)

        placed, errors = run_in_transaction(ctx.session, action)
        remaining = ctx.session.scalar(
            select(func.count()).select_from(UnplacedJobCost).where(UnplacedJobCost.direct_cost_id.is_(None))
        )
        return PlaceUnplacedJobCostsPayload(placed=placed or 0, remaining=remaining or 0, errors=errors)
