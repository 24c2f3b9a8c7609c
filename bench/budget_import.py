"""Benchmark: a 20k-line budget CSV through the whole budget import on SQLite, against csv.reader
over the same file plus one executemany of its rows into budget_lines. Target: ratio <= 3.0."""

from __future__ import annotations

import csv
import io
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Process CPU time by default: on a shared machine wall time measures the neighbours. --wall uses it.
_clock = time.perf_counter if "--wall" in sys.argv else time.process_time
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from importers.budget import import_budget  # noqa: E402
from models.audit import sessions_acting_as  # noqa: E402
from models.budgets import Budget  # noqa: E402
from models.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from models.policy import COMMAND_LINE  # noqa: E402
from models.projects import Project, ProjectCostCode, SubJob  # noqa: E402
from models.wbs import CostCode, CostType  # noqa: E402

LINES = 20_000
LIMIT = 3.0
CODES = [f"{d:02d}-{c:03d}" for d in range(1, 51) for c in range(100, 1100, 10)]  # 5,000 codes
TYPES = ["1", "2", "3", "4"]
HEADER = ["Sub Job", "Cost Code", "Cost Type", "Description", "Original Budget Amount"]


def make_csv() -> bytes:
    rnd = random.Random(7)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for code in CODES:
        for cost_type in TYPES:
            writer.writerow(
                ["", code, cost_type, f"Line {code}/{cost_type}", f"{rnd.uniform(0, 250000):,.2f}"]
            )
    return out.getvalue().encode()


def fresh_db(tmp: Path, name: str):
    engine = make_engine(f"sqlite:///{tmp / name}")
    migrate(engine)
    factory = sessions_acting_as(make_sessionmaker(engine), COMMAND_LINE)
    with factory() as s:
        s.execute(insert(CostCode), [{"code": c, "description": c, "division": c[:2]} for c in CODES])
        s.execute(insert(CostType), [{"code": t, "name": f"Type {t}"} for t in TYPES])
        project = Project(number="B-1", name="Bench")
        s.add(project)
        s.flush()
        s.add(Budget(project_id=project.id))
        s.add(SubJob(project_id=project.id, number="01", name="Phase 1"))
        # the project already uses the company codes, as after its setup
        s.execute(
            insert(ProjectCostCode),
            [{"project_id": project.id, "cost_code_id": i} for i in range(1, len(CODES) + 1)],
        )
        s.commit()
    return engine, factory


def baseline(tmp: Path, data: bytes, n: int) -> float:
    engine, factory = fresh_db(tmp, f"base{n}.db")
    with factory() as s:
        codes = dict(s.execute(select(CostCode.code, CostCode.id)).all())
        types = dict(s.execute(select(CostType.code, CostType.id)).all())
        budget_id = s.scalar(select(Budget.id))
    raw = engine.raw_connection()
    t0 = _clock()
    reader = csv.reader(io.StringIO(data.decode(), newline=""))
    next(reader)
    rows = [
        (budget_id, 0, codes[r[1]], types[r[2]], r[3], r[4].replace(",", ""), "2026-01-01", "2026-01-01")
        for r in reader
    ]
    cur = raw.cursor()
    cur.executemany(
        "INSERT INTO budget_lines (budget_id, sub_job_key, cost_code_id, cost_type_id, description,"
        " original_amount, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    raw.commit()
    elapsed = _clock() - t0
    raw.close()
    engine.dispose()
    return elapsed


def whole_import(tmp: Path, data: bytes, n: int) -> float:
    engine, factory = fresh_db(tmp, f"imp{n}.db")
    with factory() as s:
        project = s.scalar(select(Project))
        t0 = _clock()
        run = import_budget(s, COMMAND_LINE, project, data, "budget.csv")
        s.commit()
        elapsed = _clock() - t0
        assert run.status == "SUCCEEDED", run.errors[:3]
        assert run.counts["CREATE"] == LINES, run.counts
    engine.dispose()
    return elapsed


def main() -> None:
    data = make_csv()
    with tempfile.TemporaryDirectory() as tmp:
        base = min(baseline(Path(tmp), data, n) for n in range(3))
        full = min(whole_import(Path(tmp), data, n) for n in range(3))
    print(
        f"csv.reader + executemany: {base:.3f}s   whole budget import ({LINES:,} lines, SQLite): {full:.3f}s"
    )
    print(f"clock: {_clock.__name__}")
    print(f"ratio {full / base:.2f} (limit {LIMIT})")


if __name__ == "__main__":
    main()
