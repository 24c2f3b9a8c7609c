"""The bad-input corpus: every file is built here, each gets its own error code (with the row and
column where there is one), the ImportRun records the failure, and the database is unchanged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select, update

from api.relay import to_global_id
from models.budgets import Budget
from models.company import get_settings
from models.enums import Origin, SyncStatus
from models.imports import ImportRun
from tests import files_budget as fb
from tests import files_common as f
from tests.factories_imports import seed, snapshot, upload

H = fb.HEADER
GOOD = fb.ROWS[0]
JC_HEADER = ["Job", "Cost Code", "Cost Type", "Source", "Transaction Date", "Amount", "Transaction ID"]


def _lock(session, world):
    session.execute(update(Budget).where(Budget.project_id == world.project_id).values(locked=True))


def _synced(session, world):
    session.execute(
        update(Budget).where(Budget.project_id == world.project_id).values(sync_status=SyncStatus.SYNCED)
    )


def _erp_budget(session, world):
    session.execute(update(Budget).where(Budget.project_id == world.project_id).values(origin=Origin.ERP))


def _phases(session, world):
    get_settings(session).uses_phases = True


@dataclass
class Case:
    id: str
    name: str
    build: Callable[[], bytes]
    code: str
    row: int | None = None
    column: str | None = None
    kind: str = "budget"
    env: dict = field(default_factory=dict)
    setup: Callable | None = None


CASES = [
    Case("empty-file", "budget.csv", lambda: b"", "FILE_EMPTY"),
    Case("header-only", "budget.csv", lambda: f.csv_bytes([H]), "NO_DATA_ROWS", row=1),
    Case(
        "missing-required-column",
        "budget.csv",
        lambda: f.csv_bytes([["Cost Code", "Cost Type", "Description"], ["01-100", "1", "x"]]),
        "MISSING_COLUMN",
        row=1,
        column="Original Budget Amount",
    ),
    Case(
        "duplicate-header",
        "budget.csv",
        lambda: f.csv_bytes([[*H, "Cost Code"], [*GOOD, "01-100"]]),
        "DUPLICATE_COLUMN",
        row=1,
        column="Cost Code",
    ),
    Case(
        "wrong-delimiter",
        "budget.csv",
        lambda: "\r\n".join(":".join(r) for r in [H, GOOD]).encode(),
        "WRONG_DELIMITER",
        row=1,
    ),
    Case("no-header", "budget.csv", lambda: f.csv_bytes([["a", "b"], ["1", "2"]]), "HEADER_NOT_FOUND"),
    Case("binary-named-csv", "budget.csv", f.binary_junk, "FILE_UNREADABLE"),
    Case(
        "text-in-amount",
        "budget.csv",
        lambda: fb.with_rows([["", "01-100", "1", "", "ten dollars"]]),
        "INVALID_AMOUNT",
        row=2,
        column="Original Budget Amount",
    ),
    Case(
        "two-decimal-points",
        "budget.csv",
        lambda: fb.with_rows([["", "01-100", "1", "", "12.34.56"]]),
        "INVALID_AMOUNT",
        row=2,
        column="Original Budget Amount",
    ),
    Case(
        "amount-over-precision",
        "budget.csv",
        lambda: fb.with_rows([["", "01-100", "1", "", "12345678901234.00"]]),
        "AMOUNT_TOO_LARGE",
        row=2,
        column="Original Budget Amount",
    ),
    Case(
        "blank-cost-code",
        "budget.csv",
        lambda: fb.with_rows([["", "", "1", "", "5"]]),
        "REQUIRED",
        row=2,
        column="Cost Code",
    ),
    Case(
        "unknown-cost-code",
        "budget.csv",
        lambda: fb.with_rows([["", "99-999", "1", "", "5"]]),
        "UNKNOWN_COST_CODE",
        row=2,
        column="Cost Code",
    ),
    Case(
        "unknown-cost-type",
        "budget.csv",
        lambda: fb.with_rows([["", "01-100", "Z", "", "5"]]),
        "UNKNOWN_COST_TYPE",
        row=2,
        column="Cost Type",
    ),
    Case(
        "unknown-sub-job",
        "budget.csv",
        lambda: fb.with_rows([["77", "01-100", "1", "", "5"]]),
        "UNKNOWN_SUB_JOB",
        row=2,
        column="Sub Job",
    ),
    Case(
        "duplicate-line",
        "budget.csv",
        lambda: fb.with_rows([GOOD, ["", "01-100 ", "1", "again", "1"]]),
        "DUPLICATE_ROW",
        row=3,
    ),
    Case(
        "formula-without-value",
        "budget.xlsx",
        lambda: f.xlsx_with_formula([H, ["", "01-100", "1", "", 5]], "E2", "=2*3"),
        "FORMULA_WITHOUT_VALUE",
        row=2,
        column="E",
    ),
    Case(
        "merged-header-cells",
        "budget.xlsx",
        lambda: f.xlsx_bytes([[*H, "Notes"], [*GOOD, ""]], merge="E1:F1"),
        "MERGED_HEADER_CELLS",
        row=1,
    ),
    Case("xlsx-that-is-csv", "budget.xlsx", fb.good_csv, "FILE_TYPE_MISMATCH"),
    Case("truncated-xlsx", "budget.xlsx", lambda: f.truncated(f.xlsx_bytes(fb.typed_rows())), "FILE_CORRUPT"),
    Case(
        "zip-bomb",
        "budget.xlsx",
        lambda: f.zip_bomb(fb.typed_rows(), 3_000_000),
        "DECOMPRESSED_TOO_LARGE",
        env={"COSTBRIDGE_IMPORT_MAX_DECOMPRESSED_BYTES": "1000000"},
    ),
    Case(
        "file-over-size-cap",
        "budget.csv",
        lambda: fb.with_rows([GOOD] * 50),
        "FILE_TOO_LARGE",
        env={"COSTBRIDGE_IMPORT_MAX_FILE_BYTES": "500"},
    ),
    Case(
        "sheet-over-row-cap",
        "budget.xlsx",
        lambda: f.xlsx_bytes([H, *[["", "01-100", 1, "", i] for i in range(6)]]),
        "TOO_MANY_ROWS",
        env={"COSTBRIDGE_IMPORT_MAX_ROWS": "5"},
    ),
    Case("password-protected", "budget.xlsx", f.encrypted_workbook, "PASSWORD_PROTECTED"),
    Case("empty-only-sheet", "budget.xlsx", f.empty_workbook, "SHEET_EMPTY"),
    Case("unsupported-extension", "budget.pdf", fb.good_csv, "UNSUPPORTED_FILE_TYPE"),
    Case("budget-locked", "budget.csv", fb.good_csv, "BUDGET_LOCKED", setup=_lock),
    Case("budget-with-the-erp", "budget.csv", fb.good_csv, "RECORD_LOCKED_BY_SYNC", setup=_synced),
    Case("budget-from-erp-estimate", "budget.csv", fb.good_csv, "BUDGET_OWNED_BY_ERP", setup=_erp_budget),
    Case("sage100-phases", "budget.csv", fb.good_csv, "BUDGET_OWNED_BY_ERP", setup=_phases),
    Case(
        "impossible-date",
        "costs.csv",
        lambda: f.csv_bytes([JC_HEADER, ["1001", "01-100", "1", "JC Cost", "02/30/2026", "5", "T1"]]),
        "INVALID_DATE",
        row=2,
        column="Transaction Date",
        kind="job-costs",
    ),
    Case(
        "unknown-source",
        "costs.csv",
        lambda: f.csv_bytes([JC_HEADER, ["1001", "01-100", "1", "GL Cost", "02/03/2026", "5", "T1"]]),
        "UNKNOWN_SOURCE",
        row=2,
        column="Source",
        kind="job-costs",
    ),
    Case(
        "duplicate-transaction-id",
        "costs.csv",
        lambda: f.csv_bytes(
            [
                JC_HEADER,
                ["1001", "01-100", "1", "JC Cost", "2026-02-03", "5", "T1"],
                ["1001", "01-100", "1", "JC Cost", "2026-02-04", "6", "T1"],
            ]
        ),
        "DUPLICATE_ROW",
        row=3,
        column="Transaction ID",
        kind="job-costs",
    ),
    Case(
        "vendor-without-name",
        "vendors.csv",
        lambda: f.csv_bytes([["Vendor Record Number", "Name", "City"], ["V7", "", "Irvine"]]),
        "REQUIRED",
        row=2,
        column="Name",
        kind="vendors",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_file_is_refused_with_its_code_and_nothing_is_written(case, client, admin, session, monkeypatch):
    world = seed(session)
    if case.setup:
        case.setup(session, world)
        session.commit()
    for var, value in case.env.items():
        monkeypatch.setenv(var, value)
    before = snapshot(session)
    extra = {"projectId": to_global_id("Project", world.project_id)} if case.kind == "budget" else {}
    out = upload(client, admin, case.kind, case.name, case.build(), **extra)

    if case.code == "FILE_TOO_LARGE":  # refused before reading: no run to record
        assert out["importRun"] is None
    else:
        run = out["importRun"]
        assert run["status"] == "FAILED", run
        assert run["counts"]["create"] == 0 and run["counts"]["update"] == 0
        assert run["errors"][0]["code"] == case.code, run["errors"]
        assert session.scalar(select(ImportRun.status).order_by(ImportRun.id.desc())) == "FAILED"
    error = out["errors"][0]
    assert error["code"] == case.code, out["errors"]
    assert error["message"]
    if case.row is not None:
        assert error["row"] == case.row
    if case.column is not None:
        assert error["column"] == case.column
    assert snapshot(session) == before


def test_the_corpus_is_at_least_25_distinct_files():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)
