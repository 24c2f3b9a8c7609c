"""Budgets over HTTP: lines, lock/unlock, modifications, totals to the cent, and every refusal
leaving the database as it was."""

from __future__ import annotations

from api.relay import from_global_id
from models import budgets
from models.enums import PermissionLevel, SyncStatus, Tool
from tests.factories_records import budget_pk, count, seed, set_sync_status

ADD = """
mutation($input: AddBudgetLineInput!) {
  addBudgetLine(input: $input) {
    budgetLine { id description originalAmount modificationsAmount revisedAmount quantity unitOfMeasure
      unitCost
      subJob { number } costCode { code } costType { code } }
    errors { code field }
  }
}
"""
UPDATE = """
mutation($input: UpdateBudgetLineInput!) {
  updateBudgetLine(input: $input) { budgetLine { description originalAmount costType { code } } errors { code
    field } }
}
"""
BUDGET = """
query($id: ID!) { node(id: $id) { ... on Project { budget {
  locked sync { status }
  totals { originalAmount modificationsAmount revisedAmount }
  lines { costCode { code } costType { code } originalAmount modificationsAmount revisedAmount }
  modifications { amount notes fromLine { costCode { code } } toLine { costCode { code } revisedAmount } sync
    { status } }
} } } }
"""
LOCK = "mutation($input: BudgetInput!) { lockBudget(input: $input) { budget { locked } errors { code } } }"
UNLOCK = (
    "mutation($input: BudgetInput!) { unlockBudget(input: $input) { budget { locked } errors { code } } }"
)
MODIFY = """
mutation($input: CreateBudgetModificationInput!) {
  createBudgetModification(input: $input) { budgetModification { amount notes } errors { code field } }
}
"""


def line_input(setup, code="01-100", cost_type="L", amount="1000.00", **extra):
    return {
        "projectId": setup.project,
        "costCodeId": setup.cost_codes[code],
        "costTypeId": setup.cost_types[cost_type],
        "originalAmount": amount,
        **extra,
    }


def add(gql, setup, **kwargs):
    return gql.data(ADD, {"input": line_input(setup, **kwargs)})["addBudgetLine"]


def lines_count(session_factory):
    return count(session_factory, budgets.BudgetLine)


def test_add_update_lines_and_totals(gql, session_factory):
    setup = seed(session_factory)
    first = add(
        gql,
        setup,
        amount="1234.56",
        subJobId=setup.sub_job,
        description=" Forms ",
        quantity="12.5",
        unitOfMeasure="CY",
        unitCost="98.7648",
    )
    assert first["errors"] == []
    assert {k: v for k, v in first["budgetLine"].items() if k != "id"} == {
        "description": "Forms",
        "originalAmount": "1234.56",
        "modificationsAmount": "0.00",
        "revisedAmount": "1234.56",
        "quantity": "12.5000",
        "unitOfMeasure": "CY",
        "unitCost": "98.7648",
        "subJob": {"number": "A"},
        "costCode": {"code": "01-100"},
        "costType": {"code": "L"},
    }
    add(gql, setup, code="02-200", cost_type="M", amount="0.10")
    # the same code and type without a sub job is a different line
    add(gql, setup, amount="0.01")
    updated = gql.data(
        UPDATE,
        {
            "input": {
                "id": first["budgetLine"]["id"],
                "originalAmount": "2000",
                "costTypeId": setup.cost_types["M"],
            }
        },
    )
    assert updated["updateBudgetLine"] == {
        "budgetLine": {"description": "Forms", "originalAmount": "2000.00", "costType": {"code": "M"}},
        "errors": [],
    }
    budget = gql.data(BUDGET, {"id": setup.project})["node"]["budget"]
    assert budget["totals"] == {
        "originalAmount": "2000.11",
        "modificationsAmount": "0.00",
        "revisedAmount": "2000.11",
    }
    # by cost code, then sub job (none first): 01-100, 01-100 on sub job A, 02-200
    assert [line["originalAmount"] for line in budget["lines"]] == ["0.01", "2000.00", "0.10"]
    assert lines_count(session_factory) == 3


def test_delete_line(gql, session_factory):
    setup = seed(session_factory)
    line = add(gql, setup)["budgetLine"]
    delete = (
        "mutation($input: DeleteBudgetLineInput!) { deleteBudgetLine(input: $input) { deletedId errors { "
        "code } } }"
    )
    out = gql.data(delete, {"input": {"id": line["id"]}})["deleteBudgetLine"]
    assert out == {"deletedId": line["id"], "errors": []}
    assert lines_count(session_factory) == 0
    again = gql.data(delete, {"input": {"id": line["id"]}})["deleteBudgetLine"]
    assert again == {"deletedId": None, "errors": [{"code": "NOT_FOUND"}]}


