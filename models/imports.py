"""ImportRun: the record of every file import (or dry run), with its counts and row errors, and
who may read which runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Money, UTCDateTime, utcnow
from models.enums import ImportKind, Tool
from models.policy import READ_ONLY, Actor, Need, one_of, reading


class ImportRun(Base):
    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(Enum(ImportKind, native_enum=False, length=24), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    error_policy: Mapped[str] = mapped_column(String(32), nullable=False, default="ALL_OR_NOTHING")
    # SUCCEEDED, PARTIAL (some rows rejected by policy), FAILED (nothing written), DRY_RUN
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    # {"ROWS": n read, "CREATE": n, "UPDATE": n, "UNCHANGED": n, "ERROR": n, "SKIPPED": n, and for job
    # costs "UNPLACED": n (of CREATE) with "UNPLACED:<reason>": n per reason}
    counts: Mapped[dict[str, int]] = mapped_column(JSON, nullable=False, default=dict)
    # control totals of the file's money column (budget amount, job-cost amount): over the rows the
    # import accepts, and over the failed rows whose amount could be read; null for a vendor list
    control_total: Mapped[Decimal | None] = mapped_column(Money)
    failed_total: Mapped[Decimal | None] = mapped_column(Money)
    # [{"row": 3, "column": "Amount", "code": "INVALID_AMOUNT", "message": "..."}]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


# The tool whose records each kind of import loads: its readers see the import's runs.
IMPORT_TOOLS: dict[ImportKind, Tool] = {
    ImportKind.BUDGET: Tool.BUDGET,
    ImportKind.VENDORS: Tool.DIRECTORY,
    ImportKind.JOB_COSTS: Tool.ERP_INTEGRATIONS,
    ImportKind.ERP_JOBS: Tool.ERP_INTEGRATIONS,
    ImportKind.ERP_SUB_JOBS: Tool.ERP_INTEGRATIONS,
    ImportKind.ERP_ESTIMATES: Tool.ERP_INTEGRATIONS,
    ImportKind.ERP_COST_CODES: Tool.ERP_INTEGRATIONS,
    ImportKind.PRIME_CONTRACTS: Tool.PRIME_CONTRACTS,
}
# Import runs are listed to readers of at least one of those tools, each run to its tool's readers.
IMPORT_RUNS_READ = one_of(dict.fromkeys(IMPORT_TOOLS.values()), READ_ONLY)


def reading_import_run(kind: ImportKind) -> Need:
    return reading(IMPORT_TOOLS[ImportKind(kind)])


def readable_import_kinds(actor: Actor) -> list[ImportKind]:
    return [kind for kind in ImportKind if reading_import_run(kind).allows(actor)]
