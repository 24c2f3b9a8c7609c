"""Project set-up records over HTTP: cost codes, cost types, project cost codes, sub jobs, vendors,
and the list queries a front end pages through."""

from __future__ import annotations

from models import directory, projects, wbs
from models.enums import PermissionLevel, SyncStatus, Tool
from tests.factories_records import count, seed, set_sync_status

CREATE_COST_CODE = """
mutation($input: CreateCostCodeInput!) {
  createCostCode(input: $input) { costCode { id code description division active sync { status } } errors {
    code field } }
}
"""
UPDATE_COST_CODE = """
mutation($input: UpdateCostCodeInput!) {
  updateCostCode(input: $input) { costCode { code division description } errors { code field } }
}
"""


def test_cost_code_create_update_and_list(gql, session_factory):
    made = gql.data(CREATE_COST_CODE, {"input": {"code": "02-100", "description": "Sitework"}})[
        "createCostCode"
    ]
    assert made["errors"] == []
    code = made["costCode"]
    assert {k: code[k] for k in ("code", "description", "division", "active")} == {
        "code": "02-100",
        "description": "Sitework",
        "division": "02",
        "active": True,
    }
    assert code["sync"] == {"status": "NOT_SENT"}
    # codes are text: trailing zeros and leading zeros are kept
    gql.data(CREATE_COST_CODE, {"input": {"code": "2120.000"}})
    updated = gql.data(
        UPDATE_COST_CODE, {"input": {"id": code["id"], "code": "0300-10", "description": "Concrete"}}
    )
    assert updated["updateCostCode"] == {
        "costCode": {"code": "0300-10", "division": "0300", "description": "Concrete"},
        "errors": [],
    }
    listed = gql.data('{ costCodes(search: "2120") { totalCount nodes { code division } } }')["costCodes"]
    assert listed == {"totalCount": 1, "nodes": [{"code": "2120.000", "division": "2120"}]}
    by_description = gql.data('{ costCodes(search: "concrete") { nodes { code } } }')["costCodes"]
    assert by_description["nodes"] == [{"code": "0300-10"}]


def test_duplicate_cost_code_is_refused(gql, session_factory):
    gql.data(CREATE_COST_CODE, {"input": {"code": "01-100"}})
    again = gql.data(CREATE_COST_CODE, {"input": {"code": " 01-100 "}})["createCostCode"]
    assert again == {"costCode": None, "errors": [{"code": "DUPLICATE_COST_CODE", "field": "code"}]}
    assert count(session_factory, wbs.CostCode) == 1


def test_synced_cost_code_is_read_only(gql, session_factory):
    made = gql.data(CREATE_COST_CODE, {"input": {"code": "01-100", "description": "General"}})
    gid = made["createCostCode"]["costCode"]["id"]
    with session_factory() as s:
        pk = s.query(wbs.CostCode.id).scalar()
    set_sync_status(session_factory, wbs.CostCode, pk, SyncStatus.SYNCED)
    out = gql.data(UPDATE_COST_CODE, {"input": {"id": gid, "description": "Changed"}})["updateCostCode"]
    assert out["errors"] == [{"code": "RECORD_LOCKED_BY_SYNC", "field": None}]
    with session_factory() as s:
        assert s.get(wbs.CostCode, pk).description == "General"


