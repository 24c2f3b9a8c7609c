"""Benchmark: the job-cost report of a project with 1M direct costs against the bare SQL aggregate
over the same rows (limit 1.5x). XLSX writing speed and memory are in bench/xlsx_export.py.

The SQLite database (migrated with models.db.migrate, ~200 budget lines, commitments, invoices and
1M direct costs) is cached in bench/.data/ and reused when present. Run:

    .venv/bin/python bench/job_cost_report.py
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from models.db import MIGRATIONS_DIR, make_engine, make_sessionmaker, migrate  # noqa: E402
from models.natural_sort import natural_sort_key  # noqa: E402
from models.policy import COMMAND_LINE  # noqa: E402

DATA = ROOT / "bench" / ".data"
# the cached database is rebuilt whenever the schema (the initial migration) changes
_SCHEMA = hashlib.sha256((MIGRATIONS_DIR / "versions" / "0001_initial.py").read_bytes()).hexdigest()[:10]
DB_PATH = DATA / f"job_cost_report_1m-{_SCHEMA}.db"
DIRECT_COSTS = 1_000_000
BATCH = 50_000
LIMIT = 1.5
DIVISIONS = 10
CODES_PER_DIVISION = 5
COST_TYPES = (("1", "Material"), ("2", "Labor"), ("3", "Equipment"), ("4", "Subcontract"))
DIRECT_TYPES = ("INVOICE", "PAYROLL", "EXPENSE", "SUBCONTRACTOR_INVOICE")
BARE_SQL = (
    "SELECT cost_code_id, cost_type_id, sub_job_id, SUM(amount) FROM direct_costs "
    "WHERE project_id = :project GROUP BY cost_code_id, cost_type_id, sub_job_id"
)
# the same aggregate with the index disabled (``+project_id``): SQLite then scans the table in order
# as the report's own query does, so this isolates the report's extra work from the plan choice
BARE_SCAN_SQL = BARE_SQL.replace("WHERE project_id", "WHERE +project_id")


def build(path: Path) -> None:
    """One project, 50 cost codes x 4 cost types = 200 budget lines, a few commitments and
    invoices, and 1M direct costs inserted with executemany in batches."""
    rng = random.Random(20261123)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    migrate(engine)
    now = dt.datetime(2026, 11, 1, 12, 0, 0).isoformat(sep=" ")
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        sync = ("NOT_SENT", "COSTBRIDGE", "[]", 0)  # with exported_directly
        cur.execute(
            "INSERT INTO projects (id, number, name, address, city, state, zip, active, sync_status, origin,"
            " sync_messages, exported_directly, created_at, updated_at) VALUES (1, 'B-1M',"
            " 'Benchmark Tower', '', '', '', '', 1,"
            " ?, ?, ?, ?, ?, ?)",
            (*sync, now, now),
        )
        cur.execute(
            "INSERT INTO budgets (id, project_id, locked, sync_status, origin,"
            " sync_messages, exported_directly, created_at,"
            " updated_at) VALUES (1, 1, 1, ?, ?, ?, ?, ?, ?)",
            (*sync, now, now),
        )
        codes = []
        for d in range(1, DIVISIONS + 1):
            for c in range(CODES_PER_DIVISION):
                codes.append((len(codes) + 1, f"{d:02d}-{100 + c * 10}", f"Code {d:02d}-{c}", f"{d:02d}"))
        cur.executemany(
            "INSERT INTO cost_codes (id, code, description, division, sort_key, active, sync_status, origin,"
            " sync_messages, exported_directly, created_at, updated_at) VALUES (?, ?, ?, ?,"
            " ?, 1, ?, ?, ?, ?, ?, ?)",
            [(*c, natural_sort_key(c[1]), *sync, now, now) for c in codes],
        )
        cur.executemany(
            "INSERT INTO cost_types (id, code, name, origin, active, created_at, updated_at)"
            " VALUES (?, ?, ?, 'COSTBRIDGE', 1, ?, ?)",
            [(i + 1, code, name, now, now) for i, (code, name) in enumerate(COST_TYPES)],
        )
        lines = []
        for code in codes:
            for t in range(1, len(COST_TYPES) + 1):
                amount = float(Decimal(rng.randrange(100_000, 5_000_000)) / 100)
                lines.append((len(lines) + 1, code[0], t, amount))
        cur.executemany(
            "INSERT INTO budget_lines (id, budget_id, sub_job_key, cost_code_id, cost_type_id, description,"
            " original_amount, created_at, updated_at) VALUES (?, 1, 0, ?, ?, '', ?, ?, ?)",
            [(*line, now, now) for line in lines],
        )
        cur.executemany(
            "INSERT INTO budget_modifications (budget_id, number, from_line_id, to_line_id, amount, notes, "
            "sync_status,"
            " origin, sync_messages, exported_directly, created_at, updated_at) VALUES (1,"
            " ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?)",
            [(str(i), i, i + 1, 250.5, *sync, now, now) for i in range(1, 40, 2)],
        )
        for n in range(1, 21):
            cur.execute(
                "INSERT INTO commitments (id, project_id, kind, number, title, description, status,"
                " retainage_percent, sync_status, origin, sync_messages, exported_directly,"
                " created_at, updated_at)"
                " VALUES (?, 1, 'SUBCONTRACT', ?, '', '', 'APPROVED', 10, ?, ?, ?, ?, ?, ?)",
                (n, f"SC-{n:03d}", *sync, now, now),
            )
            line = lines[n * 7]
            cur.execute(
                "INSERT INTO commitment_lines (id, commitment_id, line_number, cost_code_id, cost_type_id,"
                " description, amount) VALUES (?, ?, 1, ?, ?, '', ?)",
                (n, n, line[1], line[2], round(line[3] * 0.9, 2)),
            )
            cur.execute(
                "INSERT INTO subcontractor_invoices (id, commitment_id, number, billing_period_start,"
                " billing_period_end, billing_date, status, sync_status, origin, sync_messages,"
                " exported_directly, created_at,"
                " updated_at) VALUES (?, ?, '1', '2026-10-01', '2026-10-31', '2026-10-31', 'APPROVED', ?, ?, "
                "?,"
                " ?, ?, ?)",
                (n, n, *sync, now, now),
            )
            cur.execute(
                "INSERT INTO subcontractor_invoice_lines (invoice_id, commitment_line_id, cost_code_id,"
                " cost_type_id, description, work_completed_this_period, materials_presently_stored, "
                "retainage)"
                " VALUES (?, ?, ?, ?, '', ?, 0, 0)",
                (n, n, line[1], line[2], round(line[3] * 0.3, 2)),
            )
        start = dt.date(2024, 1, 1)
        inserted = 0
        while inserted < DIRECT_COSTS:
            batch = []
            for i in range(inserted, min(inserted + BATCH, DIRECT_COSTS)):
                line = lines[rng.randrange(len(lines))]
                batch.append(
                    (
                        line[1],
                        line[2],
                        DIRECT_TYPES[i % 4],
                        (start + dt.timedelta(days=i % 700)).isoformat(),
                        f"Transaction {i}",
                        rng.randrange(-50_000, 2_000_000) / 100,
                        f"bench-{i}",
                        now,
                        now,
                    )
                )
            cur.executemany(
                "INSERT INTO direct_costs (project_id, cost_code_id, cost_type_id, type, status, item_date,"
                " description, amount, dedupe_key, created_at, updated_at)"
                " VALUES (1, ?, ?, ?, 'APPROVED', ?, ?, ?, ?, ?, ?)",
                batch,
            )
            inserted += len(batch)
        raw.commit()
        cur.execute("ANALYZE")
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    tmp.rename(path)


def best_of(n: int, fn) -> float:
    best = float("inf")
    for _ in range(n):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def time_report() -> float:
    from models.reports import job_cost_report

    engine = make_engine(f"sqlite:///{DB_PATH}")
    factory = make_sessionmaker(engine)
    with factory() as session:
        report = job_cost_report(session, COMMAND_LINE, 1)  # warm the page cache
        bare_rows = session.execute(text(BARE_SQL), {"project": 1}).all()
        bare = best_of(3, lambda: session.execute(text(BARE_SQL), {"project": 1}).all())
        bare_scan = best_of(3, lambda: session.execute(text(BARE_SCAN_SQL), {"project": 1}).all())
        full = best_of(3, lambda: job_cost_report(session, COMMAND_LINE, 1))
    engine.dispose()
    bare_total = sum(Decimal(str(r[3])) for r in bare_rows).quantize(Decimal("0.01"))
    print(
        f"report: {len(report.rows)} rows, direct costs {report.totals.direct_costs} "
        f"(bare aggregate {bare_total}); report {full * 1000:.0f} ms, bare SQL {bare * 1000:.0f} ms"
    )
    print(
        f"bare SQL forced to a table scan {bare_scan * 1000:.0f} ms: report / scanning aggregate "
        f"{full / bare_scan:.2f}"
    )
    return full / bare


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    if not DB_PATH.exists():
        started = time.perf_counter()
        build(DB_PATH)
        print(f"built {DB_PATH} in {time.perf_counter() - started:.0f} s")
    else:
        print(f"reusing {DB_PATH}")
    ratio = time_report()
    print(f"report ratio {ratio:.2f} (limit {LIMIT})")


if __name__ == "__main__":
    main()
