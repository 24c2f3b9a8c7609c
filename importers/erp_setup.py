"""ERP set-up loads: the files an accountant exports from the ERP to set CostBridge up, in the order
of a first load: the cost code list (with its categories / cost types), the job list (with Sage 100
phases or Sage 300 extras), then vendors (``importers/vendors.py``), estimates into budgets, and
job costs.

Records arrive ERP-origin and SYNCED with their ERP keys. The rules are those of
``models/erp_inbound.py``, the same functions the sync agent's ``receiveErpJobs`` calls: each job
or code is checked while planning (so a dry run refuses what the real run would) and written
through the sync transition functions, so its history is recorded. Like every load, the file goes
in whole or not at all (unless REJECT_FAILED_ROWS is asked for), and leaves an ImportRun.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from importers import cells, lookups
from importers.budget import COLUMNS as BUDGET_COLUMNS
from importers.budget import BudgetImporter
from importers.cells import CellError
from importers.errors import FileError
from importers.headers import Column
from importers.pipeline import ImportOptions, run_import
from importers.placement import PlacesWaitingJobCosts
from importers.plan import CellReporter, ErrorPolicy, Plan, Table
from importers.progress import CHECK, NO_PROGRESS, WRITE
from models.base import utcnow
from models.budgets import budget_for_project, budget_owned_by_erp
from models.company import get_settings
from models.enums import ImportKind, Origin, SyncStatus
from models.erp_inbound import (
    CheckedCostCode,
    CheckedJob,
    ErpCostCodeIn,
    ErpJobIn,
    ErpSubJobIn,
    check_erp_cost_code,
    check_erp_job,
    cost_code_index,
    write_erp_cost_code,
    write_erp_job,
)
from models.errors import DomainError, ErrorCode
from models.imports import ImportRun
from models.policy import RECEIVE_ERP_COST_CODES, RECEIVE_ERP_ESTIMATES, RECEIVE_ERP_JOBS, Actor, require
from models.projects import Project
from models.sync import record_transition
from models.wbs import CostType

_ERROR_COLUMN = ("Error", "Errors")  # the Error column of a failed-rows file, ignored on the way back in
_PHASE_NAMES = ("Phase", "Extra", "Sub Job", "Phase Number", "Extra ID", "Phase #", "Extra #", "Phase No")


def _raw(table: Table, keys: tuple[str, ...]) -> list[tuple[int, dict[str, Any]]]:
    return [(row.number, dict(zip(keys, row.values, strict=True))) for row in table.rows]


# --- the cost code list ------------------------------------------------------------------------------

COST_CODE_COLUMNS = (
    Column(
        "code",
        "Cost Code",
        ("CostCode", "Code", "Cost Code Number", "Cost Code #", "Standard Cost Code", "Cost Code ID"),
        required=True,
    ),
    Column(
        "description",
        "Description",
        ("Cost Code Description", "Cost Code Name", "Name", "Desc", "Title", "Cost Code Title"),
    ),
    Column("category", "Category", ("Cost Type", "Cost Category", "Category Code", "CostType", "Type")),
    Column(
        "category_name",
        "Category Name",
        ("Category Description", "Cost Type Name", "Cost Type Description", "Type Name", "Category Title"),
    ),
)
_COST_CODE_KEYS = tuple(c.key for c in COST_CODE_COLUMNS)


class ErpCostCodeImporter(PlacesWaitingJobCosts):
    """The ERP's cost code list (Sage 100 Cost Codes, Sage 300 Standard Cost Codes), each row a code
    and/or a category (Sage 300) or cost type (Sage 100) with its name. A code already in CostBridge
    is refreshed (its description) or, if typed in CostBridge before, linked; a category not known
    by its code, ERP letter or name is added."""

    kind = ImportKind.ERP_COST_CODES
    columns = COST_CODE_COLUMNS
    ignored = _ERROR_COLUMN
    key_columns = ("code",)
    money_column = None
    project_id = None
    progress = NO_PROGRESS

    def __init__(self, actor: Actor):
        self.actor = actor
        self.codes: list[CheckedCostCode] = []
        self.categories: list[tuple[str, str]] = []

    def check(self, session: Session) -> None:
        pass

    def plan(self, session: Session, table: Table, cell: CellReporter, policy: ErrorPolicy) -> Plan:
        plan = Plan()
        index = cost_code_index(session)
        known_types = lookups.cost_types(session)
        has_description = cell.layout.index.get("description") is not None
        seen: dict[str, int] = {}
        codes: list[tuple[int, CheckedCostCode]] = []
        categories: dict[str, tuple[int, str, str]] = {}  # new ones, by folded code
        outcome: dict[int, str] = {}
        for n, raw in self.progress.each(CHECK, _raw(table, _COST_CODE_KEYS), len(table)):
            before = len(plan.errors)
            code = cells.code(raw["code"])
            category = cells.code(raw["category"])
            try:
                description = cells.text(raw["description"], 200) if has_description else None
            except CellError as exc:
                plan.fail(cell.issue(n, "description", exc.code, exc.message))
                description = None
            try:
                category_name = cells.text(raw["category_name"], 100)
            except CellError as exc:
                plan.fail(cell.issue(n, "category_name", exc.code, exc.message))
                category_name = ""
            if not code and not category:
                plan.fail(
                    cell.issue(n, "code", ErrorCode.REQUIRED, "a cost code (or a category) is required")
                )
            if isinstance(raw["code"], float | int) and not isinstance(raw["code"], bool):
                plan.warnings.append(
                    cell.issue(
                        n,
                        "code",
                        ErrorCode.CODE_STORED_AS_NUMBER,
                        f"the cost code is a number cell, kept as '{code}': a code's zeros ('2120.000', "
                        "'0100') are lost in a number cell; format the column as text in the ERP export",
                        code,
                    )
                )
            if category and len(category) > 8:
                plan.fail(
                    cell.issue(n, "category", ErrorCode.VALUE_TOO_LONG, "longer than 8 characters", category)
                )
            checked = None
            if code and len(plan.errors) == before:
                first = seen.setdefault(code.lower(), n)
                if first != n:
                    plan.fail(
                        cell.issue(
                            n,
                            "code",
                            ErrorCode.DUPLICATE_ROW,
                            f"cost code {code} is also on row {first}",
                            code,
                        )
                    )
                    continue
                try:
                    checked = check_erp_cost_code(ErpCostCodeIn(code, description), index)
                except DomainError as exc:
                    plan.fail(cell.issue(n, "code", exc.code, exc.message, code))
                    continue
            if len(plan.errors) > before:
                continue
            if checked is not None:
                codes.append((n, checked))
                if checked.link:
                    plan.warnings.append(
                        cell.issue(
                            n,
                            "code",
                            ErrorCode.COST_CODE_LINKED,
                            f"cost code {code} was made in CostBridge; it is now linked to the ERP's code "
                            "(SYNCED)",
                            code,
                        )
                    )
                outcome[n] = (
                    "CREATE" if checked.found is None else "UPDATE" if checked.changed else "UNCHANGED"
                )
            if category and known_types.get(category) is None:
                new = categories.setdefault(category.lower(), (n, category, category_name))
                if new[0] == n:
                    outcome[n] = "CREATE"
            outcome.setdefault(n, "UNCHANGED")
        take = policy == ErrorPolicy.REJECT_FAILED_ROWS or not plan.errors
        self.codes = [checked for _, checked in codes] if take else []
        self.categories = [(c, name) for _, c, name in categories.values()] if take else []
        for n, result in outcome.items():
            if result == "CREATE":
                plan.creates.append(n)
            elif result == "UPDATE":
                plan.updates.append(n)
            else:
                plan.unchanged += 1
        return plan

    def apply(self, session: Session, plan: Plan, run: ImportRun) -> None:
        self.progress.start(WRITE, len(self.categories) + len(self.codes))
        for code, name in self.categories:
            session.add(CostType(code=code, name=name or code, origin="ERP", active=True))
            self.progress.advance()
        note = f"Loaded from the ERP cost code list {run.file_name}"
        for checked in self.codes:
            write_erp_cost_code(session, self.actor, checked, note)
            self.progress.advance()
        session.flush()
        self.progress.finish()


def import_erp_cost_codes(
    session: Session, actor: Actor, data: bytes, file_name: str, options: ImportOptions = ImportOptions()
) -> ImportRun:
    """Load the ERP's cost code list and categories (needs ADMIN on ERP Integrations)."""
    require(actor, RECEIVE_ERP_COST_CODES, "Loading the ERP cost code list")
    return run_import(session, ErpCostCodeImporter(actor), data, file_name, actor, options)