def test_bad_lines_are_refused_and_write_nothing(gql, session_factory):
    setup = seed(session_factory)
    add(gql, setup, subJobId=setup.sub_job)
    cases = [
        (line_input(setup, code="03-300"), "COST_CODE_NOT_IN_PROJECT", "costCodeId"),
        (line_input(setup, subJobId=setup.sub_job), "DUPLICATE_BUDGET_LINE", "costCodeId"),
        (line_input(setup, subJobId=setup.other_sub_job, amount="1"), "SUB_JOB_NOT_IN_PROJECT", "subJobId"),
        (line_input(setup, amount="-0.01"), "NEGATIVE_AMOUNT", "originalAmount"),
        (line_input(setup, amount="10.005"), "INVALID_AMOUNT", "originalAmount"),
        (line_input(setup, amount="NaN"), "INVALID_AMOUNT", "originalAmount"),
        (line_input(setup, amount="10000000000000.00"), "INVALID_AMOUNT", "originalAmount"),
        ({**line_input(setup), "costCodeId": "Q29zdENvZGU6OTk5OQ=="}, "NOT_FOUND", "costCodeId"),
        ({**line_input(setup), "costTypeId": "bm90LWFuLWlk"}, "INVALID_ID", "costTypeId"),
        ({**line_input(setup), "projectId": "garbage!"}, "INVALID_ID", "projectId"),
    ]
    for payload, code, field in cases:
        out = gql.data(ADD, {"input": payload})["addBudgetLine"]
        assert out == {"budgetLine": None, "errors": [{"code": code, "field": field}]}, (payload, out)
    # the largest amount that fits is accepted
    biggest = add(gql, setup, amount="9999999999999.99")
    assert biggest["budgetLine"]["originalAmount"] == "9999999999999.99"
    assert lines_count(session_factory) == 2
    # a non-numeric string is not a Decimal at all: refused before any resolver runs
    body = gql.execute(ADD, {"input": line_input(setup, code="02-200", amount="12,50 EUR")})
    assert body["errors"] and body["data"] is None
    assert lines_count(session_factory) == 2


def test_lock_blocks_lines_and_unlock_reopens(gql, session_factory):
    setup = seed(session_factory)
    line = add(gql, setup)["budgetLine"]
    assert gql.data(LOCK, {"input": {"projectId": setup.project}})["lockBudget"] == {
        "budget": {"locked": True},
        "errors": [],
    }
    refused = add(gql, setup, code="02-200")
    assert refused["errors"] == [{"code": "BUDGET_LOCKED", "field": None}]
    changed = gql.data(UPDATE, {"input": {"id": line["id"], "originalAmount": "1"}})["updateBudgetLine"]
    assert changed["errors"] == [{"code": "BUDGET_LOCKED", "field": None}]
    assert gql.data(UNLOCK, {"input": {"projectId": setup.project}})["unlockBudget"] == {
        "budget": {"locked": False},
        "errors": [],
    }
    assert add(gql, setup, code="02-200")["errors"] == []
    with session_factory() as s:
        assert [
            str(a) for (a,) in s.query(budgets.BudgetLine.original_amount).order_by(budgets.BudgetLine.id)
        ] == ["1000.00", "1000.00"]


def test_budget_with_the_erp_is_read_only(gql, session_factory):
    setup = seed(session_factory)
    line = add(gql, setup)["budgetLine"]
    budget_id = budget_pk(session_factory, setup.pk["project"])
    gql.data(LOCK, {"input": {"projectId": setup.project}})
    for status in (SyncStatus.READY_TO_EXPORT, SyncStatus.SYNCED):
        set_sync_status(session_factory, budgets.Budget, budget_id, status)
        assert add(gql, setup, code="02-200")["errors"] == [{"code": "RECORD_LOCKED_BY_SYNC", "field": None}]
        out = gql.data(UPDATE, {"input": {"id": line["id"], "description": "x"}})["updateBudgetLine"]
        assert out["errors"] == [{"code": "RECORD_LOCKED_BY_SYNC", "field": None}]
        unlocked = gql.data(UNLOCK, {"input": {"projectId": setup.project}})["unlockBudget"]
        assert unlocked == {"budget": None, "errors": [{"code": "RECORD_LOCKED_BY_SYNC"}]}
    with session_factory() as s:
        assert s.get(budgets.Budget, budget_id).locked is True
        assert s.query(budgets.BudgetLine.description).scalar() == ""
    assert lines_count(session_factory) == 1


