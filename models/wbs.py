"""Work breakdown structure: the company's standard cost code list and cost types."""

from __future__ import annotations

from sqlalchemy import Boolean, Enum, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped
from models.enums import RecordType
from models.sync import SyncState


class CostCode(SyncState, Timestamped, Base):
    """One code of the company standard list (e.g. Sage 100 ``2120.000``, Sage 300 ``01-100``).

    Codes are text, never numbers: leading zeros and trailing ``.000`` are significant.
    """

    __tablename__ = "cost_codes"
    RECORD_TYPE = RecordType.COST_CODE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # the division is the first section of a sectioned code ("02" of "02-100", "2000" of "2120.000"
    # when the company groups by thousands); reports subtotal by it
    division: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class CostType(Timestamped, Base):
    """A cost type / category (Sage 100: 1 Material .. 5 Other, 6-9 user; Sage 300: L, M, S, E, O)."""

    __tablename__ = "cost_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    # the ERP's own category letter or number when it differs from ``code``
    erp_code: Mapped[str | None] = mapped_column(String(8))
    origin: Mapped[str] = mapped_column(
        Enum("COSTBRIDGE", "ERP", name="cost_type_origin", native_enum=False, length=16),
        nullable=False,
        default="COSTBRIDGE",
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


def division_of(code: str) -> str:
    """The division a cost code rolls up to: the text before the first '-' or '.', else the code."""
    for sep in ("-", "."):
        if sep in code:
            return code.split(sep, 1)[0]
    return code
