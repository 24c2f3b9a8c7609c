"""Budget import: one line per sub job x cost code x cost type into a project's budget.

Re-importing updates the original amounts (and the other given fields) of existing lines and adds
new ones; equal lines are UNCHANGED, so the same file twice changes nothing. A cost code of the
company list that the project does not use yet is added to the project (with a warning): budgets
are where projects pick their codes from the company list, and refusing would make the accountant
do by hand exactly what the file says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from importers import cells, lookups
from importers.bulk import column_converter, converter, insert_rows, table_of, update_by_id
from importers.cells import CellError, CodeIndex
from importers.errors import FileError
from importers.headers import Column
from importers.pipeline import ImportOptions, run_import
from importers.plan import CellReporter, ErrorPolicy, Plan, Table
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


@dataclass
class _Lines:
    """The lines a budget load creates, column by column: what ``apply`` writes."""

    rows: list[int]
    sub_job_ids: list[int | None]
    cost_code_ids: list[int]
    cost_type_ids: list[int]
    values: dict[str, list[Any]]  # original_amount and whichever optional columns the file has

    def __len__(self) -> int:
        return len(self.rows)


def _description(value: Any) -> str:
    return cells.text(value, 200)


def _unit_of_measure(value: Any) -> str:
    return cells.text(value, 20)


def _optional_quantity(value: Any) -> Decimal | None:
    return None if cells.is_blank(value) else cells.quantity(value)


def _decimal(amount: Decimal | float) -> Decimal:
    """An amount of the money column as a Decimal (a whole-cents number cell stays a float there)."""
    return Decimal(repr(amount)) if isinstance(amount, float) else amount


def _amount(value: Any) -> Decimal:
    if cells.is_blank(value):
        raise CellError(ErrorCode.REQUIRED, "an amount is required (0 for an empty line)")
    return cells.money(value)


def _lookup(
    index: CodeIndex[int] | None, what: str, code: ErrorCode, where: str, *, required: bool
) -> Callable[[Any], int | None]:
    """A parser turning a code cell into its id through ``index``."""

    def parse(value: Any) -> int | None:
        text = cells.code(value)
        if not text:
            if required:
                raise CellError(ErrorCode.REQUIRED, f"a {what} is required")
            return None
        found = index.get(text) if index is not None else None
        if found is None:
            raise CellError(code, f"{what} '{text}' {where}")
        return found

    return parse


_LINE_COLUMNS = (
    "sub_job_id", "sub_job_key", "cost_code_id", "cost_type_id", "description", "original_amount",
    "quantity", "unit_of_measure", "unit_cost",
)  # fmt: skip
# column position in COLUMNS, key, parser, for the columns read whenever the file has them
_OPTIONAL = ((3, "description", _description), (5, "quantity", _optional_quantity),
             (6, "unit_of_measure", _unit_of_measure), (7, "unit_cost", _optional_quantity))  # fmt: skip


class BudgetImporter:
    kind = ImportKind.BUDGET
    columns: tuple[Column, ...] = COLUMNS
    ignored = (*bc.READ_ONLY_COLUMNS, "Error")  # and the Error column of a failed-rows file
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

    def plan(self, session: Session, table: Table, cell: CellReporter, policy: ErrorPolicy) -> Plan:
        # Column by column: each distinct value is parsed (and looked up) once.
        plan = Plan()
        codes = lookups.cost_codes(session)
        subs = lookups.sub_jobs(session, [self.project.id]).get(self.project.id)
        on_project = lookups.project_cost_code_ids(session, self.project.id)
        assert self.budget is not None, "check() finds the budget first"
        budget_id = self.budget.id
        numbers, columns = table.numbers, table.columns
        failed: dict[int, list[tuple[int, str | None, CellError]]] = {}
        self.progress.start(CHECK, len(numbers))

        def parse_column(position: int, key: str, parse: Callable[[Any], Any]) -> list[Any]:
            return cells.parse_column(columns[position], position, key, parse, failed)

        sub_ids = parse_column(
            0,
            "sub_job",
            _lookup(subs, "sub job", ErrorCode.UNKNOWN_SUB_JOB, "is not on this project", required=False),
        )
        where = "is not in the company cost code list"
        code_ids = parse_column(
            1, "cost_code", _lookup(codes, "cost code", ErrorCode.UNKNOWN_COST_CODE, where, required=True)
        )
        types = lookups.cost_types(session)
        type_ids = parse_column(
            2,
            "cost_type",
            _lookup(
                types, "cost type", ErrorCode.UNKNOWN_COST_TYPE, "is not a known cost type", required=True
            ),
        )
        values = {"original_amount": cells.money_column(columns[4]) or parse_column(4, "amount", _amount)}
        present = [key for key, _ in _OPTIONAL_FIELDS if cell.layout.index.get(key) is not None]
        for position, key, parse in _OPTIONAL:
            if key in present:
                fast = cells.text_column(columns[position], 200) if key == "description" else None
                values[key] = fast or parse_column(position, key, parse)

        self.progress.finish()
        existing = {
            (line.sub_job_key, line.cost_code_id, line.cost_type_id): line
            for line in session.scalars(select(BudgetLine).where(BudgetLine.budget_id == budget_id))
        }
        seen: dict[tuple[int, int, int], int] = {}
        creates: list[int] = []
        added_rows: dict[int, int] = {}
        line_keys: list[tuple[int, int, int]] = list(
            zip([s or 0 for s in sub_ids], code_ids, type_ids, strict=True)
        )
        for i, line_key in enumerate(line_keys):
            if i in failed:
                continue
            n = numbers[i]
            first = seen.setdefault(line_key, n)
            if first != n:
                duplicate = CellError(
                    ErrorCode.DUPLICATE_ROW,
                    f"the same sub job, cost code and cost type as row {first}; combine them into one line",
                )
                failed[i] = [(-1, None, duplicate)]
                continue
            code_id = line_key[1]
            if code_id not in on_project and code_id not in added_rows:
                added_rows[code_id] = n
            line = existing.get(line_key)
            if line is None:
                creates.append(i)
                continue
            changes: dict[str, Any] = {}
            amount = _decimal(values["original_amount"][i])
            if amount != line.original_amount:
                changes["original_amount"] = amount
            for field in present:
                new = values[field][i]
                if field == "unit_of_measure" and new == "":
                    new = None
                if new != getattr(line, field):
                    changes[field] = new
            if changes:
                plan.updates.append({"id": line.id, **changes})
                self.old_values[line.id] = {k: getattr(line, k) for k in changes}
            else:
                plan.unchanged += 1
        for i in sorted(failed):
            for _, column_key, exc in sorted(failed[i], key=lambda f: f[0]):
                plan.fail(cell.issue(numbers[i], column_key, exc.code, exc.message, exc.subject))
        plan.creates = _Lines(
            [numbers[i] for i in creates],
            [sub_ids[i] for i in creates],
            [code_ids[i] for i in creates],
            [type_ids[i] for i in creates],
            {key: [column[i] for i in creates] for key, column in values.items()},
        )

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
        as_money = column_converter(session, table, "original_amount")
        as_quantity = converter(session, table, "quantity", memo=False)
        lines: _Lines = plan.creates
        count = len(lines)
        nothing = [None] * count
        values = lines.values
        insert_rows(
            session,
            table,
            _LINE_COLUMNS,
            zip(
                lines.sub_job_ids, [s or 0 for s in lines.sub_job_ids], lines.cost_code_ids,
                lines.cost_type_ids, values.get("description", [""] * count),
                as_money(values["original_amount"]),
                map(as_quantity, values["quantity"]) if "quantity" in values else nothing,
                [u or None for u in values.get("unit_of_measure", nothing)],
                map(as_quantity, values["unit_cost"]) if "unit_cost" in values else nothing,
                strict=True,
            ),
            {"budget_id": self.budget.id, "created_at": now, "updated_at": now},
            self.progress.advance,
        )  # fmt: skip
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
                    sum(map(_decimal, plan.creates.values["original_amount"]), ZERO),
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