def test_cost_types_create_update_filter(gql, session_factory):
    create = """mutation($input: CreateCostTypeInput!) {
      createCostType(input: $input) { costType { id code name erpCode origin active } errors { code field } }
        }"""
    labor = gql.data(create, {"input": {"code": "2", "name": "Labor", "erpCode": "L"}})["createCostType"]
    assert labor["costType"]["code"] == "2" and labor["costType"]["erpCode"] == "L"
    assert labor["costType"]["origin"] == "COSTBRIDGE"
    gql.data(create, {"input": {"code": "1", "name": "Material"}})
    dup = gql.data(create, {"input": {"code": "2", "name": "Again"}})["createCostType"]
    assert dup["errors"] == [{"code": "DUPLICATE_COST_TYPE", "field": "code"}]
    update = """mutation($input: UpdateCostTypeInput!) {
      updateCostType(input: $input) { costType { name active } errors { code } } }"""
    out = gql.data(update, {"input": {"id": labor["costType"]["id"], "name": "Labour", "active": False}})
    assert out["updateCostType"] == {"costType": {"name": "Labour", "active": False}, "errors": []}
    active = gql.data("{ costTypes(active: true) { totalCount nodes { code name } } }")["costTypes"]
    assert active == {"totalCount": 1, "nodes": [{"code": "1", "name": "Material"}]}
    assert count(session_factory, wbs.CostType) == 2


PROJECT_CODES = "query($id: ID!) { node(id: $id) { ... on Project { costCodes { code } } } }"


def test_project_cost_codes_add_and_remove(gql, session_factory):
    setup = seed(session_factory)
    add = """mutation($input: AddProjectCostCodesInput!) {
      addProjectCostCodes(input: $input) { project { costCodes { code } } errors { code field } } }"""
    out = gql.data(
        add,
        {
            "input": {
                "projectId": setup.project,
                "costCodeIds": [setup.cost_codes["03-300"], setup.cost_codes["01-100"]],
            }
        },
    )
    assert out["addProjectCostCodes"]["errors"] == []
    assert [c["code"] for c in out["addProjectCostCodes"]["project"]["costCodes"]] == [
        "01-100",
        "02-200",
        "03-300",
    ]

    remove = """mutation($input: RemoveProjectCostCodeInput!) {
      removeProjectCostCode(input: $input) { project { costCodes { code } } errors { code field } } }"""
    out = gql.data(remove, {"input": {"projectId": setup.project, "costCodeId": setup.cost_codes["03-300"]}})
    assert [c["code"] for c in out["removeProjectCostCode"]["project"]["costCodes"]] == ["01-100", "02-200"]

    # a cost code a budget line uses stays
    line = """mutation($input: AddBudgetLineInput!) { addBudgetLine(input: $input) { errors { code } } }"""
    gql.data(
        line,
        {
            "input": {
                "projectId": setup.project,
                "costCodeId": setup.cost_codes["01-100"],
                "costTypeId": setup.cost_types["L"],
                "originalAmount": "10.00",
            }
        },
    )
    refused = gql.data(
        remove, {"input": {"projectId": setup.project, "costCodeId": setup.cost_codes["01-100"]}}
    )
    assert refused["removeProjectCostCode"] == {
        "project": None,
        "errors": [{"code": "COST_CODE_IN_USE", "field": "costCodeId"}],
    }
    assert (
        count(
            session_factory,
            projects.ProjectCostCode,
            projects.ProjectCostCode.project_id == setup.pk["project"],
        )
        == 2
    )

    unknown = gql.data(add, {"input": {"projectId": setup.project, "costCodeIds": ["Q29zdENvZGU6OTk5"]}})
    assert unknown["addProjectCostCodes"]["errors"] == [{"code": "NOT_FOUND", "field": "costCodeIds[0]"}]
    malformed = gql.data(add, {"input": {"projectId": setup.project, "costCodeIds": ["%%%"]}})
    assert malformed["addProjectCostCodes"]["errors"] == [{"code": "INVALID_ID", "field": "costCodeIds[0]"}]


SUB_JOB = """mutation($input: CreateSubJobInput!) {
  createSubJob(input: $input) { subJob { id number name sync { status } } errors { code field } } }"""