# --- the job list ------------------------------------------------------------------------------------

JOB_COLUMNS = (
    Column("job", "Job", ("Job ID", "Job Number", "Job No", "Job #", "Project Number"), required=True),
    Column(
        "name",
        "Job Name",
        ("Name", "Job Description", "Job Title", "Project Name"),
        fallbacks=("Description",),
    ),
    Column("address", "Address", ("Address 1", "Address1", "Job Address", "Street", "Street Address")),
    Column("city", "City", ("Job City",)),
    Column("state", "State", ("Province", "St", "Job State")),
    Column("zip", "Zip", ("Zip Code", "ZIP Code", "Zipcode", "Postal Code", "Postcode", "Job Zip")),
    Column("sub_job", "Phase/Extra", _PHASE_NAMES),
    Column(
        "sub_job_name",
        "Phase/Extra Name",
        ("Phase Name", "Extra Name", "Phase Description", "Extra Description", "Sub Job Name", "Phase Title"),
    ),
)
_JOB_KEYS = tuple(c.key for c in JOB_COLUMNS)
_JOB_TEXT = (("name", 200), ("address", 200), ("city", 100), ("state", 50), ("zip", 20))
_FIELD_KEYS = {
    "jobId": "job",
    "name": "name",
    "address": "address",
    "city": "city",
    "state": "state",
    "zip": "zip",
}


