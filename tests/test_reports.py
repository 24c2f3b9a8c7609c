"""The job-cost report as a domain function: every figure of a hand-built project to the cent,
division subtotals, totals that equal the sum of the rows and of the source records, the company
summary, and who may see them."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from sqlalchemy import select

from exporters.budget import budget_export_lines
from models.base import ZERO
from models.budgets import Budget, BudgetLine, BudgetModification
from models.commitments import Commitment
from models.costs import DirectCost
from models.enums import ChangeOrderStatus, CommitmentStatus, InvoiceStatus, PermissionLevel, Tool
from models.errors import DomainError, ErrorCode
from models.invoices import SubcontractorInvoice
from models.reports import (
    MONEY_FIELDS,
    company_job_cost_summary,
    job_cost_report,
)
from models.users import create_user
from tests.actors import SETUP
from tests.factories_reports import (
    EXPECTED_DIVISIONS,
    EXPECTED_ROWS,
    EXPECTED_TOTALS,
    build_harbor_clinic,
)


@pytest.fixture
def harbor(session):
    data = build_harbor_clinic(session)
    session.commit()
    return data


def _figures(figures) -> dict:
    return dataclasses.asdict(figures)


def test_every_row_to_the_cent(session, harbor):
    report = job_cost_report(session, SETUP, harbor.project_id)
    assert (report.project_number, report.project_name) == ("24-001", "Harbor Clinic")
    got = [((r.sub_job_number, r.cost_code, r.cost_type_code), _figures(r.figures)) for r in report.rows]
    assert got == EXPECTED_ROWS


def test_division_subtotals_and_totals(session, harbor):
    report = job_cost_report(session, SETUP, harbor.project_id)
    assert [d.division for d in report.divisions] == ["01", "03", "09"]
    assert {d.division: _figures(d.figures) for d in report.divisions} == EXPECTED_DIVISIONS
    assert [d.row_count for d in report.divisions] == [1, 3, 1]
    assert _figures(report.totals) == EXPECTED_TOTALS


def test_totals_equal_sum_of_rows_and_of_divisions(session, harbor):
    report = job_cost_report(session, SETUP, harbor.project_id)
    for name in MONEY_FIELDS:
        by_rows = sum((getattr(r.figures, name) for r in report.rows), ZERO)
        by_divisions = sum((getattr(d.figures, name) for d in report.divisions), ZERO)
        assert getattr(report.totals, name) == by_rows == by_divisions, name
        assert getattr(report.totals, name).as_tuple().exponent == -2, name


def test_totals_equal_the_source_records(session, harbor):
    """Summed in Python over the ORM objects, independently of the report's SQL."""
    report = job_cost_report(session, SETUP, harbor.project_id)
    budget = session.scalar(select(Budget).where(Budget.project_id == harbor.project_id))
    lines = session.scalars(select(BudgetLine).where(BudgetLine.budget_id == budget.id)).all()
    mods = session.scalars(select(BudgetModification).where(BudgetModification.budget_id == budget.id)).all()
    line_ids = {line.id for line in lines}
    net_mods = sum((m.amount for m in mods if m.to_line_id in line_ids), ZERO) - sum(
        (m.amount for m in mods if m.from_line_id in line_ids), ZERO
    )
    commitments = session.scalars(select(Commitment).where(Commitment.project_id == harbor.project_id)).all()
    committed = ZERO
    for c in commitments:
        if c.status in (CommitmentStatus.APPROVED, CommitmentStatus.COMPLETE):
            committed += sum((line.amount for line in c.lines), ZERO)
            committed += sum(
                (
                    line.amount
                    for co in c.change_orders
                    if co.status == ChangeOrderStatus.APPROVED
                    for line in co.lines
                ),
                ZERO,
            )
    invoices = session.scalars(
        select(SubcontractorInvoice).join(Commitment).where(Commitment.project_id == harbor.project_id)
    ).all()
    invoiced = sum(
        (
            line.amount
            for inv in invoices
            if inv.status in (InvoiceStatus.APPROVED, InvoiceStatus.PAID)
            for line in inv.lines
        ),
        ZERO,
    )
    costs = session.scalars(select(DirectCost).where(DirectCost.project_id == harbor.project_id)).all()

    assert report.totals.original_budget == sum((line.original_amount for line in lines), ZERO)
    assert report.totals.budget_modifications == net_mods == ZERO
    assert report.totals.committed == committed == Decimal("60050.50")
    assert report.totals.invoiced == invoiced == Decimal("34234.56")
    assert report.totals.direct_costs == sum((c.amount for c in costs), ZERO) == Decimal("27685.41")


