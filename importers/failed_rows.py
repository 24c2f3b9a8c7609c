"""The failed-rows file of a run: the rows that did not go in as planned, with the file's own columns
and an Error column saying why, kept on the ImportRun so ``failedRowsUrl`` can hand it back to be
fixed in Excel and uploaded again.

When the run wrote the good rows (SUCCEEDED, PARTIAL), the file holds the failed rows and the rows
kept unplaced; an unplaced row's Error starts with its reference ('[U12] ...') so the corrected
upload replaces that kept row instead of adding another. When nothing was written (a dry run, or
a file refused whole), it holds every row, the good ones with an empty Error, so fixing it and
uploading it loads everything."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from importers.errors import Reason, RowIssue
from importers.headers import normalize_header

ERROR_HEADER = "Error"
_REF = re.compile(r"^\[U(\d+)\]")


def unplaced_ref(unplaced_id: int) -> str:
    return f"U{unplaced_id}"


def ref_of(error_cell: Any) -> int | None:
    """The kept row an Error cell of a failed-rows file points at, if any."""
    found = _REF.match(error_cell) if isinstance(error_cell, str) else None
    return int(found.group(1)) if found else None


def _cell(value: Any) -> Any:
    """A cell as JSON keeps it (and a spreadsheet reads it back the same)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def collect(
    raw_rows: list[list[Any]],
    header_index: int,
    numbers: Sequence[int],
    errors: Iterable[RowIssue],
    reasons: Iterable[tuple[int, Reason]],
    unplaced: Iterable[int],
    refs: dict[int, str],
    *,
    everything: bool,
) -> dict[str, Any] | None:
    """The rows to hand back, or None when every row went in as planned."""
    messages: dict[int, list[str]] = {}
    for issue in errors:
        if issue.row is not None:
            messages.setdefault(issue.row, []).append(issue.message)
    for row, reason in reasons:
        found = messages.setdefault(row, [])
        if reason.message not in found:
            found.append(reason.message)
    kept = set(unplaced)
    if not messages and not kept:
        return None
    wanted = list(numbers) if everything else sorted(set(messages) | kept)
    header = [str(c) if c is not None else "" for c in raw_rows[header_index]]
    error_at = next((j for j, h in enumerate(header) if normalize_header(h) == "error"), None)
    if error_at is None:
        header.append(ERROR_HEADER)
        error_at = len(header) - 1
    width = len(header)
    rows = []
    for number in wanted:
        cells = [_cell(v) for v in raw_rows[number - 1]][:width]
        cells += [""] * (width - len(cells))
        text = "; ".join(messages.get(number, []))
        if number in refs:
            text = f"[{refs[number]}] {text}"
        cells[error_at] = text
        rows.append([number, cells])
    return {"header": header, "rows": rows}
