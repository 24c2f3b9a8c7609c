"""GraphQL types of the workflow: the approver's queue (SyncItem), preflight blockers, the ERP
configuration and capability matrix, the outbox (ErpExport) and the approval digest."""

from __future__ import annotations

import datetime as dt
from typing import cast

import strawberry
from strawberry.scalars import JSON

from api.context import Info
from api.errors import ErrorCodeType, UserError
from api.permissions import check, denied
from api.relay import NODE_REGISTRY, Edge, Node, PageInfo, register_node, to_global_id
from api.types.enums import Country, DivisionRule, ErpSystem, ExportStatus, RecordType, SyncStatus
from api.types.projects import Project
from api.types.sync import SyncInfo
from models import erp as erp_model
from models import registry, workflow
from models.company import CompanySettings
from models.enums import Tool
from models.policy import ERP_SETTINGS, OUTBOX, reading
from models.preflight import Blocker, Preflight
from models.projects import Project as ProjectRow
from models.sync import ErpExport as ErpExportRow
from models.workflow import Digest, DigestGroup, DigestItem, format_wait


def record_gid(record) -> strawberry.ID:
    return to_global_id(registry.spec_of(record).type_name, record.id)


@strawberry.type(
    description="One syncable record as the ERP Integrations queue shows it: what it is, its label, "
    "its project and its sync state. `record` is the record itself (use `... on Commitment`)."
)
class SyncItem:
    record_type: RecordType
    record_id: strawberry.ID = strawberry.field(description="The record's global ID (for node(id:)).")
    label: str
    sync: SyncInfo
    _row: strawberry.Private[object]
    _project_row: strawberry.Private[ProjectRow | None]

    @classmethod
    def build(cls, record, project_row=None) -> SyncItem:
        return cls(
            record_type=record.RECORD_TYPE,
            record_id=record_gid(record),
            label=registry.label_of(record),
            sync=SyncInfo.from_row(record),
            _row=record,
            _project_row=project_row,
        )

    @strawberry.field
    def project(self, info: Info) -> Project | None:
        check(info, reading(Tool.PROJECT_ADMIN), "Reading the project")
        return Project.from_row(self._project_row) if self._project_row is not None else None

    @strawberry.field(
        description="The record, as its own type (a PERMISSION_DENIED error for a viewer who may not "
        "read its tool)."
    )
    def record(self, info: Info) -> Node | None:
        spec = registry.spec(self.record_type)
        need = reading(spec.tool)
        if not need.allows(info.context.actor):
            raise denied(f"Reading a {spec.noun} needs {need.describe()}")
        entry = NODE_REGISTRY.get(spec.type_name)
        return entry.convert(self._row) if entry else None


@strawberry.type
class SyncStatusCount:
    status: SyncStatus
    count: int


@strawberry.type(description="The approver's queue: a page of items plus the count per status.")
class SyncItemConnection:
    edges: list[Edge[SyncItem]]
    nodes: list[SyncItem]
    page_info: PageInfo
    total_count: int
    counts: list[SyncStatusCount] = strawberry.field(
        description="Items per status for the same record types and project, whatever the status filter "
        "(the ERP tool's Ready to Export / Failed to Export / Synced views)."
    )


@strawberry.type(description="Why a record cannot go to the ERP, and how to fix it.")
class SyncBlocker:
    code: ErrorCodeType  # type: ignore[valid-type]
    message: str
    fix: str
    field: str | None

    @classmethod
    def from_domain(cls, blocker: Blocker) -> SyncBlocker:
        return cls(code=blocker.code, message=blocker.message, fix=blocker.fix, field=blocker.field)


@strawberry.type
class SyncPreflight:
    record_type: RecordType
    record_id: strawberry.ID
    erp_system: ErpSystem
    status: SyncStatus
    can_send: bool = strawberry.field(description="No blockers and the record's status allows sending.")
    blockers: list[SyncBlocker]
    warnings: list[SyncBlocker] = strawberry.field(description="Things the export leaves out; not blockers.")

    @classmethod
    def from_domain(cls, record, result: Preflight) -> SyncPreflight:
        return cls(
            record_type=record.RECORD_TYPE,
            record_id=record_gid(record),
            erp_system=result.erp_system,
            status=record.sync_status,
            can_send=workflow.can_send(record, result),
            blockers=[SyncBlocker.from_domain(b) for b in result.blockers],
            warnings=[SyncBlocker.from_domain(b) for b in result.warnings],
        )


