"""The connector lease and the file connector's delivery journal.

**Lease.** One connector run at a time per company (per database): a run holds the row of
``connector_leases`` named for its connector until it ends or the lease expires. ``acquire_lease``
takes a free or expired lease; ``renew_lease`` extends it and fails (``LeaseLost``) when another
run has taken it since, so a run that stalled past its expiry cannot commit anything more. A
crashed holder blocks nobody for longer than the lease: the next run after the expiry takes over.
It is a plain row (UPDATE ... WHERE holder = me OR expired), so it works alike on SQLite and
PostgreSQL; the clock is the connector hosts', which must agree (NTP) to well within a lease.

**Journal.** One ``erp_deliveries`` row per file the connector writes, with the ids of the exports
in it. The row is committed, together with the exports' DELIVERED mark, after the file is written
and fsynced under a temporary name and before it is renamed to its visible name (PREPARED), and
is marked VISIBLE once the rename is done. The journal, not the folder, says what was delivered:
an export is in at most one journal row, so it reaches the ERP in at most one file, whatever the
ERP later does with the file (imports, moves or deletes it). See ``exporters.connectors.file``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, CursorResult, Enum, Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from models.base import Base, UTCDateTime, utcnow
from models.enums import ExportStatus
from models.errors import DomainError, ErrorCode
from models.policy import CONNECTOR, Actor, require
from models.sync import ErpExport
from models.workflow import mark_delivered


class DeliveryStatus(enum.StrEnum):
    PREPARED = "PREPARED"  # written under its temporary name and recorded; not renamed yet
    VISIBLE = "VISIBLE"  # renamed to its visible name: delivered


class ConnectorLease(Base):
    """Who runs a connector now, and until when."""

    __tablename__ = "connector_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    acquired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)


class ErpDelivery(Base):
    """One file a connector wrote, and the exports in it (the delivery journal)."""

    __tablename__ = "erp_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connector: Mapped[str] = mapped_column(String(32), nullable=False)
    folder: Mapped[str] = mapped_column(String(1000), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    temp_name: Mapped[str] = mapped_column(String(255), nullable=False)
    export_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False)
    row_count: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, name="delivery_status", native_enum=False, length=16),
        nullable=False,
        index=True,
    )
    holder: Mapped[str] = mapped_column(String(64), nullable=False)  # the run that wrote it
    prepared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    visible_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


# --- the lease -------------------------------------------------------------------------------------


class LeaseLost(Exception):
    """Another run took the lease (this one outlived it): stop without committing anything more."""


def acquire_lease(
    factory: sessionmaker[Session], name: str, holder: str, seconds: float, now: dt.datetime
) -> bool:
    """Take the lease ``name`` for ``holder`` until ``now + seconds`` if it is free, expired or
    already ``holder``'s. False when another holder has it."""
    until = now + dt.timedelta(seconds=seconds)
    with factory() as session:
        taken: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(ConnectorLease)
            .where(ConnectorLease.name == name)
            .where((ConnectorLease.holder == holder) | (ConnectorLease.expires_at <= now))
            .values(holder=holder, acquired_at=now, expires_at=until)
        )
        if taken.rowcount == 1:
            session.commit()
            return True
        if session.scalar(select(ConnectorLease.name).where(ConnectorLease.name == name)) is not None:
            session.rollback()
            return False
        session.add(ConnectorLease(name=name, holder=holder, acquired_at=now, expires_at=until))
        try:
            session.commit()
        except IntegrityError:  # another run created it at the same moment: it holds it
            session.rollback()
            return False
        return True


def renew_lease(session: Session, name: str, holder: str, seconds: float, now: dt.datetime) -> None:
    """Extend ``holder``'s lease in the caller's transaction (call it first: it is also what makes
    the transaction this run's, on SQLite the database's one writer); LeaseLost if it is gone."""
    renewed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(ConnectorLease)
        .where(ConnectorLease.name == name, ConnectorLease.holder == holder, ConnectorLease.expires_at > now)
        .values(expires_at=now + dt.timedelta(seconds=seconds))
    )
    if renewed.rowcount != 1:
        raise LeaseLost(f"the {name} lease of run {holder} expired and was taken over")


