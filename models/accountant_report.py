"""The accountant report ("View an Accountant Report for ERP"): every record sent, accepted,
rejected, exported or failed in a period, per project or company-wide, with who, when, the amount
the record carried and the reason, and totals by record type and status.

A row is one step of the sync history (``SyncEvent``): send and resend are SENT, accept and a direct
export ACCEPTED, reject REJECTED, the connector's acknowledgement EXPORTED, its failure FAILED. The
amount is the record's amount when the step happened (kept on the step); records without one
(projects, vendors, cost codes, sub jobs) show none and add nothing to the totals. Totals are the
sums of the rows, so they reconcile to the cent.

Who may read it: ADMIN on ERP Integrations (the seeds), and each record type only for readers of its
tool, as the approver's queue.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Select, String, cast, false, literal, null, select, union_all
from sqlalchemy.orm import Session

from models import registry
from models.base import ZERO
from models.enums import RecordType
from models.errors import DomainError, ErrorCode
from models.policy import ACCOUNTANT_REPORT, Actor, can_read, require
from models.projects import Project
from models.sync import SyncEvent


class ReportStatus(enum.StrEnum):
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    EXPORTED = "EXPORTED"
    FAILED = "FAILED"


# the sync-history actions the report shows, and the status each row gets
ACTIONS: dict[str, ReportStatus] = {
    "send": ReportStatus.SENT,
    "resend": ReportStatus.SENT,
    "accept": ReportStatus.ACCEPTED,
    "direct_export": ReportStatus.ACCEPTED,
    "reject": ReportStatus.REJECTED,
    "acknowledge": ReportStatus.EXPORTED,
    "fail": ReportStatus.FAILED,
}
MAX_PERIOD_DAYS = 3660


@dataclass(frozen=True)
class AccountantFilters:
    """``since`` and ``until`` are days (UTC), both included; the other filters are left out when
    None (or empty)."""

    since: dt.date | None = None
    until: dt.date | None = None
    project_id: int | None = None
    record_types: tuple[RecordType, ...] = ()
    statuses: tuple[ReportStatus, ...] = ()
    actor_id: int | None = None

    def describe(self, session: Session) -> str:
        """The filters in words, for a printed report's title block."""
        parts = []
        if self.since or self.until:
            parts.append(f"{self.since or 'the start'} to {self.until or 'today'} (UTC)")
        if self.project_id is not None:
            project = session.get(Project, self.project_id)
            parts.append(f"project {project.number} {project.name}" if project else "a project")
        if self.record_types:
            parts.append("record types " + ", ".join(RecordType(t).value for t in self.record_types))
        if self.statuses:
            parts.append("statuses " + ", ".join(ReportStatus(s).value for s in self.statuses))
        if self.actor_id is not None:
            from models.users import User

            user = session.get(User, self.actor_id)
            parts.append(f"by {user.name}" if user else "by one user")
        return "; ".join(parts) if parts else "none (every record sent to the ERP, every project)"

    def check(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise DomainError(ErrorCode.INVALID_DATE_RANGE, "The period ends before it starts", "until")
        if self.since and self.until and (self.until - self.since).days > MAX_PERIOD_DAYS:
            raise DomainError(ErrorCode.INVALID_DATE_RANGE, "The period is longer than ten years", "until")


@dataclass
class AccountantRow:
    event_id: int
    at: dt.datetime
    status: ReportStatus
    action: str
    record_type: RecordType
    record_id: int
    label: str
    project_id: int | None
    project_number: str | None
    project_name: str | None
    actor_id: int | None
    actor_name: str
    amount: Decimal | None
    reason: str | None

    @property
    def global_id(self) -> str:
        return registry.global_id(self.record_type, self.record_id)


@dataclass
class AccountantTotal:
    record_type: RecordType | None  # None: every record type
    status: ReportStatus | None  # None: every status
    count: int = 0
    amount: Decimal = ZERO


@dataclass
class AccountantTotals:
    """Totals by record type and status, by record type, by status, and overall."""

    by_type_and_status: list[AccountantTotal] = field(default_factory=list)
    by_type: list[AccountantTotal] = field(default_factory=list)
    by_status: list[AccountantTotal] = field(default_factory=list)
    overall: AccountantTotal = field(default_factory=lambda: AccountantTotal(None, None))


def _statuses(filters: AccountantFilters) -> list[str]:
    wanted = set(filters.statuses) or set(ReportStatus)
    return [action for action, status in ACTIONS.items() if status in wanted]


def report_query(actor: Actor, filters: AccountantFilters) -> Select[Any]:
    """(event_id, at, action, record_type, record_id, actor_id, actor_name, note, amount, project_id)
    of every row the filters keep, over the record types whose tool the actor reads."""
    require(actor, ACCOUNTANT_REPORT, "Viewing the accountant report")
    filters.check()
    specs = [s for s in registry.specs(filters.record_types or None) if can_read(actor, s.tool)]
    actions = _statuses(filters)
    parts = []
    for spec in specs or list(registry.specs())[:1]:
        model = spec.model
        project = spec.queue.project_id()
        stmt = (
            select(
                SyncEvent.id.label("event_id"),
                SyncEvent.at.label("at"),
                SyncEvent.action.label("action"),
                literal(spec.record_type.value, String(32)).label("record_type"),
                SyncEvent.record_id.label("record_id"),
                SyncEvent.actor_id.label("actor_id"),
                SyncEvent.actor_name.label("actor_name"),
                SyncEvent.note.label("note"),
                SyncEvent.amount.label("amount"),
                (project if project is not None else cast(null(), Integer)).label("project_id"),
            )
            .select_from(SyncEvent)
            .join(model, model.id == SyncEvent.record_id)
            .where(SyncEvent.record_type == spec.record_type, SyncEvent.action.in_(actions))
        )
        for target, on in spec.queue.joins():
            stmt = stmt.join(target, on)
        if not specs:
            stmt = stmt.where(false())
        if filters.since is not None:
            stmt = stmt.where(SyncEvent.at >= _start(filters.since))
        if filters.until is not None:
            stmt = stmt.where(SyncEvent.at < _start(filters.until + dt.timedelta(days=1)))
        if filters.actor_id is not None:
            stmt = stmt.where(SyncEvent.actor_id == filters.actor_id)
        if filters.project_id is not None and project is not None:
            stmt = stmt.where(project == filters.project_id)
        elif filters.project_id is not None:
            stmt = stmt.where(false())  # company-level records belong to no project
        parts.append(stmt)
    union = union_all(*parts).subquery("accountant_report")
    return select(union).order_by(union.c.at, union.c.event_id)


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def rows_of(session: Session, raw: Sequence[Any]) -> list[AccountantRow]:
    """The report rows of raw ``report_query`` results (records, labels and projects loaded at once)."""
    records = registry.load_records(session, [(r.record_type, r.record_id) for r in raw])
    project_ids = {r.project_id for r in raw if r.project_id is not None}
    projects = (
        {p.id: p for p in session.scalars(select(Project).where(Project.id.in_(project_ids)))}
        if project_ids
        else {}
    )
    rows = []
    for r in raw:
        record = records.get((r.record_type, r.record_id))
        project = projects.get(r.project_id)
        rows.append(
            AccountantRow(
                event_id=r.event_id,
                at=r.at,
                status=ACTIONS[r.action],
                action=r.action,
                record_type=RecordType(r.record_type),
                record_id=r.record_id,
                label=registry.label_of(record) if record is not None else "",
                project_id=r.project_id,
                project_number=project.number if project else None,
                project_name=project.name if project else None,
                actor_id=r.actor_id,
                actor_name=r.actor_name or "",
                amount=r.amount,
                reason=r.note if ACTIONS[r.action] in (ReportStatus.REJECTED, ReportStatus.FAILED) else None,
            )
        )
    return rows


def report_rows(session: Session, actor: Actor, filters: AccountantFilters) -> list[AccountantRow]:
    """Every row, oldest first. A page of them: ``rows_of`` over a keyset page of ``report_query``
    (ordered by time, then the unique step id)."""
    return rows_of(session, session.execute(report_query(actor, filters)).all())


def iter_report_rows(
    session: Session, actor: Actor, filters: AccountantFilters, chunk: int = 1000
) -> Iterator[AccountantRow]:
    """Every row, oldest first, fetched ``chunk`` at a time (for the streamed downloads)."""
    stmt = report_query(actor, filters)
    result = session.execute(stmt.execution_options(yield_per=chunk))
    for part in result.partitions(chunk):
        yield from rows_of(session, part)


def report_totals(session: Session, actor: Actor, filters: AccountantFilters) -> AccountantTotals:
    """Counts and amounts by record type and status, by type, by status and overall: the sums of
    exactly the rows ``report_rows`` lists (Decimal, to the cent)."""
    inner = report_query(actor, filters).order_by(None).subquery("rows")
    cells: dict[tuple[RecordType, ReportStatus], AccountantTotal] = {}
    result = session.execute(select(inner.c.record_type, inner.c.action, inner.c.amount))
    for record_type, action, amount in result:
        key = (RecordType(record_type), ACTIONS[action])
        total = cells.get(key)
        if total is None:
            total = cells[key] = AccountantTotal(*key)
        total.count += 1
        total.amount += amount or ZERO
    type_order = [s.record_type for s in registry.REGISTRY]
    status_order = list(ReportStatus)
    pairs = sorted(cells, key=lambda k: (type_order.index(k[0]), status_order.index(k[1])))
    totals = AccountantTotals(by_type_and_status=[cells[k] for k in pairs])
    by_type: dict[RecordType, AccountantTotal] = {}
    by_status: dict[ReportStatus, AccountantTotal] = {}
    for record_type, status in pairs:
        cell = cells[(record_type, status)]
        for total in (
            by_type.setdefault(record_type, AccountantTotal(record_type, None)),
            by_status.setdefault(status, AccountantTotal(None, status)),
            totals.overall,
        ):
            total.count += cell.count
            total.amount += cell.amount
    totals.by_type = list(by_type.values())
    totals.by_status = [by_status[s] for s in status_order if s in by_status]
    return totals