@dataclass
class _Job:
    job_id: str
    rows: list[int] = field(default_factory=list)
    values: dict[str, tuple[int, str]] = field(default_factory=dict)  # field -> (row, value)
    sub_jobs: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # folded -> (row, number, name)


class ErpJobImporter(PlacesWaitingJobCosts):
    """The ERP's job list, one row per job or per phase/extra (job columns repeated or left blank on
    the phase rows): each job becomes (or refreshes) a SYNCED ERP-origin project, its phases or
    extras SYNCED sub jobs. A job already received keeps the fields the file leaves out."""

    kind = ImportKind.ERP_JOBS
    columns = JOB_COLUMNS
    ignored = _ERROR_COLUMN
    key_columns = ("job",)
    money_column = None
    project_id = None
    progress = NO_PROGRESS

    def __init__(self, actor: Actor):
        self.actor = actor
        self.jobs: list[CheckedJob] = []

    def check(self, session: Session) -> None:
        pass

    def plan(self, session: Session, table: Table, cell: CellReporter, policy: ErrorPolicy) -> Plan:
        plan = Plan()
        present = {key for key in _JOB_KEYS if cell.layout.index.get(key) is not None}
        jobs: dict[str, _Job] = {}
        for n, raw in self.progress.each(CHECK, _raw(table, _JOB_KEYS), len(table)):
            before = len(plan.errors)
            job_id = cells.code(raw["job"])
            if not job_id:
                plan.fail(cell.issue(n, "job", ErrorCode.REQUIRED, "a job number is required"))
            elif len(job_id) > 32:
                plan.fail(cell.issue(n, "job", ErrorCode.VALUE_TOO_LONG, "longer than 32 characters", job_id))
            values: dict[str, str] = {}
            for key, max_len in _JOB_TEXT:
                if key in present:
                    try:
                        values[key] = cells.text(raw[key], max_len)
                    except CellError as exc:
                        plan.fail(cell.issue(n, key, exc.code, exc.message))
            number = cells.code(raw["sub_job"])
            try:
                sub_name = cells.text(raw["sub_job_name"], 200)
            except CellError as exc:
                plan.fail(cell.issue(n, "sub_job_name", exc.code, exc.message))
                sub_name = ""
            if len(number) > 32:
                plan.fail(cell.issue(n, "sub_job", ErrorCode.VALUE_TOO_LONG, "longer than 32 characters"))
            elif sub_name and not number:
                plan.fail(cell.issue(n, "sub_job", ErrorCode.REQUIRED, "the phase/extra number is missing"))
            if len(plan.errors) > before:
                continue
            job = jobs.setdefault(job_id.lower(), _Job(job_id))
            conflict = False
            for key, value in values.items():
                if not value:
                    continue
                first = job.values.setdefault(key, (n, value))
                if first[1] != value:
                    label = cell.layout.labels.get(key, key)
                    plan.fail(
                        cell.issue(
                            n,
                            key,
                            ErrorCode.INVALID_VALUE,
                            f"job {job_id} has {label} '{first[1]}' on row {first[0]}; one job, one value",
                            job_id,
                        )
                    )
                    conflict = True
            if number and not conflict:
                first_sub = job.sub_jobs.setdefault(number.lower(), (n, number, sub_name))
                if first_sub[0] != n:
                    plan.fail(
                        cell.issue(
                            n,
                            "sub_job",
                            ErrorCode.DUPLICATE_ROW,
                            f"phase/extra {number} of job {job_id} is also on row {first_sub[0]}",
                            f"{job_id} / {number}",
                        )
                    )
                    conflict = True
            if not conflict:
                job.rows.append(n)

        checked_jobs: list[CheckedJob] = []
        for job in jobs.values():
            checked = self._check(session, job, present, cell, plan)
            if checked is None:
                continue
            checked_jobs.append(checked)
            new_subs = {number.lower() for number, _ in checked.new_sub_jobs}
            renamed = {sub.number.lower() for sub, _ in checked.renamed_sub_jobs}
            row_of_sub = {row: folded for folded, (row, _, _) in job.sub_jobs.items()}
            for i, n in enumerate(job.rows):
                folded = row_of_sub.get(n)
                if checked.project is None or folded in new_subs:
                    plan.creates.append(n)
                elif folded in renamed or (i == 0 and checked.changes):
                    plan.updates.append(n)
                else:
                    plan.unchanged += 1
        take = policy == ErrorPolicy.REJECT_FAILED_ROWS or not plan.errors
        self.jobs = checked_jobs if take else []
        plan.errors.sort(key=lambda issue: issue.row or 0)
        return plan

    def _check(
        self, session: Session, job: _Job, present: set[str], cell: CellReporter, plan: Plan
    ) -> CheckedJob | None:
        """The job through ``check_erp_job``; a phase it refuses fails its row and the job is checked
        again without it, a refusal of the job itself fails all its rows."""
        subs = [(row, number, name) for row, number, name in job.sub_jobs.values() if row in job.rows]
        while True:
            given = {key: job.values.get(key, (0, ""))[1] for key, _ in _JOB_TEXT if key in present}
            job_in = ErpJobIn(
                job.job_id,
                given.get("name") or None,
                **{key: given.get(key) for key in ("address", "city", "state", "zip")},
                sub_jobs=[ErpSubJobIn(number, name or None) for _, number, name in subs],
            )
            try:
                return check_erp_job(session, job_in)
            except DomainError as exc:
                where = exc.field or ""
                if where.startswith("subJobs."):
                    i = int(where.split(".")[1])
                    row, number, _ = subs.pop(i)
                    key = "sub_job" if where.endswith("number") else "sub_job_name"
                    plan.fail(cell.issue(row, key, exc.code, exc.message, f"{job.job_id} / {number}"))
                    job.rows.remove(row)
                    continue
                key = _FIELD_KEYS.get(where, "job")
                message = exc.message
                if exc.code == ErrorCode.REQUIRED and key == "name":
                    message = f"job {job.job_id} is new: its name is required"
                for row in job.rows:
                    plan.fail(cell.issue(row, key, exc.code, message, job.job_id))
                return None

    def apply(self, session: Session, plan: Plan, run: ImportRun) -> None:
        self.progress.start(WRITE, len(self.jobs))
        for checked in self.jobs:
            write_erp_job(session, self.actor, checked)
            self.progress.advance()
        session.flush()
        self.progress.finish()