def release_lease(factory: sessionmaker[Session], name: str, holder: str, now: dt.datetime) -> None:
    """Give the lease up (a no-op when ``holder`` no longer has it)."""
    with factory() as session:
        session.execute(
            update(ConnectorLease)
            .where(ConnectorLease.name == name, ConnectorLease.holder == holder)
            .values(holder=None, expires_at=now)
        )
        session.commit()


def lease_of(session: Session, name: str) -> ConnectorLease | None:
    return session.get(ConnectorLease, name)


# --- the journal -----------------------------------------------------------------------------------


class ExportsTaken(Exception):
    """Some exports of a file about to be recorded are no longer pending (an agent acknowledged or
    failed them meanwhile): the file is dropped and written again without them."""


def record_delivery(
    session: Session,
    actor: Actor,
    *,
    connector: str,
    holder: str,
    folder: str,
    file_name: str,
    temp_name: str,
    export_ids: Sequence[int],
    row_count: int,
) -> ErpDelivery:
    """Journal a written (not yet visible) file and mark its exports DELIVERED, in the caller's
    transaction, which must hold the lease (``renew_lease`` first). ExportsTaken when one of the
    exports is not PENDING any more; nothing is changed then."""
    require(actor, CONNECTOR, "Recording an ERP delivery")
    exports = list(
        session.scalars(
            select(ErpExport)
            .where(ErpExport.id.in_(export_ids))
            .order_by(ErpExport.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if len(exports) != len(set(export_ids)) or any(e.status != ExportStatus.PENDING for e in exports):
        raise ExportsTaken(file_name)
    delivery = ErpDelivery(
        connector=connector,
        folder=folder,
        file_name=file_name,
        temp_name=temp_name,
        export_ids=sorted(export_ids),
        row_count=row_count,
        status=DeliveryStatus.PREPARED,
        holder=holder,
        prepared_at=utcnow(),
    )
    session.add(delivery)
    for export in exports:
        mark_delivered(session, actor, export, connector, file_name)
    session.flush()
    return delivery


def mark_visible(session: Session, actor: Actor, delivery_id: int) -> ErpDelivery:
    """The journalled file has its visible name: it is delivered."""
    require(actor, CONNECTOR, "Recording an ERP delivery")
    delivery = session.get(ErpDelivery, delivery_id)
    if delivery is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No delivery with id {delivery_id}")
    if delivery.status != DeliveryStatus.VISIBLE:
        delivery.status = DeliveryStatus.VISIBLE
        delivery.visible_at = utcnow()
        session.flush()
    return delivery


def prepared_deliveries(session: Session, actor: Actor, connector: str) -> list[ErpDelivery]:
    """Files an earlier run recorded but may not have renamed (it stopped in between)."""
    require(actor, CONNECTOR, "Reading the delivery journal")
    return list(
        session.scalars(
            select(ErpDelivery)
            .where(ErpDelivery.connector == connector, ErpDelivery.status == DeliveryStatus.PREPARED)
            .order_by(ErpDelivery.id)
        )
    )


def unacknowledged(session: Session, actor: Actor, connector: str) -> list[tuple[int, str]]:
    """(export id, file) of the exports in VISIBLE journalled files that are still DELIVERED: the
    file reached the ERP's folder, the acknowledgement has not been recorded yet."""
    require(actor, CONNECTOR, "Reading the delivery journal")
    rows = session.execute(
        select(ErpExport.id, ErpExport.delivered_file)
        .join(ErpDelivery, ErpDelivery.file_name == ErpExport.delivered_file)
        .where(
            ErpExport.status == ExportStatus.DELIVERED,
            ErpExport.connector == connector,
            ErpDelivery.connector == connector,
            ErpDelivery.status == DeliveryStatus.VISIBLE,
        )
        .order_by(ErpExport.id)
    ).all()
    return [(export_id, file_name or "") for export_id, file_name in rows]


def deliveries(session: Session, actor: Actor, connector: str | None = None) -> list[ErpDelivery]:
    """The journal, oldest first."""
    require(actor, CONNECTOR, "Reading the delivery journal")
    stmt = select(ErpDelivery).order_by(ErpDelivery.id)
    if connector is not None:
        stmt = stmt.where(ErpDelivery.connector == connector)
    return list(session.scalars(stmt))
