"""`costbridge import ...` on both backends: summary, exit codes, dry run, reject-failed-rows."""

from __future__ import annotations

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
from tests.factories_imports import seed, snapshot


@pytest.fixture
def cli(engine, monkeypatch):
    monkeypatch.setenv("COSTBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["import", *args])


def _count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_cli_budget_import_and_failure_exit_code(cli, session, tmp_path):
    seed(session)
    good = tmp_path / "budget.xlsx"
    good.write_bytes(f.xlsx_bytes(fb.typed_rows()))
    result = cli("budget", str(good), "--project", "24-001")
    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.output and "CREATE" in result.output
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
