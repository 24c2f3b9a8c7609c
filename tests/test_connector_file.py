"""The file connector: ERP-importable CSV per entity, acknowledgement, and exactly-once delivery
through the delivery journal and the connector lease: a crash at every step, the ERP taking the
files away, two runs at once, a run that outlived its lease, an agent closing exports mid-run.

Every test that delivers keeps a copy of each file as it becomes visible (the connector's
``visible`` hook) and removes the files from the folder between runs, as an ERP import folder
does; then it counts, across every file ever written, the rows of each record."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exporters.connectors import file as connector
from exporters.connectors.scheduler import start_file_connector
from exporters.mapping import build_payload
from exporters.tabular import neutralise
from models import workflow as wf
from models.base import utcnow
from models.delivery import DeliveryStatus, ErpDelivery, lease_of
from models.enums import CommitmentKind, ExportStatus, SyncStatus
from models.sync import ErpExport
from tests import factories_workflow as f
from tests.actors import FILE_CONNECTOR, SETUP


@pytest.fixture
def out(tmp_path):
    return tmp_path / "exports"


def read_csv(path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def later(hours: float = 1) -> dt.datetime:
    """A clock past any lease a crashed run left behind."""
    return utcnow() + dt.timedelta(hours=hours)


class Crash(BaseException):
    """A run dying at a step: like a killed process, it runs no clean-up (not even the lease)."""


class Archive:
    """Every file as it became visible, and the ERP's import folder: files are taken away."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: dict[str, str] = {}
        self.lock = threading.Lock()

    def keep(self, path: Path) -> None:
        with self.lock:
            assert path.name not in self.files, f"{path.name} made visible twice"
            self.files[path.name] = path.read_text(encoding="utf-8")

    def hooks(self, crash_at: str | None = None) -> connector.ConnectorHooks:
        def step(name: str) -> None:
            if name == crash_at:
                raise Crash(name)

        return connector.ConnectorHooks(step=step, visible=self.keep)

    def take_away(self) -> None:
        """The ERP imports the visible files and removes them; temporary files stay."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if not path.name.startswith("."):
                assert path.name in self.files, f"{path.name} appeared without the visible hook"
                path.unlink()

    def rows(self, key_columns=("Subcontract #", "Order #")) -> Counter:
        """Rows per record across every file ever written."""
        counts: Counter = Counter()
        for text in self.files.values():
            for row in csv.DictReader(io.StringIO(text)):
                counts[next(row[c] for c in key_columns if row.get(c))] += 1
        return counts


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


def many_accepted(session, subcontracts: int, orders: int) -> dict[str, int]:
    """Commitments accepted for export; returns the rows each must have in the files."""
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    expected = {}
    for n in range(subcontracts):
        lines = [(concrete, sub, "100.10", None, None, "a"), (rebar, sub, "0.90", "3", None, "b")][
            : 1 + n % 2
        ]
        c = f.commitment(session, proj, ven, number=f"SC-{n:03d}", lines=lines)
        expected[c.number] = len(lines)
    for n in range(orders):
        c = f.commitment(
            session,
            proj,
            ven,
            kind=CommitmentKind.PURCHASE_ORDER,
            number=f"PO-{n:03d}",
            lines=[(rebar, mat, "82.50", "10", "8.25", "bar")],
        )
        expected[c.number] = 1
    for record in session.scalars(select(f.Commitment)):
        wf.send(session, SETUP, record)
        wf.accept(session, SETUP, record, build_payload=build_payload)
    session.commit()
    return expected


def assert_all_delivered_once(session, archive: Archive, expected: dict[str, int]) -> None:
    assert archive.rows() == Counter(expected)
    session.expire_all()
    assert set(session.scalars(select(ErpExport.status))) == {ExportStatus.ACKNOWLEDGED}
    assert {c.sync_status for c in session.scalars(select(f.Commitment))} == {SyncStatus.SYNCED}
    # the journal names each export once
    journalled = [i for d in session.scalars(select(ErpDelivery)) for i in d.export_ids]
    assert sorted(journalled) == sorted(session.scalars(select(ErpExport.id)))
    assert {d.status for d in session.scalars(select(ErpDelivery))} == {DeliveryStatus.VISIBLE}


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
    assert [r["Amount"] for r in subcontracts] == ["1000.00", "0.00"]
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
            "Cost Type": "1",
            "Description (on detail grid)": "Plywood",
            "Qty": "10",
            "Price": "25.00",
            "Amount": "250.00",
        }
    ]
    session.expire_all()
    assert {r.sync_status for r in records} == {SyncStatus.SYNCED}
    assert [r.origin_id for r in records] == ["SC-1", "SC-2", "PO-1"]
    assert set(session.scalars(select(ErpExport.status))) == {ExportStatus.ACKNOWLEDGED}
    journal = {d.file_name: d for d in session.scalars(select(ErpDelivery))}
    assert sorted(journal) == names
    assert all(journal[p.name].row_count == len(read_csv(p)) for p in run.files)
    assert {d.status for d in journal.values()} == {DeliveryStatus.VISIBLE}
    # nothing left: a second run writes nothing
    again = connector.run_file_connector(session_factory, out)
    assert again.files == [] and again.acknowledged == [] and again.skipped is None
    assert len(list(out.iterdir())) == 2


def test_files_the_erp_took_away_are_never_written_again(session, session_factory, out):
    expected = many_accepted(session, 3, 2)
    archive = Archive(out)
    connector.run_file_connector(session_factory, out, hooks=archive.hooks())
    archive.take_away()
    again = connector.run_file_connector(session_factory, out, hooks=archive.hooks())
    assert again.files == [] and list(out.iterdir()) == []
    assert_all_delivered_once(session, archive, expected)


@pytest.mark.parametrize("step", connector.STEPS)
def test_a_crash_at_any_step_delivers_every_export_exactly_once(session, session_factory, out, step):
    expected = many_accepted(session, 4, 3)
    archive = Archive(out)
    with pytest.raises(Crash):
        connector.run_file_connector(session_factory, out, hooks=archive.hooks(crash_at=step))
    archive.take_away()  # whatever became visible before the crash is imported and removed
    # the dead run's lease still stands: a run now does nothing ...
    blocked = connector.run_file_connector(session_factory, out, hooks=archive.hooks())
    assert blocked.skipped and blocked.files == [] and blocked.acknowledged == []
    # ... and once it has expired, the next run finishes the job
    run = connector.run_file_connector(session_factory, out, hooks=archive.hooks(), clock=later)
    assert run.skipped is None and run.errors == []
    archive.take_away()
    assert not any(p.name.endswith(".tmp") for p in out.iterdir())
    assert_all_delivered_once(session, archive, expected)


def test_crashes_at_every_step_in_a_row_still_deliver_exactly_once(session, session_factory, out):
    expected = many_accepted(session, 5, 4)
    archive = Archive(out)
    for hours, step in enumerate(connector.STEPS, start=1):
        with contextlib.suppress(Crash):
            connector.run_file_connector(
                session_factory, out, hooks=archive.hooks(crash_at=step), clock=lambda h=hours: later(h)
            )
        archive.take_away()
    connector.run_file_connector(session_factory, out, hooks=archive.hooks(), clock=lambda: later(99))
    archive.take_away()
    assert_all_delivered_once(session, archive, expected)


def test_two_runs_started_together_deliver_each_export_once(session, session_factory, out):
    expected = many_accepted(session, 12, 8)
    archive = Archive(out)
    barrier = threading.Barrier(2)
    runs: list = []

    def run() -> None:
        barrier.wait(timeout=30)
        runs.append(connector.run_file_connector(session_factory, out, hooks=archive.hooks()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(runs) == 2
    # one of them held the lease; the other did nothing (or, having started after, found nothing)
    assert sum(len(r.acknowledged) for r in runs) == len(expected)
    archive.take_away()
    connector.run_file_connector(session_factory, out, hooks=archive.hooks())
    assert_all_delivered_once(session, archive, expected)


def test_a_run_that_outlived_its_lease_records_nothing(session, session_factory, out):
    """Run A stalls after writing its first file; its lease expires and run B delivers everything.
    When A wakes up it cannot renew its lease, so it records nothing and removes its file."""
    expected = many_accepted(session, 3, 3)
    archive = Archive(out)
    other: list = []

    def stall(name: str) -> None:
        if name == "written" and not other:
            other.append(
                connector.run_file_connector(session_factory, out, hooks=archive.hooks(), clock=later)
            )

    stalled = connector.run_file_connector(
        session_factory, out, hooks=connector.ConnectorHooks(step=stall, visible=archive.keep)
    )
    assert other[0].skipped is None and len(other[0].acknowledged) == len(expected)
    assert stalled.files == [] and stalled.acknowledged == []
    assert stalled.errors and "taken over" in stalled.errors[0]
    assert not any(p.name.endswith(".tmp") for p in out.iterdir())
    archive.take_away()
    assert_all_delivered_once(session, archive, expected)


def test_an_export_an_agent_closes_mid_run_is_left_out_of_the_file(session, session_factory, out):
    expected = many_accepted(session, 3, 0)
    archive = Archive(out)
    closed: list = []

    def agent_acknowledges(name: str) -> None:
        if name == "written" and not closed:
            with session_factory() as s:
                first = s.scalar(select(func.min(ErpExport.id)))
                wf.acknowledge_export(s, FILE_CONNECTOR, first, connector="agent")
                s.commit()
                closed.append(first)

    run = connector.run_file_connector(
        session_factory, out, hooks=connector.ConnectorHooks(step=agent_acknowledges, visible=archive.keep)
    )
    assert len(run.files) == 1 and closed[0] not in run.acknowledged
    archive.take_away()
    del expected["SC-000"]  # the agent delivered it
    assert archive.rows() == Counter(expected)
    session.expire_all()
    assert set(session.scalars(select(ErpExport.status))) == {ExportStatus.ACKNOWLEDGED}


def test_an_export_whose_key_was_taken_since_is_failed_not_written(session, session_factory, out):
    records = accepted_world(session)
    # an ERP import gives another subcontract the key SC-2 before the connector runs
    proj = records[0].project
    other = f.commitment(session, proj, records[0].vendor, number="SC-X", lines=[])
    f.mark_synced(other, "sc-2")
    session.commit()
    run = connector.run_file_connector(session_factory, out)
    assert len(run.failed) == 1 and len(run.acknowledged) == 2
    rows = [r for p in run.files for r in read_csv(p)]
    assert "SC-2" not in {r.get("Subcontract #") for r in rows}
    session.expire_all()
    assert records[1].sync_status == SyncStatus.FAILED_TO_EXPORT
    assert "already linked" in records[1].sync_messages[0]


def test_a_crashed_runs_lease_expires(session, session_factory, out):
    accepted_world(session)
    with pytest.raises(Crash):
        connector.run_file_connector(session_factory, out, hooks=Archive(out).hooks(crash_at="leased"))
    lease = lease_of(session, connector.LEASE)
    assert lease is not None and lease.holder is not None and lease.expires_at > utcnow()
    assert connector.run_file_connector(session_factory, out).skipped
    done = connector.run_file_connector(session_factory, out, clock=later)
    assert done.skipped is None and len(done.acknowledged) == 3
    session.expire_all()
    assert lease_of(session, connector.LEASE).holder is None  # given back at the end


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
    assert [r["Change #"] for r in change] == ["1", "1"]
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
