"""Loaders for commitments, their lines, change orders and change order lines."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.dataloaders import by_id, group_by, key_in, keys_from
from models.commitments import Commitment, CommitmentChangeOrder, CommitmentChangeOrderLine, CommitmentLine
from models.invoices import SubcontractorInvoice, SubcontractorInvoiceLine
from models.projects import Project


@keys_from((Project, "id"))
def commitments_by_project(session: Session, project_ids: Sequence[int]) -> list[list[Commitment]]:
    rows = session.scalars(
        select(Commitment)
        .where(key_in(session, Commitment.project_id, project_ids))
        .order_by(Commitment.number, Commitment.id)
    ).all()
    return group_by(rows, lambda r: r.project_id, project_ids)


@keys_from((Commitment, "id"))
def lines_by_commitment(session: Session, commitment_ids: Sequence[int]) -> list[list[CommitmentLine]]:
    rows = session.scalars(
        select(CommitmentLine)
        .where(key_in(session, CommitmentLine.commitment_id, commitment_ids))
        .order_by(CommitmentLine.line_number, CommitmentLine.id)
    ).all()
    return group_by(rows, lambda r: r.commitment_id, commitment_ids)


@keys_from((Commitment, "id"))
def change_orders_by_commitment(
    session: Session, commitment_ids: Sequence[int]
) -> list[list[CommitmentChangeOrder]]:
    rows = session.scalars(
        select(CommitmentChangeOrder)
        .where(key_in(session, CommitmentChangeOrder.commitment_id, commitment_ids))
        .order_by(CommitmentChangeOrder.id)
    ).all()
    return group_by(rows, lambda r: r.commitment_id, commitment_ids)


@keys_from((CommitmentChangeOrder, "id"))
def lines_by_change_order(
    session: Session, change_order_ids: Sequence[int]
) -> list[list[CommitmentChangeOrderLine]]:
    rows = session.scalars(
        select(CommitmentChangeOrderLine)
        .where(key_in(session, CommitmentChangeOrderLine.change_order_id, change_order_ids))
        .order_by(CommitmentChangeOrderLine.id)
    ).all()
    return group_by(rows, lambda r: r.change_order_id, change_order_ids)


@keys_from((CommitmentChangeOrder, "commitment_id"), (SubcontractorInvoice, "commitment_id"))
def commitments(session: Session, keys: Sequence[int]) -> list[Commitment | None]:
    return by_id(session, Commitment, keys)


@keys_from((SubcontractorInvoiceLine, "commitment_line_id"))
def commitment_lines(session: Session, keys: Sequence[int]) -> list[CommitmentLine | None]:
    return by_id(session, CommitmentLine, keys)
