"""Workflow mutations: send / retrieve / resend / accept / reject / unlink (batch, reported per
record), the outbox acknowledgements a sync agent makes, ERP settings, and ERP jobs coming in.

Each record of a batch runs in its own transaction: a refused record is rolled back alone and
the others are committed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import strawberry
from sqlalchemy.orm import Session

from api.context import Info
from api.errors import UserError, run_in_transaction
from api.mutations.records_common import UPDATE_SEMANTICS
from api.permissions import IsAuthenticated
from api.queries.workflow import decode_record_id
from api.relay import decode_id
from api.types.enums import Country, DivisionRule, ErpSystem, FileLayout
from api.types.projects import Project
from api.types.workflow import Erp, ErpExport, SyncActionPayload, SyncActionResult, SyncBlocker, SyncItem
from exporters.layouts import update_erp_settings
from exporters.mapping import build_payload
from models import registry, workflow
from models.erp_inbound import ErpJobIn, ErpSubJobIn, ReceivedJob, receive_erp_job
from models.errors import ErrorCode
from models.policy import Actor, can_read
from models.projects import Project as ProjectRow
from models.registry import load_record, project_id_of

MAX_BATCH = 200


@strawberry.input
class SyncIdsInput:
    ids: list[strawberry.ID] = strawberry.field(description="Global IDs of syncable records (any type).")
    note: str | None = strawberry.field(default=None, description="Kept in each record's sync history.")


@strawberry.input(
    description="A record to accept, with the ERP key its type needs (the record-type registry says which)."
)
class AcceptItemInput:
    id: strawberry.ID
    erp_job_id: str | None = strawberry.field(default=None, description="Required to accept a project.")
    erp_vendor_id: str | None = strawberry.field(default=None, description="Required to accept a vendor.")


@strawberry.input
class AcceptErpExportInput:
    items: list[AcceptItemInput]
    note: str | None = None


@strawberry.input
class RejectErpExportInput:
    ids: list[strawberry.ID]
    reason: str = strawberry.field(description="Required: the sender reads it to fix the record.")


@strawberry.input
class AcknowledgeErpExportInput:
    export_id: strawberry.ID
    origin_id: str | None = strawberry.field(
        default=None, description="The record's key in the ERP (defaults to the key in the payload)."
    )


@strawberry.input
class FailErpExportInput:
    export_id: strawberry.ID
    messages: list[str]


@strawberry.type
class ErpExportPayload:
    export: ErpExport | None
    item: SyncItem | None
    errors: list[UserError]


@strawberry.input(description="One ERP entity's file layout (a null layout: the company default).")
class EntityFileLayoutInput:
    entity: str
    layout: FileLayout | None


@strawberry.input(description=UPDATE_SEMANTICS)
class UpdateErpSettingsInput:
    erp_system: ErpSystem | None = strawberry.UNSET
    country: Country | None = strawberry.UNSET
    uses_phases: bool | None = strawberry.UNSET
    export_folder: str | None = strawberry.UNSET
    export_interval_seconds: int | None = strawberry.UNSET
    cost_division_rule: DivisionRule | None = strawberry.UNSET
    cost_division_length: int | None = strawberry.UNSET
    direct_exports: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="ERP direct exports: a sent record goes straight to the outbox, no approver step. "
        "Changing it affects later sends only.",
    )
    digest_enabled: bool | None = strawberry.field(
        default=strawberry.UNSET, description="E-mail the approvers' digest once a day."
    )
    digest_hour_utc: int | None = strawberry.field(
        default=strawberry.UNSET, description="The hour (0-23, UTC) from which the day's digest goes out."
    )
    smtp_host: str | None = strawberry.field(
        default=strawberry.UNSET, description="The SMTP server (COSTBRIDGE_SMTP_HOST overrides it)."
    )
    smtp_port: int | None = strawberry.UNSET
    smtp_security: str | None = strawberry.field(
        default=strawberry.UNSET, description="NONE, STARTTLS or SSL."
    )
    smtp_username: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The SMTP user; the password is read from COSTBRIDGE_SMTP_PASSWORD only, never stored.",
    )
    mail_sender: str | None = strawberry.field(
        default=strawberry.UNSET, description="The From address of the digest."
    )
    file_layout: FileLayout | None = strawberry.field(
        default=strawberry.UNSET,
        description="The file connector's default layout for the ERP (after an erpSystem change in the same "
        "call).",
    )
    file_layouts: list[EntityFileLayoutInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Per ERP entity, its layout; a null layout returns the entity to the default.",
    )


@strawberry.type
class ErpSettingsPayload:
    erp: Erp | None
    errors: list[UserError]


@strawberry.input
class ErpSubJobInput:
    number: str
    name: str


@strawberry.input
class ErpJobInput:
    job_id: str = strawberry.field(description="The ERP Job ID; it becomes the project number.")
    name: str
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    sub_jobs: list[ErpSubJobInput] = strawberry.field(
        default_factory=list, description="Sage 100 phases or Sage 300 extras."
    )


@strawberry.input
class ReceiveErpJobsInput:
    jobs: list[ErpJobInput]


@strawberry.type
class ReceivedErpJob:
    job_id: str
    project: Project | None
    created: bool
    sub_jobs_created: int
    errors: list[UserError] = strawberry.field(description="Why this job was refused.")


@strawberry.type(description="Per-job results; one refused job does not hold back the others.")
class ReceiveErpJobsPayload:
    results: list[ReceivedErpJob]
    errors: list[UserError] = strawberry.field(description="Problems with the request as a whole.")


def _item_of(session: Session, actor: Actor, record) -> SyncItem | None:
    """The record as a queue item, for an actor who may read its tool (None otherwise: a refused
    action does not show what the record is)."""
    if not can_read(actor, registry.spec_of(record).tool):
        return None
    pid = project_id_of(record)
    return SyncItem.build(record, session.get(ProjectRow, pid) if pid is not None else None)


def _batch(
    info: Info, ids: list, action: Callable[[Session, object, int], object], with_export: bool = False
) -> SyncActionPayload:
    session = info.context.session
    if not ids:
        return SyncActionPayload(
            results=[],
            succeeded=0,
            failed=0,
            errors=[UserError(code=ErrorCode.REQUIRED, message="Give at least one ID", field="ids")],
        )
    if len(ids) > MAX_BATCH:
        return SyncActionPayload(
            results=[],
            succeeded=0,
            failed=0,
            errors=[
                UserError(
                    code=ErrorCode.TOO_MANY_ROWS, message=f"At most {MAX_BATCH} IDs at once", field="ids"
                )
            ],
        )
    results = []
    for index, gid in enumerate(ids):
        blockers: list = []

        def run(s: Session, gid=gid, index=index, blockers=blockers):
            spec, pk = decode_record_id(gid)
            record = load_record(s, spec.record_type, pk)
            try:
                out = action(s, record, index)
            except workflow.BlockedError as exc:
                blockers.extend(exc.blockers)
                raise
            return record, out

        outcome, errors = run_in_transaction(session, run)
        if blockers:
            errors = [UserError(code=b.code, message=b.message, field=b.field) for b in blockers]
        record, out = outcome if outcome else (None, None)
        if record is None:
            try:
                spec, pk = decode_record_id(gid)
                record = session.get(spec.model, pk)
            except Exception:
                record = None
        else:
            session.refresh(record)
        results.append(
            SyncActionResult(
                id=gid,
                ok=not errors,
                item=_item_of(session, info.context.actor, record) if record is not None else None,
                export=ErpExport.from_row(out) if with_export and out is not None else None,
                errors=errors,
                blockers=[SyncBlocker.from_domain(b) for b in blockers],
            )
        )
    ok = sum(1 for r in results if r.ok)
    return SyncActionPayload(results=results, succeeded=ok, failed=len(results) - ok, errors=[])


@strawberry.type
class WorkflowMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Send records to ERP Integrations for accounting acceptance (ADMIN on each record's "
        "tool). Refused with the preflight blockers. With ERP direct exports on, each record goes "
        "straight to the outbox (EXPORTING), the sender recorded as the decider; projects and vendors "
        "still wait for the approver, who types their ERP key.",
    )
    def send_to_erp(self, info: Info, input: SyncIdsInput) -> SyncActionPayload:
        actor = info.context.actor
        return _batch(
            info,
            input.ids,
            lambda s, r, i: workflow.send(s, actor, r, input.note, build_payload=build_payload),
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Take records back before the approver decides (ADMIN on each record's tool).",
    )
    def retrieve_from_erp(self, info: Info, input: SyncIdsInput) -> SyncActionPayload:
        actor = info.context.actor
        return _batch(info, input.ids, lambda s, r, i: workflow.retrieve(s, actor, r, input.note))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Send rejected or failed records again once fixed (ADMIN on each record's tool).",
    )
    def resend_to_erp(self, info: Info, input: SyncIdsInput) -> SyncActionPayload:
        actor = info.context.actor
        return _batch(
            info,
            input.ids,
            lambda s, r, i: workflow.resend(s, actor, r, input.note, build_payload=build_payload),
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Accept records for export (accounting approver). Creates one ErpExport per record. "
        "A project needs erpJobId, a vendor erpVendorId.",
    )
    def accept_erp_export(self, info: Info, input: AcceptErpExportInput) -> SyncActionPayload:
        actor = info.context.actor
        items = input.items

        def action(s, record, index):
            return workflow.accept(
                s, actor, record, build_payload=build_payload, typed_ids=vars(items[index]), note=input.note
            )

        return _batch(info, [i.id for i in items], action, with_export=True)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Reject records with a reason (accounting approver); they become editable again.",
    )
    def reject_erp_export(self, info: Info, input: RejectErpExportInput) -> SyncActionPayload:
        actor = info.context.actor
        return _batch(info, input.ids, lambda s, r, i: workflow.reject(s, actor, r, input.reason))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Break the link of synced records to the ERP (STANDARD on ERP Integrations).",
    )
    def unlink_from_erp(self, info: Info, input: SyncIdsInput) -> SyncActionPayload:
        actor = info.context.actor
        return _batch(info, input.ids, lambda s, r, i: workflow.unlink(s, actor, r, input.note))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A connector delivered an export: the record becomes SYNCED with its ERP key (ADMIN on "
        "ERP Integrations and the ERP_CONNECTOR privilege). The key rules of accept apply. Acknowledging "
        "twice returns the same result.",
    )
    def acknowledge_erp_export(self, info: Info, input: AcknowledgeErpExportInput) -> ErpExportPayload:
        ctx = info.context

        def action(s):
            pk = decode_id(input.export_id, "ErpExport", "exportId")
            return workflow.acknowledge_export(s, ctx.actor, pk, input.origin_id, connector="agent")

        return _export_payload(ctx.session, ctx.actor, *run_in_transaction(ctx.session, action))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="The ERP refused an export: the record becomes FAILED_TO_EXPORT with the messages "
        "(ADMIN on ERP Integrations and the ERP_CONNECTOR privilege). Failing twice returns the same "
        "result.",
    )
    def fail_erp_export(self, info: Info, input: FailErpExportInput) -> ErpExportPayload:
        ctx = info.context

        def action(s):
            pk = decode_id(input.export_id, "ErpExport", "exportId")
            return workflow.fail_export(s, ctx.actor, pk, input.messages, connector="agent")

        return _export_payload(ctx.session, ctx.actor, *run_in_transaction(ctx.session, action))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Change the ERP system, country, phases, export folder, connector interval, cost "
        "division rule, direct exports or the digest e-mail settings (ADMIN on ERP Integrations).",
    )
    def update_erp_settings(self, info: Info, input: UpdateErpSettingsInput) -> ErpSettingsPayload:
        ctx = info.context
        values = {k: v for k, v in vars(input).items() if v is not strawberry.UNSET}
        if values.get("file_layouts") is not None:
            values["file_layouts"] = [(item.entity, item.layout) for item in values["file_layouts"]]
        row, errors = run_in_transaction(ctx.session, lambda s: update_erp_settings(s, ctx.actor, **values))
        return ErpSettingsPayload(erp=Erp.from_settings(row) if row else None, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="ERP jobs coming in (sync agent): each becomes a SYNCED project of origin ERP with its "
        "phases/extras as sub jobs; reported per job (ADMIN on ERP Integrations).",
    )
    def receive_erp_jobs(self, info: Info, input: ReceiveErpJobsInput) -> ReceiveErpJobsPayload:
        ctx = info.context
        if len(input.jobs) > MAX_BATCH:
            return ReceiveErpJobsPayload(
                results=[],
                errors=[
                    UserError(
                        code=ErrorCode.TOO_MANY_ROWS,
                        message=f"At most {MAX_BATCH} jobs at once",
                        field="jobs",
                    )
                ],
            )
        results = []
        for job in input.jobs:
            data = ErpJobIn(
                job_id=job.job_id,
                name=job.name,
                address=job.address or "",
                city=job.city or "",
                state=job.state or "",
                zip=job.zip or "",
                sub_jobs=[ErpSubJobIn(s.number, s.name) for s in job.sub_jobs],
            )
            received, errors = run_in_transaction(
                ctx.session, functools.partial(_receive, actor=ctx.actor, job=data)
            )
            results.append(
                ReceivedErpJob(
                    job_id=job.job_id,
                    project=Project.from_row(received.project) if received else None,
                    created=bool(received and received.created),
                    sub_jobs_created=received.sub_jobs_created if received else 0,
                    errors=errors,
                )
            )
        return ReceiveErpJobsPayload(results=results, errors=[])


def _receive(session: Session, *, actor: Actor, job: ErpJobIn) -> ReceivedJob:
    return receive_erp_job(session, actor, job)


def _export_payload(session: Session, actor: Actor, export, errors: list[UserError]) -> ErpExportPayload:
    if export is None:
        return ErpExportPayload(export=None, item=None, errors=errors)
    record = load_record(session, export.record_type, export.record_id)
    return ErpExportPayload(
        export=ErpExport.from_row(export), item=_item_of(session, actor, record), errors=errors
    )
