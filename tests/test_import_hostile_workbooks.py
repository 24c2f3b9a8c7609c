"""Hostile workbooks: each is refused with its coded error before a spreadsheet reader lays it out,
in bounded memory (peak RSS measured in a fresh process per file), through the API (the server
answers the next request) and through the CLI, and every refusal leaves an ImportRun."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app
from models.imports import ImportRun
from tests import files_hostile as h
from tests.factories_imports import seed, snapshot, upload

ROOT = Path(__file__).resolve().parents[1]
PEAK_LIMIT_MIB = 300


@dataclass(frozen=True)
class Hostile:
    id: str
    name: str
    build: Callable[[], bytes]
    code: str
    env: dict = field(default_factory=dict)


X, ODS, XLS, CSV = "costs.xlsx", "costs.ods", "costs.xls", "costs.csv"
SMALL_BUDGET = {"COSTBRIDGE_IMPORT_MAX_DECOMPRESSED_BYTES": str(32 * 1024 * 1024)}
CASES = [
    Hostile(
        "far-cells-a1-xfd1048576", X, lambda: h.far_cells("XFD1048576", "A1:XFD1048576"), "TOO_MANY_ROWS"
    ),
    Hostile("far-cells-lying-dimension", X, lambda: h.far_cells("XFD1048576", "A1"), "TOO_MANY_ROWS"),
    Hostile("far-cells-no-dimension", X, lambda: h.far_cells("Z1000000", None), "TOO_MANY_ROWS"),
    Hostile("far-column", X, lambda: h.far_cells("XFD1", "A1:B1"), "TOO_MANY_COLUMNS"),
    Hostile("used-range-too-big", X, lambda: h.far_cells("CV100000", "A1:CV100000"), "TOO_MANY_CELLS"),
    Hostile("same-cell-6m-times", X, lambda: h.repeated_cell(6_000_000), "TOO_MANY_CELLS"),
    Hostile("lying-zip-size", X, lambda: h.lying_size(48), "DECOMPRESSED_TOO_LARGE", SMALL_BUDGET),
    Hostile("entity-declarations-in-sheet", X, h.entity_sheet, "FILE_CORRUPT"),
    Hostile("entity-declarations-in-strings", X, h.entity_shared_strings, "FILE_CORRUPT"),
    Hostile("shared-strings-3m-entries", X, lambda: h.many_shared_strings(3_000_000), "TOO_MANY_CELLS"),
    Hostile("shared-strings-100mb", X, lambda: h.big_shared_strings(100), "DECOMPRESSED_TOO_LARGE"),
    Hostile("deep-styles", X, lambda: h.deep_styles(1_000_000), "FILE_CORRUPT"),
    Hostile("deep-sheet", X, lambda: h.deep_sheet(10_000_000), "FILE_CORRUPT"),
    Hostile("100mb-attribute", X, lambda: h.huge_attribute(100), "FILE_CORRUPT"),
    Hostile("merged-ranges-200k", X, lambda: h.many_merges(200_000), "FILE_CORRUPT"),
    Hostile("zip-of-60k-parts", X, lambda: h.many_members(60_000), "FILE_CORRUPT"),
    Hostile("ods-repeat-bomb", ODS, h.ods_repeat_bomb, "TOO_MANY_ROWS"),
    Hostile("ods-empty-run-bomb", ODS, h.ods_empty_run_bomb, "TOO_MANY_COLUMNS"),
    Hostile("ods-space-bomb", ODS, h.ods_space_bomb, "FILE_CORRUPT"),
    Hostile("xls-far-cell", XLS, h.xls_far_cell, "TOO_MANY_CELLS"),
    Hostile("xls-lying-dimensions", XLS, h.xls_lying_dimensions, "FILE_CORRUPT"),
    Hostile("xls-string-count", XLS, h.xls_huge_string_count, "TOO_MANY_CELLS"),
    Hostile("xls-sector-loop", XLS, h.xls_fat_loop, "FILE_CORRUPT"),
    Hostile("csv-300k-blank-lines", CSV, lambda: h.blank_lines_csv(300_000), "TOO_MANY_ROWS"),
]


_BY_ID = {c.id: c for c in CASES}


@cache
def _built(case_id: str) -> bytes:
    return _BY_ID[case_id].build()


def _content(case: Hostile) -> bytes:
    return _built(case.id)


_PROBE = """
import json, sys, time
def peak():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM'):
            return int(line.split()[1]) / 1024
from importers.errors import FileError
from importers.limits import limits_from_env
from importers.reading import read_sheet
data = open(sys.argv[1], 'rb').read()
limits = limits_from_env()
before, started = peak(), time.process_time()
try:
    read_sheet(data, sys.argv[2], limits)
    code = None
except FileError as exc:
    code = str(exc.code)
print(json.dumps({"code": code, "grew": peak() - before, "seconds": time.process_time() - started}))
"""


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_workbook_is_refused_in_bounded_memory(case, tmp_path):
    path = tmp_path / case.name
    path.write_bytes(_content(case))
    env = {**os.environ, **case.env, "PYTHONPATH": str(ROOT)}
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path), case.name],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr[-3000:]
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result["code"] == case.code, result
    assert result["grew"] < PEAK_LIMIT_MIB, f"{case.id}: peak RSS grew {result['grew']:.0f} MiB"


def test_the_hostile_corpus_covers_every_reader():
    assert {c.name.rsplit(".", 1)[1] for c in CASES} >= {"xlsx", "ods", "xls", "csv"}
    assert len({c.id for c in CASES}) == len(CASES)


def test_hostile_workbooks_through_the_api_leave_a_run_and_the_server_answers(
    client, admin, session, monkeypatch
):
    seed(session)
    before = snapshot(session)
    for case in CASES:
        with monkeypatch.context() as env:
            for var, value in case.env.items():
                env.setenv(var, value)
            out = upload(client, admin, "job-costs", case.name, _content(case), dryRun=True)
        assert out["errors"][0]["code"] == case.code, (case.id, out["errors"])
        run = out["importRun"]
        assert run["status"] == "DRY_RUN" and run["errors"][0]["code"] == case.code, (case.id, run)
        alive = client.post("/graphql", json={"query": "{ viewer { user { name } } }"}, headers=admin.headers)
        assert alive.status_code == 200 and alive.json()["data"]["viewer"]["user"]["name"] == admin.name
    runs = session.scalars(select(ImportRun).order_by(ImportRun.id)).all()
    assert [r.errors[0]["code"] for r in runs[-len(CASES) :]] == [c.code for c in CASES]
    assert snapshot(session) == before


def test_cli_refusal_leaves_an_import_run(engine, session, tmp_path, monkeypatch):
    seed(session)
    monkeypatch.setenv("COSTBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    for case in (CASES[0], CASES[7], CASES[19]):
        path = tmp_path / case.name
        path.write_bytes(_content(case))
        result = runner.invoke(app, ["import", "job-costs", str(path)])
        assert result.exit_code == 1, result.output
        assert case.code in result.output
        session.expire_all()
        last = session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
        assert last.status == "FAILED" and last.errors[0]["code"] == case.code
