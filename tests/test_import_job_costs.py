"""Job-cost loads over HTTP: the seed's source mapping, placement, unplaced rows kept with their
reason and placed later, idempotency by transaction id or content hash."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.costs import DirectCost, UnplacedJobCost
from models.enums import PermissionLevel, Tool
from models.projects import SubJob
from models.wbs import CostCode
from tests import files_common as f
from tests import files_job_costs as fj
from tests.factories_imports import seed, snapshot, upload


@pytest.fixture
def world(session):
    return seed(session)


def _costs(session):
    session.expire_all()
    rows = session.execute(
        select(
            CostCode.code,
            DirectCost.type,
            DirectCost.item_date,
            DirectCost.vendor_id,
            DirectCost.invoice_number,
            DirectCost.amount,
            SubJob.number,
            DirectCost.status,
            DirectCost.project_id,
        )
        .join(CostCode, CostCode.id == DirectCost.cost_code_id)
        .outerjoin(SubJob, SubJob.id == DirectCost.sub_job_id)
        .order_by(DirectCost.item_date)
    ).all()
    return rows


@pytest.mark.parametrize(
    "name,build",
    [
        ("costs.csv", fj.good_csv),
        ("costs.xlsx", lambda: f.xlsx_bytes(fj.typed_rows())),
        ("costs.xls", lambda: f.xls_bytes(fj.typed_rows())),
        ("costs.ods", lambda: f.ods_bytes(fj.typed_rows())),
    ],
    ids=["csv", "xlsx", "xls", "ods"],
)
def test_job_costs_map_to_direct_costs_as_the_seed_says(client, admin, world, session, name, build):
    out = upload(client, admin, "job-costs", name, build())
    assert out["errors"] == [], out
    assert out["importRun"]["counts"]["create"] == 4
    rows = _costs(session)
    got = [
        (code, str(t), d.isoformat(), vendor is not None, inv, str(amount), sub)
        for code, t, d, vendor, inv, amount, sub, _, _ in rows
    ]
    assert got == fj.EXPECTED
    assert {r.status.value for r in rows} == {"APPROVED"}
    assert {r.project_id for r in rows} == {world.project_id}
    assert rows[0].vendor_id == world.vendor_id


def test_unplaceable_rows_are_kept_with_their_reason_not_dropped(client, admin, world, session):
    out = upload(client, admin, "job-costs", "costs.csv", f.csv_bytes([fj.HEADER, *fj.ROWS, *fj.UNPLACEABLE]))
    run = out["importRun"]
    assert run["status"] == "SUCCEEDED" and out["errors"] == []
    assert run["counts"]["create"] == 9 and run["counts"]["unplaced"] == 5 and run["counts"]["error"] == 0
    kept = session.execute(
        select(UnplacedJobCost.erp_transaction_id, UnplacedJobCost.reason_code).order_by(UnplacedJobCost.id)
    ).all()
    assert [tuple(k) for k in kept] == [
        ("U1", "UNKNOWN_JOB"),
        ("U2", "UNKNOWN_SUB_JOB"),
        ("U3", "UNKNOWN_COST_CODE"),
        ("U4", "UNKNOWN_COST_TYPE"),
        ("U5", "UNKNOWN_VENDOR"),
    ]
    assert (
        session.scalar(select(UnplacedJobCost.amount).where(UnplacedJobCost.erp_transaction_id == "U5")) == 14
    )


def test_unplaced_rows_are_placed_after_a_vendor_load_and_a_mapping_fix(client, admin, world, session, gql):
    upload(client, admin, "job-costs", "costs.csv", f.csv_bytes([fj.HEADER, *fj.UNPLACEABLE]))
    upload(client, admin, "vendors", "vendors.csv", fj.vendors_csv([["V404", "New Vendor Co"]]))
    placed = (
        session.execute(
            select(UnplacedJobCost.erp_transaction_id).where(UnplacedJobCost.direct_cost_id.is_not(None))
        )
        .scalars()
        .all()
    )
    assert placed == ["U5"]
    dc = session.scalar(select(DirectCost).where(DirectCost.erp_transaction_id == "U5"))
    assert dc.invoice_number == "I9" and str(dc.amount) == "14.00"

    session.add(CostCode(code="99-999", description="New"))
    session.commit()
    out = gql.data("mutation { placeUnplacedJobCosts { placed remaining errors { code } } }")[
        "placeUnplacedJobCosts"
    ]
    assert out == {"placed": 1, "remaining": 3, "errors": []}
    # the same file again: everything is already loaded (placed or kept)
    before = snapshot(session)
    again = upload(client, admin, "job-costs", "costs.csv", f.csv_bytes([fj.HEADER, *fj.UNPLACEABLE]))[
        "importRun"
    ]
    assert again["counts"]["unchanged"] == 5 and again["counts"]["create"] == 0
    assert snapshot(session) == before


def test_same_file_twice_changes_nothing(client, admin, world, session):
    upload(client, admin, "job-costs", "costs.csv", fj.good_csv())
    before = snapshot(session)
    run = upload(client, admin, "job-costs", "costs.csv", fj.good_csv())["importRun"]
    assert run["counts"] == {
        "create": 0,
        "update": 0,
        "unchanged": 4,
        "error": 0,
        "skipped": 0,
        "unplaced": 0,
    }
    assert snapshot(session) == before


def test_without_transaction_ids_identical_rows_both_load_and_reimport_is_idempotent(
    client, admin, world, session
):
    header = fj.HEADER[:-1]
    row = [
        "1001",
        "",
        "01-100",
        "2",
        "PR Cost",
        "2026-02-03",
        "Crew",
        "",
        "",
        "100",
    ]
    content = f.csv_bytes([header, row, row, [*row[:-1], "101"]])
    first = upload(client, admin, "job-costs", "c.csv", content)["importRun"]
    assert first["counts"]["create"] == 3
    second = upload(client, admin, "job-costs", "c.csv", content)["importRun"]
    assert second["counts"]["unchanged"] == 3 and second["counts"]["create"] == 0
    assert session.query(DirectCost).count() == 3
    keys = session.scalars(select(DirectCost.dedupe_key)).all()
    assert len(set(keys)) == 3


def test_reject_failed_rows_loads_the_good_transactions(client, admin, world, session):
    bad = ["1001", "", "01-100", "1", "JC Cost", "13/45/2026", "x", "", "", "1", "B1"]
    out = upload(
        client,
        admin,
        "job-costs",
        "c.csv",
        f.csv_bytes([fj.HEADER, *fj.ROWS, bad]),
        errorPolicy="REJECT_FAILED_ROWS",
    )
    assert out["importRun"]["status"] == "PARTIAL"
    assert out["errors"][0]["code"] == "INVALID_DATE" and out["errors"][0]["row"] == 6
    assert len(_costs(session)) == 4


def test_job_cost_load_needs_standard_on_erp_integrations(client, world, make_actor, session):
    clerk = make_actor("Cal", {Tool.ERP_INTEGRATIONS: PermissionLevel.READ_ONLY})
    out = upload(client, clerk, "job-costs", "c.csv", fj.good_csv())
    assert out["importRun"] is None and out["errors"][0]["code"] == "PERMISSION_DENIED"
    assert session.query(DirectCost).count() == 0
    denied = upload(client, clerk, "vendors", "v.csv", fj.vendors_csv())
    assert denied["errors"][0]["code"] == "PERMISSION_DENIED"


SAGE_HEADER = ["Job", "Phase", "Cost Code", "Category", "Source", "Trans Date", "Description", "Amount"]


@pytest.mark.parametrize("heading", ["Trans #", "Transaction #", "Trans No", "Trn #", "Reference", "Ref #"])
def test_erp_transaction_numbers_are_kept_and_are_the_idempotency_key(client, admin, world, session, heading):
    posting = ["1001", "", "01-100", "1", "JC Cost", "2026-02-03", "Permit", "75.25"]
    out = upload(
        client, admin, "job-costs", "c.csv", f.csv_bytes([[*SAGE_HEADER, heading], [*posting, "40117"]])
    )
    assert out["errors"] == [] and out["importRun"]["warnings"] == []
    # a genuinely new posting with the same content but its own transaction number is loaded too
    again = upload(
        client,
        admin,
        "job-costs",
        "c.csv",
        f.csv_bytes([[*SAGE_HEADER, heading], [*posting, "40117"], [*posting, "40118"]]),
    )
    assert again["importRun"]["counts"]["create"] == 1 and again["importRun"]["counts"]["unchanged"] == 1
    session.expire_all()
    assert sorted(session.scalars(select(DirectCost.erp_transaction_id))) == ["40117", "40118"]
    assert sorted(session.scalars(select(DirectCost.dedupe_key))) == ["tx:40117", "tx:40118"]


def test_a_reference_column_beside_a_transaction_number_is_ignored_with_a_warning(
    client, admin, world, session
):
    header = [*SAGE_HEADER, "Trans #", "Reference", "Batch"]
    row = ["1001", "", "01-100", "1", "JC Cost", "2026-02-03", "Permit", "75.25", "T-9", "INV 77", "B3"]
    out = upload(client, admin, "job-costs", "c.csv", f.csv_bytes([header, row]))
    assert out["errors"] == [] and out["importRun"]["counts"]["create"] == 1
    warnings = {(w["column"], w["code"]) for w in out["importRun"]["warnings"]}
    assert warnings == {("Reference", "UNKNOWN_COLUMN"), ("Batch", "UNKNOWN_COLUMN")}
    session.expire_all()
    assert session.scalar(select(DirectCost.erp_transaction_id)) == "T-9"