def import_erp_jobs(
    session: Session, actor: Actor, data: bytes, file_name: str, options: ImportOptions = ImportOptions()
) -> ImportRun:
    """Load the ERP's job list with phases or extras (needs ADMIN on ERP Integrations)."""
    require(actor, RECEIVE_ERP_JOBS, "Loading the ERP job list")
    return run_import(session, ErpJobImporter(actor), data, file_name, actor, options)


# --- estimates into budgets --------------------------------------------------------------------------


def _with_aliases(column: Column, *more: str) -> Column:
    return Column(column.key, column.label, (*column.aliases, *more), column.required, column.fallbacks)


_ESTIMATE_ALIASES = {
    "sub_job": _PHASE_NAMES,
    "cost_code": ("Standard Cost Code", "Cost Code #"),
    "cost_type": ("Category Code", "Cost Type Code"),
    "amount": (
        "Estimate",
        "Estimate Amount",
        "Estimated Cost",
        "Original Estimate Amount",
        "Estimated Amount",
        "Budget Amount",
        "Original Budget",
    ),
    "quantity": ("Units", "Estimate Units", "Original Estimate Units", "Estimated Units"),
    "unit_of_measure": ("Unit of Measure", "U/M"),
}
ESTIMATE_COLUMNS = (
    *(_with_aliases(c, *_ESTIMATE_ALIASES.get(c.key, ())) for c in BUDGET_COLUMNS),
    Column("job", "Job", ("Job ID", "Job Number", "Job No", "Job #")),
)