def test_cost_without_a_budget_line_still_appears(session, harbor):
    report = job_cost_report(session, SETUP, harbor.project_id)
    painting = [r for r in report.rows if r.cost_code == "09-900"]
    assert len(painting) == 1
    row = painting[0]
    assert row.has_budget_line is False
    assert row.figures.original_budget == row.figures.revised_budget == ZERO
    assert row.figures.percent_spent is None and row.figures.over_budget is True
    # a $0 budget line is a real line
    precast = next(r for r in report.rows if r.cost_code == "03-400")
    assert precast.has_budget_line is True and precast.figures.original_budget == ZERO


def test_other_projects_do_not_leak_in_and_an_empty_project_is_all_zero(session, harbor):
    other = job_cost_report(session, SETUP, harbor.other_project_id)
    assert [(r.cost_code, r.figures.committed, r.figures.direct_costs) for r in other.rows] == [
        ("01-100", Decimal("200.00"), Decimal("100.00"))
    ]
    from models.budgets import Budget as B
    from models.projects import Project

    empty = Project(number="24-003", name="Empty")
    session.add_all([empty, B(project=empty)])
    session.commit()
    report = job_cost_report(session, SETUP, empty.id)
    assert report.rows == [] and report.divisions == []
    assert report.totals.revised_budget == ZERO and report.totals.percent_spent is None


def test_company_summary_has_one_row_per_project_with_its_report_totals(session, harbor):
    summary = company_job_cost_summary(session, SETUP)
    assert [r.project_number for r in summary.rows] == ["24-001", "24-002"]
    for row in summary.rows:
        report = job_cost_report(session, SETUP, row.project_id)
        assert row.figures == report.totals
        assert row.line_count == len(report.rows)
    for name in MONEY_FIELDS:
        assert getattr(summary.totals, name) == sum((getattr(r.figures, name) for r in summary.rows), ZERO)
    assert summary.totals.projected_cost == Decimal("66801.35")


def test_budget_export_lines_carry_the_read_only_figures(session, harbor):
    lines = budget_export_lines(session, SETUP, harbor.project_id)
    assert [(x.sub_job, x.cost_code, x.cost_type) for x in lines] == [
        ("", "01-100", "L"),
        ("", "03-300", "S"),
        ("A", "03-300", "M"),
        ("", "03-400", "S"),
    ]
    rebar = lines[2]
    assert (rebar.original_budget, rebar.budget_modifications, rebar.revised_budget) == (
        Decimal("8000.00"),
        Decimal("-500.00"),
        Decimal("7500.00"),
    )
    assert (rebar.committed, rebar.direct_costs) == (Decimal("7800.00"), Decimal("450.10"))


def test_permissions(session, harbor):
    # the seeds: READ_ONLY on Reports AND (ADMIN on Budget OR ADMIN on Prime Contract)
    reader = create_user(
        session,
        SETUP,
        name="R",
        email="r@example.com",
        levels={Tool.REPORTS: PermissionLevel.READ_ONLY, Tool.BUDGET: PermissionLevel.ADMIN},
    )
    owner_side = create_user(
        session,
        SETUP,
        name="P",
        email="p@example.com",
        levels={Tool.REPORTS: PermissionLevel.READ_ONLY, Tool.PRIME_CONTRACTS: PermissionLevel.ADMIN},
    )
    budget_reader = create_user(
        session,
        SETUP,
        name="B",
        email="b@example.com",
        levels={Tool.REPORTS: PermissionLevel.READ_ONLY, Tool.BUDGET: PermissionLevel.READ_ONLY},
    )
    assert job_cost_report(session, owner_side, harbor.project_id).totals.revised_budget == Decimal(
        "68000.00"
    )
    with pytest.raises(DomainError) as read_only:
        job_cost_report(session, budget_reader, harbor.project_id)
    assert "ADMIN on one of Budget, Prime Contract" in read_only.value.message
    nobody = create_user(
        session, SETUP, name="N", email="n@example.com", levels={Tool.BUDGET: PermissionLevel.ADMIN}
    )
    assert job_cost_report(session, reader, harbor.project_id).totals.revised_budget == Decimal("68000.00")
    with pytest.raises(DomainError) as denied:
        job_cost_report(session, nobody, harbor.project_id)
    assert denied.value.code == ErrorCode.PERMISSION_DENIED
    assert "Reports" in denied.value.message
    # the company-level view is for ERP Integrations admins
    with pytest.raises(DomainError) as company:
        company_job_cost_summary(session, reader)
    assert company.value.code == ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError) as missing:
        job_cost_report(session, reader, 999_999)
    assert missing.value.code == ErrorCode.NOT_FOUND
