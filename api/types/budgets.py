"""Budget, BudgetLine and BudgetModification types, with totals computed from the parts."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from sqlalchemy import or_, select
from sqlalchemy.orm import object_session

from api.context import Info
from api.dataloaders import budgets as loaders
from api.dataloaders import projects as project_loaders
from api.permissions import check
from api.relay import Node, register_node, to_global_id
from api.types.audit import Audited
from api.types.projects import Project, WbsRefs, wbs_refs
from api.types.sync import SyncInfo
from models import budgets as m
from models import registry
from models.base import ZERO
from models.enums import RecordType, Tool
from models.policy import reading

BUDGET = registry.spec(RecordType.BUDGET).type_name
BUDGET_MODIFICATION = registry.spec(RecordType.BUDGET_MODIFICATION).type_name


def _net_of(row: m.BudgetLine) -> Decimal:
    """Net modifications of one line, for a line shown on its own (node, mutation payload)."""
    session = object_session(row)
    assert session is not None, "a line shown on its own was loaded by the request's session"
    mods = session.scalars(
        select(m.BudgetModification).where(
            or_(m.BudgetModification.from_line_id == row.id, m.BudgetModification.to_line_id == row.id)
        )
    ).all()
    return m.line_modification_nets(mods).get(row.id, ZERO)


@register_node(m.BudgetLine, "BudgetLine", reading(Tool.BUDGET))
@strawberry.type(name="BudgetLine", description="One budget line: sub job x cost code x cost type.")
class BudgetLine(Audited, WbsRefs, Node):
    description: str
    original_amount: Decimal
    quantity: Decimal | None
    unit_of_measure: str | None
    unit_cost: Decimal | None
    estimated_cost_at_completion: Decimal | None
    forecast_to_complete: Decimal | None
    _pk: strawberry.Private[int]
    _budget_id: strawberry.Private[int]
    # None for a line of a budget's list: its budget's modifications are read when an amount that
    # depends on them is selected (one SELECT for every budget of the request)
    _net: strawberry.Private[Decimal | None]

    @classmethod
    def from_row(cls, row: m.BudgetLine, net: Decimal | None = None) -> BudgetLine:
        """A line with its net modifications (``net``, or read now for a line shown on its own)."""
        return cls.listed(row, _net_of(row) if net is None else net)

    @classmethod
    def listed(cls, row: m.BudgetLine, net: Decimal | None = None) -> BudgetLine:
        return cls(
            id=to_global_id("BudgetLine", row.id),
            description=row.description,
            original_amount=row.original_amount,
            quantity=row.quantity,
            unit_of_measure=row.unit_of_measure,
            unit_cost=row.unit_cost,
            estimated_cost_at_completion=row.estimated_cost_at_completion,
            forecast_to_complete=row.forecast_to_complete,
            _pk=row.id,
            _budget_id=row.budget_id,
            _net=net,
            **wbs_refs(row),
        )

    def _net_in(self, info: Info) -> Decimal:
        if self._net is not None:
            return self._net
        found = info.context.loaders
        nets = found.derived(
            (m.BudgetModification, self._budget_id),
            lambda: m.line_modification_nets(found.load(loaders.modifications_by_budget, self._budget_id)),
        )
        return nets.get(self._pk, ZERO)

    @strawberry.field(description="+ moved to this line - moved from it.")
    def modifications_amount(self, info: Info) -> Decimal:
        return self._net_in(info)

    @strawberry.field(description="originalAmount + modificationsAmount.")
    def revised_amount(self, info: Info) -> Decimal:
        return self.original_amount + self._net_in(info)


def _line_with_net(info: Info, line_id: int) -> BudgetLine:
    row = info.context.loaders.load(loaders.budget_lines, line_id)
    mods = info.context.loaders.load(loaders.modifications_by_budget, row.budget_id)
    return BudgetLine.from_row(row, m.line_modification_nets(mods).get(row.id, ZERO))


@register_node(m.BudgetModification, BUDGET_MODIFICATION, reading(Tool.BUDGET))
@strawberry.type(
    name=BUDGET_MODIFICATION,
    description="Moves an amount from one budget line to another of the same budget.",
)
class BudgetModification(Audited, Node):
    number: str = strawberry.field(
        description="The budget change order #: unique on the budget, carried by the ERP export."
    )
    amount: Decimal
    notes: str
    sync: SyncInfo
    _pk: strawberry.Private[int]
    _from_line_id: strawberry.Private[int]
    _to_line_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.BudgetModification) -> BudgetModification:
        return cls(
            id=to_global_id(BUDGET_MODIFICATION, row.id),
            number=row.number,
            amount=row.amount,
            notes=row.notes,
            sync=SyncInfo.from_row(row, RecordType.BUDGET_MODIFICATION),
            _pk=row.id,
            _from_line_id=row.from_line_id,
            _to_line_id=row.to_line_id,
        )

    @strawberry.field
    def from_line(self, info: Info) -> BudgetLine:
        return _line_with_net(info, self._from_line_id)

    @strawberry.field
    def to_line(self, info: Info) -> BudgetLine:
        return _line_with_net(info, self._to_line_id)


@strawberry.type
class BudgetTotals:
    original_amount: Decimal
    modifications_amount: Decimal
    revised_amount: Decimal


@register_node(m.Budget, BUDGET, reading(Tool.BUDGET))
@strawberry.type(
    name=BUDGET, description="A project's budget. Locked before it is sent; modifications after the lock."
)
class Budget(Audited, Node):
    locked: bool
    sync: SyncInfo
    _pk: strawberry.Private[int]
    _project_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.Budget) -> Budget:
        return cls(
            id=to_global_id(BUDGET, row.id),
            locked=row.locked,
            sync=SyncInfo.from_row(row, RecordType.BUDGET),
            _pk=row.id,
            _project_id=row.project_id,
        )

    @strawberry.field(
        description="The project this budget belongs to (lockBudget and the budget export take its id)."
    )
    def project(self, info: Info) -> Project | None:
        check(info, reading(Tool.PROJECT_ADMIN), "Reading the project")
        row = info.context.loaders.load(project_loaders.projects, self._project_id)
        return Project.from_row(row) if row is not None else None

    def _parts(self, info: Info):
        load = info.context.loaders.load
        return load(loaders.lines_by_budget, self._pk), load(loaders.modifications_by_budget, self._pk)

    @strawberry.field
    def lines(self, info: Info) -> list[BudgetLine]:
        return [BudgetLine.listed(r) for r in info.context.loaders.load(loaders.lines_by_budget, self._pk)]

    @strawberry.field
    def modifications(self, info: Info) -> list[BudgetModification]:
        mods = info.context.loaders.load(loaders.modifications_by_budget, self._pk)
        return [BudgetModification.from_row(r) for r in mods]

    @strawberry.field
    def totals(self, info: Info) -> BudgetTotals:
        lines, mods = self._parts(info)
        totals = m.budget_totals(lines, mods)
        return BudgetTotals(
            original_amount=totals.original,
            modifications_amount=totals.modifications,
            revised_amount=totals.revised,
        )
