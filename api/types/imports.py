"""ImportRun and its issues as GraphQL types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from api.context import Info
from api.dataloaders import sync as sync_loaders
from api.errors import ErrorCodeType
from api.relay import Node, register_node, to_global_id
from api.types.enums import ImportKind
from api.types.sync import UserSummary
from importers.plan import ErrorPolicy, RunStatus
from models import imports as m
from models.errors import ErrorCode

ImportErrorPolicy = strawberry.enum(
    ErrorPolicy,
    name="ImportErrorPolicy",
    description="ALL_OR_NOTHING: any row error refuses the file. REJECT_FAILED_ROWS: good rows are applied.",
)


ImportRunStatus = strawberry.enum(
    RunStatus,
    name="ImportRunStatus",
    description="SUCCEEDED, PARTIAL (failed rows rejected by policy), FAILED (nothing written), DRY_RUN.",
)


@strawberry.type(description="A row error or warning: the spreadsheet row (1-based) and column heading.")
class ImportIssue:
    row: int | None
    column: str | None
    code: ErrorCodeType  # type: ignore[valid-type]
    message: str

    @classmethod
    def from_dict(cls, item: dict) -> ImportIssue:
        return cls(
            row=item.get("row"),
            column=item.get("column"),
            code=ErrorCode(item["code"]),
            message=item["message"],
        )


@strawberry.type(
    description="How many rows had each outcome: create + update + unchanged + error + skipped = rows "
    "(a FAILED run wrote nothing, so its create, update and unchanged are 0)."
)
class ImportCounts:
    rows: int = strawberry.field(description="Data rows read below the header (blank rows aside).")
    create: int
    update: int
    unchanged: int
    error: int
    skipped: int
    unplaced: int = strawberry.field(description="Job-cost rows kept but not placed (included in create).")
    contracts: int = strawberry.field(
        description="Prime contract loads: the contracts written (or, in a dry run, that would be)."
    )


@register_node(
    m.ImportRun, "ImportRun", m.IMPORT_RUNS_READ, row_need=lambda row: m.reading_import_run(row.kind)
)
@strawberry.type(name="ImportRun", description="One file import or dry run, with what came of each row.")
class ImportRun(Node):
    kind: ImportKind
    file_name: str
    sha256: str
    status: ImportRunStatus  # type: ignore[valid-type]
    dry_run: bool
    error_policy: ImportErrorPolicy  # type: ignore[valid-type]
    counts: ImportCounts
    control_total: Decimal | None = strawberry.field(
        description="The money column (budget amount, job-cost amount) summed over the rows the import "
        "accepts: loaded, or that would load (dry run; the good rows of a FAILED run). Null for vendor lists."
    )
    failed_total: Decimal | None = strawberry.field(
        description="The same column summed over the failed rows whose amount could be read."
    )
    errors: list[ImportIssue]
    warnings: list[ImportIssue]
    project_id: strawberry.ID | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    _user_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: m.ImportRun) -> ImportRun:
        counts = row.counts or {}
        return cls(
            id=to_global_id("ImportRun", row.id),
            kind=row.kind,
            file_name=row.file_name,
            sha256=row.sha256,
            status=RunStatus(row.status),
            dry_run=row.dry_run,
            error_policy=ErrorPolicy(row.error_policy),
            counts=ImportCounts(
                rows=counts.get("ROWS", 0),
                create=counts.get("CREATE", 0),
                update=counts.get("UPDATE", 0),
                unchanged=counts.get("UNCHANGED", 0),
                error=counts.get("ERROR", 0),
                skipped=counts.get("SKIPPED", 0),
                unplaced=counts.get("UNPLACED", 0),
                contracts=counts.get("CONTRACTS", 0),
            ),
            control_total=row.control_total,
            failed_total=row.failed_total,
            errors=[ImportIssue.from_dict(e) for e in row.errors or []],
            warnings=[ImportIssue.from_dict(w) for w in row.warnings or []],
            project_id=to_global_id("Project", row.project_id) if row.project_id else None,
            created_at=row.created_at,
            finished_at=row.finished_at,
            _user_id=row.user_id,
        )

    @strawberry.field(description="Who ran the import (null for the CLI or a system job).")
    async def user(self, info: Info) -> UserSummary | None:
        if self._user_id is None:
            return None
        user = await info.context.loaders.get(sync_loaders.users).load(self._user_id)
        return UserSummary.from_row(user) if user else None
