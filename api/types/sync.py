"""The ``sync`` block every syncable type exposes, and its append-only history."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row

from api.context import Info
from api.dataloaders import sync as sync_loaders
from api.permissions import check
from api.relay import to_global_id
from api.types.enums import Origin, RecordType, SyncStatus
from models.enums import RecordType as RecordTypeEnum
from models.policy import OUTBOX
from models.sync import SyncEvent, SyncState
from models.users import SignedInUser, User

if TYPE_CHECKING:
    from api.types.workflow import ErpExport


@strawberry.type(name="UserSummary", description="Who did something: enough to show a name.")
class UserSummary:
    id: strawberry.ID
    name: str
    email: str

    @classmethod
    def from_row(cls, row: User | SignedInUser) -> UserSummary:
        return cls(id=to_global_id("User", row.id), name=row.name, email=row.email)


@strawberry.type
class SyncHistoryEntry:
    at: dt.datetime
    actor: str | None
    action: str
    from_status: SyncStatus | None
    to_status: SyncStatus
    note: str | None

    @classmethod
    def from_row(cls, row: SyncEvent) -> SyncHistoryEntry:
        return cls(
            at=row.at,
            actor=row.actor_name,
            action=row.action,
            from_status=row.from_status,
            to_status=row.to_status,
            note=row.note,
        )


@strawberry.type(description="Where a record stands between CostBridge and the ERP.")
class SyncInfo:
    status: SyncStatus
    origin: Origin
    origin_id: str | None = strawberry.field(description="The ERP's key: Job ID, Vendor Record Number, ...")
    reject_reason: str | None
    sent_at: dt.datetime | None
    decided_at: dt.datetime | None
    synced_at: dt.datetime | None
    record_type: RecordType
    _record_id: strawberry.Private[int]
    _sent_by_id: strawberry.Private[int | None]
    _decided_by_id: strawberry.Private[int | None]
    # None when the row was read without them (a list read): the messages loader reads them
    _messages: strawberry.Private[list[str] | None]

    @classmethod
    def from_row(cls, row: SyncState | Any, record_type: RecordTypeEnum | None = None) -> SyncInfo:
        """From an entity, or a plain row of a list read (then ``record_type`` says whose)."""
        # a plain row of a list read leaves the messages out (rows_of); an entity has them unless
        # its query deferred them
        messages = None if isinstance(row, Row | tuple) else row.__dict__.get("sync_messages")
        return cls(
            status=row.sync_status,
            origin=row.origin,
            origin_id=row.origin_id,
            _messages=None if messages is None else list(messages),
            reject_reason=row.reject_reason,
            sent_at=row.sent_at,
            decided_at=row.decided_at,
            synced_at=row.synced_at,
            record_type=record_type or row.RECORD_TYPE,
            _record_id=row.id,
            _sent_by_id=row.sent_by_id,
            _decided_by_id=row.decided_by_id,
        )

    @strawberry.field
    def messages(self, info: Info) -> list[str]:
        if self._messages is not None:
            return self._messages
        key = (str(self.record_type), self._record_id)
        return info.context.loaders.load(sync_loaders.sync_messages, key)

    @strawberry.field
    def sent_by(self, info: Info) -> UserSummary | None:
        if self._sent_by_id is None:
            return None
        user = info.context.loaders.load(sync_loaders.users, self._sent_by_id)
        return UserSummary.from_row(user) if user else None

    @strawberry.field
    def decided_by(self, info: Info) -> UserSummary | None:
        if self._decided_by_id is None:
            return None
        user = info.context.loaders.load(sync_loaders.users, self._decided_by_id)
        return UserSummary.from_row(user) if user else None

    @strawberry.field(description="Every transition, oldest first. Append-only.")
    def history(self, info: Info) -> list[SyncHistoryEntry]:
        key = (str(self.record_type), self._record_id)
        events = info.context.loaders.load(sync_loaders.sync_history, key)
        return [SyncHistoryEntry.from_row(e) for e in events]

    @strawberry.field(
        description="The record's ERP exports (one per acceptance), oldest first: the outbox rows a "
        "connector delivered, acknowledged or failed. Read like the outbox: STANDARD on ERP "
        "Integrations."
    )
    def exports(self, info: Info) -> list[Annotated[ErpExport, strawberry.lazy("api.types.workflow")]] | None:
        check(info, OUTBOX, "Reading the ERP outbox")
        from api.types.workflow import ErpExport

        key = (str(self.record_type), self._record_id)
        return [ErpExport.from_row(e) for e in info.context.loaders.load(sync_loaders.exports_by_record, key)]
