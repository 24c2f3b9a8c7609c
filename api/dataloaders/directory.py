"""Loaders for the company directory: vendors by id."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from api.dataloaders import by_id, keys_from
from models.commitments import Commitment
from models.costs import DirectCost
from models.directory import Vendor


@keys_from((Commitment, "vendor_id"), (DirectCost, "vendor_id"))
def vendors(session: Session, keys: Sequence[int]) -> list[Vendor | None]:
    return by_id(session, Vendor, keys)
