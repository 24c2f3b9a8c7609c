"""One ``projects`` query with nested budgets and commitments issues the same number of SQL
statements for 5 projects as for 50: every relationship goes through a batching DataLoader."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event

from models import budgets, commitments, directory, projects, wbs
from models.costs import DirectCost
from models.enums import ChangeOrderStatus, CommitmentKind, CommitmentStatus, DirectCostType, SyncStatus
from tests.actors import SETUP

QUERY = """
{
  projects(first: 200) {
    totalCount
    nodes {
      number
      costCodes { code }
      subJobs { number }
      budget {
        locked
        totals { originalAmount revisedAmount }
        lines { originalAmount modificationsAmount revisedAmount costCode { code } costType { code } subJob {
          number } }
        modifications { amount }
      }
      commitments {
        number status
        vendor { name }
        lines { amount costCode { code } costType { code } }
        changeOrders { number total lines { amount costCode { code } } }
        totals { revisedAmount }
      }
      directCosts(first: 5) { totalCount nodes { amount vendor { name } costCode { code } } }
    }
  }
}
"""


@pytest.fixture
def app(engine):
    # every nested list of the schema in one page of 200 projects: far over the default query cost
    # limit (api.serving.limits), which is not what this test is about
    from api.app import create_app
    from api.settings import Settings

    return create_app(engine=engine, settings=Settings(query_max_cost=10**9))


def build(session_factory, start: int, how_many: int) -> None:
    """Projects of the same shape: 3 budget lines (one sub job), 1 modification, 2 approved and
    synced commitments with 2 lines, a vendor and an approved change order each, 2 direct costs.
    Built with the ORM in a few batched flushes so the test stays quick."""
    with session_factory() as s:
        codes = [
            s.query(wbs.CostCode).filter_by(code=c).one_or_none() or wbs.create_cost_code(s, SETUP, code=c)
            for c in ("01-100", "02-200", "03-300")
        ]
        labor = s.query(wbs.CostType).filter_by(code="L").one_or_none() or wbs.create_cost_type(
            s, SETUP, code="L", name="Labor"
        )
        numbers = range(start, start + how_many)
        made = {
            i: (
                projects.Project(number=f"P-{i:03d}", name=f"Project {i}"),
                directory.Vendor(name=f"Vendor {i}", normalized_name=f"vendor {i}"),
            )
            for i in numbers
        }
        for project, vendor in made.values():
            project.sub_jobs.append(projects.SubJob(number="A", name="Phase A"))
            s.add_all([project, vendor])
        s.flush()
        for i, (project, vendor) in made.items():
            sub_job = project.sub_jobs[0]
            budget = budgets.Budget(project=project, locked=True)
            lines = [
                budgets.BudgetLine(
                    cost_code_id=c.id,
                    cost_type_id=labor.id,
                    sub_job_id=sub_job.id,
                    sub_job_key=sub_job.id,
                    original_amount=Decimal("100.00"),
                )
                for c in codes
            ]
            budget.lines = lines
            budget.modifications = [
                budgets.BudgetModification(from_line=lines[0], to_line=lines[1], amount=Decimal("10.00"))
            ]
            s.add(budget)
            for c in codes:
                s.add(projects.ProjectCostCode(project_id=project.id, cost_code_id=c.id))
            for n in (1, 2):
                commitment = commitments.Commitment(
                    project_id=project.id,
                    kind=CommitmentKind.SUBCONTRACT,
                    number=f"SC-{n}",
                    vendor_id=vendor.id,
                    status=CommitmentStatus.APPROVED,
                    sync_status=SyncStatus.SYNCED,
                )
                commitment.lines = [
                    commitments.CommitmentLine(
                        line_number=k, cost_code_id=codes[k - 1].id, cost_type_id=labor.id, amount=amount
                    )
                    for k, amount in ((1, Decimal("500.00")), (2, Decimal("250.00")))
                ]
                change_order = commitments.CommitmentChangeOrder(
                    number="CO-1", status=ChangeOrderStatus.APPROVED
                )
                change_order.lines = [
                    commitments.CommitmentChangeOrderLine(
                        cost_code_id=codes[2].id, cost_type_id=labor.id, amount=Decimal("75.00")
                    )
                ]
                commitment.change_orders = [change_order]
                s.add(commitment)
                s.add(
                    DirectCost(
                        project_id=project.id,
                        cost_code_id=codes[0].id,
                        cost_type_id=labor.id,
                        type=DirectCostType.INVOICE,
                        item_date=dt.date(2026, 1, n),
                        vendor_id=vendor.id,
                        amount=Decimal("12.34"),
                        dedupe_key=f"{i}-{n}",
                    )
                )
        s.commit()


def count_statements(engine, gql) -> tuple[int, dict]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        data = gql.data(QUERY)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements), data


def test_statement_count_does_not_grow_with_projects(engine, gql, session_factory):
    build(session_factory, 0, 5)
    gql.data("{ viewer { user { name } } }")  # the token's first use is stamped (once a minute)
    small_count, small = count_statements(engine, gql)
    assert small["projects"]["totalCount"] == 5

    build(session_factory, 5, 45)
    large_count, large = count_statements(engine, gql)
    nodes = large["projects"]["nodes"]
    assert len(nodes) == 50
    assert small_count == large_count, (small_count, large_count)

    # the data is all there, and the same for every project
    for node in nodes:
        assert node["budget"]["totals"] == {"originalAmount": "300.00", "revisedAmount": "300.00"}
        assert [line["revisedAmount"] for line in node["budget"]["lines"]] == ["90.00", "110.00", "100.00"]
        assert [c["totals"]["revisedAmount"] for c in node["commitments"]] == ["825.00", "825.00"]
        assert node["commitments"][0]["vendor"]["name"] == node["directCosts"]["nodes"][0]["vendor"]["name"]
        assert node["directCosts"]["totalCount"] == 2
