"""Every reason a load's rows cannot be placed or loaded, grouped: one entry per (code, value at
fault) with how many rows, which rows, and the fix an accountant can act on ("load the ERP job list
with job 1001", "add cost code 3320.100"). Computed from the whole plan at once, so a dry run on an
empty company names every missing job, code, type and vendor in one pass."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from importers.errors import Reason, RowIssue
from models.errors import ErrorCode

SAMPLE_ROWS = 20  # the rows listed per group (the count is exact)

_CELL_FIX = "correct the cell (in the failed-rows file) and upload it again"
_FIXES: dict[ErrorCode, Callable[[str], str]] = {
    ErrorCode.UNKNOWN_JOB: lambda job: (
        f"load the ERP job list with job {job} (importErpJobs, or costbridge import erp-jobs)"
    ),
    ErrorCode.UNKNOWN_SUB_JOB: lambda pair: (
        "load the ERP job list with phase/extra {1} of job {0} (importErpJobs)".format(*_pair(pair))
    ),
    ErrorCode.UNKNOWN_COST_CODE: lambda code: (
        f"add cost code {code}: load the ERP cost code list (importErpCostCodes, or costbridge import "
        "erp-cost-codes)"
    ),
    ErrorCode.UNKNOWN_COST_TYPE: lambda kind: (
        f"add cost type {kind}: load the ERP cost code list with its categories (importErpCostCodes), "
        "or use a known cost type"
    ),
    ErrorCode.UNKNOWN_VENDOR: lambda vendor: (
        f"load the ERP vendor list with vendor {vendor} (importVendors, or costbridge import vendors)"
    ),
    ErrorCode.DUPLICATE_ROW: lambda _: "keep one of the rows, or combine them",
    ErrorCode.REQUIRED: lambda _: "fill in the cell",
    ErrorCode.JOB_EXISTS_IN_BOTH_SYSTEMS: lambda job: (
        f"renumber (or delete) the CostBridge project {job}, or send it to the ERP and link it there"
    ),
    ErrorCode.INVALID_STATUS_TRANSITION: lambda job: (
        f"wait for project {job}'s export to the ERP to finish, then load the file again"
    ),
    ErrorCode.EXPORT_IN_PROGRESS: lambda code: (
        f"wait for the export of {code} to the ERP to finish (or retrieve it), then load the file again"
    ),
    ErrorCode.DUPLICATE_ORIGIN_ID: lambda code: (
        f"unlink the CostBridge record {code} from the ERP first, or correct the cell"
    ),
    ErrorCode.ROW_FOR_ANOTHER_JOB: lambda job: (
        f"split the file per job: load job {job}'s rows into the budget of project {job}"
    ),
}


def _pair(subject: str) -> tuple[str, str]:
    job, _, sub = subject.partition(" / ")
    return job, sub


def sub_job_subject(job: str, sub_job: str) -> str:
    return f"{job} / {sub_job}"


def fix_for(code: ErrorCode, subject: str) -> str:
    fix = _FIXES.get(code)
    return fix(subject) if fix else _CELL_FIX


def group(rows: Iterable[tuple[int | None, Reason]]) -> list[dict[str, Any]]:
    """Groups in first-seen order: {code, subject, count, rows, message, fix}."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for row, reason in rows:
        key = (str(reason.code), reason.subject)
        found = groups.get(key)
        if found is None:
            found = groups[key] = {
                "code": str(reason.code),
                "subject": reason.subject,
                "count": 0,
                "rows": [],
                "message": reason.message,
                "fix": fix_for(reason.code, reason.subject),
            }
        found["count"] += 1
        if row is not None and len(found["rows"]) < SAMPLE_ROWS:
            found["rows"].append(row)
    return list(groups.values())


def from_issues(issues: Iterable[RowIssue]) -> list[tuple[int | None, Reason]]:
    """Row errors as reasons (the value at fault, or the message when the issue names none)."""
    return [
        (issue.row, Reason(issue.code, issue.subject if issue.subject is not None else "", issue.message))
        for issue in issues
        if issue.row is not None
    ]
