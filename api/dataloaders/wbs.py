"""Loaders for the company cost codes and cost types, by id."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from api.dataloaders import by_id
from models.wbs import CostCode, CostType


def cost_codes(session: Session, keys: Sequence[int]) -> list[CostCode | None]:
    return by_id(session, CostCode, keys)


def cost_types(session: Session, keys: Sequence[int]) -> list[CostType | None]:
    return by_id(session, CostType, keys)