def test_sub_jobs_create_update_and_duplicates(gql, session_factory):
    setup = seed(session_factory)
    made = gql.data(SUB_JOB, {"input": {"projectId": setup.project, "number": "B", "name": "Phase B"}})[
        "createSubJob"
    ]
    assert made["errors"] == []
    assert {k: made["subJob"][k] for k in ("number", "name")} == {"number": "B", "name": "Phase B"}
    dup = gql.data(SUB_JOB, {"input": {"projectId": setup.project, "number": "a", "name": "Again"}})[
        "createSubJob"
    ]
    assert dup == {"subJob": None, "errors": [{"code": "DUPLICATE_SUB_JOB", "field": "number"}]}
    # the same number on another project is fine (it already has an "A")
    assert count(session_factory, projects.SubJob) == 3

    update = """mutation($input: UpdateSubJobInput!) {
      updateSubJob(input: $input) { subJob { number name } errors { code field } } }"""
    out = gql.data(update, {"input": {"id": made["subJob"]["id"], "name": "Phase B (north)"}})
    assert out["updateSubJob"] == {"subJob": {"number": "B", "name": "Phase B (north)"}, "errors": []}
    clash = gql.data(update, {"input": {"id": made["subJob"]["id"], "number": "A"}})["updateSubJob"]
    assert clash["errors"] == [{"code": "DUPLICATE_SUB_JOB", "field": "number"}]

    set_sync_status(session_factory, projects.SubJob, setup.pk["sub_job"], SyncStatus.READY_TO_EXPORT)
    locked = gql.data(update, {"input": {"id": setup.sub_job, "name": "Nope"}})["updateSubJob"]
    assert locked["errors"] == [{"code": "RECORD_LOCKED_BY_SYNC", "field": None}]
    with session_factory() as s:
        assert s.get(projects.SubJob, setup.pk["sub_job"]).name == "Phase A"

    unknown = gql.data(SUB_JOB, {"input": {"projectId": "UHJvamVjdDo5OTk=", "number": "Z", "name": "Z"}})
    assert unknown["createSubJob"]["errors"] == [{"code": "NOT_FOUND", "field": "projectId"}]
    wrong_type = gql.data(SUB_JOB, {"input": {"projectId": setup.vendor, "number": "Z", "name": "Z"}})
    assert wrong_type["createSubJob"]["errors"] == [{"code": "INVALID_ID", "field": "projectId"}]
    assert count(session_factory, projects.SubJob) == 3


VENDOR = """mutation($input: CreateVendorInput!) {
  createVendor(input: $input) {
    vendor { id name address city state zip insurancePolicyType insuranceExpiresOn active erpVendorId sync {
      status origin } }
    errors { code field } } }"""


def test_vendor_create_update_normalized_name_and_search(gql, session_factory):
    made = gql.data(
        VENDOR,
        {
            "input": {
                "name": "  Smith & Sons Drywall, LLC ",
                "address": "1 Main St",
                "city": "Irvine",
                "state": "CA",
                "zip": "92618",
                "insurancePolicyType": "General Liability",
                "insuranceExpiresOn": "2027-03-31",
            }
        },
    )["createVendor"]
    assert made["errors"] == []
    vendor = made["vendor"]
    assert vendor["name"] == "Smith & Sons Drywall, LLC"
    assert vendor["insuranceExpiresOn"] == "2027-03-31"
    assert vendor["erpVendorId"] is None
    assert vendor["sync"] == {"status": "NOT_SENT", "origin": "COSTBRIDGE"}
    with session_factory() as s:
        assert s.query(directory.Vendor.normalized_name).scalar() == "smith and sons drywall"

    update = """mutation($input: UpdateVendorInput!) {
      updateVendor(input: $input) { vendor { name city active } errors { code field } } }"""
    out = gql.data(update, {"input": {"id": vendor["id"], "name": "Smith Drywall Inc.", "city": "Tustin"}})
    assert out["updateVendor"] == {
        "vendor": {"name": "Smith Drywall Inc.", "city": "Tustin", "active": True},
        "errors": [],
    }
    with session_factory() as s:
        assert s.query(directory.Vendor.normalized_name).scalar() == "smith drywall"

    gql.data(VENDOR, {"input": {"name": "Beta Electric", "active": False}})
    found = gql.data('{ vendors(search: "smith drywall") { totalCount nodes { name } } }')["vendors"]
    assert found == {"totalCount": 1, "nodes": [{"name": "Smith Drywall Inc."}]}
    inactive = gql.data("{ vendors(active: false) { nodes { name } } }")["vendors"]
    assert inactive["nodes"] == [{"name": "Beta Electric"}]
    synced = gql.data("{ vendors(syncStatus: SYNCED) { totalCount } }")["vendors"]
    assert synced["totalCount"] == 0

    blank = gql.data(VENDOR, {"input": {"name": "   "}})["createVendor"]
    assert blank == {"vendor": None, "errors": [{"code": "REQUIRED", "field": "name"}]}
    assert count(session_factory, directory.Vendor) == 2