class ErpEstimateImporter(BudgetImporter):
    """The ERP's estimate (Sage 300) or budget (Sage 100 with phases) of one job, into its project's
    budget, which then belongs to the ERP (origin ERP, SYNCED): CostBridge shows it and does not
    send it back. Lines are added and updated as by the budget load. Allowed into a budget the ERP
    owns, or into an empty budget never sent; a Job column, when there, must name the project."""

    kind = ImportKind.ERP_ESTIMATES
    columns = ESTIMATE_COLUMNS

    def __init__(self, project: Project, actor: Actor):
        super().__init__(project)
        self.actor = actor

    def check(self, session: Session) -> None:
        project = self.project
        if project.sync_status != SyncStatus.SYNCED or not project.origin_id:
            raise FileError(
                ErrorCode.PROJECT_NOT_SYNCED,
                f"Project {project.number} is not linked to an ERP job ({project.sync_status.value}), so "
                "it has no ERP estimate. Fix: load the ERP job list first (importErpJobs), or send the "
                "project to the ERP",
            )
        budget = budget_for_project(session, project)
        self.budget = budget
        if budget.sync_status in (SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING):
            raise FileError(
                ErrorCode.EXPORT_IN_PROGRESS,
                f"The budget of project {project.number} is {budget.sync_status.value}: it is being sent to "
                "the ERP. Fix: wait for its export to finish (or retrieve it)",
            )
        if budget_owned_by_erp(budget, get_settings(session)) is not None:
            return
        lines = len(budget.lines)
        if lines or budget.sync_status != SyncStatus.NOT_SENT:
            raise FileError(
                ErrorCode.BUDGET_MADE_IN_COSTBRIDGE,
                f"The budget of project {project.number} was made in CostBridge ({lines} lines, "
                f"{budget.sync_status.value}); CostBridge sends it to the ERP rather than taking the ERP's "
                "estimate over it. Fix: load the file as a budget (importBudget) if it is the budget to "
                "send, or remove the budget's lines first to let the ERP own it",
            )

    def plan(self, session: Session, table: Table, cell: CellReporter, policy: ErrorPolicy) -> Plan:
        wrong: list[tuple[int, str]] = []
        if cell.layout.index.get("job") is not None:
            project = self.project
            names = lookups.projects(session)
            job_column = table.columns[-1]
            keep: list[int] = []
            for i, value in enumerate(job_column):
                job = cells.code(value)
                if job and names.get(job) != project.id:
                    wrong.append((table.numbers[i], job))
                else:
                    keep.append(i)
            if wrong:
                table = Table(
                    [table.numbers[i] for i in keep], [[column[i] for i in keep] for column in table.columns]
                )
        plan = super().plan(session, table, cell, policy)
        for n, job in wrong:
            plan.fail(
                cell.issue(
                    n,
                    "job",
                    ErrorCode.ROW_FOR_ANOTHER_JOB,
                    f"this row is for job {job}; the file loads into the budget of {self.project.number}",
                    job,
                )
            )
        plan.errors.sort(key=lambda issue: issue.row or 0)
        return plan

    def apply(self, session: Session, plan: Plan, run: ImportRun) -> None:
        super().apply(session, plan, run)
        budget = self.budget
        assert budget is not None, "check() finds the budget first"
        session.refresh(budget)
        if budget.origin != Origin.ERP or budget.sync_status != SyncStatus.SYNCED:
            budget.origin = Origin.ERP
            budget.origin_id = self.project.origin_id
            budget.synced_at = utcnow()
            record_transition(
                session,
                budget,
                "receive",
                SyncStatus.SYNCED,
                self.actor,
                note=f"ERP estimate of job {self.project.origin_id} loaded from {run.file_name}",
                at=budget.synced_at,
            )
        session.flush()


def import_erp_estimates(
    session: Session,
    actor: Actor,
    project: Project,
    data: bytes,
    file_name: str,
    options: ImportOptions = ImportOptions(),
) -> ImportRun:
    """Load the ERP's estimate of ``project``'s job into its budget (needs ADMIN on ERP Integrations)."""
    require(actor, RECEIVE_ERP_ESTIMATES, "Loading an ERP estimate")
    return run_import(session, ErpEstimateImporter(project, actor), data, file_name, actor, options)
