"""The machinery behind the ERP mapping tables (exporters/sage100.py, exporters/sage300.py).

A ``Table`` maps one record type to one ERP entity: header fields (one value per record) and line
fields (one value per line item). Each ``Field`` names the ERP column and the CostBridge source
with the wording of the seed document, so a reader can hold a table against it line by line.

A rendered payload (what ``ErpExport.payload`` holds) is plain JSON:

    {"erp_system": "SAGE_100_CONTRACTOR", "entity": "Subcontract", "record_type": "COMMITMENT",
     "record_id": 7, "origin_id": "SC-001", "columns": [...], "header": {...}, "lines": [{...}],
     "notes": [...]}

Money is a string with two decimals ("-250.00"), quantities a plain decimal string, dates ISO
(YYYY-MM-DD). ``payload_rows`` flattens a payload into file rows: the header repeated on each line.

Commitment and change order lines carry the cost code, the cost type (category) and the line
amount; quantity and unit price when the line has them (a line entered as an amount only exports
its amount with Qty and Price empty). The line amount is what books: Qty x Price is informational
and may differ from it by rounding. The header total is the sum of the line amounts, to the cent.
Where a seed table leaves such a column out (the Sage 100 subcontract and purchase order line
amount, the purchase order line's cost type), ``Field.added`` says why it is exported anyway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import money
from models.budgets import Budget, BudgetLine, BudgetModification
from models.company import CompanySettings
from models.enums import ErpSystem, RecordType
from models.projects import Project, ProjectCostCode

TEXT = "text"
MONEY = "money"
QTY = "qty"
DATE = "date"


@dataclass(frozen=True)
class ExportContext:
    session: Session
    settings: CompanySettings
    record: Any
    today: dt.date


Getter = Callable[[Any, ExportContext], Any]


@dataclass(frozen=True)
class Field:
    erp: str  # the ERP column, as the seed words it
    source: str  # the CostBridge field, as the seed words it
    get: Getter
    kind: str = TEXT
    # True for a column the seed table does not list but the ERP needs to place the record
    # (e.g. which purchase order a PO change order appends to)
    reference: bool = False
    # why a column the seed table leaves out is exported anyway (a line's amount, a change order's
    # number): empty for the seed's own rows
    added: str = ""

    @property
    def from_seed(self) -> bool:
        return not self.reference and not self.added


@dataclass(frozen=True)
class Table:
    erp_system: ErpSystem
    record_type: RecordType
    entity: str  # the ERP-side name: "Job", "AP Vendor", "Subcontract", ...
    where: str  # where the seed says it lands in the ERP ("6-7-1 Subcontracts")
    header: tuple[Field, ...]
    lines: tuple[Field, ...] = ()
    line_items: Callable[[Any, ExportContext], Iterable[Any]] | None = None
    origin_key: str | None = None  # the header column holding the record's ERP key
    applies: Callable[[Any], bool] = lambda record: True
    notes: tuple[str, ...] = ()

    # the header column holding the total of the lines' ``line_amount`` column, when there is one
    total: str | None = None
    line_amount: str | None = None

    @property
    def columns(self) -> list[str]:
        return [f.erp for f in self.header] + [
            f.erp for f in self.lines if f.erp not in {h.erp for h in self.header}
        ]


def fmt(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == MONEY:
        return f"{money(value):.2f}"
    if kind == QTY:
        text = format(Decimal(value).normalize(), "f")
        return text
    if kind == DATE:
        day: dt.date = value.date() if isinstance(value, dt.datetime) else value
        return day.isoformat()
    return str(value)


def render(table: Table, record: Any, ctx: ExportContext) -> dict[str, Any]:
    header = {f.erp: fmt(f.get(record, ctx), f.kind) for f in table.header}
    items = list(table.line_items(record, ctx)) if table.line_items else []
    lines = [{f.erp: fmt(f.get(item, ctx), f.kind) for f in table.lines} for item in items]
    payload = {
        "erp_system": table.erp_system.value,
        "entity": table.entity,
        "record_type": table.record_type.value,
        "record_id": record.id,
        "origin_id": header.get(table.origin_key) or None if table.origin_key else None,
        "columns": table.columns,
        "header": header,
        "lines": lines,
        "notes": list(table.notes),
    }
    if table.total is not None and Decimal(header[table.total]) != line_total(payload, table):
        # the total and the lines come from the same rows: a difference is a mapping bug, never data
        raise ValueError(f"{table.entity}: {table.total} is not the sum of the lines' {table.line_amount}")
    return payload


def payload_rows(payload: dict[str, Any]) -> list[dict[str, str]]:
    """File rows for one payload: the header values repeated on every line (or alone)."""
    header = payload["header"]
    if not payload["lines"]:
        return [dict(header)]
    return [{**header, **line} for line in payload["lines"]]


# --- registry --------------------------------------------------------------------------------


def _tables() -> dict[ErpSystem, Sequence[Table]]:
    from exporters import sage100, sage300

    return {ErpSystem.SAGE_100_CONTRACTOR: sage100.TABLES, ErpSystem.SAGE_300_CRE: sage300.TABLES}


def mapped_record_types(system: ErpSystem) -> set[RecordType]:
    """The record types that have a mapping table for ``system``."""
    return {table.record_type for table in _tables()[ErpSystem(system)]}


def table_for(system: ErpSystem, record: Any) -> Table:
    for table in _tables()[ErpSystem(system)]:
        if table.record_type == record.RECORD_TYPE and table.applies(record):
            return table
    raise LookupError(f"No {system} mapping for {record.RECORD_TYPE}")


def build_payload(
    session: Session, record: Any, settings: CompanySettings, today: dt.date | None = None
) -> tuple[str, dict[str, Any]]:
    """(ERP entity, payload) of ``record`` for the configured ERP: what ``accept`` stores."""
    system = ErpSystem(settings.erp_system)
    table = table_for(system, record)
    ctx = ExportContext(session=session, settings=settings, record=record, today=today or dt.date.today())
    return table.entity, render(table, record, ctx)


# --- getters shared by both ERPs ----------------------------------------------------------------


def attr(path: str) -> Getter:
    """``attr("project.name")``: follow attributes, None if any step is None."""
    parts = path.split(".")

    def get(obj: Any, _ctx: ExportContext) -> Any:
        for part in parts:
            if obj is None:
                return None
            obj = getattr(obj, part)
        return obj

    return get


def cost_code(item: Any, _ctx: ExportContext) -> str | None:
    return item.cost_code.code if item.cost_code is not None else None


def cost_type(item: Any, _ctx: ExportContext) -> str | None:
    ctype = item.cost_type
    return (ctype.erp_code or ctype.code) if ctype is not None else None


def sub_job_number(item: Any, _ctx: ExportContext) -> str | None:
    return item.sub_job.number if item.sub_job is not None else None


def total(lines: Iterable[Any]) -> Decimal:
    return sum((money(line.amount) for line in lines), Decimal("0.00"))


def line_total(payload: dict[str, Any], table: Table) -> Decimal:
    """The sum of a rendered payload's line amounts (rows without an amount, such as a purchase
    order change order's title row, count for nothing)."""
    assert table.line_amount is not None
    return sum(
        (Decimal(line[table.line_amount]) for line in payload["lines"] if line.get(table.line_amount)),
        Decimal("0.00"),
    )


