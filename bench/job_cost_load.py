"""Benchmark: a 100k-row job-cost XLSX through the whole import (read, validate, place, write) on
SQLite, against python-calamine reading the same file bare. Target: ratio <= 2.0."""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Process CPU time by default: on a shared machine wall time measures the neighbours. --wall uses it.
_clock = time.perf_counter if "--wall" in sys.argv else time.process_time
sys.path.insert(0, str(ROOT))

import python_calamine  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from importers.job_costs import import_job_costs  # noqa: E402
from models.audit import sessions_acting_as  # noqa: E402
from models.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from models.directory import Vendor  # noqa: E402
from models.enums import Origin, SyncStatus  # noqa: E402
from models.policy import COMMAND_LINE  # noqa: E402
from models.projects import Project, SubJob  # noqa: E402
from models.wbs import CostCode, CostType  # noqa: E402

ROWS = 100_000
LIMIT = 2.0
DATA = ROOT / "bench" / ".data"
FILE = DATA / "job_costs_100k.xlsx"
JOBS = [f"{1000 + i}" for i in range(20)]
CODES = [f"{d:02d}-{c:03d}" for d in range(1, 17) for c in range(100, 600, 100)]
TYPES = ["1", "2", "3", "4", "5"]
SOURCES = ["AP Cost", "AP Cost (with Commitment)", "PR Cost", "JC Cost"]
VENDORS = [f"V{i:03d}" for i in range(50)]


def generate() -> None:
    from openpyxl import Workbook

    DATA.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(42)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Job Cost")
    ws.append(["Job Cost Detail"])
    ws.append([])
    ws.append(
        [
            "Job",
            "Phase/Extra",
            "Cost Code",
            "Cost Type",
            "Source",
            "Transaction Date",
            "Description",
            "Vendor",
            "Invoice",
            "Amount",
            "Transaction ID",
        ]
    )
    start = dt.date(2025, 1, 1)
    for i in range(ROWS):
        source = rnd.choice(SOURCES)
        ap = source.startswith("AP")
        ws.append(
            [
                rnd.choice(JOBS),
                rnd.choice(["", "01", "02"]),
                rnd.choice(CODES),
                rnd.choice(TYPES),
                source,
                start + dt.timedelta(days=rnd.randrange(500)),
                f"Transaction {i}",
                rnd.choice(VENDORS) if ap else "",
                f"INV-{i}" if ap else "",
                round(rnd.uniform(-500, 25000), 2),
                f"JC{i:07d}",
            ]
        )
    wb.save(FILE)


def seed(session) -> None:
    session.execute(insert(CostCode), [{"code": c, "description": c, "division": c[:2]} for c in CODES])
    session.execute(insert(CostType), [{"code": t, "name": f"Type {t}"} for t in TYPES])
    for number in JOBS:
        project = Project(
            number=f"P-{number}",
            name=f"Job {number}",
            origin_id=number,
            sync_status=SyncStatus.SYNCED,
            origin=Origin.ERP,
        )
        session.add(project)
        session.flush()
        session.add_all([SubJob(project_id=project.id, number=n, name=n) for n in ("01", "02")])
    session.execute(
        insert(Vendor),
        [
            {
                "name": f"Vendor {v}",
                "normalized_name": f"vendor {v.lower()}",
                "origin_id": v,
                "origin": Origin.ERP,
                "sync_status": SyncStatus.SYNCED,
            }
            for v in VENDORS
        ],
    )
    session.commit()


def bare_read() -> float:
    t0 = _clock()
    wb = python_calamine.CalamineWorkbook.from_path(str(FILE))
    rows = wb.get_sheet_by_index(0).to_python()
    elapsed = _clock() - t0
    assert len(rows) >= ROWS
    return elapsed


def whole_import(tmp: Path, n: int) -> float:
    engine = make_engine(f"sqlite:///{tmp / f'bench{n}.db'}")
    migrate(engine)
    factory = sessions_acting_as(make_sessionmaker(engine), COMMAND_LINE)
    with factory() as session:
        seed(session)
    with factory() as session:
        t0 = _clock()
        run = import_job_costs(session, COMMAND_LINE, FILE.read_bytes(), FILE.name)
        session.commit()
        elapsed = _clock() - t0
        assert run.status == "SUCCEEDED", run.errors[:3]
        assert run.counts["CREATE"] == ROWS and run.counts["UNPLACED"] == 0, run.counts
    engine.dispose()
    return elapsed


def main() -> None:
    if not FILE.exists():
        print(f"generating {FILE} ...")
        generate()
    bare = min(bare_read() for _ in range(3))
    with tempfile.TemporaryDirectory() as tmp:
        full = min(whole_import(Path(tmp), n) for n in range(2))
    print(f"calamine bare read: {bare:.3f}s   whole import ({ROWS:,} rows, SQLite): {full:.3f}s")
    print(f"clock: {_clock.__name__}")
    print(f"ratio {full / bare:.2f} (limit {LIMIT})")


if __name__ == "__main__":
    main()
