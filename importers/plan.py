"""What an importer decides before writing: rows to create and update, rows unchanged, row errors.

The planner of each kind fills a Plan; the pipeline decides from it (and the error policy) whether
to apply, and records the counts."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from importers.errors import Reason, RowIssue
from importers.headers import Layout, column_letter
from models.errors import ErrorCode


class Outcome(enum.StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    UNCHANGED = "UNCHANGED"
    ERROR = "ERROR"
    SKIPPED = "SKIPPED"


class RunStatus(enum.StrEnum):
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"  # failed rows rejected by REJECT_FAILED_ROWS, the good ones applied
    FAILED = "FAILED"  # nothing written
    DRY_RUN = "DRY_RUN"


class ErrorPolicy(enum.StrEnum):
    ALL_OR_NOTHING = "ALL_OR_NOTHING"
    REJECT_FAILED_ROWS = "REJECT_FAILED_ROWS"


@dataclass
class Plan:
    # the rows to create: a list, or the importer's own column-wise batch (anything with a length)
    creates: Any = field(default_factory=list)
    updates: list[Any] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
    # kind-specific counts, e.g. UNPLACED for job costs
    extra_counts: dict[str, int] = field(default_factory=dict)
    # every reason a row will be kept unplaced (or, for a row that also fails, would be): row, reason
    reasons: list[tuple[int, Reason]] = field(default_factory=list)
    # rows kept unplaced by this load, and (once written) the reference of each kept row by row number
    unplaced_rows: list[int] = field(default_factory=list)
    refs: dict[int, str] = field(default_factory=dict)

    def fail(self, issue: RowIssue) -> None:
        self.errors.append(issue)
        if issue.row is not None:
            self.error_rows.add(issue.row)


@dataclass
class Table:
    """A file's data rows column by column, in the importer's column order (a column the file lacks
    is all None, a blank cell is ''), with each row's Excel row number. Big loads work on whole
    columns; ``rows`` gives the row-by-row view."""

    numbers: list[int]
    columns: list[Sequence[Any]]

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def rows(self) -> list[Row]:
        return [
            Row(n, values) for n, values in zip(self.numbers, zip(*self.columns, strict=True), strict=True)
        ]


@dataclass(slots=True)
class Row:
    """One data row: its Excel row number and its values in the importer's column order (None when
    the file has no such column, '' when the cell is blank)."""

    number: int
    values: Sequence[Any]


class CellReporter:
    """Builds row issues that name the cell the way Excel does: 'Cell E7 (Amount): ...'."""

    def __init__(self, layout: Layout, labels: dict[str, str]):
        self.layout = layout
        self.labels = labels

    def issue(
        self, row: int, key: str | None, code: ErrorCode, message: str, subject: str | None = None
    ) -> RowIssue:
        if key is None:
            return RowIssue(code, f"Row {row}: {message}", row, None, subject)
        label = self.layout.labels.get(key, self.labels.get(key, key))
        j = self.layout.index.get(key)
        where = f"Cell {column_letter(j)}{row}" if j is not None else f"Row {row}"
        return RowIssue(code, f"{where} ({label}): {message}", row, label, subject)