@dataclass
class LineItem:
    """A synthetic line (a shell budget pair, one side of a budget modification, a title row)."""

    cost_code: Any = None
    cost_type: Any = None
    sub_job: Any = None
    amount: Decimal | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit_cost: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def shell_budget(project: Project, ctx: ExportContext) -> list[LineItem]:
    """The job's shell budget: each project cost code with the cost types its budget lines use."""
    code_ids = set(
        ctx.session.scalars(
            select(ProjectCostCode.cost_code_id).where(ProjectCostCode.project_id == project.id)
        )
    )
    lines = ctx.session.scalars(
        select(BudgetLine)
        .join(Budget)
        .where(Budget.project_id == project.id, BudgetLine.cost_code_id.in_(code_ids))
    ).all()
    pairs = {(line.cost_code.code, cost_type(line, ctx)): line for line in lines}
    return [LineItem(cost_code=pairs[key].cost_code, cost_type=pairs[key].cost_type) for key in sorted(pairs)]


def modification_sides(mod: BudgetModification, _ctx: ExportContext) -> list[LineItem]:
    """A budget modification as two lines: minus on the From line, plus on the To line."""
    amount = money(mod.amount)
    return [
        LineItem(mod.from_line.cost_code, mod.from_line.cost_type, mod.from_line.sub_job, -amount),
        LineItem(mod.to_line.cost_code, mod.to_line.cost_type, mod.to_line.sub_job, amount),
    ]
