"""FileError: a problem with the file as a whole (unreadable, wrong type, missing column, ...).

Row-level problems are not exceptions: the planner collects them as ``RowIssue`` values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.errors import ErrorCode


class FileError(Exception):
    def __init__(self, code: ErrorCode, message: str, *, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.row = row
        self.column = column


@dataclass(frozen=True, slots=True)
class RowIssue:
    """An error or warning tied to a spreadsheet row (1-based, as Excel numbers rows) and column;
    ``subject`` is the value at fault when there is one (the unknown code, the bad date)."""

    code: ErrorCode
    message: str
    row: int | None = None
    column: str | None = None
    subject: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": str(self.code), "message": self.message}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a row cannot be placed (or loaded): the code, the value at fault as the file wrote it (a
    job, a cost code, 'job / phase', a vendor), and the message."""

    code: ErrorCode
    subject: str
    message: str
