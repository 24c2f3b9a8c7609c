"""Workflow queries: the approver's queue (syncItems), preflight, the digest, the ERP
configuration, and the outbox a sync agent pulls (erpExports)."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from sqlalchemy import select

from api.context import Info
from api.permissions import PerRecord, Requires, denied
from api.relay import Connection, build_connection, decode_id, from_global_id, page_rows, paginate
from api.types.enums import ExportStatus, RecordType, SyncStatus
from api.types.workflow import (
    ApprovalDigest,
    Erp,
    ErpExport,
    SyncItem,
    SyncItemConnection,
    SyncPreflight,
    SyncStatusCount,
)
from models import registry
from models.errors import DomainError
from models.policy import OUTBOX, QUEUE, SIGNED_IN, reading
from models.preflight import preflight
from models.projects import Project as ProjectRow
from models.registry import load_record, load_records
from models.sync import ErpExport as ErpExportRow
from models.workflow import QUEUE_STATUSES, approval_digest, queue_counts, queue_query


def _query_error(exc: DomainError) -> GraphQLError:
    return GraphQLError(exc.message, extensions={"code": exc.code.value, "field": exc.field})


def decode_record_id(gid: strawberry.ID, field: str = "id"):
    """(record-type registry entry, pk) of a syncable record's global ID; INVALID_ID otherwise."""
    type_name, pk = from_global_id(gid, *registry.type_names(), field=field)
    entry = registry.by_type_name(type_name)
    assert entry is not None
    return entry, pk


def sync_items_page(session, rows, cursors) -> tuple[list[SyncItem], list[str]]:
    """SyncItems for queue rows (and their cursors): one SELECT per record type on the page, one for
    their projects. The rows come from the actor's queue: only record types whose tool it reads."""
    records = load_records(session, [(r.record_type, r.record_id) for r in rows])
    project_ids = {r.project_id for r in rows if r.project_id is not None}
    projects = (
        {p.id: p for p in session.scalars(select(ProjectRow).where(ProjectRow.id.in_(project_ids)))}
        if project_ids
        else {}
    )
    found = [(r, c) for r, c in zip(rows, cursors, strict=True) if (r.record_type, r.record_id) in records]
    items = [
        SyncItem.build(records[(r.record_type, r.record_id)], projects.get(r.project_id)) for r, _ in found
    ]
    return items, [c for _, c in found]


@strawberry.type
class WorkflowQueries:
    @strawberry.field(
        permission_classes=[Requires(QUEUE, "Viewing the ERP Integrations queue")],
        description="The ERP Integrations queue, oldest first. Without `statuses` it lists every record "
        "that has been sent (all statuses but NOT_SENT). Needs READ_ONLY on ERP Integrations; each "
        "record type is listed only to readers of its tool.",
    )
    def sync_items(
        self,
        info: Info,
        statuses: list[SyncStatus] | None = None,
        record_types: list[RecordType] | None = None,
        project_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> SyncItemConnection | None:
        session = info.context.session
        actor = info.context.actor
        try:
            pid = decode_id(project_id, "Project", "projectId") if project_id is not None else None
        except DomainError as exc:
            raise _query_error(exc) from None
        queue, stmt = queue_query(
            actor, statuses=statuses or QUEUE_STATUSES, record_types=record_types, project_id=pid
        )
        # (record_type, record_id) is unique in the queue: the order's last two keys
        stmt = stmt.order_by(queue.c.since, queue.c.record_type, queue.c.record_id)
        rows, cursors, total, has_next = page_rows(session, stmt, first, after, scalars=False)
        items, cursors = sync_items_page(session, rows, cursors)
        conn = build_connection(items, cursors, total, has_next=has_next, after=after)
        counts = queue_counts(session, actor, record_types=record_types, project_id=pid)
        return SyncItemConnection(
            edges=conn.edges,
            nodes=conn.nodes,
            page_info=conn.page_info,
            total_count=conn.total_count,
            counts=[SyncStatusCount(status=s, count=n) for s, n in counts.items()],
        )

    @strawberry.field(
        permission_classes=[PerRecord],
        description="Can this record be sent to the ERP? Every blocker with its code, message and fix. "
        "Needs READ_ONLY on the record's tool.",
    )
    def sync_preflight(self, info: Info, id: strawberry.ID) -> SyncPreflight | None:
        session = info.context.session
        try:
            spec, pk = decode_record_id(id)
        except DomainError as exc:
            raise _query_error(exc) from None
        need = reading(spec.tool)
        if not need.allows(info.context.actor):
            raise denied(f"Checking a {spec.noun} needs {need.describe()}")
        try:
            record = load_record(session, spec.record_type, pk)
        except DomainError as exc:
            raise _query_error(exc) from None
        return SyncPreflight.from_domain(record, preflight(session, record, info.context.settings))

    @strawberry.field(
        permission_classes=[Requires(QUEUE, "Viewing the approval digest")],
        description="Items awaiting acceptance grouped by type, with how long each has waited. Needs "
        "READ_ONLY on ERP Integrations; each record type only for readers of its tool.",
    )
    def approval_digest(self, info: Info) -> ApprovalDigest | None:
        return ApprovalDigest.from_domain(approval_digest(info.context.session, info.context.actor))

    @strawberry.field(
        permission_classes=[Requires(SIGNED_IN, "Reading the ERP configuration")],
        description="The configured ERP system, country, phases and capability matrix (every signed-in "
        "user); the connector settings need ADMIN on ERP Integrations.",
    )
    def erp(self, info: Info) -> Erp:
        return Erp.from_settings(info.context.settings)

    @strawberry.field(
        permission_classes=[Requires(OUTBOX, "Reading the ERP outbox")],
        description="The outbox, oldest first: what a sync agent pulls and then acknowledges or fails. "
        "Pages by keyset (the export id): acknowledging exports while paging through PENDING ones "
        "neither skips nor repeats one. `recordId` gives the exports of one record. Needs STANDARD on "
        "ERP Integrations.",
    )
    def erp_exports(
        self,
        info: Info,
        status: ExportStatus | None = None,
        record_type: RecordType | None = None,
        record_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ErpExport] | None:
        stmt = select(ErpExportRow).order_by(ErpExportRow.id)
        if status is not None:
            stmt = stmt.where(ErpExportRow.status == status)
        if record_type is not None:
            stmt = stmt.where(ErpExportRow.record_type == record_type)
        if record_id is not None:
            try:
                spec, pk = decode_record_id(record_id, "recordId")
            except DomainError as exc:
                raise _query_error(exc) from None
            stmt = stmt.where(ErpExportRow.record_type == spec.record_type, ErpExportRow.record_id == pk)
        return paginate(info.context.session, stmt, ErpExport.from_row, first, after)
