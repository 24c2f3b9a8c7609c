"""The company directory: vendors (ERP AP vendors) with their address and insurance."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped
from models.enums import RecordType
from models.sync import SyncState


class Vendor(SyncState, Timestamped, Base):
    """A company in the directory. ``origin_id`` is the ERP Vendor ID / Vendor Record Number."""

    __tablename__ = "vendors"
    RECORD_TYPE = RecordType.VENDOR

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    normalized_name: Mapped[str] = mapped_column(String(200), nullable=False, index=True, default="")
    address: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    city: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    state: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    zip: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    # Sage 300 CRE vendor insurance (import only)
    insurance_policy_type: Mapped[str | None] = mapped_column(String(100))
    insurance_expires_on: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True, nullable=False)

    @property
    def erp_vendor_id(self) -> str | None:
        return self.origin_id


_SUFFIXES = re.compile(r"\b(inc|incorporated|llc|l l c|ltd|limited|co|corp|corporation|company)\b")


def normalize_vendor_name(name: str) -> str:
    """Lower-case, strip punctuation and legal suffixes: 'ACME Concrete, Inc.' -> 'acme concrete'."""
    text = re.sub(r"[^a-z0-9 ]+", " ", name.lower().replace("&", " and "))
    text = _SUFFIXES.sub(" ", text)
    return " ".join(text.split())
