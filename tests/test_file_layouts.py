"""The file connector's layouts: files the ERP's own imports read (Sage 100 Contractor Data
Integration Suite templates, Sage 100's cost code window import, Sage 300 CRE's estimate category
record), compared byte for byte with files written by hand from the publications
(tests/golden/layouts), on both databases; every file's amounts add up to its records' totals to
the cent; values that do not fit a layout's columns are preflight blockers (field, limit, fix) and
never reach a file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from api.relay import to_global_id
from exporters import layouts, sage100, sage100_layouts, sage300, sage300_layouts
from exporters.connectors import file as connector
from exporters.mapping import build_payload, table_named
from models import workflow as wf
from models.enums import ErpSystem, ExportStatus, FileLayout, PermissionLevel, SyncStatus, Tool
from models.errors import DomainError, ErrorCode
from models.preflight import preflight
from models.sync import ErpExport
from models.workflow.transitions import BlockedError
from tests import factories_workflow as f
from tests.actors import SETUP

GOLDEN = Path(__file__).parent / "golden" / "layouts"
NOW = dt.datetime(2026, 11, 23, 16, 15, tzinfo=dt.UTC)
CREATED = dt.datetime(2026, 9, 14, 10, 0, tzinfo=dt.UTC)
D = Decimal


def choose(session, default=None, **per_entity):
    """Choose the layouts (entity names with spaces as underscores)."""
    values = {"file_layouts": [(entity.replace("_", " "), value) for entity, value in per_entity.items()]}
    if default is not None:
        values["file_layout"] = default
    layouts.update_erp_settings(session, SETUP, **values)
    session.flush()


def send_and_accept(session, record, key=None):
    wf.send(session, SETUP, record)
    return wf.accept(session, SETUP, record, build_payload=build_payload, origin_id=key)


def run(session_factory, out):
    result = connector.run_file_connector(session_factory, out, now=NOW)
    assert result.errors == [] and result.failed == []
    return {path.name: path.read_bytes() for path in result.files}


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def one(files: dict[str, bytes], prefix: str) -> bytes:
    found = [name for name in files if name.startswith(prefix)]
    assert len(found) == 1, (prefix, sorted(files))
    return files[found[0]]


# --- Sage 100 Contractor ---------------------------------------------------------------------------


def sage100_world(session):
    f.configure(session)
    concrete = f.cost_code(session, "3300.000", "Cast-in-place concrete", synced=True)
    rebar = f.cost_code(session, "3200.000", "Reinforcing steel", synced=True)
    types = {
        code: f.cost_type(session, code, name)
        for code, name in (
            ("1", "Material"),
            ("2", "Labor"),
            ("4", "Subcontract"),
            ("7", "Winter protection"),
        )
    }
    proj = f.project(session, synced=True, erp_job_id="2017008", cost_codes=[concrete, rebar])
    return proj, concrete, rebar, types


def test_sage100_dis_and_native_files_match_the_published_layouts(session, session_factory, tmp_path):
    proj, concrete, rebar, t = sage100_world(session)
    choose(
        session,
        AP_Vendor="sage100-dis",
        Budget="sage100-dis",
        Cost_Code="sage100-dis",
        Subcontract="sage100-dis",
    )
    pacific = f.vendor(
        session,
        "Pacific Ridge Mechanical Contractors, Incorporated",
        address='1200 "Main" St, Suite 4',
        city="Irvine",
        state="CA",
        zip="92618-1234",
    )
    acme = f.vendor(
        session, "ACME Concrete, Inc.", address="400 Mill St", city="Anaheim", state="CA", zip="92801"
    )
    send_and_accept(session, pacific, "2017")
    send_and_accept(session, acme, "2018")
    for code, ctype, amount in (
        (concrete, t["1"], "1000.00"),
        (concrete, t["2"], "2500.50"),
        (concrete, t["4"], "0"),
        (rebar, t["7"], "1234.56"),
        (rebar, t["1"], "99.99"),
    ):
        f.budget_line(session, proj, code, ctype, amount)
    budget = f.budget_of(session, proj)
    budget.locked = True
    send_and_accept(session, budget)
    for code, description in (("2120.000", 'Site grading, "rough"'), ("15400", "Plumbing")):
        send_and_accept(session, f.cost_code(session, code, description))
    session.commit()
    # the vendors are synced by this run; the subcontracts go in the next one
    first = run(session_factory, tmp_path)
    assert one(first, "sage-100-contractor-ap-vendor-sage100-dis-") == golden("sage100-dis-ap-vendor.csv")
    assert one(first, "sage-100-contractor-budget-sage100-dis-") == golden("sage100-dis-budget.csv")
    assert one(first, "sage-100-contractor-cost-code-sage100-dis-") == golden("sage100-dis-cost-code.csv")

    session.expire_all()
    subcontracts = [
        f.commitment(
            session,
            proj,
            acme,
            number="SC-100",
            created_at=CREATED,
            lines=[
                (concrete, t["4"], "10000.10", "3", None, "Footings"),
                (rebar, t["4"], "2500", None, None, "Rebar"),
            ],
        ),
        f.commitment(
            session,
            proj,
            pacific,
            number="SC-101",
            title="Rebar supply and placing",
            created_at=CREATED,
            lines=[(rebar, t["4"], "-125.50", None, None, "Rebar, #5 bars")],
        ),
    ]
    for record in subcontracts:
        send_and_accept(session, record)
    # Sage's own 6-5 window import for the next cost codes
    choose(session, Cost_Code="sage100-native")
    for code, description in (("2130.000", "Excavation"), ("16100.5", "Wiring, branch")):
        send_and_accept(session, f.cost_code(session, code, description))
    session.commit()
    second = run(session_factory, tmp_path)
    assert one(second, "sage-100-contractor-subcontract-sage100-dis-") == golden(
        "sage100-dis-subcontract.csv"
    )
    assert one(second, "sage-100-contractor-cost-code-sage100-native-") == golden(
        "sage100-native-cost-code.qte"
    )
    assert [name for name in second if name.endswith(".qte")] == [
        name for name in second if name.startswith("sage-100-contractor-cost-code-sage100-native-")
    ]

    # every file's money is its records' money, to the cent
    amounts = ("matbdg", "labbdg", "eqpbdg", "subbdg", "othbdg", "usrcs6", "usrcs7", "usrcs8", "usrcs9")
    budget_rows = list(csv.DictReader(io.StringIO(one(first, "sage-100-contractor-budget-").decode())))
    file_total = sum((D(row[c]) for row in budget_rows for c in amounts if row[c]), D("0.00"))
    assert file_total == sum((line.original_amount for line in budget.lines), D("0.00")) == D("4835.05")
    details = [
        row
        for row in csv.reader(io.StringIO(one(second, "sage-100-contractor-subcontract-").decode()))
        if row[1] == "D"
    ]
    for record in subcontracts:
        in_file = sum((D(row[6]) for row in details if row[2] == record.number), D("0.00"))
        assert in_file == sum((line.amount for line in record.lines), D("0.00"))
    session.expire_all()
    assert {e.status for e in session.scalars(select(ErpExport))} == {ExportStatus.ACKNOWLEDGED}
    assert {r.sync_status for r in subcontracts} == {SyncStatus.SYNCED}


def test_a_subcontract_description_longer_than_the_template_field_is_blocked_until_shortened(
    session, session_factory, tmp_path
):
    proj, concrete, rebar, t = sage100_world(session)
    choose(session, Subcontract="sage100-dis")
    acme = f.vendor(session, synced=True, erp_id="2018")
    title = "Concrete foundations, footings, grade beams and slab on grade"
    assert len(title) == 61
    title = title[:60]
    record = f.commitment(
        session, proj, acme, title=title, lines=[(concrete, t["4"], "500", None, None, "Footings")]
    )
    result = preflight(session, record)
    [blocker] = result.blockers
    assert (blocker.code, blocker.field, blocker.limit) == (
        ErrorCode.VALUE_TOO_LONG,
        "Description",
        "String (50)",
    )
    assert "60 characters" in blocker.message and "holds 50" in blocker.message and "COL7" in blocker.message
    assert "50 characters or fewer" in blocker.fix
    with pytest.raises(BlockedError) as refused:
        wf.send(session, SETUP, record)
    assert [b.code for b in refused.value.blockers] == [ErrorCode.VALUE_TOO_LONG]
    assert record.sync_status == SyncStatus.NOT_SENT

    record.title = "Concrete foundations and slab on grade"
    assert preflight(session, record).blockers == []
    send_and_accept(session, record)
    session.commit()
    files = run(session_factory, tmp_path)
    text = one(files, "sage-100-contractor-subcontract-sage100-dis-").decode()
    assert text.startswith('PJSC,H,"SC-001","')
    assert ',"Concrete foundations and slab on grade",' in text
    assert "Concrete foundations, footings" not in text


def test_with_direct_exports_the_layout_blocks_the_send_and_nothing_reaches_the_outbox(
    session, session_factory, tmp_path
):
    proj, concrete, rebar, t = sage100_world(session)
    choose(session, Subcontract="sage100-dis")
    layouts.update_erp_settings(session, SETUP, direct_exports=True)
    acme = f.vendor(session, synced=True, erp_id="2018")
    record = f.commitment(
        session, proj, acme, title="x" * 51, lines=[(concrete, t["4"], "500", None, None, "Footings")]
    )
    with pytest.raises(BlockedError) as refused:
        wf.send(session, SETUP, record, build_payload=build_payload)
    assert [(b.code, b.field, b.limit) for b in refused.value.blockers] == [
        (ErrorCode.VALUE_TOO_LONG, "Description", "String (50)")
    ]
    assert record.sync_status == SyncStatus.NOT_SENT
    assert session.scalars(select(ErpExport)).all() == []

    record.title = "x" * 50
    wf.send(session, SETUP, record, build_payload=build_payload)
    assert record.sync_status == SyncStatus.EXPORTING
    session.commit()
    text = one(run(session_factory, tmp_path), "sage-100-contractor-subcontract-sage100-dis-").decode()
    assert f',"{"x" * 50}",' in text


def test_values_that_do_not_fit_a_template_are_blockers_with_field_limit_and_fix(session):
    proj, concrete, rebar, t = sage100_world(session)
    choose(session, default="sage100-dis")
    # a 12-character state does not fit state_ String (2)
    vendor = f.vendor(session, "Harbor Electric", state="California!!")
    blocker = only(preflight(session, vendor).blockers)
    assert (blocker.code, blocker.field, blocker.limit) == (ErrorCode.VALUE_TOO_LONG, "State", "String (2)")
    assert "12 characters" in blocker.message and "state_" in blocker.message
    vendor.state = "CA"
    assert preflight(session, vendor).blockers == []
    wf.send(session, SETUP, vendor)
    # the vendor number the approver types must be a number: refused, and nothing changes
    with pytest.raises(BlockedError) as refused:
        wf.accept(session, SETUP, vendor, build_payload=build_payload, origin_id="V-HARBOR")
    blocker = only(refused.value.blockers)
    assert (blocker.code, blocker.field, blocker.limit) == (
        ErrorCode.NOT_NUMERIC,
        "Vendor Record Number",
        "Numeric",
    )
    assert vendor.origin_id is None and vendor.sync_status == SyncStatus.READY_TO_EXPORT
    wf.accept(session, SETUP, vendor, build_payload=build_payload, origin_id="2019")
    assert vendor.sync_status == SyncStatus.EXPORTING

    # a job synced under a number that is not numeric
    other = f.project(session, "24-002", synced=True, erp_job_id="J-100", cost_codes=[concrete])
    f.budget_line(session, other, concrete, t["1"], "10")
    f.budget_of(session, other).locked = True
    blocker = only(preflight(session, f.budget_of(session, other)).blockers)
    assert (blocker.code, blocker.field, blocker.limit) == (ErrorCode.NOT_NUMERIC, "Job", "Numeric")
    assert "recnum" in blocker.message

    # cost codes that are not Numeric (9,3)
    for code, why in (("03-300", "not a number"), ("0120.000", "not a number"), ("1234567.000", "6 digits")):
        blockers = preflight(session, f.cost_code(session, code, "x")).blockers
        [blocker] = [b for b in blockers if b.field == "Cost Code"]
        assert blocker.limit == "Numeric (9,3)", code
        assert why in blocker.message, (code, blocker.message)
    blocker = only(preflight(session, f.cost_code(session, "2200.1234", "x")).blockers)
    assert blocker.code == ErrorCode.INVALID_VALUE and "more than 3 decimals" in blocker.message


def test_a_budget_cost_type_without_a_template_column_is_blocked(session):
    proj, concrete, rebar, t = sage100_world(session)
    choose(session, Budget="sage100-dis")
    odd = f.cost_type(session, "EQ", "Equipment rental")
    f.budget_line(session, proj, concrete, odd, "10")
    budget = f.budget_of(session, proj)
    budget.locked = True
    blocker = only(preflight(session, budget).blockers)
    assert (blocker.code, blocker.field) == (ErrorCode.INVALID_VALUE, "Cost Type")
    assert "EQ" in blocker.message and "1, 2, 3, 4, 5, 6, 7, 8, 9" in blocker.fix


def test_quantities_left_out_of_the_subcontract_template_are_warnings(session):
    proj, concrete, rebar, t = sage100_world(session)
    choose(session, Subcontract="sage100-dis")
    acme = f.vendor(session, synced=True, erp_id="2018")
    record = f.commitment(session, proj, acme, lines=[(concrete, t["4"], "30", "3", "10", "Footings")])
    result = preflight(session, record)
    assert result.blockers == []
    assert {w.code for w in result.warnings} == {ErrorCode.LAYOUT_CANNOT_CARRY}
    assert {w.message.split(" is left out")[0] for w in result.warnings} == {"Qty", "Price"}


def test_an_export_that_no_longer_fits_its_layout_is_failed_not_cut(session, session_factory, tmp_path):
    proj, concrete, rebar, t = sage100_world(session)
    acme = f.vendor(session, synced=True, erp_id="2018")
    record = f.commitment(
        session, proj, acme, title="x" * 55, lines=[(concrete, t["4"], "5", None, None, "a")]
    )
    send_and_accept(session, record)  # the named layout holds any length
    choose(session, Subcontract="sage100-dis")
    session.commit()
    result = connector.run_file_connector(session_factory, tmp_path, now=NOW)
    assert result.files == [] and len(result.failed) == 1
    session.expire_all()
    assert record.sync_status == SyncStatus.FAILED_TO_EXPORT
    assert any("55 characters" in m and "String (50)" in m for m in record.sync_messages)


def test_the_named_layout_stays_the_default_and_unconfirmed_layouts_need_choosing(session):
    f.configure(session)
    settings = session.get(f.get_settings(session).__class__, 1)
    assert all(e.layout == FileLayout.NAMED for e in layouts.entity_layouts(settings))
    choose(session, default="sage100-dis")
    by_entity = {e.entity: e for e in layouts.entity_layouts(settings)}
    assert by_entity["AP Vendor"].layout == FileLayout.SAGE100_DIS and not by_entity["AP Vendor"].chosen
    assert by_entity["Budget"].layout == FileLayout.SAGE100_DIS
    # the subcontract template's amount column is not confirmed by the publication: chosen explicitly only
    assert not sage100_layouts.SUBCONTRACT.confirmed
    assert by_entity["Subcontract"].layout == FileLayout.NAMED
    assert by_entity["Job"].layout == FileLayout.NAMED and by_entity["Job"].available == (FileLayout.NAMED,)
    choose(session, Subcontract="sage100-dis", AP_Vendor="named")
    by_entity = {e.entity: e for e in layouts.entity_layouts(settings)}
    assert by_entity["Subcontract"].layout == FileLayout.SAGE100_DIS and by_entity["Subcontract"].chosen
    assert by_entity["AP Vendor"].layout == FileLayout.NAMED
    choose(session, AP_Vendor=None)
    assert {e.entity: e.layout for e in layouts.entity_layouts(settings)}[
        "AP Vendor"
    ] == FileLayout.SAGE100_DIS
    # refused choices change nothing
    before = dict(settings.file_layouts)
    for bad in ({"Job": "sage100-dis"}, {"Cost Code": "sage300-estimating"}, {"Nonsense": "named"}):
        with pytest.raises(DomainError) as refused:
            layouts.update_erp_settings(session, SETUP, file_layouts=list(bad.items()))
        assert refused.value.code == ErrorCode.INVALID_VALUE
    with pytest.raises(DomainError):
        layouts.update_erp_settings(session, SETUP, file_layout="sage300-estimating")
    assert settings.file_layouts == before


# --- Sage 300 CRE ----------------------------------------------------------------------------------


def sage300_world(session):
    f.configure(session, ErpSystem.SAGE_300_CRE)
    concrete = f.cost_code(session, "03-300", "Cast-in-place concrete", synced=True)
    rebar = f.cost_code(session, "03-200", "Reinforcing steel", synced=True)
    t = {
        "S": f.cost_type(session, "4", "Subcontract", erp_code="S"),
        "M": f.cost_type(session, "1", "Material", erp_code="M"),
        "L": f.cost_type(session, "2", "Labor", erp_code="L"),
    }
    choose(session, default="sage300-estimating")
    return concrete, rebar, t


def test_sage300_estimates_are_category_records_one_file_per_job(session, session_factory, tmp_path):
    concrete, rebar, t = sage300_world(session)
    harbor = f.project(session, "24-001", synced=True, erp_job_id="HC-24")
    mission = f.project(session, "24-002", "Mission Bay", synced=True, erp_job_id="MB-7")
    for proj, code, ctype, amount, desc, qty, uom in (
        (harbor, concrete, t["S"], "15000", "Footings, north", D("120.5"), "CY"),
        (harbor, rebar, t["M"], "2400", 'Rebar #5 "Grade 60"', None, None),
        (harbor, concrete, t["L"], "0", "", None, None),
        (mission, concrete, t["S"], "999.99", "Slab", D("10"), "SF"),
    ):
        f.budget_line(session, proj, code, ctype, amount, description=desc, quantity=qty, unit_of_measure=uom)
    budgets = [f.budget_of(session, p) for p in (harbor, mission)]
    for budget in budgets:
        budget.locked = True
        send_and_accept(session, budget)
    session.commit()
    files = run(session_factory, tmp_path)
    assert sorted(files) == [
        "sage-300-cre-estimate-sage300-estimating-job-hc-24-20261123T161500-000001.csv",
        "sage-300-cre-estimate-sage300-estimating-job-mb-7-20261123T161500-000002.csv",
    ]
    assert one(files, "sage-300-cre-estimate-sage300-estimating-job-hc-24-") == golden(
        "sage300-estimating-estimate-hc-24.csv"
    )
    assert one(files, "sage-300-cre-estimate-sage300-estimating-job-mb-7-") == golden(
        "sage300-estimating-estimate-mb-7.csv"
    )
    for budget in budgets:
        job = budget.project.origin_id.lower()
        rows = list(
            csv.reader(
                io.StringIO(one(files, f"sage-300-cre-estimate-sage300-estimating-job-{job}-").decode())
            )
        )
        assert sum((D(row[7]) for row in rows), D("0.00")) == sum(
            (line.original_amount for line in budget.lines), D(0)
        )


def test_sage300_estimate_lines_the_category_record_cannot_hold_are_blocked(session):
    concrete, rebar, t = sage300_world(session)
    proj = f.project(session, synced=True, erp_job_id="HC-24")
    extra = f.sub_job(session, proj, "01", "Phase one", synced=True)
    f.budget_line(session, proj, concrete, t["S"], "100", sub_job=extra)
    f.budget_line(session, proj, rebar, t["M"], "100", ecac=D("120"))
    f.budget_line(session, proj, rebar, t["L"], "100", quantity=D("1.125"))
    budget = f.budget_of(session, proj)
    budget.locked = True
    blockers = preflight(session, budget).blockers
    assert {(b.code, b.field) for b in blockers} == {
        (ErrorCode.LAYOUT_CANNOT_CARRY, "Extra"),
        (ErrorCode.LAYOUT_CANNOT_CARRY, "Estimated Cost at Completion"),
        (ErrorCode.INVALID_VALUE, "Units"),
    }
    assert any("more than 2 decimals" in b.message and b.limit == "8.2 signed" for b in blockers)


# --- the tables ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layout", [*sage100_layouts.LAYOUTS, *sage300_layouts.LAYOUTS], ids=lambda x: f"{x.profile}-{x.entity}"
)
def test_every_layout_places_or_accounts_for_every_column_of_its_mapping(layout):
    table = table_named(layout.erp_system, layout.entity)
    assert set(table.columns) <= layout.placed()
    written = [c.value for c in layout.columns() if c.value]
    assert set(written) - {*table.columns, *layout.placed()} == set()
    # every column not in the publication says why it is there
    assert all(c.rule for c in layout.columns() if not c.published)


def test_every_entity_without_a_layout_says_why_it_stays_named():
    for system, tables, named_only in (
        (ErpSystem.SAGE_100_CONTRACTOR, sage100.TABLES, sage100_layouts.NAMED_ONLY),
        (ErpSystem.SAGE_300_CRE, sage300.TABLES, sage300_layouts.NAMED_ONLY),
    ):
        offered = layouts.available(system)
        for table in tables:
            if offered[table.entity] == {FileLayout.NAMED}:
                assert len(named_only.get(table.entity, "")) > 20, table.entity
            else:
                assert table.entity not in named_only


def only(blockers):
    assert len(blockers) == 1, [(b.code, b.field, b.message) for b in blockers]
    return blockers[0]


# --- GraphQL -----------------------------------------------------------------------------------------

LAYOUTS_QUERY = "{ erp { fileLayout fileLayouts { entity layout chosen available } } }"
UPDATE = (
    "mutation($i: UpdateErpSettingsInput!) { updateErpSettings(input: $i) { erp { fileLayout "
    "fileLayouts { entity layout chosen } } errors { code field message } } }"
)


def test_layouts_are_erp_settings_over_graphql_and_preflight_shows_the_limit(gql, session):
    proj, concrete, rebar, t = sage100_world(session)
    acme = f.vendor(session, synced=True, erp_id="2018")
    record = f.commitment(
        session, proj, acme, title="y" * 51, lines=[(concrete, t["4"], "5", None, None, "a")]
    )
    session.commit()
    erp = gql.data(LAYOUTS_QUERY)["erp"]
    assert erp["fileLayout"] == "NAMED"
    by_entity = {e["entity"]: e for e in erp["fileLayouts"]}
    assert by_entity["Cost Code"]["available"] == ["NAMED", "SAGE100_DIS", "SAGE100_NATIVE"]
    assert by_entity["Job"] == {"entity": "Job", "layout": "NAMED", "chosen": False, "available": ["NAMED"]}

    refused = gql.data(UPDATE, {"i": {"fileLayouts": [{"entity": "Job", "layout": "SAGE100_DIS"}]}})
    assert refused["updateErpSettings"]["erp"] is None
    assert [(e["code"], e["field"]) for e in refused["updateErpSettings"]["errors"]] == [
        ("INVALID_VALUE", "fileLayouts")
    ]
    out = gql.data(
        UPDATE,
        {
            "i": {
                "fileLayout": "SAGE100_DIS",
                "fileLayouts": [{"entity": "Subcontract", "layout": "SAGE100_DIS"}],
            }
        },
    )["updateErpSettings"]
    assert out["errors"] == []
    by_entity = {e["entity"]: e for e in out["erp"]["fileLayouts"]}
    assert out["erp"]["fileLayout"] == "SAGE100_DIS"
    assert by_entity["Subcontract"] == {"entity": "Subcontract", "layout": "SAGE100_DIS", "chosen": True}
    assert by_entity["AP Vendor"] == {"entity": "AP Vendor", "layout": "SAGE100_DIS", "chosen": False}

    preflight_query = (
        "query($id: ID!) { syncPreflight(id: $id) { canSend blockers { code field limit message fix } } }"
    )
    result = gql.data(preflight_query, {"id": to_global_id("Commitment", record.id)})["syncPreflight"]
    assert result["canSend"] is False
    [blocker] = result["blockers"]
    assert (blocker["code"], blocker["field"], blocker["limit"]) == (
        "VALUE_TOO_LONG",
        "Description",
        "String (50)",
    )
    assert "51 characters" in blocker["message"]


def test_layouts_are_connector_settings_read_and_changed_by_erp_admins_only(gql, make_actor):
    approver = gql.as_(
        make_actor("Alex Approver", {Tool.ERP_INTEGRATIONS: PermissionLevel.STANDARD}, approver=True)
    )
    body = approver.execute("{ erp { system fileLayout fileLayouts { entity layout } } }")
    assert body["data"]["erp"] == {"system": "SAGE_100_CONTRACTOR", "fileLayout": None, "fileLayouts": None}
    denied = {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}
    assert denied == {("erp", "fileLayout"): "PERMISSION_DENIED", ("erp", "fileLayouts"): "PERMISSION_DENIED"}

    refused = approver.data(UPDATE, {"i": {"fileLayout": "SAGE100_DIS"}})["updateErpSettings"]
    assert refused["erp"] is None
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
    assert gql.data(LAYOUTS_QUERY)["erp"]["fileLayout"] == "NAMED"
