"""Budget import: one line per sub job x cost code x cost type into a project's budget.

Re-importing updates the original amounts (and the other given fields) of existing lines and adds
new ones; equal lines are UNCHANGED, so the same file twice changes nothing. A cost code of the
company list that the project does not use yet is added to the project (with a warning): budgets
are where projects pick their codes from the company list, and refusing would make the accountant
do by hand exactly what the file says."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from importers import cells, lookups
from importers.bulk import converter, insert_rows, table_of, update_by_id
from importers.cells import CellError
from importers.errors import FileError
from importers.headers import Column
from importers.pipeline import ImportOptions, run_import
from importers.plan import CellReporter, ErrorPolicy, Plan, Row
from importers.progress import CHECK, NO_PROGRESS, WRITE
from models import audit
from models import budget_columns as bc
from models.base import ZERO, utcnow
from models.budgets import Budget, BudgetLine, budget_for_project, budget_lines_problem
from models.company import get_settings
from models.enums import ImportKind, Tool
from models.errors import ErrorCode
from models.imports import ImportRun
from models.policy import Actor, editing, require
from models.projects import Project, ProjectCostCode

COLUMNS = (
    Column("sub_job", bc.SUB_JOB, ("SubJob", "Sub Job Number", "Phase", "Extra", "Phase Number")),
    Column("cost_code", bc.COST_CODE, ("CostCode", "Code", "Cost Code Number"), required=True),
    Column("cost_type", bc.COST_TYPE, ("CostType", "Type", "Category", "Cost Category"), required=True),
    Column("description", bc.DESCRIPTION, ("Desc", "Line Description", "Cost Code Description")),
    Column(
        "amount",
        bc.ORIGINAL_BUDGET_AMOUNT,
        ("Original Budget", "Original Amount", "Budget Amount", "Budget", "Amount", "Original Estimate"),
        required=True,
    ),
    Column("quantity", bc.QUANTITY, ("Qty",)),
    Column("unit_of_measure", bc.UNIT_OF_MEASURE, ("UOM", "Unit", "UM")),
    Column("unit_cost", bc.UNIT_COST, ("Unit Price", "Price")),
)
assert tuple(c.label for c in COLUMNS) == bc.IMPORT_COLUMNS
assert {c.label for c in COLUMNS if c.required} == set(bc.REQUIRED_COLUMNS)

# field -> BudgetLine attribute, compared and updated only when the file has the column
_OPTIONAL_FIELDS = (
    ("description", "description"),
    ("quantity", "quantity"),
    ("unit_of_measure", "unit_of_measure"),
    ("unit_cost", "unit_cost"),
)


@dataclass(slots=True)
class _Line:
    row: int
    sub_job_id: int | None
    cost_code_id: int
    cost_type_id: int
    values: dict[str, Any]


def _description(value: Any) -> str:
    return cells.text(value, 200)


def _unit_of_measure(value: Any) -> str:
    return cells.text(value, 20)


def _optional_quantity(value: Any) -> Decimal | None:
    return None if cells.is_blank(value) else cells.quantity(value)


_LINE_COLUMNS = (
    "budget_id", "sub_job_id", "sub_job_key", "cost_code_id", "cost_type_id", "description",
    "original_amount", "quantity", "unit_of_measure", "unit_cost", "created_at", "updated_at",
)  # fmt: skip


class BudgetImporter:
    kind = ImportKind.BUDGET
    columns = COLUMNS
    ignored = bc.READ_ONLY_COLUMNS
    key_columns = ("cost_code",)
    money_column = "amount"
    progress = NO_PROGRESS

    def __init__(self, project: Project):
        self.project = project
        self.project_id = project.id
        self.budget: Budget | None = None
        self.add_codes: set[int] = set()
        # line id -> the values a planned update replaces (for the audit trail)
        self.old_values: dict[int, dict[str, Any]] = {}

    def check(self, session: Session) -> None:
        budget = budget_for_project(session, self.project)
        self.budget = budget
        # the same rule as adding or changing a line by hand
        problem = budget_lines_problem(budget, get_settings(session))
        if problem is not None:
            raise FileError(problem.code, problem.message)

    def plan(self, session: Session, rows: list[Row], cell: CellReporter, policy: ErrorPolicy) -> Plan:
        assert self.budget is not None, "check() finds the budget first"
        budget_id = self.budget.id
        plan = Plan()
        codes = lookups.cost_codes(session)
        types = lookups.cost_types(session)
        subs = lookups.sub_jobs(session, [self.project.id]).get(self.project.id)
        on_project = lookups.project_cost_code_ids(session, self.project.id)
        existing = {
            (line.sub_job_key, line.cost_code_id, line.cost_type_id): line
            for line in session.scalars(select(BudgetLine).where(BudgetLine.budget_id == budget_id))
        }
        seen: dict[tuple[int, int, int], int] = {}
        added_rows: dict[int, int] = {}
        present = [key for key, _ in _OPTIONAL_FIELDS if cell.layout.index.get(key) is not None]

        optional = [
            (i, key, parse)
            for i, key, parse in (
                (3, "description", _description),
                (5, "quantity", _optional_quantity),
                (6, "unit_of_measure", _unit_of_measure),
                (7, "unit_cost", _optional_quantity),
            )
            if cell.layout.index.get(key) is not None
        ]
        code = cells.code
        n = 0

        def bad(key: str | None, error: ErrorCode, message: str) -> None:
            plan.fail(cell.issue(n, key, error, message))

        for row in self.progress.each(CHECK, rows, len(rows)):
            raw_values = row.values
            sub_raw, code_raw, type_raw, _, amount_raw = raw_values[:5]
            n = row.number
            issues_before = len(plan.errors)

            sub_job_id = None
            sub_text = code(sub_raw)
            if sub_text:
                sub_job_id = subs.get(sub_text) if subs else None
                if sub_job_id is None:
                    bad("sub_job", ErrorCode.UNKNOWN_SUB_JOB, f"sub job '{sub_text}' is not on this project")
            code_text = code(code_raw)
            cost_code_id = codes.get(code_text) if code_text else None
            if not code_text:
                bad("cost_code", ErrorCode.REQUIRED, "a cost code is required")
            elif cost_code_id is None:
                bad(
                    "cost_code",
                    ErrorCode.UNKNOWN_COST_CODE,
                    f"cost code '{code_text}' is not in the company cost code list",
                )
            type_text = code(type_raw)
            cost_type_id = types.get(type_text) if type_text else None
            if not type_text:
                bad("cost_type", ErrorCode.REQUIRED, "a cost type is required")
            elif cost_type_id is None:
                bad(
                    "cost_type",
                    ErrorCode.UNKNOWN_COST_TYPE,
                    f"cost type '{type_text}' is not a known cost type",
                )
            values: dict[str, Any] = {}
            if cells.is_blank(amount_raw):
                bad("amount", ErrorCode.REQUIRED, "an amount is required (0 for an empty line)")
            else:
                try:
                    values["original_amount"] = cells.money(amount_raw)
                except CellError as exc:
                    bad("amount", exc.code, exc.message)
            for i, key, parse in optional:
                try:
                    values[key] = parse(raw_values[i])
                except CellError as exc:
                    bad(key, exc.code, exc.message)
            if len(plan.errors) > issues_before or cost_code_id is None or cost_type_id is None:
                continue
            line_key = (sub_job_id or 0, cost_code_id, cost_type_id)
            if line_key in seen:
                bad(
                    None,
                    ErrorCode.DUPLICATE_ROW,
                    f"the same sub job, cost code and cost type as row {seen[line_key]}; combine them into "
                    "one line",
                )
                continue
            seen[line_key] = n
            if cost_code_id not in on_project and cost_code_id not in added_rows:
                added_rows[cost_code_id] = n
            line = existing.get(line_key)
            if line is None:
                plan.creates.append(_Line(n, sub_job_id, cost_code_id, cost_type_id, values))
                continue
            changes: dict[str, Any] = {}
            if values["original_amount"] != line.original_amount:
                changes["original_amount"] = values["original_amount"]
            for field in present:
                new = values.get(field)
                if field == "unit_of_measure" and new == "":
                    new = None
                if new != getattr(line, field):
                    changes[field] = new
            if changes:
                plan.updates.append({"id": line.id, **changes})
                self.old_values[line.id] = {k: getattr(line, k) for k in changes}
            else:
                plan.unchanged += 1

        if policy == ErrorPolicy.REJECT_FAILED_ROWS or not plan.errors:
            self.add_codes = set(added_rows)
            code_names = {v: k for k, v in codes.exact.items()}
            for cost_code_id, n in sorted(added_rows.items(), key=lambda kv: kv[1]):
                plan.warnings.append(
                    cell.issue(
                        n,
                        "cost_code",
                        ErrorCode.COST_CODE_ADDED_TO_PROJECT,
                        f"cost code '{code_names.get(cost_code_id)}' was not on the project; it is added",
                    )
                )
        return plan

    def apply(self, session: Session, plan: Plan, run: ImportRun) -> None:
        self.progress.start(WRITE, len(plan.creates) + len(plan.updates))
        if self.add_codes:
            session.execute(
                insert(ProjectCostCode),
                [{"project_id": self.project.id, "cost_code_id": cid} for cid in sorted(self.add_codes)],
            )
        assert self.budget is not None, "check() finds the budget first"
        table = table_of(BudgetLine)
        now = converter(session, table, "created_at")(utcnow())
        as_money = converter(session, table, "original_amount", memo=False)
        as_quantity = converter(session, table, "quantity", memo=False)
        budget_id = self.budget.id
        insert_rows(
            session,
            table,
            _LINE_COLUMNS,
            [
                (budget_id, line.sub_job_id, line.sub_job_id or 0, line.cost_code_id, line.cost_type_id)
                + (line.values.get("description", ""), as_money(line.values.get("original_amount", ZERO)))
                + (as_quantity(line.values.get("quantity")), line.values.get("unit_of_measure") or None)
                + (as_quantity(line.values.get("unit_cost")), now, now)
                for line in plan.creates
            ],
        )
        # bulk UPDATE by primary key groups rows by the set of columns they change
        update_by_id(session, BudgetLine, plan.updates)
        self._audit(session, plan, run)
        session.expire_all()
        self.progress.finish()

    def _audit(self, session: Session, plan: Plan, run: ImportRun) -> None:
        """The audit trail of the bulk statements: each changed line's old and new values (UPDATE),
        and one IMPORT entry on the budget for the lines the file created (their values are the file
        itself, kept by sha256 in the ImportRun), so a 20,000-line load writes one entry, not 20,000."""
        actor = audit.actor_of(session)
        assert actor is not None, "run_import names the actor"
        budget_id = self.budget.id if self.budget is not None else 0
        changes = [
            audit.Change(
                BudgetLine,
                change["id"],
                budget_id,
                audit.UPDATE,
                {
                    key: (self.old_values[change["id"]][key], value)
                    for key, value in change.items()
                    if key != "id"
                },
            )
            for change in plan.updates
        ]
        if plan.creates:
            created = {
                "lines_created": (None, len(plan.creates)),
                "original_amount_created": (
                    None,
                    sum((ln.values.get("original_amount", ZERO) for ln in plan.creates), ZERO),
                ),
                "import_run": (None, run.id),
                "file_name": (None, run.file_name),
            }
            changes.append(audit.Change(Budget, budget_id, budget_id, audit.IMPORT, created))
        audit.record_rows(session, actor, changes)

    def after_apply(self, session: Session, run: ImportRun) -> None:
        pass


def import_budget(
    session: Session,
    actor: Actor,
    project: Project,
    data: bytes,
    file_name: str,
    options: ImportOptions = ImportOptions(),
) -> ImportRun:
    """Import a budget file into ``project``'s budget (needs STANDARD on the Budget tool)."""
    require(actor, editing(Tool.BUDGET), "Importing a budget")
    return run_import(session, BudgetImporter(project), data, file_name, actor, options)
