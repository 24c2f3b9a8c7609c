"""The file connector: ERP-importable CSV per entity, acknowledgement, crash recovery without
duplicates, formula neutralising, and the background scheduler."""

from __future__ import annotations

import csv
import threading

import pytest
from sqlalchemy import func, select

from exporters.connectors import file as connector
from exporters.connectors.scheduler import start_file_connector
from exporters.mapping import build_payload
from exporters.tabular import neutralise
from models import workflow as wf
from models.enums import CommitmentKind, ExportStatus, SyncStatus
from models.sync import ErpExport
from tests import factories_workflow as f
from tests.actors import SETUP


@pytest.fixture
def out(tmp_path):
    return tmp_path / "exports"


def read_csv(path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def accepted_world(session, extra_title: str = "Concrete foundations"):
    """Two subcontracts and a purchase order accepted for export."""
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    records = [
        f.commitment(
            session,
            proj,
            ven,
            number="SC-1",
            title=extra_title,
            lines=[(concrete, sub, "1000", None, None, "")],
        ),
        f.commitment(
            session, proj, ven, number="SC-2", title="Rebar", lines=[(rebar, sub, "-0", None, None, "")]
        ),
        f.commitment(
            session,
            proj,
            ven,
            kind=CommitmentKind.PURCHASE_ORDER,
            number="PO-1",
            title="Forms",
            lines=[(concrete, mat, "250", "10", "25", "Plywood")],
        ),
    ]
    for record in records:
        wf.send(session, SETUP, record)
        wf.accept(session, SETUP, record, build_payload=build_payload)
    session.commit()
    return records


def test_run_writes_one_file_per_entity_and_acknowledges(session, session_factory, out):
    records = accepted_world(session)
    run = connector.run_file_connector(session_factory, out)
    names = sorted(p.name for p in run.files)
    assert len(names) == 2
    assert names[0].startswith("sage-100-contractor-purchase-order-")
    assert names[1].startswith("sage-100-contractor-subcontract-")
    subcontracts = read_csv(next(p for p in run.files if "subcontract" in p.name))
    assert [r["Subcontract #"] for r in subcontracts] == ["SC-1", "SC-2"]
    assert subcontracts[0]["Original Subcontract"] == "1000.00" and subcontracts[0]["Vendor"] == "V-ACME"
    orders = read_csv(next(p for p in run.files if "purchase-order" in p.name))
    assert orders == [
        {
            "Order #": "PO-1",
            "Total": "250.00",
            "Vendor": "V-ACME",
            "Job": "J-100",
            "Date": orders[0]["Date"],
            "Description": "Forms",
            "Cost Code": "3300.000",
            "Description (on detail grid)": "Plywood",
            "Qty": "10",
            "Price": "25.00",
        }
    ]
    session.expire_all()
    assert {r.sync_status for r in records} == {SyncStatus.SYNCED}
    assert [r.origin_id for r in records] == ["SC-1", "SC-2", "PO-1"]
    assert set(session.scalars(select(ErpExport.status))) == {ExportStatus.ACKNOWLEDGED}
    # nothing left: a second run writes nothing
    again = connector.run_file_connector(session_factory, out)
    assert again.files == [] and again.acknowledged == []
    assert len(list(out.iterdir())) == 2


def test_a_crash_after_writing_does_not_duplicate_the_file(session, session_factory, out):
    accepted_world(session)
    written = connector.deliver(session_factory, out)  # ... and the process dies here
    assert len(written) == 2
    session.expire_all()
    assert set(session.scalars(select(ErpExport.status))) == {ExportStatus.DELIVERED}
    run = connector.run_file_connector(session_factory, out)
    assert run.files == [] and len(run.recovered) == 3
    assert sorted(out.iterdir()) == sorted(written)
    assert set(session.scalars(select(ErpExport.status))) == {ExportStatus.ACKNOWLEDGED}


def test_a_crash_before_writing_requeues_and_writes_once(session, session_factory, out):
    accepted_world(session)
    written = connector.deliver(session_factory, out)
    for path in written:  # as if the run died between marking and writing
        path.unlink()
    run = connector.run_file_connector(session_factory, out)
    assert len(run.requeued) == 3 and len(run.files) == 2 and len(run.acknowledged) == 3
    assert len([p for p in out.iterdir() if p.suffix == ".csv"]) == 2
    session.expire_all()
    assert set(session.scalars(select(ErpExport.status))) == {ExportStatus.ACKNOWLEDGED}


def test_formula_cells_are_neutralised_but_negative_amounts_stay_numeric(session, session_factory, out):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    a = f.budget_line(session, proj, concrete, sub, "1000")
    b = f.budget_line(session, proj, rebar, mat, "0")
    f.mark_synced(f.budget_of(session, proj))
    mod = f.modification(session, proj, a, b, "250")
    evil = f.vendor(session, '=HYPERLINK("http://x")', address="+1 Main", city="-Town", state="@CA")
    wf.send(session, SETUP, mod)
    wf.accept(session, SETUP, mod, build_payload=build_payload)
    wf.send(session, SETUP, evil)
    wf.accept(session, SETUP, evil, build_payload=build_payload, origin_id="EVIL")
    session.commit()
    run = connector.run_file_connector(session_factory, out)
    change = read_csv(next(p for p in run.files if "budget-change-order" in p.name))
    assert [r["Budget Amount"] for r in change] == ["-250.00", "250.00"]
    vendor = read_csv(next(p for p in run.files if "ap-vendor" in p.name))[0]
    assert vendor["Name"] == '\'=HYPERLINK("http://x")'
    assert (vendor["Address"], vendor["City"], vendor["State"]) == ("'+1 Main", "'-Town", "'@CA")
    assert neutralise("-250.00") == "-250.00" and neutralise("+7") == "+7"
    assert neutralise("-1+2") == "'-1+2"


def test_the_configured_folder_is_used_by_default(session, session_factory, out, monkeypatch):
    monkeypatch.setenv("COSTBRIDGE_EXPORT_ROOT", str(out))
    accepted_world(session)
    f.configure(session).export_folder = str(out / "drop")
    session.commit()
    run = connector.run_file_connector(session_factory)
    assert run.folder == out / "drop" and all(p.parent == out / "drop" for p in run.files)


def test_scheduler_runs_the_connector_in_the_background(session, session_factory, out):
    accepted_world(session)
    done = threading.Event()
    runs = []

    def on_run(run):
        runs.append(run)
        done.set()

    scheduler = start_file_connector(session_factory, 3600, out, on_run=on_run)
    try:
        assert done.wait(30)
    finally:
        scheduler.stop()
    assert not scheduler.running and scheduler.runs == 1
    assert len(runs[0].files) == 2
    session.expire_all()
    assert session.scalar(select(func.count()).where(ErpExport.status == ExportStatus.ACKNOWLEDGED)) == 3
