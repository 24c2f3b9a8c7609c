"""Update inputs tell "not given" from null: a field left out stays as it is, a field given as null
is cleared where it may be empty, and refused REQUIRED (changing nothing) where it may not."""

from __future__ import annotations

from tests.factories_records import seed

UPDATE_VENDOR = """
mutation($input: UpdateVendorInput!) {
  updateVendor(input: $input) { vendor { name address city insurancePolicyType } errors { code field } }
}
"""
CREATE_VENDOR = """
mutation { createVendor(input: {name: "Bolt Electric", address: "1 Main St", city: "Oakland",
  insurancePolicyType: "GL"}) { vendor { id } } }
"""
CREATE_COMMITMENT = """
mutation($input: CreateCommitmentInput!) { createCommitment(input: $input) { commitment { id } errors { code
  } } }
"""
UPDATE_COMMITMENT = """
mutation($input: UpdateCommitmentInput!) {
  updateCommitment(input: $input) {
    commitment { title vendor { name } contractDate retainagePercent lines { amount } }
    errors { code field }
  }
}
"""
ADD_LINE = """
mutation($input: AddBudgetLineInput!) { addBudgetLine(input: $input) { budgetLine { id } errors { code } } }
"""
UPDATE_LINE = """
mutation($input: UpdateBudgetLineInput!) {
  updateBudgetLine(input: $input) {
    budgetLine { description originalAmount quantity unitOfMeasure subJob { number } costCode { code } }
    errors { code field }
  }
}
"""


def test_a_vendor_field_given_as_null_is_cleared_and_one_left_out_is_kept(gql, session_factory):
    seed(session_factory)
    vid = gql.data(CREATE_VENDOR)["createVendor"]["vendor"]["id"]
    out = gql.data(UPDATE_VENDOR, {"input": {"id": vid, "address": None, "insurancePolicyType": None}})
    assert out["updateVendor"] == {
        "vendor": {"name": "Bolt Electric", "address": "", "city": "Oakland", "insurancePolicyType": None},
        "errors": [],
    }
    refused = gql.data(UPDATE_VENDOR, {"input": {"id": vid, "name": None, "city": "Berkeley"}})[
        "updateVendor"
    ]
    assert refused == {"vendor": None, "errors": [{"code": "REQUIRED", "field": "name"}]}
    kept = gql.data(UPDATE_VENDOR, {"input": {"id": vid}})["updateVendor"]["vendor"]
    assert kept == {"name": "Bolt Electric", "address": "", "city": "Oakland", "insurancePolicyType": None}


def test_a_commitment_vendor_and_date_can_be_cleared_but_its_lines_cannot_be_null(gql, session_factory):
    setup = seed(session_factory)
    created = gql.data(
        CREATE_COMMITMENT,
        {
            "input": {
                "projectId": setup.project,
                "kind": "SUBCONTRACT",
                "number": "SC-1",
                "title": "Concrete",
                "vendorId": setup.vendor,
                "retainagePercent": "10",
                "contractDate": "2026-03-01",
                "lines": [
                    {
                        "costCodeId": setup.cost_codes["01-100"],
                        "costTypeId": setup.cost_types["L"],
                        "amount": "5",
                    }
                ],
            }
        },
    )["createCommitment"]["commitment"]
    cleared = gql.data(
        UPDATE_COMMITMENT, {"input": {"id": created["id"], "vendorId": None, "contractDate": None}}
    )["updateCommitment"]
    assert cleared == {
        "commitment": {
            "title": "Concrete",
            "vendor": None,
            "contractDate": None,
            "retainagePercent": "10.00",
            "lines": [{"amount": "5.00"}],
        },
        "errors": [],
    }
    refused = gql.data(UPDATE_COMMITMENT, {"input": {"id": created["id"], "lines": None}})["updateCommitment"]
    assert refused == {"commitment": None, "errors": [{"code": "REQUIRED", "field": "lines"}]}


def test_a_budget_line_sub_job_and_quantity_can_be_cleared_but_not_its_cost_code(gql, session_factory):
    setup = seed(session_factory)
    line_id = gql.data(
        ADD_LINE,
        {
            "input": {
                "projectId": setup.project,
                "subJobId": setup.sub_job,
                "costCodeId": setup.cost_codes["01-100"],
                "costTypeId": setup.cost_types["L"],
                "description": "Slab",
                "originalAmount": "100.00",
                "quantity": "4",
                "unitOfMeasure": "CY",
            }
        },
    )["addBudgetLine"]["budgetLine"]["id"]
    out = gql.data(
        UPDATE_LINE, {"input": {"id": line_id, "subJobId": None, "quantity": None, "unitOfMeasure": None}}
    )["updateBudgetLine"]
    assert out == {
        "budgetLine": {
            "description": "Slab",
            "originalAmount": "100.00",
            "quantity": None,
            "unitOfMeasure": None,
            "subJob": None,
            "costCode": {"code": "01-100"},
        },
        "errors": [],
    }
    refused = gql.data(UPDATE_LINE, {"input": {"id": line_id, "costCodeId": None, "description": "X"}})
    assert refused["updateBudgetLine"] == {
        "budgetLine": None,
        "errors": [{"code": "REQUIRED", "field": "costCodeId"}],
    }


def test_erp_settings_cannot_be_cleared(gql):
    out = gql.data(
        "mutation { updateErpSettings(input: {exportFolder: null}) { erp { system } errors { code field } } }"
    )["updateErpSettings"]
    assert out == {"erp": None, "errors": [{"code": "REQUIRED", "field": "exportFolder"}]}
