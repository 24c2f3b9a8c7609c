"""Bulk inserts of whole columns (the job-cost load's write): text with tabs, line breaks and
backslashes arrives intact, NULLs stay NULL, amounts keep their cents, and a load whose references
were resolved in Python is still refused, with nothing written, when a referenced row is gone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from importers.bulk import converter, insert_columns, table_of
from models.costs import DirectCost
from models.enums import DirectCostStatus, DirectCostType
from models.projects import Project
from tests.factories_imports import seed

COLUMNS = (
    "project_id", "sub_job_id", "cost_code_id", "cost_type_id", "type", "item_date", "description",
    "vendor_id", "invoice_number", "amount", "erp_transaction_id", "dedupe_key",
)  # fmt: skip


def _columns(session, world, project_id: int, descriptions: list[str], amounts: list) -> list[list]:
    table = table_of(DirectCost)
    n = len(descriptions)
    kind = converter(session, table, "type")(DirectCostType.EXPENSE)
    day = converter(session, table, "item_date")(dt.date(2025, 3, 4))
    return [
        [project_id] * n,
        [world.sub_job_id, *[None] * (n - 1)],
        [world.codes["01-100"]] * n,
        list(world.types.values())[:1] * n,
        [kind] * n,
        [day] * n,
        descriptions,
        [world.vendor_id, *[None] * (n - 1)],
        ["INV-1", *[None] * (n - 1)],
        list(map(converter(session, table, "amount", memo=False), amounts)),
        [None] * n,
        [f"key-{i}" for i in range(n)],
    ]


def _shared(session, run_id=None) -> dict:
    table = table_of(DirectCost)
    now = converter(session, table, "created_at")(dt.datetime.now(dt.UTC))
    status = converter(session, table, "status")(DirectCostStatus.APPROVED)
    return {"status": status, "import_run_id": run_id, "created_at": now, "updated_at": now}


@pytest.mark.parametrize("resolved", [True, False], ids=["resolved", "checked-per-row"])
def test_text_nulls_and_cents_arrive_intact(session, resolved):
    world = seed(session)
    texts = ["tab\there", "two\nlines", "back\\slash", "cr\rhere", "plain", "\\N", ""]
    amounts = [1234.5, -0.01, Decimal("99999999.99"), 0.1, 12.0, Decimal("7.10"), 3.33]
    values = _columns(session, world, world.project_id, texts, amounts)
    insert_columns(
        session, table_of(DirectCost), COLUMNS, values, _shared(session), references_resolved=resolved
    )
    session.commit()
    rows = session.execute(
        select(
            DirectCost.description, DirectCost.amount, DirectCost.invoice_number, DirectCost.sub_job_id
        ).order_by(DirectCost.dedupe_key)
    ).all()
    assert [r.description for r in rows] == texts
    assert [str(r.amount) for r in rows] == [
        "1234.50",
        "-0.01",
        "99999999.99",
        "0.10",
        "12.00",
        "7.10",
        "3.33",
    ]
    assert [r.invoice_number for r in rows] == ["INV-1", *[None] * 6]
    assert [r.sub_job_id for r in rows] == [world.sub_job_id, *[None] * 6]


def test_a_vanished_reference_refuses_the_whole_insert(session):
    world = seed(session)
    gone = Project(number="GONE", name="Deleted meanwhile")
    session.add(gone)
    session.flush()
    gone_id = gone.id
    session.execute(delete(Project).where(Project.id == gone_id))
    values = _columns(session, world, world.project_id, ["a", "b"], [1.0, 2.0])
    values[0] = [world.project_id, gone_id]
    with pytest.raises(IntegrityError):
        insert_columns(
            session, table_of(DirectCost), COLUMNS, values, _shared(session), references_resolved=True
        )
    session.rollback()
    assert session.scalar(select(func.count()).select_from(DirectCost)) == 0
