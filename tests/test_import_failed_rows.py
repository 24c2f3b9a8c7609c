"""The failed-rows file: a run with failed or unplaced rows links (ImportRun.failedRowsUrl) a CSV and
an XLSX with the upload's own columns plus an Error column; fixing the error cells and uploading it
again places exactly those rows, and nothing is duplicated. The download is guarded like the run."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from api.relay import to_global_id
from models.budgets import BudgetLine
from models.costs import DirectCost, UnplacedJobCost
from models.enums import PermissionLevel, Tool
from tests import files_budget as fb
from tests import files_common as f
from tests import files_job_costs as fj
from tests.factories_imports import seed, upload

RUN_URL = "query($id: ID!) { node(id: $id) { ... on ImportRun { failedRowsUrl } } }"


def _url(gql, run: dict) -> str | None:
    return gql.data(RUN_URL, {"id": run["id"]})["node"]["failedRowsUrl"]


def _csv_rows(client, admin, url: str) -> list[list[str]]:
    response = client.get(url, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _count(session, model, *where) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_fixing_the_failed_rows_file_places_exactly_those_rows(client, admin, gql, session):
    seed(session)
    content = f.csv_bytes([fj.HEADER, *fj.ROWS, fj.UNPLACEABLE[0], fj.UNPLACEABLE[2], fj.UNPLACEABLE[4]])
    run = upload(client, admin, "job-costs", "costs.csv", content)["importRun"]
    assert run["counts"]["create"] == 7 and run["counts"]["unplaced"] == 3
    rows = _csv_rows(client, admin, _url(gql, run))
    assert rows[0] == [*fj.HEADER, "Error"]
    assert [r[10] for r in rows[1:]] == ["U1", "U3", "U5"]
    kept = dict(session.execute(select(UnplacedJobCost.erp_transaction_id, UnplacedJobCost.id)).all())
    assert [r[-1].split(" ", 1)[0] for r in rows[1:]] == [f"[U{kept[t]}]" for t in ("U1", "U3", "U5")]
    assert "Job '9999' matches no project" in rows[1][-1]

    # the accountant fixes the job of U1 and the cost code of U3 in Excel; U5's vendor stays unknown
    rows[1][0], rows[2][2] = "1001", "01-200"
    again = upload(client, admin, "job-costs", "fixed.csv", f.csv_bytes(rows))["importRun"]
    assert again["counts"] == {
        "create": 0,
        "update": 2,
        "unchanged": 1,
        "error": 0,
        "skipped": 0,
        "unplaced": 0,
    }
    assert again["warnings"] == []  # the Error column is the file's own, not an unknown one
    assert _count(session, DirectCost) == 6
    assert _count(session, UnplacedJobCost) == 3  # kept rows are never dropped: two now point at costs
    placed = session.execute(
        select(UnplacedJobCost.erp_transaction_id).where(UnplacedJobCost.direct_cost_id.is_not(None))
    )
    assert sorted(placed.scalars()) == ["U1", "U3"]
    fixed = session.scalar(select(DirectCost).where(DirectCost.erp_transaction_id == "U3"))
    assert fixed.amount == 12 and fixed.cost_code.code == "01-200"

    # the same corrected file again, or the original file again: nothing changes
    for name, data in (("fixed.csv", f.csv_bytes(rows)), ("costs.csv", content)):
        repeat = upload(client, admin, "job-costs", name, data)["importRun"]
        assert repeat["counts"]["create"] == 0 and repeat["counts"]["update"] == 0, (name, repeat["counts"])
    assert _count(session, DirectCost) == 6 and _count(session, UnplacedJobCost) == 3


def test_without_transaction_numbers_a_fixed_row_replaces_the_kept_one(client, admin, gql, session):
    seed(session)
    header = fj.HEADER[:-1]
    row = ["9999", "", "01-100", "1", "JC Cost", "2026-02-03", "Permit", "", "", "75.25"]
    run = upload(client, admin, "job-costs", "c.csv", f.csv_bytes([header, row, fj.ROWS[0][:-1]]))[
        "importRun"
    ]
    assert run["counts"]["unplaced"] == 1
    rows = _csv_rows(client, admin, _url(gql, run))
    rows[1][0] = "1001"
    again = upload(client, admin, "job-costs", "fixed.csv", f.csv_bytes(rows))["importRun"]
    assert again["counts"]["update"] == 1 and again["counts"]["create"] == 0
    assert _count(session, DirectCost) == 2
    assert _count(session, UnplacedJobCost, UnplacedJobCost.direct_cost_id.is_(None)) == 0


def test_the_xlsx_download_round_trips_too(client, admin, gql, session):
    seed(session)
    content = f.xlsx_bytes(fj.typed_rows() + [fj.UNPLACEABLE[0]])
    run = upload(client, admin, "job-costs", "costs.xlsx", content)["importRun"]
    url = _url(gql, run).replace(".csv", ".xlsx")
    response = client.get(url, headers=admin.headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/vnd")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == [*fj.HEADER, "Error"] and len(values) == 2
    values[1][0] = "1001"
    book = Workbook()
    for r in values:
        book.active.append(r)
    out = io.BytesIO()
    book.save(out)
    again = upload(client, admin, "job-costs", "fixed.xlsx", out.getvalue())["importRun"]
    assert again["counts"]["update"] == 1 and _count(session, DirectCost) == 5


def test_budget_failed_rows_come_back_and_load_alone(client, admin, gql, session):
    world = seed(session)
    project = to_global_id("Project", world.project_id)
    lines = [*fb.ROWS[:2], ["", "99-998", "1", "Typo", "50"]]
    run = upload(client, admin, "budget", "b.csv", fb.with_rows(lines), projectId=project,
                 errorPolicy="REJECT_FAILED_ROWS")["importRun"]  # fmt: skip
    assert run["status"] == "PARTIAL"
    rows = _csv_rows(client, admin, _url(gql, run))
    assert rows[0] == [*fb.HEADER, "Error"] and [r[1] for r in rows[1:]] == ["99-998"]
    before = _count(session, BudgetLine)
    rows[1][1] = "02-100"
    again = upload(client, admin, "budget", "fixed.csv", f.csv_bytes(rows), projectId=project)["importRun"]
    assert again["counts"]["create"] == 1 and again["warnings"][0]["code"] == "COST_CODE_ADDED_TO_PROJECT"
    assert _count(session, BudgetLine) == before + 1


def test_a_refused_file_comes_back_whole_so_the_fixed_file_loads_everything(client, admin, gql, session):
    seed(session)
    bad = ["1001", "", "01-100", "1", "JC Cost", "02/30/2026", "x", "", "", "5", "B1"]
    run = upload(client, admin, "job-costs", "c.csv", f.csv_bytes([fj.HEADER, *fj.ROWS, bad]))["importRun"]
    assert run["status"] == "FAILED"
    rows = _csv_rows(client, admin, _url(gql, run))
    assert len(rows) == 6 and [r[-1] == "" for r in rows[1:]] == [True, True, True, True, False]
    rows[5][5] = "2026-02-28"
    again = upload(client, admin, "job-costs", "fixed.csv", f.csv_bytes(rows))["importRun"]
    assert again["status"] == "SUCCEEDED" and again["counts"]["create"] == 5


def test_no_failed_rows_no_file_and_the_download_is_guarded_like_the_run(
    client, admin, gql, session, make_actor
):
    world = seed(session)
    good = upload(client, admin, "job-costs", "c.csv", fj.good_csv())["importRun"]
    assert _url(gql, good) is None
    project = to_global_id("Project", world.project_id)
    bad = fb.with_rows([["", "99-998", "1", "", "5"]])
    run = upload(client, admin, "budget", "b.csv", bad, projectId=project)["importRun"]
    url = _url(gql, run)
    directory = make_actor("Dee", {Tool.DIRECTORY: PermissionLevel.ADMIN})
    denied = client.get(url, headers=directory.headers)
    assert denied.status_code == 403 and denied.json()["errors"][0]["code"] == "PERMISSION_DENIED"
    assert client.get(url).status_code == 401
    reader = make_actor("Bea", {Tool.BUDGET: PermissionLevel.READ_ONLY})
    assert client.get(url.replace(".csv", ".xlsx"), headers=reader.headers).status_code == 200
