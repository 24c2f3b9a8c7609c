"""Whether a budget's lines may change is one rule: adding a line by hand (addBudgetLine) and
importing the same line from a file give the same answer for the same budget, in every state."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from importers.budget import import_budget
from models import budgets
from models.company import get_settings
from models.enums import ErpSystem, Origin, SyncStatus
from models.errors import DomainError, ErrorCode
from models.projects import Project
from tests.actors import SETUP
from tests.factories_records import seed
from tests.files_common import csv_bytes

ADD = """
mutation($input: AddBudgetLineInput!) {
  addBudgetLine(input: $input) { budgetLine { originalAmount } errors { code } }
}
"""


def _phases(session, budget):
    settings = get_settings(session)
    settings.erp_system, settings.uses_phases = ErpSystem.SAGE_100_CONTRACTOR, True


def _erp_origin(session, budget):
    budget.origin, budget.sync_status, budget.origin_id = Origin.ERP, SyncStatus.SYNCED, "J-1"


def _sent(session, budget):
    budget.sync_status = SyncStatus.READY_TO_EXPORT


def _locked(session, budget):
    budget.locked = True


def _sage300(session, budget):
    get_settings(session).erp_system = ErpSystem.SAGE_300_CRE


STATES = {
    "editable": (None, None),
    "sage-300": (_sage300, None),
    "sage-100-phases": (_phases, "BUDGET_OWNED_BY_ERP"),
    "estimate-from-the-erp": (_erp_origin, "BUDGET_OWNED_BY_ERP"),
    "sent-to-the-erp": (_sent, "RECORD_LOCKED_BY_SYNC"),
    "locked": (_locked, "BUDGET_LOCKED"),
}


@pytest.mark.parametrize("state", list(STATES))
def test_the_mutation_and_the_import_give_the_same_answer(state, gql, session_factory):
    setup_state, expected = STATES[state]
    setup = seed(session_factory)
    with session_factory() as s:
        project = s.get(Project, setup.pk["project"])
        budget = budgets.budget_for_project(s, project)
        if setup_state is not None:
            setup_state(s, budget)
        s.commit()

    by_hand = gql.data(
        ADD,
        {
            "input": {
                "projectId": setup.project,
                "costCodeId": setup.cost_codes["01-100"],
                "costTypeId": setup.cost_types["L"],
                "originalAmount": "10.00",
            }
        },
    )["addBudgetLine"]
    by_hand_code = by_hand["errors"][0]["code"] if by_hand["errors"] else None

    with session_factory() as s:
        project = s.get(Project, setup.pk["project"])
        data = csv_bytes([["Cost Code", "Cost Type", "Original Budget Amount"], ["02-200", "M", "20.00"]])
        run = import_budget(s, SETUP, project, data, "budget.csv")
        s.commit()
        by_file_code = run.errors[0]["code"] if run.errors else None
        amounts = sorted(
            str(a)
            for a in s.scalars(
                select(budgets.BudgetLine.original_amount)
                .join(budgets.Budget)
                .where(budgets.Budget.project_id == project.id)
            )
        )

    assert by_hand_code == by_file_code == expected
    assert amounts == ([] if expected else ["10.00", "20.00"])


def test_no_budget_modification_on_a_budget_the_erp_owns(session_factory):
    setup = seed(session_factory)
    with session_factory() as s:
        project = s.get(Project, setup.pk["project"])
        budget = budgets.budget_for_project(s, project)
        lines = [
            budgets.add_budget_line(
                s,
                SETUP,
                budget,
                cost_code_id=setup.pk[code],
                cost_type_id=setup.pk["ct:L"],
                original_amount="50",
            )
            for code in ("cc:01-100", "cc:02-200")
        ]
        budgets.lock_budget(s, SETUP, budget)
        _phases(s, budget)
        s.flush()
        with pytest.raises(DomainError) as refused:
            budgets.create_budget_modification(
                s, SETUP, budget, from_line_id=lines[0].id, to_line_id=lines[1].id, amount="5"
            )
        assert refused.value.code == ErrorCode.BUDGET_OWNED_BY_ERP
        assert "Sage 100 Contractor phases" in refused.value.message