@strawberry.type(
    description="What the configured ERP does with one kind of record (from the connector's feature map)."
)
class ErpCapability:
    feature: str
    record_type: RecordType | None
    erp_name: str
    export_supported: bool
    import_supported: bool
    notes: str


@strawberry.type(
    description="The approvers' daily digest e-mail: its schedule and mail server (each setting "
    "overridden by its COSTBRIDGE_SMTP_* / COSTBRIDGE_MAIL_SENDER environment variable when set)."
)
class DigestDelivery:
    enabled: bool
    hour_utc: int = strawberry.field(description="The day's digest goes out from this hour (UTC).")
    last_sent_on: dt.date | None
    smtp_host: str | None = strawberry.field(description="In effect (the environment wins over the setting).")
    smtp_port: int
    smtp_security: str
    smtp_username: str | None
    mail_sender: str | None
    password_set: bool = strawberry.field(description="COSTBRIDGE_SMTP_PASSWORD is set (never stored).")
    configured: bool = strawberry.field(description="A server and a sender are known: the digest can go.")


@strawberry.type(description="The ERP this company runs and how CostBridge talks to it.")
class Erp:
    system: ErpSystem
    system_name: str
    country: Country
    uses_phases: bool
    cost_division_rule: DivisionRule = strawberry.field(
        description="How cost codes roll up to the divisions the job-cost report subtotals by."
    )
    cost_division_length: int = strawberry.field(description="The N of LEADING_CHARACTERS.")
    direct_exports: bool = strawberry.field(
        description="ERP direct exports: a sent record goes straight to the outbox without an approver "
        "(projects and vendors still wait for the approver, who types their ERP key)."
    )
    capabilities: list[ErpCapability]
    out_of_scope: list[str]
    _export_folder: strawberry.Private[str]
    _export_interval_seconds: strawberry.Private[int]
    _settings: strawberry.Private[CompanySettings]

    @strawberry.field(description="The digest e-mail settings (ADMIN on ERP Integrations).")
    def digest_delivery(self, info: Info) -> DigestDelivery | None:
        check(info, ERP_SETTINGS, "Reading the digest e-mail settings")
        from exporters.digest_mail import MailConfig

        settings = self._settings
        config = MailConfig.resolve(settings)
        return DigestDelivery(
            enabled=settings.digest_enabled,
            hour_utc=settings.digest_hour_utc,
            last_sent_on=settings.digest_last_sent_on,
            smtp_host=config.host,
            smtp_port=config.port,
            smtp_security=config.security,
            smtp_username=config.username,
            mail_sender=config.sender,
            password_set=config.password_set,
            configured=config.configured,
        )

    @strawberry.field(
        description="The file connector's output folder (on the server).",
    )
    def export_folder(self, info: Info) -> str | None:
        check(info, ERP_SETTINGS, "Reading the connector settings")
        return self._export_folder

    @strawberry.field(
        description="Seconds between file connector runs while serving (0: on demand only).",
    )
    def export_interval_seconds(self, info: Info) -> int | None:
        check(info, ERP_SETTINGS, "Reading the connector settings")
        return self._export_interval_seconds

    @classmethod
    def from_settings(cls, settings: CompanySettings) -> Erp:
        system = ErpSystem(settings.erp_system)
        return cls(
            system=system,
            system_name=erp_model.ERP_NAMES[system],
            country=settings.country,
            uses_phases=settings.uses_phases,
            direct_exports=settings.direct_exports,
            _settings=settings,
            _export_folder=settings.export_folder,
            _export_interval_seconds=settings.export_interval_seconds,
            cost_division_rule=settings.cost_division_rule,
            cost_division_length=settings.cost_division_length,
            capabilities=[
                ErpCapability(
                    feature=c.feature,
                    record_type=c.record_type,
                    erp_name=c.erp_name,
                    export_supported=c.export_supported,
                    import_supported=c.import_supported,
                    notes=c.notes,
                )
                for c in registry.capabilities(system)
            ],
            out_of_scope=list(erp_model.OUT_OF_SCOPE),
        )


