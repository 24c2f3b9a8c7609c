"""The accountant report: every record sent, accepted, rejected, exported or failed in a period, its
filters, totals that reconcile with the rows and with the records, the CSV and XLSX downloads that
match the GraphQL answer, and who may read it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from api.relay import to_global_id
from exporters.mapping import build_payload
from models import workflow
from models.commitments import commitment_totals, lines_total
from models.enums import PermissionLevel, Tool
from models.invoices import invoice_totals
from models.sync import ErpExport, SyncEvent
from tests import factories_workflow as f
from tests.actors import FILE_CONNECTOR

A, S, R = PermissionLevel.ADMIN, PermissionLevel.STANDARD, PermissionLevel.READ_ONLY

REPORT = """
query($since: Date, $until: Date, $projectId: ID, $recordTypes: [RecordType!],
      $statuses: [AccountantReportStatus!], $actorId: ID) {
  accountantReport(since: $since, until: $until, projectId: $projectId, recordTypes: $recordTypes,
                   statuses: $statuses, actorId: $actorId) {
    totals {
      overall { count amount }
      byRecordTypeAndStatus { recordType status count amount }
      byRecordType { recordType count amount }
      byStatus { status count amount }
    }
    rows(first: 200) {
      totalCount
      nodes { at status action recordType recordId label projectNumber actor amount reason }
    }
  }
}
"""


@pytest.fixture
def world(session):
    """On project 24-001: a subcontract sent, accepted and exported; its change order sent and
    rejected; an invoice sent, accepted and failed; and a vendor sent. On 24-002, a PO sent.
    Each step is dated by moving its SyncEvent to a known day."""
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    other = f.project(session, "24-002", "Fremont Fire Station", synced=True, erp_job_id="J-200")
    f.budget_line(session, other, concrete, sub, "0")
    pm, approver = f.pm(session), f.approver(session)
    sc = f.commitment(
        session,
        proj,
        ven,
        number="SC-1",
        lines=[(concrete, sub, "1000.10", None, None, ""), (rebar, mat, "234.56", None, None, "")],
    )
    workflow.send(session, pm, sc)
    workflow.accept(session, approver, sc, build_payload=build_payload)
    export = session.query(ErpExport).filter_by(record_id=sc.id).one()
    workflow.acknowledge_export(session, FILE_CONNECTOR, export.id)
    co = f.change_order(session, sc, lines=[(concrete, sub, "-50.05", None, None, "")])
    workflow.send(session, pm, co)
    workflow.reject(session, approver, co, "Wrong cost code")
    inv = f.invoice(session, sc, lines=[(concrete, sub, "400.00", "25.25", "42.53", "", None)])
    workflow.send(session, pm, inv)
    workflow.accept(session, approver, inv, build_payload=build_payload)
    inv_export = (
        session.query(ErpExport).filter_by(record_id=inv.id, record_type="SUBCONTRACTOR_INVOICE").one()
    )
    workflow.fail_export(session, FILE_CONNECTOR, inv_export.id, ["Vendor on hold"])
    vendor = f.vendor(session, "Bolt Electric")
    workflow.send(session, pm, vendor)
    po = f.commitment(session, other, ven, number="PO-9", lines=[(concrete, sub, "99.99", None, None, "")])
    workflow.send(session, pm, po)
    session.flush()
    # date the steps: SC-1 in March, the rest in April (the PO on April 30)
    days = {
        ("COMMITMENT", sc.id): dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC),
        ("COMMITMENT_CHANGE_ORDER", co.id): dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC),
        ("SUBCONTRACTOR_INVOICE", inv.id): dt.datetime(2026, 4, 5, 9, tzinfo=dt.UTC),
        ("VENDOR", vendor.id): dt.datetime(2026, 4, 6, 9, tzinfo=dt.UTC),
        ("COMMITMENT", po.id): dt.datetime(2026, 4, 30, 23, 59, tzinfo=dt.UTC),
    }
    for (record_type, record_id), at in days.items():
        events = (
            session.query(SyncEvent)
            .filter_by(record_type=record_type, record_id=record_id)
            .order_by(SyncEvent.id)
        )
        for minutes, event in enumerate(events):
            session.execute(
                update(SyncEvent)
                .where(SyncEvent.id == event.id)
                .values(at=at + dt.timedelta(minutes=minutes))
            )
    session.commit()
    return {
        "project": proj,
        "other": other,
        "sc": sc,
        "co": co,
        "inv": inv,
        "vendor": vendor,
        "po": po,
        "pm": pm,
        "approver": approver,
    }


@pytest.fixture
def accountant(make_actor):
    return make_actor("Avery Accountant", {t: R for t in Tool} | {Tool.ERP_INTEGRATIONS: A})


def report(client, actor, **variables):
    body = client.post(
        "/graphql", json={"query": REPORT, "variables": variables}, headers=actor.headers
    ).json()
    assert not body.get("errors"), body["errors"]
    return body["data"]["accountantReport"]


def test_rows_and_totals_reconcile_with_each_other_and_with_the_records(client, session, world, accountant):
    out = report(client, accountant)
    rows = out["rows"]["nodes"]
    assert [(r["recordType"], r["status"], r["action"], r["actor"], r["amount"]) for r in rows] == [
        ("COMMITMENT", "SENT", "send", "Pat Manager", "1234.66"),
        ("COMMITMENT", "ACCEPTED", "accept", "Alex Approver", "1234.66"),
        ("COMMITMENT", "EXPORTED", "acknowledge", "file", "1234.66"),
        ("COMMITMENT_CHANGE_ORDER", "SENT", "send", "Pat Manager", "-50.05"),
        ("COMMITMENT_CHANGE_ORDER", "REJECTED", "reject", "Alex Approver", "-50.05"),
        ("SUBCONTRACTOR_INVOICE", "SENT", "send", "Pat Manager", "425.25"),
        ("SUBCONTRACTOR_INVOICE", "ACCEPTED", "accept", "Alex Approver", "425.25"),
        ("SUBCONTRACTOR_INVOICE", "FAILED", "fail", "file", "425.25"),
        ("VENDOR", "SENT", "send", "Pat Manager", None),
        ("COMMITMENT", "SENT", "send", "Pat Manager", "99.99"),
    ]
    assert rows[4]["reason"] == "Wrong cost code" and rows[7]["reason"] == "Vendor on hold"
    assert (
        rows[0]["label"] == "Subcontract SC-1 Concrete foundations" and rows[0]["projectNumber"] == "24-001"
    )
    assert rows[0]["recordId"] == to_global_id("Commitment", world["sc"].id)

    # the amounts are the records' own totals, computed by the domain
    session.expire_all()
    sc, co, inv = (session.get(type(world[k]), world[k].id) for k in ("sc", "co", "inv"))
    assert Decimal(rows[0]["amount"]) == commitment_totals(sc.lines, []).original
    assert Decimal(rows[3]["amount"]) == lines_total(co.lines)
    assert Decimal(rows[5]["amount"]) == invoice_totals(inv.lines).amount

    totals = out["totals"]
    amounts = [Decimal(r["amount"]) for r in rows if r["amount"] is not None]
    assert out["rows"]["totalCount"] == totals["overall"]["count"] == len(rows) == 10
    assert Decimal(totals["overall"]["amount"]) == sum(amounts) == Decimal("4979.62")
    for cell in totals["byRecordTypeAndStatus"]:
        mine = [r for r in rows if (r["recordType"], r["status"]) == (cell["recordType"], cell["status"])]
        assert cell["count"] == len(mine)
        assert Decimal(cell["amount"]) == sum((Decimal(r["amount"] or 0) for r in mine), Decimal(0))
    by_type = {t["recordType"]: (t["count"], t["amount"]) for t in totals["byRecordType"]}
    assert by_type == {
        "VENDOR": (1, "0.00"),
        "COMMITMENT": (4, "3803.97"),
        "COMMITMENT_CHANGE_ORDER": (2, "-100.10"),
        "SUBCONTRACTOR_INVOICE": (3, "1275.75"),
    }
    assert {t["status"]: (t["count"], t["amount"]) for t in totals["byStatus"]} == {
        "SENT": (5, "1709.85"),
        "ACCEPTED": (2, "1659.91"),
        "REJECTED": (1, "-50.05"),
        "EXPORTED": (1, "1234.66"),
        "FAILED": (1, "425.25"),
    }


def test_filters(client, world, accountant):
    april = report(client, accountant, since="2026-04-01", until="2026-04-30")
    assert april["totals"]["overall"] == {
        "count": 7,
        "amount": "1275.64",
    }  # the PO at 23:59 on the 30th is in
    assert report(client, accountant, until="2026-03-31")["totals"]["overall"]["count"] == 3
    rejected = report(client, accountant, statuses=["REJECTED", "FAILED"])["rows"]["nodes"]
    assert [(r["status"], r["reason"]) for r in rejected] == [
        ("REJECTED", "Wrong cost code"),
        ("FAILED", "Vendor on hold"),
    ]
    other = report(client, accountant, projectId=to_global_id("Project", world["other"].id))
    assert [r["label"] for r in other["rows"]["nodes"]] == ["Subcontract PO-9 Concrete foundations"]
    assert other["totals"]["overall"] == {"count": 1, "amount": "99.99"}
    invoices = report(client, accountant, recordTypes=["SUBCONTRACTOR_INVOICE"])
    assert invoices["totals"]["overall"] == {"count": 3, "amount": "1275.75"}
    approver_id = to_global_id("User", world["approver"].id)
    by_approver = report(client, accountant, actorId=approver_id)["rows"]["nodes"]
    assert {r["actor"] for r in by_approver} == {"Alex Approver"} and len(by_approver) == 3
    bad = client.post(
        "/graphql",
        json={"query": REPORT, "variables": {"since": "2026-05-01", "until": "2026-04-01"}},
        headers=accountant.headers,
    ).json()
    assert [e["extensions"]["code"] for e in bad["errors"]] == ["INVALID_DATE_RANGE"]


def test_who_may_read_it(client, world, make_actor):
    approver = make_actor("Alex", {t: R for t in Tool} | {Tool.ERP_INTEGRATIONS: S}, approver=True)
    body = client.post("/graphql", json={"query": REPORT}, headers=approver.headers).json()
    assert body["data"] == {"accountantReport": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["PERMISSION_DENIED"]
    # ERP admin without the Commitments tool: commitments and their change orders are left out
    no_commitments = make_actor("Nico", {Tool.ERP_INTEGRATIONS: A, Tool.INVOICES: R, Tool.DIRECTORY: R})
    seen = report(client, no_commitments)
    assert {r["recordType"] for r in seen["rows"]["nodes"]} == {"SUBCONTRACTOR_INVOICE", "VENDOR"}
    assert seen["totals"]["overall"] == {"count": 4, "amount": "1275.75"}
    assert client.get("/exports/accountant-report.csv", headers=approver.headers).status_code == 403


def test_the_csv_and_xlsx_match_the_graphql_answer(client, world, accountant):
    answer = report(client, accountant, since="2026-03-01")
    rows, overall = answer["rows"]["nodes"], answer["totals"]["overall"]

    response = client.get("/exports/accountant-report.csv?since=2026-03-01", headers=accountant.headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [
        (r["Status"], r["Record Type"], r["Record ID"], r["Record"], r["Actor"], r["Amount"], r["Reason"])
        for r in lines
    ] == [
        (
            r["status"],
            r["recordType"],
            r["recordId"],
            r["label"],
            r["actor"],
            r["amount"] or "",
            r["reason"] or "",
        )
        for r in rows
    ]
    assert sum(Decimal(r["Amount"]) for r in lines if r["Amount"]) == Decimal(overall["amount"])

    filtered = client.get(
        "/exports/accountant-report.csv?status=REJECTED&recordType=COMMITMENT_CHANGE_ORDER",
        headers=accountant.headers,
    )
    assert [r["Reason"] for r in csv.DictReader(io.StringIO(filtered.content.decode("utf-8-sig")))] == [
        "Wrong cost code"
    ]

    xlsx = client.get("/exports/accountant-report.xlsx?since=2026-03-01", headers=accountant.headers)
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content), data_only=True)  # the cached SUBTOTAL values
    assert book.sheetnames == ["Accountant Report", "Totals", "By Status"]
    sheet = book["Accountant Report"]
    values = list(sheet.iter_rows(values_only=True))
    # the title block names the report and its filters, as the printed job-cost report does
    assert values[1][0] == "Accountant Report" and any("2026-03-01 to today" in str(v[0]) for v in values[:6])
    top = next(i for i, v in enumerate(values) if v[0] == "Date (UTC)")
    header, body, total = values[top], values[top + 1 : -1], values[-1]
    status_at, amount_at = header.index("Status"), header.index("Amount")
    assert [(r[status_at], r[amount_at]) for r in body] == [
        (r["status"], None if r["amount"] is None else pytest.approx(float(r["amount"]))) for r in rows
    ]
    assert total[0] == f"Total ({overall['count']} rows)"
    assert total[amount_at] == pytest.approx(float(overall["amount"]))
    assert sheet.cell(row=top + 2, column=amount_at + 1).number_format.startswith('"$"')
    totals_sheet = list(book["Totals"].iter_rows(values_only=True))
    first = next(i for i, v in enumerate(totals_sheet) if v[0] == "Record Type") + 1
    assert totals_sheet[-1] == (
        "Total",
        "All statuses",
        overall["count"],
        pytest.approx(float(overall["amount"])),
    )
    pairs = {(r[0], r[1]): (r[2], r[3]) for r in totals_sheet[first:-1] if not str(r[0]).startswith("Total")}
    for cell in answer["totals"]["byRecordTypeAndStatus"]:
        count, amount = pairs[(cell["recordType"], cell["status"])]
        assert count == cell["count"] and amount == pytest.approx(float(cell["amount"]))
    subtotals = {r[0]: (r[2], r[3]) for r in totals_sheet[first:-1] if str(r[0]).startswith("Total ")}
    for by_type in answer["totals"]["byRecordType"]:
        count, amount = subtotals[f"Total {by_type['recordType']}"]
        assert count == by_type["count"] and amount == pytest.approx(float(by_type["amount"]))


PAGE = """
query($after: String) {
  accountantReport {
    rows(first: 3, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { at action label }
    }
  }
}
"""


def test_rows_page_by_keyset_while_records_move_on(client, session, world, accountant):
    """The rows page by (time, step): a step recorded while an accountant pages is on a later page,
    and no row is skipped or repeated; a cursor that is not one of the report's is INVALID_CURSOR."""

    def page(after):
        body = client.post(
            "/graphql", json={"query": PAGE, "variables": {"after": after}}, headers=accountant.headers
        ).json()
        return body

    seen, after, pages = [], None, 0
    while True:
        rows = page(after)["data"]["accountantReport"]["rows"]
        seen += [(n["at"], n["action"], n["label"]) for n in rows["nodes"]]
        pages += 1
        if pages == 1:
            workflow.send(session, world["pm"], f.vendor(session, "Late Electric"))
            session.commit()
        if not rows["pageInfo"]["hasNextPage"]:
            break
        after = rows["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 11 and rows["totalCount"] == 11
    assert seen == sorted(seen, key=lambda r: r[0]) and seen[-1][1:] == ("send", "Late Electric")

    for cursor in ("garbage", "b2Zmc2V0OjE=", to_global_id("Project", 1)):
        body = page(cursor)
        assert body["data"]["accountantReport"] is None
        assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR", (cursor, body)
