"""The failed-rows file of an import run, as CSV or XLSX: the upload's own columns with an Error
column, one row per row that did not go in as planned (kept on the ImportRun when it ran)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy.orm import Session

from exporters.tabular import Column, iter_csv
from exporters.workbook import write_xlsx
from models.errors import DomainError, ErrorCode
from models.imports import ImportRun, reading_import_run
from models.policy import Actor, require

SHEET_TITLE = "Rows to fix"


def failed_rows(session: Session, actor: Actor, run_id: int) -> tuple[ImportRun, dict[str, Any]]:
    """The run and its failed rows; the actor must read the run (its tool's readers do)."""
    run = session.get(ImportRun, run_id)
    if run is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Import run not found", "id")
    require(actor, reading_import_run(run.kind), "Downloading the rows of an import")
    if not run.failed_row_count or run.failed_rows is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This import has no failed or unplaced rows", "id")
    return run, run.failed_rows


def _columns(table: dict[str, Any]) -> list[Column]:
    return [Column(str(header), width=max(12, min(len(str(header)) + 3, 40))) for header in table["header"]]


def _rows(table: dict[str, Any]) -> Iterator[list[Any]]:
    for _number, cells in table["rows"]:
        yield cells


def failed_rows_csv(table: dict[str, Any]) -> Iterator[str]:
    return iter_csv(_columns(table), _rows(table))


def write_failed_rows_xlsx(table: dict[str, Any], fileobj: IO[bytes]) -> int:
    return write_xlsx(fileobj, SHEET_TITLE, _columns(table), _rows(table), footer="Rows to fix")
