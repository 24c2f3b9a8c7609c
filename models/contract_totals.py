"""Contract totals, one rule for commitments and prime contracts: original = the sum of the lines,
revised = original + APPROVED change orders (PENDING ones shown apart)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from models.base import ZERO
from models.enums import ChangeOrderStatus


def lines_total(lines: Iterable[Any]) -> Decimal:
    """The sum of the lines' amounts (a contract's or a change order's)."""
    return sum((line.amount for line in lines), ZERO)


@dataclass(frozen=True)
class ContractTotals:
    original: Decimal
    approved_change_orders: Decimal
    pending_change_orders: Decimal
    revised: Decimal


def contract_totals(
    lines: Iterable[Any], change_orders: Iterable[tuple[ChangeOrderStatus, Decimal]]
) -> ContractTotals:
    """The totals of a contract from its lines and (status, total) of each change order."""
    original = lines_total(lines)
    approved = pending = ZERO
    for status, total in change_orders:
        if status == ChangeOrderStatus.APPROVED:
            approved += total
        elif status == ChangeOrderStatus.PENDING:
            pending += total
    return ContractTotals(original, approved, pending, original + approved)