def test_modifications_move_money_and_totals_reconcile(gql, session_factory):
    setup = seed(session_factory)
    a = add(gql, setup, amount="1000.00")["budgetLine"]["id"]
    b = add(gql, setup, code="02-200", amount="250.25")["budgetLine"]["id"]
    early = gql.data(
        MODIFY, {"input": {"projectId": setup.project, "fromLineId": a, "toLineId": b, "amount": "1"}}
    )
    assert early["createBudgetModification"]["errors"] == [{"code": "BUDGET_NOT_LOCKED", "field": None}]
    gql.data(LOCK, {"input": {"projectId": setup.project}})
    made = gql.data(
        MODIFY,
        {
            "input": {
                "projectId": setup.project,
                "fromLineId": a,
                "toLineId": b,
                "amount": "100.10",
                "notes": "Move to rebar",
            }
        },
    )
    assert made["createBudgetModification"] == {
        "budgetModification": {"amount": "100.10", "notes": "Move to rebar"},
        "errors": [],
    }
    gql.data(
        MODIFY, {"input": {"projectId": setup.project, "fromLineId": b, "toLineId": a, "amount": "0.05"}}
    )
    budget = gql.data(BUDGET, {"id": setup.project})["node"]["budget"]
    assert budget["lines"] == [
        {
            "costCode": {"code": "01-100"},
            "costType": {"code": "L"},
            "originalAmount": "1000.00",
            "modificationsAmount": "-100.05",
            "revisedAmount": "899.95",
        },
        {
            "costCode": {"code": "02-200"},
            "costType": {"code": "L"},
            "originalAmount": "250.25",
            "modificationsAmount": "100.05",
            "revisedAmount": "350.30",
        },
    ]
    assert budget["totals"] == {
        "originalAmount": "1250.25",
        "modificationsAmount": "0.00",
        "revisedAmount": "1250.25",
    }
    assert budget["modifications"][0] == {
        "amount": "100.10",
        "notes": "Move to rebar",
        "fromLine": {"costCode": {"code": "01-100"}},
        "toLine": {"costCode": {"code": "02-200"}, "revisedAmount": "350.30"},
        "sync": {"status": "NOT_SENT"},
    }
    line_alone = gql.data(
        "query($id: ID!) { node(id: $id) { ... on BudgetLine { modificationsAmount revisedAmount } } }",
        {"id": a},
    )
    assert line_alone["node"] == {"modificationsAmount": "-100.05", "revisedAmount": "899.95"}
    # a line money moved through cannot be deleted
    delete = (
        "mutation($input: DeleteBudgetLineInput!) { deleteBudgetLine(input: $input) { errors { code } } }"
    )
    gql.data(UNLOCK, {"input": {"projectId": setup.project}})
    assert gql.data(delete, {"input": {"id": a}})["deleteBudgetLine"]["errors"] == [{"code": "LINE_IN_USE"}]
    assert lines_count(session_factory) == 2


def test_bad_modifications_are_refused(gql, session_factory):
    setup = seed(session_factory)
    a = add(gql, setup)["budgetLine"]["id"]
    b = add(gql, setup, code="02-200")["budgetLine"]["id"]
    other_budget_line = gql.data(ADD, {"input": {**line_input(setup), "projectId": setup.other_project}})[
        "addBudgetLine"
    ]["budgetLine"]["id"]
    gql.data(LOCK, {"input": {"projectId": setup.project}})
    cases = [
        ({"fromLineId": a, "toLineId": a, "amount": "1"}, "INVALID_VALUE", "toLineId"),
        ({"fromLineId": a, "toLineId": b, "amount": "0"}, "INVALID_AMOUNT", "amount"),
        ({"fromLineId": a, "toLineId": b, "amount": "-5"}, "NEGATIVE_AMOUNT", "amount"),
        ({"fromLineId": a, "toLineId": other_budget_line, "amount": "5"}, "LINE_NOT_IN_RECORD", "toLineId"),
        ({"fromLineId": "QnVkZ2V0TGluZTo5OTk=", "toLineId": b, "amount": "5"}, "NOT_FOUND", "fromLineId"),
    ]
    for values, code, field in cases:
        out = gql.data(MODIFY, {"input": {"projectId": setup.project, **values}})["createBudgetModification"]
        assert out == {"budgetModification": None, "errors": [{"code": code, "field": field}]}, values
    set_sync_status(
        session_factory, budgets.Budget, budget_pk(session_factory, setup.pk["project"]), SyncStatus.EXPORTING
    )
    out = gql.data(
        MODIFY, {"input": {"projectId": setup.project, "fromLineId": a, "toLineId": b, "amount": "5"}}
    )
    assert out["createBudgetModification"]["errors"] == [{"code": "RECORD_LOCKED_BY_SYNC", "field": None}]
    assert count(session_factory, budgets.BudgetModification) == 0
    # once the budget is synced, modifications are how it changes
    set_sync_status(
        session_factory, budgets.Budget, budget_pk(session_factory, setup.pk["project"]), SyncStatus.SYNCED
    )
    out = gql.data(
        MODIFY, {"input": {"projectId": setup.project, "fromLineId": a, "toLineId": b, "amount": "5"}}
    )
    assert out["createBudgetModification"]["errors"] == []


