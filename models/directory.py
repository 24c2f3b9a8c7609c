"""The company directory: vendors (ERP AP vendors) with their address and insurance."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, Timestamped
from models.enums import RecordType, Tool
from models.inputs import clean_text, given
from models.policy import Actor, editing, require
from models.sync import SyncState, ensure_editable


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


# --- domain rules --------------------------------------------------------------------------------

VENDOR_TEXT_FIELDS = (
    ("address", "address", 200),
    ("city", "city", 100),
    ("state", "state", 50),
    ("zip", "zip", 20),
)


def create_vendor(session: Session, actor: Actor, **values: Any) -> Vendor:
    """Add a company to the directory (CostBridge origin, NOT_SENT until sent to the ERP)."""
    require(actor, editing(Tool.DIRECTORY), "Creating a vendor")
    name = clean_text(values.get("name"), "name", required=True)
    vendor = Vendor(name=name, normalized_name=normalize_vendor_name(name))
    for attr, field, max_len in VENDOR_TEXT_FIELDS:
        setattr(vendor, attr, clean_text(values.get(attr), field, max_len=max_len))
    vendor.insurance_policy_type = (
        clean_text(values.get("insurance_policy_type"), "insurancePolicyType", max_len=100) or None
    )
    vendor.insurance_expires_on = values.get("insurance_expires_on")
    vendor.active = values.get("active") is not False
    session.add(vendor)
    session.flush()
    return vendor


def update_vendor(session: Session, actor: Actor, vendor: Vendor, **values: Any) -> Vendor:
    """Apply the fields given in ``values`` (None clears the address fields and the insurance);
    refused while the vendor is with the ERP."""
    require(actor, editing(Tool.DIRECTORY), "Editing a vendor")
    ensure_editable(vendor)
    if given(values, "name", clearable=False):
        vendor.name = clean_text(values["name"], "name", required=True)
        vendor.normalized_name = normalize_vendor_name(vendor.name)
    for attr, field, max_len in VENDOR_TEXT_FIELDS:
        if given(values, attr):
            setattr(vendor, attr, clean_text(values[attr], field, max_len=max_len))
    if given(values, "insurance_policy_type"):
        vendor.insurance_policy_type = (
            clean_text(values["insurance_policy_type"], "insurancePolicyType", max_len=100) or None
        )
    if given(values, "insurance_expires_on"):
        vendor.insurance_expires_on = values["insurance_expires_on"]
    if given(values, "active", clearable=False):
        vendor.active = bool(values["active"])
    session.flush()
    return vendor
