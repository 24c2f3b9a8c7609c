"""Loaders for prime contracts, their items, change orders and change order lines."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.dataloaders import by_id, group_by, key_in, keys_from
from models.prime_contracts import (
    PrimeContract,
    PrimeContractChangeOrder,
    PrimeContractChangeOrderLine,
    PrimeContractLine,
)
from models.projects import Project


@keys_from((Project, "id"))
def prime_contracts_by_project(session: Session, project_ids: Sequence[int]) -> list[list[PrimeContract]]:
    rows = session.scalars(
        select(PrimeContract)
        .where(key_in(session, PrimeContract.project_id, project_ids))
        .order_by(PrimeContract.number, PrimeContract.id)
    ).all()
    return group_by(rows, lambda r: r.project_id, project_ids)


@keys_from((PrimeContract, "id"))
def lines_by_prime_contract(session: Session, contract_ids: Sequence[int]) -> list[list[PrimeContractLine]]:
    rows = session.scalars(
        select(PrimeContractLine)
        .where(key_in(session, PrimeContractLine.prime_contract_id, contract_ids))
        .order_by(PrimeContractLine.id)
    ).all()
    return group_by(rows, lambda r: r.prime_contract_id, contract_ids)


@keys_from((PrimeContract, "id"))
def change_orders_by_prime_contract(
    session: Session, contract_ids: Sequence[int]
) -> list[list[PrimeContractChangeOrder]]:
    rows = session.scalars(
        select(PrimeContractChangeOrder)
        .where(key_in(session, PrimeContractChangeOrder.prime_contract_id, contract_ids))
        .order_by(PrimeContractChangeOrder.id)
    ).all()
    return group_by(rows, lambda r: r.prime_contract_id, contract_ids)


@keys_from((PrimeContractChangeOrder, "id"))
def lines_by_prime_change_order(
    session: Session, change_order_ids: Sequence[int]
) -> list[list[PrimeContractChangeOrderLine]]:
    rows = session.scalars(
        select(PrimeContractChangeOrderLine)
        .where(key_in(session, PrimeContractChangeOrderLine.change_order_id, change_order_ids))
        .order_by(PrimeContractChangeOrderLine.id)
    ).all()
    return group_by(rows, lambda r: r.change_order_id, change_order_ids)


@keys_from((PrimeContractChangeOrder, "prime_contract_id"))
def prime_contracts(session: Session, keys: Sequence[int]) -> list[PrimeContract | None]:
    return by_id(session, PrimeContract, keys)