@register_node(ErpExportRow, "ErpExport", OUTBOX)
@strawberry.type(
    name="ErpExport",
    description="One accepted record mapped to the ERP's fields: the outbox a connector delivers.",
)
class ErpExport(Node):
    record_type: RecordType
    record_id: strawberry.ID
    erp_system: ErpSystem
    erp_entity: str
    status: ExportStatus
    origin_id: str | None
    messages: list[str]
    connector: str | None
    delivered_file: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    closed_at: dt.datetime | None
    columns: list[str] = strawberry.field(description="The ERP columns, in file order.")
    header: JSON = strawberry.field(description="Header values by ERP column.")
    lines: JSON = strawberry.field(description="Line values by ERP column, one object per line.")
    payload: JSON = strawberry.field(description="The whole stored payload.")

    @classmethod
    def from_row(cls, row: ErpExportRow) -> ErpExport:
        payload = row.payload or {}
        return cls(
            id=to_global_id("ErpExport", row.id),
            record_type=row.record_type,
            record_id=to_global_id(registry.spec(row.record_type).type_name, row.record_id),
            erp_system=ErpSystem(row.erp_system),
            erp_entity=row.erp_entity,
            status=row.status,
            origin_id=row.origin_id,
            messages=list(row.messages or []),
            connector=row.connector,
            delivered_file=row.delivered_file,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            closed_at=row.closed_at,
            columns=list(payload.get("columns", [])),
            header=payload.get("header", {}),
            lines=payload.get("lines", []),
            payload=cast(JSON, payload),
        )


@strawberry.type
class ApprovalDigestItem:
    record_type: RecordType
    record_id: strawberry.ID
    label: str
    project_number: str | None
    project_name: str | None
    sent_at: dt.datetime
    sent_by: str | None
    waiting_seconds: int
    waiting: str = strawberry.field(description="How long it has waited, e.g. '2d 3h'.")

    @classmethod
    def from_domain(cls, item: DigestItem) -> ApprovalDigestItem:
        return cls(
            record_type=item.record_type,
            record_id=to_global_id(registry.spec(item.record_type).type_name, item.record_id),
            label=item.label,
            project_number=item.project_number,
            project_name=item.project_name,
            sent_at=item.sent_at,
            sent_by=item.sent_by,
            waiting_seconds=int(item.waiting.total_seconds()),
            waiting=format_wait(item.waiting),
        )


@strawberry.type
class ApprovalDigestGroup:
    record_type: RecordType
    count: int
    longest_waiting_seconds: int
    items: list[ApprovalDigestItem]

    @classmethod
    def from_domain(cls, group: DigestGroup) -> ApprovalDigestGroup:
        return cls(
            record_type=group.record_type,
            count=group.count,
            longest_waiting_seconds=int(group.longest_wait.total_seconds()),
            items=[ApprovalDigestItem.from_domain(i) for i in group.items],
        )


@strawberry.type(description="What awaits acceptance, grouped by record type: the approver's daily summary.")
class ApprovalDigest:
    generated_at: dt.datetime
    total: int
    failed_count: int = strawberry.field(description="Records whose export failed, waiting to be resent.")
    groups: list[ApprovalDigestGroup]
    text: str = strawberry.field(description="The summary as plain text (what `costbridge digest` prints).")

    @classmethod
    def from_domain(cls, digest: Digest) -> ApprovalDigest:
        from models.workflow import digest_text

        return cls(
            generated_at=digest.generated_at,
            total=digest.total,
            failed_count=digest.failed_count,
            groups=[ApprovalDigestGroup.from_domain(g) for g in digest.groups],
            text=digest_text(digest),
        )


@strawberry.type(description="The outcome for one record of a batch workflow mutation.")
class SyncActionResult:
    id: strawberry.ID = strawberry.field(description="The ID as given in the input.")
    ok: bool
    item: SyncItem | None = strawberry.field(
        description="The record after the action (null if the ID is unknown)."
    )
    export: ErpExport | None = strawberry.field(description="The outbox row, for acceptErpExport.")
    errors: list[UserError] = strawberry.field(description="Why this record was refused (every blocker).")
    blockers: list[SyncBlocker] = strawberry.field(description="Preflight blockers with their fixes, if any.")


@strawberry.type(description="Per-record results; one refused record does not hold back the others.")
class SyncActionPayload:
    results: list[SyncActionResult]
    succeeded: int
    failed: int
    errors: list[UserError] = strawberry.field(description="Problems with the request as a whole.")