def test_read_only_user_cannot_touch_the_budget(gql, make_actor, session_factory):
    setup = seed(session_factory)
    line = add(gql, setup)["budgetLine"]
    reader = make_actor("Rita Reader", {Tool.BUDGET: PermissionLevel.READ_ONLY})
    standard = make_actor("Sam Standard", {Tool.BUDGET: PermissionLevel.STANDARD})
    assert (
        gql.as_(reader).data(ADD, {"input": line_input(setup, code="02-200")})["addBudgetLine"]["errors"][0][
            "code"
        ]
        == "PERMISSION_DENIED"
    )
    out = gql.as_(reader).data(UPDATE, {"input": {"id": line["id"], "originalAmount": "1"}})[
        "updateBudgetLine"
    ]
    assert out["errors"][0]["code"] == "PERMISSION_DENIED"
    # locking is an admin action on the budget tool
    assert (
        gql.as_(standard).data(LOCK, {"input": {"projectId": setup.project}})["lockBudget"]["errors"][0][
            "code"
        ]
        == "PERMISSION_DENIED"
    )
    assert lines_count(session_factory) == 1
    with session_factory() as s:
        row = s.query(budgets.BudgetLine).one()
        assert str(row.original_amount) == "1000.00"
        assert s.query(budgets.Budget).filter_by(project_id=setup.pk["project"]).one().locked is False


def test_update_onto_an_existing_line_is_a_duplicate(gql, session_factory):
    setup = seed(session_factory)
    add(gql, setup, subJobId=setup.sub_job)
    other = add(gql, setup, code="02-200", cost_type="M", amount="5.00")["budgetLine"]["id"]
    out = gql.data(
        UPDATE,
        {
            "input": {
                "id": other,
                "subJobId": setup.sub_job,
                "costCodeId": setup.cost_codes["01-100"],
                "costTypeId": setup.cost_types["L"],
                "originalAmount": "7.00",
            }
        },
    )["updateBudgetLine"]
    assert out == {"budgetLine": None, "errors": [{"code": "DUPLICATE_BUDGET_LINE", "field": "costCodeId"}]}
    with session_factory() as s:
        row = s.get(budgets.BudgetLine, from_global_id(other)[1])
        assert (row.sub_job_id, row.cost_code_id, str(row.original_amount)) == (
            None,
            setup.pk["cc:02-200"],
            "5.00",
        )


def test_a_budget_names_its_project_for_those_who_read_projects(gql, session_factory, make_actor):
    setup = seed(session_factory)
    query = "query($id: ID!) { node(id: $id) { ... on Project { budget { id project { id number } } } } }"
    budget = gql.data(query, {"id": setup.project})["node"]["budget"]
    assert budget["project"]["id"] == setup.project
    # the budget's id and its project's id: the two ids lockBudget and sendToErp take
    lock = gql.data(LOCK, {"input": {"projectId": budget["project"]["id"]}})["lockBudget"]
    assert lock == {"budget": {"locked": True}, "errors": []}
    # a Budget reader without Project Admin sees the budget, and the project as a refusal
    reader = gql.as_(make_actor("Bea", {Tool.BUDGET: PermissionLevel.READ_ONLY}))
    body = reader.execute(
        "query($id: ID!) { node(id: $id) { ... on Budget { locked project { number } } } }",
        {"id": budget["id"]},
    )
    assert body["data"]["node"] == {"locked": True, "project": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["PERMISSION_DENIED"]
    assert body["errors"][0]["path"] == ["node", "project"]


def test_budget_change_orders_are_numbered(gql, session_factory):
    setup = seed(session_factory)
    a = add(gql, setup)["budgetLine"]["id"]
    b = add(gql, setup, code="02-200")["budgetLine"]["id"]
    gql.data(LOCK, {"input": {"projectId": setup.project}})
    numbered = (
        "mutation($input: CreateBudgetModificationInput!) { createBudgetModification(input: $input) "
        "{ budgetModification { number amount } errors { code field } } }"
    )
    move = {"projectId": setup.project, "fromLineId": a, "toLineId": b, "amount": "5"}
    numbers = [
        gql.data(numbered, {"input": {**move, **extra}})["createBudgetModification"]
        for extra in ({}, {"number": " BCO-7 "}, {})
    ]
    assert [n["budgetModification"]["number"] for n in numbers] == ["1", "BCO-7", "2"]
    taken = gql.data(numbered, {"input": {**move, "number": "bco-7"}})["createBudgetModification"]
    assert taken == {
        "budgetModification": None,
        "errors": [{"code": "DUPLICATE_CHANGE_ORDER_NUMBER", "field": "number"}],
    }
    assert count(session_factory, budgets.BudgetModification) == 3
