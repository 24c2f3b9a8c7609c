"""Loaders for subcontractor invoices: by project and their lines."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.dataloaders import group_by, key_in, keys_from
from models.commitments import Commitment
from models.invoices import SubcontractorInvoice, SubcontractorInvoiceLine
from models.projects import Project


@keys_from((Project, "id"))
def invoices_by_project(session: Session, project_ids: Sequence[int]) -> list[list[SubcontractorInvoice]]:
    rows = session.execute(
        select(Commitment.project_id, SubcontractorInvoice)
        .join(Commitment, Commitment.id == SubcontractorInvoice.commitment_id)
        .where(key_in(session, Commitment.project_id, project_ids))
        .order_by(SubcontractorInvoice.billing_date, SubcontractorInvoice.id)
    ).all()
    grouped = group_by(rows, lambda r: r[0], project_ids)
    return [[r[1] for r in group] for group in grouped]


@keys_from((SubcontractorInvoice, "id"))
def lines_by_invoice(session: Session, invoice_ids: Sequence[int]) -> list[list[SubcontractorInvoiceLine]]:
    rows = session.scalars(
        select(SubcontractorInvoiceLine)
        .where(key_in(session, SubcontractorInvoiceLine.invoice_id, invoice_ids))
        .order_by(SubcontractorInvoiceLine.id)
    ).all()
    return group_by(rows, lambda r: r.invoice_id, invoice_ids)