def test_synced_vendor_is_read_only(gql, session_factory):
    vendor = gql.data(VENDOR, {"input": {"name": "ACME"}})["createVendor"]["vendor"]
    with session_factory() as s:
        pk = s.query(directory.Vendor.id).scalar()
    set_sync_status(session_factory, directory.Vendor, pk, SyncStatus.SYNCED)
    update = """mutation($input: UpdateVendorInput!)
        { updateVendor(input: $input) { vendor { name } errors { code } } }"""
    out = gql.data(update, {"input": {"id": vendor["id"], "name": "Other"}})["updateVendor"]
    assert out == {"vendor": None, "errors": [{"code": "RECORD_LOCKED_BY_SYNC"}]}
    with session_factory() as s:
        assert s.get(directory.Vendor, pk).name == "ACME"


def test_read_only_user_cannot_create_setup_records(gql, make_actor, session_factory):
    setup = seed(session_factory)
    reader = make_actor("Rita Reader", {tool: PermissionLevel.READ_ONLY for tool in Tool})
    as_reader = gql.as_(reader)
    assert (
        as_reader.data(CREATE_COST_CODE, {"input": {"code": "09-900"}})["createCostCode"]["errors"][0]["code"]
        == "PERMISSION_DENIED"
    )
    assert (
        as_reader.data(VENDOR, {"input": {"name": "Nope"}})["createVendor"]["errors"][0]["code"]
        == "PERMISSION_DENIED"
    )
    out = as_reader.data(SUB_JOB, {"input": {"projectId": setup.project, "number": "Z", "name": "Z"}})
    assert out["createSubJob"]["errors"][0]["code"] == "PERMISSION_DENIED"
    assert count(session_factory, wbs.CostCode) == 3
    assert count(session_factory, directory.Vendor) == 1
    assert count(session_factory, projects.SubJob) == 2
    # reading is allowed
    assert as_reader.data("{ costCodes { totalCount } }")["costCodes"]["totalCount"] == 3


def test_list_queries_page_and_cap(gql, session_factory):
    seed(session_factory)
    page = gql.data(
        "{ costCodes(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { code } } }"
    )
    codes = page["costCodes"]
    assert codes["totalCount"] == 3 and [n["code"] for n in codes["nodes"]] == ["01-100", "02-200"]
    rest = gql.data(
        "query($after: String) { costCodes(after: $after) { nodes { code } pageInfo { hasNextPage } } }",
        {"after": codes["pageInfo"]["endCursor"]},
    )["costCodes"]
    assert rest == {"nodes": [{"code": "03-300"}], "pageInfo": {"hasNextPage": False}}
    for query in (
        "{ vendors(first: 201) { totalCount } }",
        "{ costCodes(first: 500) { totalCount } }",
        "{ costTypes(first: 201) { totalCount } }",
    ):
        body = gql.execute(query)
        assert body["errors"][0]["extensions"]["code"] == "PAGE_SIZE_TOO_LARGE"
