"""Loaders for sync state: each record's ERP messages, SyncEvent history and ERP exports, and users
by id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from api.dataloaders import KeyOf, by_id, group_by, keys_from
from models import registry
from models.sync import ErpExport, SyncEvent
from models.users import User

SYNCABLE_MODELS = registry.models()


def _record_key(model: type[Any]) -> KeyOf:
    """(record type, id) of an entity or a plain row of ``model``."""
    record_type = str(model.RECORD_TYPE)
    return lambda row: (record_type, row.id)


RECORD_KEYS = tuple((model, _record_key(model)) for model in SYNCABLE_MODELS)


@keys_from(*RECORD_KEYS)
def sync_messages(session: Session, keys: Sequence[tuple[str, int]]) -> list[list[str]]:
    """The ERP's messages of each record (a list read leaves that column out)."""
    by_type: dict[str, set[int]] = {}
    for record_type, pk in keys:
        by_type.setdefault(record_type, set()).add(pk)
    found: dict[tuple[str, int], list[str]] = {}
    for record_type, ids in by_type.items():
        model = registry.spec(record_type).model
        for pk, messages in session.execute(select(model.id, model.sync_messages).where(model.id.in_(ids))):
            found[(record_type, pk)] = list(messages or [])
    return [found.get(k, []) for k in keys]


@keys_from(*RECORD_KEYS)
def sync_history(session: Session, keys: Sequence[tuple[str, int]]) -> list[list[SyncEvent]]:
    rows = session.scalars(
        select(SyncEvent)
        .where(tuple_(SyncEvent.record_type, SyncEvent.record_id).in_(list(set(keys))))
        .order_by(SyncEvent.id)
    ).all()
    return group_by(rows, lambda e: (str(e.record_type), e.record_id), keys)


@keys_from(*RECORD_KEYS)
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
