"""Benchmark: a 20k-line budget CSV through the whole budget import, on SQLite and on PostgreSQL,
against csv.reader over the same file plus one executemany of its rows into budget_lines on the
same database. Target: ratio <= 3.0 (on PostgreSQL the database backend's CPU is counted on both
sides).

    python bench/budget_import.py [--backend sqlite|postgresql|all] [--runs N] [--wall]
"""

from __future__ import annotations

import csv
import io
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Databases, arguments, clock, report, server_cpu  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from importers.budget import import_budget  # noqa: E402
from models.audit import sessions_acting_as  # noqa: E402
from models.budgets import Budget  # noqa: E402
from models.db import make_sessionmaker  # noqa: E402
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


def fresh_db(databases: Databases):
    engine = databases.fresh()
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


def baseline(databases: Databases, data: bytes, _clock) -> tuple[float, float]:
    engine, factory = fresh_db(databases)
    with factory() as s:
        codes = dict(s.execute(select(CostCode.code, CostCode.id)).all())
        types = dict(s.execute(select(CostType.code, CostType.id)).all())
        budget_id = s.scalar(select(Budget.id))
    with factory() as s, server_cpu(s) as server:
        raw = s.connection().connection.dbapi_connection
        marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
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
            f" original_amount, created_at, updated_at) VALUES ({', '.join([marker] * 8)})",
            rows,
        )
        raw.commit()
        elapsed = _clock() - t0
    engine.dispose()
    return elapsed, server[0]


def whole_import(databases: Databases, data: bytes, _clock) -> tuple[float, float]:
    engine, factory = fresh_db(databases)
    with factory() as s, server_cpu(s) as server:
        project = s.scalar(select(Project))
        t0 = _clock()
        run = import_budget(s, COMMAND_LINE, project, data, "budget.csv")
        s.commit()
        elapsed = _clock() - t0
        assert run.status == "SUCCEEDED", run.errors[:3]
        assert run.counts["CREATE"] == LINES, run.counts
    engine.dispose()
    return elapsed, server[0]


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    _clock = clock(args.wall)
    data = make_csv()
    backends = ("sqlite", "postgresql") if args.backend == "all" else (args.backend,)
    print(f"clock: {_clock.__name__}; {LINES:,} lines; best of {args.runs} runs each, interleaved")
    for backend in backends:
        with Databases(backend) as databases:
            bases, fulls = [], []
            for _ in range(args.runs):
                bases.append(sum(baseline(databases, data, _clock)))
                fulls.append(sum(whole_import(databases, data, _clock)))
            report(backend, "csv.reader + executemany", min(bases), min(fulls), LIMIT)


if __name__ == "__main__":
    main()
