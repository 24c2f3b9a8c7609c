"""Loaders for sync state: each record's SyncEvent history, its ERP exports, and users by id."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from api.dataloaders import by_id, group_by, keys_from
from models import registry
from models.sync import ErpExport, SyncEvent
from models.users import User

SYNCABLE_MODELS = registry.models()


@keys_from(*((model, lambda r: (str(r.RECORD_TYPE), r.id)) for model in SYNCABLE_MODELS))
def sync_history(session: Session, keys: Sequence[tuple[str, int]]) -> list[list[SyncEvent]]:
    rows = session.scalars(
        select(SyncEvent)
        .where(tuple_(SyncEvent.record_type, SyncEvent.record_id).in_(list(set(keys))))
        .order_by(SyncEvent.id)
    ).all()
    return group_by(rows, lambda e: (str(e.record_type), e.record_id), keys)


@keys_from(*((model, lambda r: (str(r.RECORD_TYPE), r.id)) for model in SYNCABLE_MODELS))
def exports_by_record(session: Session, keys: Sequence[tuple[str, int]]) -> list[list[ErpExport]]:
    rows = session.scalars(
        select(ErpExport)
        .where(tuple_(ErpExport.record_type, ErpExport.record_id).in_(list(set(keys))))
        .order_by(ErpExport.id)
    ).all()
    return group_by(rows, lambda e: (str(e.record_type), e.record_id), keys)


@keys_from(*((model, attr) for model in SYNCABLE_MODELS for attr in ("sent_by_id", "decided_by_id")))
def users(session: Session, keys: Sequence[int]) -> list[User | None]:
    return by_id(session, User, keys)
