"""`costbridge import ...` on both backends: summary, exit codes, dry run, reject-failed-rows; the
summary's counts add up to the rows read and it fits an 80- and a 120-column terminal; the pipeline
reports its progress phase by phase."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.cli import app
from models.budgets import BudgetLine
from models.costs import DirectCost
from models.directory import Vendor
from models.imports import ImportRun
from tests import files_budget as fb
from tests import files_common as f
from tests import files_job_costs as fj
from tests.actors import SETUP
from tests.factories_imports import seed, snapshot


@pytest.fixture
def cli(engine, monkeypatch):
    monkeypatch.setenv("COSTBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    return lambda *args, columns=100: runner.invoke(app, ["import", *args], env={"COLUMNS": str(columns)})


def _count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_cli_budget_import_and_failure_exit_code(cli, session, tmp_path):
    seed(session)
    good = tmp_path / "budget.xlsx"
    good.write_bytes(f.xlsx_bytes(fb.typed_rows()))
    result = cli("budget", str(good), "--project", "24-001")
    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.output and re.search(r"^Created\s+3\b", result.output, re.M)
    assert _count(session, BudgetLine) == 3

    bad = tmp_path / "bad.csv"
    bad.write_bytes(fb.with_rows([["", "99-999", "1", "", "5"]]))
    before = snapshot(session)
    failed = cli("budget", str(bad), "--project", "24-001")
    assert failed.exit_code == 1
    assert "UNKNOWN_COST_CODE" in failed.output and "FAILED" in failed.output
    assert snapshot(session) == before
    assert session.scalar(select(ImportRun.user_id).order_by(ImportRun.id.desc())) is None

    missing = cli("budget", str(good), "--project", "NOPE")
    assert missing.exit_code == 1 and "NOT_FOUND" in missing.output


def test_cli_dry_run_and_reject_failed_rows(cli, session, tmp_path):
    seed(session)
    path = tmp_path / "costs.csv"
    path.write_bytes(
        f.csv_bytes(
            [fj.HEADER, *fj.ROWS, ["1001", "", "01-100", "1", "JC Cost", "02/30/2026", "", "", "", "1", "B"]]
        )
    )
    dry = cli("job-costs", str(path), "--dry-run")
    assert dry.exit_code == 0 and "DRY_RUN" in dry.output
    assert _count(session, DirectCost) == 0
    strict = cli("job-costs", str(path))
    assert strict.exit_code == 1 and "INVALID_DATE" in strict.output
    partial = cli("job-costs", str(path), "--reject-failed-rows")
    assert partial.exit_code == 0 and "PARTIAL" in partial.output
    assert _count(session, DirectCost) == 4


def test_cli_vendor_load(cli, session, tmp_path):
    seed(session)
    path = tmp_path / "vendors.xls"
    path.write_bytes(f.xls_bytes([fj.VENDOR_HEADER, *fj.VENDORS]))
    result = cli("vendors", str(path))
    assert result.exit_code == 0, result.output
    assert _count(session, Vendor) == 3


# (cost code, amount, what becomes of the row); job 1001 and its codes come from the seed
MIXED = [
    ["1001", "", "01-100", "1", "AP Cost", "2026-02-03", "Rebar", "V100", "I-1", "1,200.00", "M1"],
    ["1001", "", "01-100", "M", "JC Cost", "2026-02-06", "Permit", "", "", "75.25", "M2"],
    ["1001", "", "99-999", "1", "JC Cost", "2026-02-03", "New code", "", "", "12.00", "M3"],
    ["9999", "", "01-100", "1", "JC Cost", "2026-02-03", "Other job", "", "", "10.00", "M4"],
    ["4242", "", "01-100", "1", "JC Cost", "2026-02-03", "Another job", "", "", "(2.50)", "M5"],
    ["1001", "", "01-100", "1", "JC Cost", "02/30/2026", "Bad date", "", "", "8.00", "M6"],
    ["1001", "", "01-100", "1", "JC Cost", "2026-02-03", "Bad amount", "", "", "12..5", "M7"],
]
_LINE = re.compile(r"^(\s*)(.+?)\s{2,}(?:([\d,]+)\s*)?(-?\$[\d,.]+)?\s*$")


def _summary(output: str) -> dict[str, tuple[int, int, str | None]]:
    """label -> (indent, count, amount) for the lines of the outcome table."""
    found = {}
    for line in output.splitlines():
        match = _LINE.match(line)
        if match and (match.group(3) or match.group(4)) and not line.lstrip().startswith("Row"):
            indent, label, count, amount = match.groups()
            found.setdefault(label, (len(indent), int((count or "0").replace(",", "")), amount))
    return found


@pytest.mark.parametrize("columns", [80, 120])
def test_cli_summary_adds_up_and_fits_the_terminal(cli, session, tmp_path, columns):
    seed(session)
    path = tmp_path / "job-cost-detail-for-the-whole-quarter-exported-from-sage-100-contractor.csv"
    path.write_bytes(f.csv_bytes([fj.HEADER, *MIXED]))
    result = cli("job-costs", str(path), "--reject-failed-rows", columns=columns)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert lines[1].startswith(path.name[: columns // 2])  # the title is not squeezed into a column

    got = _summary(result.output)
    read = got["Read"][1]
    assert read == len(MIXED)
    top = ("Created", "Updated", "Unchanged", "Failed")
    assert sum(got[label][1] for label in top) == read
    assert (got["Created"][1], got["Failed"][1]) == (5, 2)
    # unplaced rows are part of the created ones, with their reasons
    assert got["of which unplaced"][1] == 3
    assert (got["UNKNOWN_COST_CODE"][1], got["UNKNOWN_JOB"][1]) == (1, 2)
    assert (got["INVALID_DATE"][1], got["INVALID_AMOUNT"][1]) == (1, 1)
    # control totals of the Amount column: the five good rows, and the failed row that has an amount
    assert got["control total of the rows above"][2] == "$1,294.75"
    assert got["Failed"][2] == "$8.00"
    assert _count(session, DirectCost) == 2

    run = session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
    assert run.counts["ROWS"] == 7 and run.counts["UNPLACED:UNKNOWN_JOB"] == 2
    assert (run.control_total, run.failed_total) == (Decimal("1294.75"), Decimal("8.00"))


def test_cli_refusal_says_nothing_was_written_and_how_to_load_the_good_rows(cli, session, tmp_path):
    seed(session)
    path = tmp_path / "costs.csv"
    path.write_bytes(f.csv_bytes([fj.HEADER, *MIXED]))
    before = snapshot(session)
    result = cli("job-costs", str(path), columns=80)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "FAILED, nothing was written" in text
    assert "Nothing was written: the import is all or nothing." in text
    assert (
        "costbridge import job-costs costs.csv --reject-failed-rows` to load the 5 rows that are good" in text
    )
    got = _summary(result.output)
    assert got["Good, not written"][1:] == (5, "$1,294.75")
    assert got["Good, not written"][1] + got["Failed"][1] == got["Read"][1] == 7
    assert snapshot(session) == before


def test_pipeline_reports_progress_phase_by_phase(session):
    from importers.job_costs import import_job_costs
    from importers.pipeline import ImportOptions
    from importers.progress import CHECK, MATCH, PLACE, READ, WRITE

    seed(session)
    rows = [
        ["1001", "", "01-100", "1", "JC Cost", "2026-02-03", f"Line {i}", "", "", "1.00", f"P{i}"]
        for i in range(3000)
    ]
    events = []
    run = import_job_costs(
        session, SETUP, f.csv_bytes([fj.HEADER, *rows]), "big.csv", ImportOptions(progress=events.append)
    )
    assert run.status == "SUCCEEDED" and run.control_total == Decimal("3000.00")
    phases = [e.phase for e in events]
    assert list(dict.fromkeys(phases)) == [READ, CHECK, MATCH, WRITE, PLACE]
    for phase in (CHECK, MATCH, WRITE):
        seen = [e for e in events if e.phase == phase]
        assert seen[0].done == 0 and seen[-1].done == seen[-1].total == 3000
        assert [e.done for e in seen] == sorted(e.done for e in seen)
    # rows are counted as they go, not only at the start and the end of a phase
    assert len([e for e in events if e.phase == CHECK]) > 10
    assert events[0].total is None and [e for e in events if e.phase == READ][-1].done == 3000
