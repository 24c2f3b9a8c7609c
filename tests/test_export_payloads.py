"""ERP export payloads: every row of the Sage 100 Contractor detailed data mapping, and the Sage
300 CRE entities, with the exact values a record exports (money to the cent, as strings)."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest

from exporters import sage100, sage300
from exporters.connectors.file import run_file_connector
from exporters.mapping import build_payload, line_total, payload_rows, table_for
from models import workflow as wf
from models.company import get_settings
from models.enums import ChangeOrderStatus, CommitmentKind, ErpSystem, SyncStatus
from tests import factories_workflow as f
from tests.actors import SETUP

S100, S300 = ErpSystem.SAGE_100_CONTRACTOR, ErpSystem.SAGE_300_CRE
TODAY = dt.date(2026, 11, 23)
CREATED = dt.datetime(2026, 9, 14, 16, 30, tzinfo=dt.UTC)


def payload(session, record):
    return build_payload(session, record, get_settings(session), today=TODAY)[1]


# The seed's tables, row by row: (Procore/CostBridge field, Sage 100 Contractor field).
SEED_ROWS = {
    sage100.JOB: [
        ("Project Number", "Job ID"),
        ("Project Name", "Job Name"),
        ("Address", "Job Address"),
        ("City", "Job City"),
        ("State", "Job State"),
        ("ZIP", "Job Zip"),
        ("Cost Codes & Types", "Cost Code"),
        ("Cost Codes & Types", "Cost Type"),
    ],
    sage100.VENDOR: [
        ("ERP Vendor ID", "Vendor Record Number"),
        ("Name", "Name"),
        ("Address", "Address"),
        ("City", "City"),
        ("State", "State"),
        ("ZIP", "Zip"),
    ],
    sage100.BUDGET: [
        ("Original Budget Amount", "Budget Amount"),
        ("Cost Code", "Cost Code"),
        ("Cost Type", "Cost Type"),
    ],
    sage100.BUDGET_CHANGE: [
        ("Budget Modifications", "Budget Amount"),
        ("Cost Code", "Cost Code"),
        ("Cost Type", "Cost Type"),
    ],
    sage100.SUBCONTRACT: [
        ("Commitment #", "Subcontract #"),
        ("Contract Amount", "Original Subcontract"),
        ("Contract Company", "Vendor"),
        ("Cost Code", "Cost Code"),
        ("Cost Type", "Cost Type"),
        ("Project Name", "Job"),
        ("Qty (if applicable)", "Qty"),
        ("System Date at Time of Commitment Creation", "Subcontract Date"),
        ("Title", "Description"),
    ],
    sage100.PURCHASE_ORDER: [
        ("Commitment #", "Order #"),
        ("Subtotal", "Total"),
        ("Contract Company", "Vendor"),
        ("Cost Code", "Cost Code"),
        ("Description", "Description (on detail grid)"),
        ("Project Name", "Job"),
        ("Qty (if applicable)", "Qty"),
        ("Unit Cost", "Price"),
        ("System Date at Time of Commitment Creation", "Date"),
        ("Title", "Description"),
    ],
    sage100.SUBCONTRACT_CHANGE_ORDER: [
        ("Project Name", "Job"),
        ("Title", "Description"),
        ("Change Order #", "Change #"),
        ("System Date at Time of Export", "Order Date"),
        ("Contract Amount", "Budget Amount"),
        ("Company", "Vendor"),
        ("Cost Code", "Cost Code"),
        ("Cost Type", "Cost Type"),
    ],
    sage100.PO_CHANGE_ORDER: [
        ("Title (first row below pre-existing line items)", "Description"),
        ("Cost Code", "Cost Code"),
        ("Qty", "Qty"),
        ("Unit Cost", "Price"),
        ("Project Name", "Job"),
        ("Contract Amount", "Total"),
    ],
    sage100.AP_INVOICE: [
        ("Billing Period", "Posting Period"),
        ("Invoice #", "Invoice #"),
        ("Billing Date", "Invoice Date"),
        ("Status", "Status"),
        ("Contractor Company", "Vendor"),
        ("Commitment #", "Commitment"),
        ("Project #", "Job"),
        ("Sub Job #", "Phase"),
        ("Cost Code", "Cost Code"),
        ("Cost Type", "Cost Type"),
        ("Description of Work", "Description"),
        ("Work Completed (This Period) + newly entered Materials Presently Stored", "Amount"),
        ("Retainage", "Retainage Held"),
    ],
}


@pytest.mark.parametrize("table", list(SEED_ROWS), ids=lambda t: t.entity)
def test_sage100_tables_hold_exactly_the_seed_rows(table):
    fields = [f for f in (*table.header, *table.lines) if f.from_seed]
    assert [f.erp for f in fields] == sorted(
        [erp for _, erp in SEED_ROWS[table]], key=[f.erp for f in fields].index
    )
    assert len(fields) == len(SEED_ROWS[table])
    for source, erp in SEED_ROWS[table]:
        field = next(f for f in fields if f.erp == erp and source in f.source)
        assert field


# What the tables export beyond the seed rows (``Field.added``), each with its reason.
ADDED = {
    sage100.BUDGET_CHANGE: ["Change #"],
    sage100.SUBCONTRACT: ["Price", "Amount"],
    sage100.PURCHASE_ORDER: ["Cost Type", "Amount"],
    sage100.SUBCONTRACT_CHANGE_ORDER: ["Change Amount", "Qty", "Price"],
    sage100.PO_CHANGE_ORDER: ["Change #", "Cost Type", "Amount"],
    sage300.APPROVED_ESTIMATE_CHANGE: ["Change Order"],
}


@pytest.mark.parametrize(
    "table", [*sage100.TABLES, *sage300.TABLES], ids=lambda t: f"{t.erp_system}-{t.entity}"
)
def test_columns_beyond_the_seed_are_the_line_amounts_types_and_numbers(table):
    added = [f for f in (*table.header, *table.lines) if f.added]
    assert [f.erp for f in added] == ADDED.get(table, [])
    assert all(len(f.added) > 20 for f in added)  # each says why


@pytest.fixture
def s100(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    return session, proj, ven, concrete, rebar, sub, mat


def test_sage100_job_with_its_shell_budget(session):
    f.configure(session)
    a, b = f.cost_code(session, "2120.000"), f.cost_code(session, "1000.000")
    sub, mat = f.cost_type(session, "4", "Subcontract"), f.cost_type(session, "1", "Material")
    p = f.project(session, "24-001", "Harbor Clinic", cost_codes=[a, b])
    f.budget_line(session, p, a, sub, "0.00")
    f.budget_line(session, p, a, mat, "500")
    f.budget_line(session, p, b, mat, "75")
    p.origin_id = "HC-24"
    out = payload(session, p)
    assert out["entity"] == "Job" and out["origin_id"] == "HC-24"
    assert out["header"] == {
        "Job ID": "HC-24",
        "Job Name": "Harbor Clinic",
        "Job Address": "12 Harbor Way",
        "Job City": "Irvine",
        "Job State": "CA",
        "Job Zip": "92618",
    }
    assert out["lines"] == [
        {"Cost Code": "1000.000", "Cost Type": "1"},
        {"Cost Code": "2120.000", "Cost Type": "1"},
        {"Cost Code": "2120.000", "Cost Type": "4"},
    ]


def test_sage100_ap_vendor(session):
    f.configure(session)
    v = f.vendor(session, "ACME Concrete, Inc.", erp_id=None)
    v.origin_id = "ACME"
    out = payload(session, v)
    assert (out["entity"], out["origin_id"]) == ("AP Vendor", "ACME")
    assert out["header"] == {
        "Vendor Record Number": "ACME",
        "Name": "ACME Concrete, Inc.",
        "Address": "400 Mill St",
        "City": "Anaheim",
        "State": "CA",
        "Zip": "92801",
    }
    assert out["lines"] == []


def test_sage100_budget_exports_zero_lines(s100):
    session, proj, ven, concrete, rebar, sub, mat = s100
    f.budget_line(session, proj, concrete, sub, "12500.5")
    f.budget_line(session, proj, rebar, mat, "0")
    out = payload(session, f.budget_of(session, proj))
    assert out["header"] == {"Job": "J-100"}
    assert out["lines"] == [
        {"Budget Amount": "12500.50", "Cost Code": "3300.000", "Cost Type": "4"},
        {"Budget Amount": "0.00", "Cost Code": "3200.000", "Cost Type": "1"},
    ]


def test_sage100_budget_modification_is_minus_from_plus_to(s100):
    session, proj, ven, concrete, rebar, sub, mat = s100
    a = f.budget_line(session, proj, concrete, sub, "1000")
    b = f.budget_line(session, proj, rebar, mat, "200")
    out = payload(session, f.modification(session, proj, a, b, "250"))
    assert out["entity"] == "Budget Change Order"
    assert out["header"] == {"Job": "J-100", "Change #": "1"}
    assert out["origin_id"] == "1"
    # two budget change orders in one file are told apart by their numbers
    second = payload(session, f.modification(session, proj, b, a, "100"))
    assert second["header"]["Change #"] == "2"
    assert out["lines"] == [
        {"Budget Amount": "-250.00", "Cost Code": "3300.000", "Cost Type": "4"},
        {"Budget Amount": "250.00", "Cost Code": "3200.000", "Cost Type": "1"},
    ]


def test_sage100_subcontract(s100):
    session, proj, ven, concrete, rebar, sub, mat = s100
    c = f.commitment(
        session,
        proj,
        ven,
        created_at=CREATED,
        lines=[(concrete, sub, "10000.10", "3", None, "Footings"), (rebar, sub, "2500", None, None, "Rebar")],
    )
    out = payload(session, c)
    assert (out["entity"], out["origin_id"]) == ("Subcontract", "SC-001")
    assert out["header"] == {
        "Subcontract #": "SC-001",
        "Original Subcontract": "12500.10",
        "Vendor": "V-ACME",
        "Job": "J-100",
        "Subcontract Date": "2026-09-14",
        "Description": "Concrete foundations",
    }
    # every line has its amount; the one entered as an amount only has no quantity or price
    assert out["lines"] == [
        {"Cost Code": "3300.000", "Cost Type": "4", "Qty": "3", "Price": "", "Amount": "10000.10"},
        {"Cost Code": "3200.000", "Cost Type": "4", "Qty": "", "Price": "", "Amount": "2500.00"},
    ]


def test_sage100_purchase_order(s100):
    session, proj, ven, concrete, rebar, sub, mat = s100
    po = f.commitment(
        session,
        proj,
        ven,
        kind=CommitmentKind.PURCHASE_ORDER,
        number="PO-014",
        title="Rebar delivery",
        created_at=CREATED,
        lines=[(rebar, mat, "1237.50", "150", "8.25", "#5 bar, 20 ft")],
    )
    out = payload(session, po)
    assert (out["entity"], out["origin_id"]) == ("Purchase Order", "PO-014")
    assert out["header"] == {
        "Order #": "PO-014",
        "Total": "1237.50",
        "Vendor": "V-ACME",
        "Job": "J-100",
        "Date": "2026-09-14",
        "Description": "Rebar delivery",
    }
    assert out["lines"] == [
        {
            "Cost Code": "3200.000",
            "Cost Type": "1",
            "Description (on detail grid)": "#5 bar, 20 ft",
            "Qty": "150",
            "Price": "8.25",
            "Amount": "1237.50",
        }
    ]


def test_sage100_subcontract_change_order_updates_the_budget_amount(s100):
    session, proj, ven, concrete, rebar, sub, mat = s100
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "100", None, None, "")], synced=True)
    co = f.change_order(
        session,
        c,
        number="003",
        title="Deeper footings",
        lines=[(concrete, sub, "1850.75", None, None, "Dig")],
    )
    out = payload(session, co)
    assert (out["entity"], out["origin_id"]) == ("Subcontract Change Order", "003")
    assert out["header"] == {
        "Subcontract #": "SC-001",
        "Job": "J-100",
        "Description": "Deeper footings",
        "Change #": "003",
        "Order Date": "2026-11-23",
        "Vendor": "V-ACME",
        "Change Amount": "1850.75",
    }
    assert out["lines"] == [
        {"Budget Amount": "1850.75", "Cost Code": "3300.000", "Cost Type": "4", "Qty": "", "Price": ""}
    ]
    assert "also updates the Budget Amount" in out["notes"][0]


def test_sage100_po_change_order_appends_lines_below_the_existing_ones(s100):
    session, proj, ven, concrete, rebar, sub, mat = s100
    po = f.commitment(
        session,
        proj,
        ven,
        kind=CommitmentKind.PURCHASE_ORDER,
        number="PO-014",
        lines=[(rebar, mat, "100", "1", "100", "x")],
        synced=True,
    )
    co = f.change_order(
        session,
        po,
        number="1",
        title="More rebar",
        lines=[(rebar, mat, "412.50", "50", "8.25", "#5 bar"), (concrete, mat, "-80", "-1", "80", "Credit")],
    )
    out = payload(session, co)
    assert out["entity"] == "Purchase Order Change Order"
    assert out["header"] == {"Order #": "PO-014", "Job": "J-100", "Total": "332.50", "Change #": "1"}
    assert out["origin_id"] == "1"
    blank = {"Cost Code": "", "Cost Type": "", "Qty": "", "Price": "", "Amount": ""}
    assert out["lines"] == [
        {"Description": "More rebar", **blank},
        {
            "Description": "#5 bar",
            "Cost Code": "3200.000",
            "Cost Type": "1",
            "Qty": "50",
            "Price": "8.25",
            "Amount": "412.50",
        },
        {
            "Description": "Credit",
            "Cost Code": "3300.000",
            "Cost Type": "1",
            "Qty": "-1",
            "Price": "80.00",
            "Amount": "-80.00",
        },
    ]


def test_sage100_ap_invoice_with_retainage_held(s100):
    session, proj, ven, concrete, rebar, sub, mat = s100
    phase = f.sub_job(session, proj, "02", "Tower", synced=True)
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "100", None, None, "")], synced=True)
    inv = f.invoice(
        session,
        c,
        lines=[
            (concrete, sub, "4000.00", "1250.25", "525.03", "Pour level 2", phase),
            (rebar, sub, "999.99", "0", "100.00", "Rebar", None),
        ],
    )
    out = payload(session, inv)
    assert (out["entity"], out["origin_id"]) == ("AP Invoice", "INV-7")
    assert out["header"] == {
        "Posting Period": "2026-10",
        "Invoice #": "INV-7",
        "Invoice Date": "2026-11-03",
        "Status": "Approved",
        "Vendor": "V-ACME",
        "Retainage Held": "625.03",
    }
    assert out["lines"] == [
        {
            "Commitment": "SC-001",
            "Job": "J-100",
            "Phase": "02",
            "Cost Code": "3300.000",
            "Cost Type": "4",
            "Description": "Pour level 2",
            "Amount": "5250.25",
        },
        {
            "Commitment": "SC-001",
            "Job": "J-100",
            "Phase": "",
            "Cost Code": "3200.000",
            "Cost Type": "4",
            "Description": "Rebar",
            "Amount": "999.99",
        },
    ]


def test_sage100_cost_code(session):
    f.configure(session)
    out = payload(session, f.cost_code(session, "2120.000", "Site grading"))
    assert out["header"] == {"Cost Code": "2120.000", "Description": "Site grading"}


def test_accept_stores_the_payload_in_the_outbox(s100):
    session, proj, ven, concrete, rebar, sub, mat = s100
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    wf.send(session, SETUP, c)
    export = wf.accept(session, SETUP, c, build_payload=build_payload)
    session.commit()
    session.expire_all()
    assert export.erp_system == "SAGE_100_CONTRACTOR" and export.erp_entity == "Subcontract"
    assert export.payload["header"]["Original Subcontract"] == "10.00"
    assert export.origin_id == "SC-001"
    assert payload_rows(export.payload) == [{**export.payload["header"], **export.payload["lines"][0]}]


# --- Sage 300 CRE ---------------------------------------------------------------------------------


@pytest.fixture
def s300(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session, S300)
    return session, proj, ven, concrete, rebar, sub, mat


def test_sage300_job_extra_vendor(s300):
    session, proj, ven, concrete, rebar, sub, mat = s300
    f.budget_line(session, proj, concrete, sub, "0")
    job = payload(session, proj)
    assert job["entity"] == "Job"
    assert job["header"] == {
        "Job": "J-100",
        "Description": "Harbor Clinic",
        "Address 1": "12 Harbor Way",
        "City": "Irvine",
        "State": "CA",
        "ZIP Code": "92618",
    }
    assert job["lines"] == [{"Cost Code": "03-300", "Category": "S"}]
    extra = payload(session, f.sub_job(session, proj, "100", "Parking structure"))
    assert (extra["entity"], extra["origin_id"]) == ("Extra", "100")
    assert extra["header"] == {"Job": "J-100", "Extra": "100", "Description": "Parking structure"}
    vendor = payload(session, ven)
    assert vendor["entity"] == "AP Vendor"
    assert vendor["header"] == {
        "Vendor": "V-ACME",
        "Name": "ACME Concrete, Inc.",
        "Address 1": "400 Mill St",
        "City": "Anaheim",
        "State": "CA",
        "ZIP Code": "92801",
    }


def test_sage300_estimate_carries_forecast_values(s300):
    session, proj, ven, concrete, rebar, sub, mat = s300
    extra = f.sub_job(session, proj, "100", "Parking", synced=True)
    f.budget_line(
        session,
        proj,
        concrete,
        sub,
        "12000",
        sub_job=extra,
        description="Slab",
        quantity="40",
        unit_of_measure="CY",
        ecac="12500.00",
        ftc="3000.55",
    )
    f.budget_line(session, proj, rebar, mat, "0")
    out = payload(session, f.budget_of(session, proj))
    assert out["entity"] == "Estimate" and out["header"] == {"Job": "J-100"}
    assert out["lines"] == [
        {
            "Extra": "100",
            "Cost Code": "03-300",
            "Category": "S",
            "Description": "Slab",
            "Amount": "12000.00",
            "Units": "40",
            "Unit of Measure": "CY",
            "Estimated Cost at Completion": "12500.00",
            "Forecast to Complete": "3000.55",
        },
        {
            "Extra": "",
            "Cost Code": "03-200",
            "Category": "M",
            "Description": "",
            "Amount": "0.00",
            "Units": "",
            "Unit of Measure": "",
            "Estimated Cost at Completion": "",
            "Forecast to Complete": "",
        },
    ]


def test_sage300_approved_estimate_change(s300):
    session, proj, ven, concrete, rebar, sub, mat = s300
    a = f.budget_line(session, proj, concrete, sub, "1000")
    b = f.budget_line(session, proj, rebar, mat, "200")
    out = payload(session, f.modification(session, proj, a, b, "99.99", notes="Move to rebar"))
    assert out["entity"] == "Approved Estimate Change"
    assert out["header"] == {
        "Job": "J-100",
        "Change Order": "1",
        "Description": "Move to rebar",
        "Date": "2026-11-23",
    }
    assert out["lines"] == [
        {"Extra": "", "Cost Code": "03-300", "Category": "S", "Amount": "-99.99"},
        {"Extra": "", "Cost Code": "03-200", "Category": "M", "Amount": "99.99"},
    ]


def test_sage300_commitment_and_change_order(s300):
    session, proj, ven, concrete, rebar, sub, mat = s300
    c = f.commitment(
        session,
        proj,
        ven,
        contract_date=dt.date(2026, 9, 1),
        lines=[(concrete, sub, "5000", "10", "500", "Footings")],
    )
    out = payload(session, c)
    assert (out["entity"], out["origin_id"]) == ("Commitment", "SC-001")
    assert out["header"] == {
        "Commitment": "SC-001",
        "Commitment Type": "Subcontract",
        "Vendor": "V-ACME",
        "Job": "J-100",
        "Description": "Concrete foundations",
        "Date": "2026-09-01",
        "Retainage Percent": "10.00",
        "Amount": "5000.00",
    }
    assert out["lines"] == [
        {
            "Item": "1",
            "Extra": "",
            "Cost Code": "03-300",
            "Category": "S",
            "Line Description": "Footings",
            "Units": "10",
            "Unit Cost": "500.00",
            "Line Amount": "5000.00",
        }
    ]
    f.mark_synced(c, "SC-001")
    co = f.change_order(
        session, c, number="2", title="Add pier", lines=[(concrete, sub, "750", None, None, "Pier")]
    )
    out = payload(session, co)
    assert (out["entity"], out["origin_id"]) == ("Commitment Change Order", "2")
    assert out["header"] == {
        "Commitment": "SC-001",
        "Change Order": "2",
        "Job": "J-100",
        "Vendor": "V-ACME",
        "Description": "Add pier",
        "Date": "2026-11-23",
        "Amount": "750.00",
    }
    assert out["lines"][0]["Line Amount"] == "750.00"


def test_sage300_ap_invoice_amount_is_payment_due_plus_retainage(s300):
    session, proj, ven, concrete, rebar, sub, mat = s300
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "100", None, None, "")], synced=True)
    inv = f.invoice(session, c, lines=[(concrete, sub, "4000.00", "1000.00", "500.00", "Level 2", None)])
    out = payload(session, inv)
    assert out["entity"] == "AP Invoice"
    assert out["header"] == {
        "Vendor": "V-ACME",
        "Invoice": "INV-7",
        "Invoice Date": "2026-11-03",
        "Accounting Date": "2026-10-31",
        "Commitment": "SC-001",
    }
    # payment due 4500.00 + retainage held 500.00
    assert out["lines"] == [
        {
            "Job": "J-100",
            "Extra": "",
            "Cost Code": "03-300",
            "Category": "S",
            "Description": "Level 2",
            "Amount": "5000.00",
            "Retainage": "500.00",
        }
    ]


def test_sage300_standard_cost_codes_are_not_exported(s300):
    session, *_ = s300
    code = f.cost_code(session, "09-100", "Drywall")
    with pytest.raises(Exception) as info:
        wf.send(session, SETUP, code)
    assert info.value.code.value == "UNSUPPORTED_BY_ERP"
    assert code.sync_status == SyncStatus.NOT_SENT


def test_change_order_statuses_other_than_approved_are_not_sent(s100):
    session, proj, ven, concrete, rebar, sub, mat = s100
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "1", None, None, "")], synced=True)
    co = f.change_order(
        session, c, status=ChangeOrderStatus.DRAFT, lines=[(concrete, sub, "1", None, None, "")]
    )
    with pytest.raises(wf.BlockedError):
        wf.send(session, SETUP, co)


# --- line amounts: every commitment and change order line, header total = sum of lines -------------

# (cost code, cost type, amount, qty, unit cost, description): amount only, quantity and price,
# quantity only, cents that must add up exactly, a $0 line
COMMITMENT_LINES = [
    ("concrete", "sub", "120000.00", None, None, "Footings"),
    ("rebar", "mat", "15463.88", "1874.41", "8.25", "#5 bar"),
    ("concrete", "sub", "0.07", "3", None, "Anchor bolts"),
    ("rebar", "sub", "0.00", None, None, "Allowance"),
    ("concrete", "mat", "333.33", "3", "111.11", "Forms"),
]
CHANGE_ORDER_LINES = [
    ("concrete", "sub", "1850.75", None, None, "Deeper footings"),
    ("rebar", "mat", "-80.00", "-1", "80", "Credit"),
    ("concrete", "mat", "0.01", None, None, "Rounding"),
]


def _lines(world, rows):
    by_name = dict(zip(("concrete", "rebar", "sub", "mat"), world[2:], strict=True))
    return [(by_name[code], by_name[ctype], *rest) for code, ctype, *rest in rows]


def _assert_lines_add_up(session, record, model_lines):
    out = payload(session, record)
    table = table_for(get_settings(session).erp_system, record)
    assert table.total is not None and table.line_amount is not None, table.entity
    items = [line for line in out["lines"] if line[table.line_amount]]
    # every line item carries its cost code, cost type (category) and amount
    assert len(items) == len(model_lines)
    code_col = "Cost Code"
    type_col = "Category" if table.erp_system == S300 else "Cost Type"
    for line, model_line in zip(items, model_lines, strict=True):
        assert line[code_col] == model_line.cost_code.code
        assert line[type_col] == (model_line.cost_type.erp_code or model_line.cost_type.code)
        assert line[table.line_amount] == f"{model_line.amount:.2f}"
        qty_col = "Units" if table.erp_system == S300 else "Qty"
        price_col = "Unit Cost" if table.erp_system == S300 else "Price"
        assert line[qty_col] == ("" if model_line.quantity is None else str(model_line.quantity.normalize()))
        assert line[price_col] == ("" if model_line.unit_cost is None else f"{model_line.unit_cost:.2f}")
    # the header total equals the sum of the lines, to the cent
    expected = sum((line.amount for line in model_lines), Decimal("0"))
    assert Decimal(out["header"][table.total]) == line_total(out, table) == expected
    return out


@pytest.mark.parametrize("erp", [S100, S300])
@pytest.mark.parametrize("kind", [CommitmentKind.SUBCONTRACT, CommitmentKind.PURCHASE_ORDER])
def test_every_commitment_and_change_order_line_has_its_amount_and_the_total_adds_up(session, erp, kind):
    world = f.synced_world(session, erp)
    proj, ven = world[0], world[1]
    c = f.commitment(session, proj, ven, kind=kind, lines=_lines(world, COMMITMENT_LINES))
    out = _assert_lines_add_up(session, c, c.lines)
    assert out["header"][table_for(erp, c).total] == "135797.28"
    f.mark_synced(c, c.number)
    co = f.change_order(session, c, lines=_lines(world, CHANGE_ORDER_LINES))
    co_out = _assert_lines_add_up(session, co, co.lines)
    assert co_out["origin_id"] == "CO-1"


def test_a_prime_contract_change_order_carries_its_number_and_its_lines_add_up(session):
    world = f.synced_world(session, S300)
    contract = f.prime_contract(session, world[0], "C-1001")
    pcco = f.prime_change_order(session, contract, number="PCCO-4", lines=_lines(world, COMMITMENT_LINES))
    out = _assert_lines_add_up(session, pcco, pcco.lines)
    assert out["header"]["Amount"] == "135797.28" and out["header"]["Change Order"] == "PCCO-4"
    assert out["origin_id"] == "PCCO-4"
    deductive = f.prime_change_order(
        session, contract, number="PCCO-5", lines=_lines(world, CHANGE_ORDER_LINES)
    )
    assert _assert_lines_add_up(session, deductive, deductive.lines)["header"]["Amount"] == "1770.76"


@pytest.mark.parametrize("erp", [S100, S300])
def test_accepted_exports_and_their_files_add_up(session, session_factory, tmp_path, erp):
    """Through the workflow and the file connector: in each written file, each record's line
    amounts sum to the total its rows carry."""
    world = f.synced_world(session, erp)
    proj, ven = world[0], world[1]
    for n, kind in enumerate((CommitmentKind.SUBCONTRACT, CommitmentKind.PURCHASE_ORDER)):
        c = f.commitment(
            session, proj, ven, kind=kind, number=f"C-{n}", lines=_lines(world, COMMITMENT_LINES)
        )
        wf.send(session, SETUP, c)
        wf.accept(session, SETUP, c, build_payload=build_payload)
    session.commit()
    run = run_file_connector(session_factory, tmp_path)
    assert run.errors == [] and len(run.files) == (2 if erp == S100 else 1)
    columns = {  # the record's number, its total, its line amount
        "Subcontract": ("Subcontract #", "Original Subcontract", "Amount"),
        "Purchase Order": ("Order #", "Total", "Amount"),
        "Commitment": ("Commitment", "Amount", "Line Amount"),
    }
    seen = 0
    for path in run.files:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        key, total_col, amount_col = next(v for k, v in columns.items() if v[0] in rows[0])
        for number in {r[key] for r in rows}:
            mine = [r for r in rows if r[key] == number]
            assert len(mine) == len(COMMITMENT_LINES)
            assert {r[total_col] for r in mine} == {"135797.28"}
            assert sum(Decimal(r[amount_col]) for r in mine) == Decimal("135797.28")
            seen += 1
    assert seen == 2
