"""Domain errors: the one exception type every domain function raises for an expected failure.

The API turns a DomainError into a ``UserError`` in the mutation payload; the CLI prints it.
Codes are a closed enum so front ends can switch on them.
"""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    # generic input problems
    NOT_FOUND = "NOT_FOUND"
    INVALID_ID = "INVALID_ID"
    INVALID_VALUE = "INVALID_VALUE"
    REQUIRED = "REQUIRED"
    DUPLICATE = "DUPLICATE"
    NEGATIVE_AMOUNT = "NEGATIVE_AMOUNT"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    PAGE_SIZE_TOO_LARGE = "PAGE_SIZE_TOO_LARGE"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    # record rules
    COST_CODE_NOT_IN_PROJECT = "COST_CODE_NOT_IN_PROJECT"
    SUB_JOB_NOT_IN_PROJECT = "SUB_JOB_NOT_IN_PROJECT"
    DUPLICATE_BUDGET_LINE = "DUPLICATE_BUDGET_LINE"
    DUPLICATE_COMMITMENT_NUMBER = "DUPLICATE_COMMITMENT_NUMBER"
    DUPLICATE_PROJECT_NUMBER = "DUPLICATE_PROJECT_NUMBER"
    DUPLICATE_COST_CODE = "DUPLICATE_COST_CODE"
    DUPLICATE_COST_TYPE = "DUPLICATE_COST_TYPE"
    DUPLICATE_SUB_JOB = "DUPLICATE_SUB_JOB"
    DUPLICATE_INVOICE_NUMBER = "DUPLICATE_INVOICE_NUMBER"
    DUPLICATE_CHANGE_ORDER_NUMBER = "DUPLICATE_CHANGE_ORDER_NUMBER"
    INVALID_STATUS_TRANSITION = "INVALID_STATUS_TRANSITION"
    BUDGET_LOCKED = "BUDGET_LOCKED"
    BUDGET_NOT_LOCKED = "BUDGET_NOT_LOCKED"
    BUDGET_OWNED_BY_ERP = "BUDGET_OWNED_BY_ERP"
    RECORD_LOCKED_BY_SYNC = "RECORD_LOCKED_BY_SYNC"
    COMMITMENT_NOT_APPROVED = "COMMITMENT_NOT_APPROVED"
    COMMITMENT_NOT_SYNCED = "COMMITMENT_NOT_SYNCED"
    # workflow and preflight
    VENDOR_NOT_SYNCED = "VENDOR_NOT_SYNCED"
    PROJECT_NOT_SYNCED = "PROJECT_NOT_SYNCED"
    COST_CODE_NOT_IN_ERP = "COST_CODE_NOT_IN_ERP"
    COST_TYPE_MISSING = "COST_TYPE_MISSING"
    UNSUPPORTED_BY_ERP = "UNSUPPORTED_BY_ERP"
    UNSUPPORTED_IN_COUNTRY = "UNSUPPORTED_IN_COUNTRY"
    ORIGIN_ID_REQUIRED = "ORIGIN_ID_REQUIRED"
    REASON_REQUIRED = "REASON_REQUIRED"
    JOB_EXISTS_IN_BOTH_SYSTEMS = "JOB_EXISTS_IN_BOTH_SYSTEMS"
    INVALID_COST_CODE_FORMAT = "INVALID_COST_CODE_FORMAT"
    EXPORT_NOT_FOUND = "EXPORT_NOT_FOUND"
    CONCURRENT_UPDATE = "CONCURRENT_UPDATE"
    # files
    FILE_EMPTY = "FILE_EMPTY"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_UNREADABLE = "FILE_UNREADABLE"
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
    MISSING_COLUMN = "MISSING_COLUMN"
    DUPLICATE_COLUMN = "DUPLICATE_COLUMN"
    INVALID_DATE = "INVALID_DATE"
    UNKNOWN_COST_CODE = "UNKNOWN_COST_CODE"
    UNKNOWN_COST_TYPE = "UNKNOWN_COST_TYPE"
    DUPLICATE_ROW = "DUPLICATE_ROW"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    FORMULA_WITHOUT_VALUE = "FORMULA_WITHOUT_VALUE"


class DomainError(Exception):
    """An expected failure a user can fix: carries a code, a message and optionally the field."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        field: str | None = None,
        *,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.row = row
        self.column = column

    def __repr__(self) -> str:
        return f"DomainError({self.code}, {self.message!r}, field={self.field!r})"
