"""The Subscription root type: what a front end can watch, and the payload of each event.

Each root field carries its policy need (``Requires``), checked when the client subscribes. Each
event is then delivered only to a viewer who may read what it names (its record's tool, the
outbox, the import's tool), checked first on the event loop from the notice alone and again, with
the viewer signed in afresh, in the worker job that re-reads the record; a viewer who may not read
it receives nothing at all for that event. Payload fields that read the database run in that job
with the request-path context (session, loaders, actor), never on the event loop.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from api.context import Info
from api.permissions import Requires
from api.relay import NODE_REGISTRY, Node, decode_optional_id, to_global_id
from api.types.enums import ExportStatus, ImportKind, RecordType, SyncStatus
from api.types.imports import ImportRun, ImportRunStatus
from api.types.sync import SyncHistoryEntry
from api.types.workflow import ErpExport
from importers.plan import RunStatus
from models import registry
from models.enums import ImportKind as ImportKindEnum
from models.events import Notice, NoticeKind
from models.imports import IMPORT_RUNS_READ, reading_import_run
from models.imports import ImportRun as ImportRunRow
from models.policy import OUTBOX, SYNC_STATUS_EVENTS, Actor, reading
from models.sync import ErpExport as ErpExportRow
from models.sync import SyncEvent


def sync_visible(notice: Notice, actor: Actor) -> bool:
    return notice.kind is NoticeKind.SYNC and reading(registry.spec(str(notice.record_type)).tool).allows(
        actor
    )


def outbox_visible(notice: Notice, actor: Actor) -> bool:
    return notice.kind is NoticeKind.OUTBOX and OUTBOX.allows(actor)


def import_visible(notice: Notice, actor: Actor, run_id: int | None) -> bool:
    """One's own imports; with an id, that run for whoever may read its kind's runs."""
    if notice.kind is not NoticeKind.IMPORT:
        return False
    if run_id is None:
        return notice.user_id is not None and notice.user_id == actor.user_id
    kind = notice.detail.get("kind")
    if notice.id != run_id or kind not in ImportKindEnum.__members__:
        return False
    return reading_import_run(ImportKindEnum(str(kind))).allows(actor)


@strawberry.type(
    description="A record's sync status changed: sent, retrieved, accepted, rejected, exported, failed "
    "or unlinked. Delivered after the change is committed, in the order of the record's history."
)
class SyncStatusChange:
    record_type: RecordType
    record_id: strawberry.ID = strawberry.field(description="The record's global ID (for node(id:)).")
    status: SyncStatus = strawberry.field(description="The status this change led to.")
    project_id: strawberry.ID | None = strawberry.field(
        description="The record's project (null for vendors and cost codes)."
    )
    _notice: strawberry.Private[Notice]

    @classmethod
    def from_notice(cls, notice: Notice) -> SyncStatusChange:
        spec = registry.spec(str(notice.record_type))
        return cls(
            record_type=spec.record_type,
            record_id=to_global_id(spec.type_name, notice.id),
            status=SyncStatus(str(notice.status)),
            project_id=to_global_id("Project", notice.project_id) if notice.project_id else None,
            _notice=notice,
        )

    def visible_to(self, actor: Actor) -> bool:
        return sync_visible(self._notice, actor)

    @strawberry.field(
        description="The record as it is when the event is delivered, as its own type (`... on Budget`); "
        "null if it no longer exists."
    )
    def record(self, info: Info) -> Node | None:
        spec = registry.spec(str(self._notice.record_type))
        entry = NODE_REGISTRY[spec.type_name]
        row = info.context.session.get(spec.model, self._notice.id)
        return entry.convert(row) if row is not None else None

    @strawberry.field(description="The history entry this change appended (who, when, from, to, note).")
    def history_entry(self, info: Info) -> SyncHistoryEntry | None:
        if self._notice.event_id is None:
            return None
        row = info.context.session.get(SyncEvent, self._notice.event_id)
        return SyncHistoryEntry.from_row(row) if row is not None else None


@strawberry.type(
    description="An outbox row appeared (a record was accepted: status PENDING) or changed status "
    "(delivered, acknowledged, failed, put back). An agent that delivers the outbox waits for PENDING."
)
class OutboxChange:
    export_id: strawberry.ID
    status: ExportStatus = strawberry.field(description="The export's status after the change.")
    record_type: RecordType
    _notice: strawberry.Private[Notice]

    @classmethod
    def from_notice(cls, notice: Notice) -> OutboxChange:
        from models.enums import ExportStatus as ExportStatusEnum

        return cls(
            export_id=to_global_id("ErpExport", notice.id),
            status=ExportStatusEnum(str(notice.status)),
            record_type=registry.spec(str(notice.record_type)).record_type,
            _notice=notice,
        )

    def visible_to(self, actor: Actor) -> bool:
        return outbox_visible(self._notice, actor)

    @strawberry.field(description="The export as it is when the event is delivered.")
    def export(self, info: Info) -> ErpExport | None:
        row = info.context.session.get(ErpExportRow, self._notice.id)
        return ErpExport.from_row(row) if row is not None else None


@strawberry.enum(description="Where an import stands: a phase of the pipeline, or DONE at the end.")
class ImportPhase(enum.Enum):
    READ = "READ"
    CHECK = "CHECK"
    MATCH = "MATCH"
    WRITE = "WRITE"
    PLACE = "PLACE"
    DONE = "DONE"


@strawberry.type(
    description="How far an import has got. Events come in order, phase by phase (READ, CHECK, MATCH, "
    "WRITE, PLACE: not every kind has every phase), at most a few per second; the last one has "
    "`finished: true`, the outcome and the recorded ImportRun, and comes once the import is committed."
)
class ImportRunProgress:
    import_run_id: strawberry.ID = strawberry.field(
        description="The ImportRun the import started as (the one the mutation returns)."
    )
    kind: ImportKind
    file_name: str
    phase: ImportPhase
    label: str = strawberry.field(description="The phase in words, for a progress bar.")
    done: int = strawberry.field(description="Rows done in this phase.")
    total: int | None = strawberry.field(description="Rows in this phase, once known.")
    rows_read: int | None = strawberry.field(description="Data rows read from the file.")
    rows_planned: int | None = strawberry.field(description="Rows checked and planned (create, update, ...).")
    rows_written: int | None = strawberry.field(description="Rows written to the database.")
    finished: bool
    outcome: ImportRunStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="SUCCEEDED, PARTIAL, FAILED or DRY_RUN, on the last event."
    )
    _notice: strawberry.Private[Notice]
    _run_id: strawberry.Private[int | None]

    @classmethod
    def from_notice(cls, notice: Notice, run_filter: int | None) -> ImportRunProgress:
        d = notice.detail
        finished = bool(d.get("finished"))
        return cls(
            import_run_id=to_global_id("ImportRun", notice.id),
            kind=ImportKindEnum(str(d.get("kind"))),
            file_name=str(d.get("file", "")),
            phase=ImportPhase(str(notice.status).upper()),
            label=str(d.get("label", "")),
            done=int(d.get("done", 0)),
            total=d.get("total"),
            rows_read=d.get("read"),
            rows_planned=d.get("planned"),
            rows_written=d.get("written"),
            finished=finished,
            outcome=RunStatus(d["outcome"]) if finished and d.get("outcome") else None,
            _notice=notice,
            _run_id=run_filter,
        )

    def visible_to(self, actor: Actor) -> bool:
        return import_visible(self._notice, actor, self._run_id)

    @strawberry.field(description="The recorded ImportRun, on the last event (null before).")
    def import_run(self, info: Info) -> ImportRun | None:
        recorded = self._notice.detail.get("recorded")
        if not self.finished or recorded is None:
            return None
        row = info.context.session.get(ImportRunRow, int(recorded))
        return ImportRun.from_row(row) if row is not None else None


async def _events(info: Info, wants, convert) -> AsyncGenerator[Any, None]:
    connection: Any = info.context  # the WebSocket connection (api.subscriptions.ws.Connection)
    async for notice in connection.notices(lambda n: wants(n, connection.actor)):
        yield convert(notice)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        permission_classes=[Requires(SYNC_STATUS_EVENTS, "Watching sync status")],
        description="Each sync status change of the records the viewer may read (READ_ONLY on the "
        "record's tool), optionally of one project (`projectId`) and of some record types.",
    )
    async def sync_status_changed(
        self,
        info: Info,
        project_id: strawberry.ID | None = None,
        record_types: list[RecordType] | None = None,
    ) -> AsyncGenerator[SyncStatusChange, None]:
        project = decode_optional_id(project_id, "Project", "projectId")
        types = {str(t) for t in record_types} if record_types else None

        def wants(notice: Notice, actor: Actor) -> bool:
            return (
                (types is None or notice.record_type in types)
                and (project is None or notice.project_id == project)
                and sync_visible(notice, actor)
            )

        async for event in _events(info, wants, SyncStatusChange.from_notice):
            yield event

    @strawberry.subscription(
        permission_classes=[Requires(OUTBOX, "Watching the ERP outbox")],
        description="Each new or changed ERP export (the outbox), so an agent can stop polling "
        "`erpExports`: it waits for PENDING, then fetches and delivers.",
    )
    async def outbox_changed(
        self, info: Info, statuses: list[ExportStatus] | None = None
    ) -> AsyncGenerator[OutboxChange, None]:
        wanted = {str(s) for s in statuses} if statuses else None

        def wants(notice: Notice, actor: Actor) -> bool:
            return (wanted is None or notice.status in wanted) and outbox_visible(notice, actor)

        async for event in _events(info, wants, OutboxChange.from_notice):
            yield event

    @strawberry.subscription(
        permission_classes=[Requires(IMPORT_RUNS_READ, "Watching imports")],
        description="The progress of an import made through the API: the viewer's own imports, or with "
        "`id` the import that started as that ImportRun (for readers of its kind's runs).",
    )
    async def import_run_progress(
        self, info: Info, id: strawberry.ID | None = None
    ) -> AsyncGenerator[ImportRunProgress, None]:
        run_id = decode_optional_id(id, "ImportRun", "id")

        def wants(notice: Notice, actor: Actor) -> bool:
            return import_visible(notice, actor, run_id)

        async for event in _events(info, wants, lambda n: ImportRunProgress.from_notice(n, run_id)):
            yield event
