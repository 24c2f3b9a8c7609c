"""Work breakdown structure: the company's standard cost code list and cost types."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Enum, Integer, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, validates

from models.base import Base, Timestamped
from models.company import CompanySettings, get_settings
from models.enums import DivisionRule, RecordType, Tool
from models.errors import DomainError, ErrorCode
from models.inputs import clean_text, given
from models.natural_sort import MAX_KEY_LENGTH, natural_sort_key
from models.policy import ERP_SETTINGS, Actor, editing, require
from models.sync import SyncState, ensure_editable


class CostCode(SyncState, Timestamped, Base):
    """One code of the company standard list (e.g. Sage 100 ``2120.000``, Sage 300 ``01-100``).

    Codes are text, never numbers: leading zeros and trailing ``.000`` are significant.
    """

    __tablename__ = "cost_codes"
    RECORD_TYPE = RecordType.COST_CODE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # the division reports subtotal by, from the company's rule ("02" of "02-100", "2000" of
    # "2120.000" when the company groups by thousands); recomputed when the rule changes
    division: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # natural order of the code (models/natural_sort.py), so SQL pages list 2120.000 before
    # 15400.000; set with the code by the ORM, and by the column default for Core inserts
    sort_key: Mapped[str] = mapped_column(
        String(MAX_KEY_LENGTH),
        nullable=False,
        index=True,
        default=lambda context: natural_sort_key(context.get_current_parameters()["code"]),
    )

    @validates("code")
    def _keep_sort_key(self, _key: str, code: str) -> str:
        self.sort_key = natural_sort_key(code)
        return code


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
    """The first section of a code: the text before the first '-' or '.', else the code."""
    for sep in ("-", "."):
        if sep in code:
            return code.split(sep, 1)[0]
    return code


def division_for(code: str, rule: DivisionRule = DivisionRule.FIRST_SECTION, length: int = 2) -> str:
    """The division ``code`` rolls up to under the company's rule:

    - FIRST_SECTION: the text before the first '-' or '.' (Sage 300 ``01-100`` -> ``01``);
    - THOUSANDS: the whole-number part rounded down to thousands, as Sage 100 Contractor cost
      divisions group codes by ranges (``2120.000`` -> ``2000``, ``15400.000`` -> ``15000``); a code
      whose first section is not a number falls back to FIRST_SECTION;
    - LEADING_CHARACTERS: the first ``length`` characters (``15400`` -> ``15``).
    """
    code = code.strip()
    first = division_of(code)
    if rule == DivisionRule.THOUSANDS and first.isdigit():
        return str(int(first) // 1000 * 1000)
    if rule == DivisionRule.LEADING_CHARACTERS:
        return code[: max(1, length)]
    return first


def company_division(session: Session, code: str) -> str:
    settings = get_settings(session)
    return division_for(code, settings.cost_division_rule, settings.cost_division_length)


def apply_division_rule(
    session: Session, actor: Actor, settings: CompanySettings, rule: DivisionRule | None, length: int | None
) -> None:
    """Change the company's division rule and recompute every cost code's division (an ERP setting:
    ADMIN on ERP Integrations)."""
    require(actor, ERP_SETTINGS, "Changing the division rule")
    if length is not None:
        if not 1 <= length <= 32:
            raise DomainError(
                ErrorCode.INVALID_VALUE, "The division length must be between 1 and 32", "costDivisionLength"
            )
        settings.cost_division_length = length
    if rule is not None:
        settings.cost_division_rule = DivisionRule(rule)
    rows = session.execute(select(CostCode.id, CostCode.code, CostCode.division)).all()
    changes = [
        {"id": pk, "division": new}
        for pk, code, old in rows
        if (new := division_for(code, settings.cost_division_rule, settings.cost_division_length)) != old
    ]
    if changes:
        session.execute(update(CostCode), changes)


# --- domain rules --------------------------------------------------------------------------------


def _check_code_free(
    session: Session,
    model: type[CostCode] | type[CostType],
    code: str,
    error: ErrorCode,
    exclude_id: int | None,
) -> None:
    stmt = select(model.id).where(func.lower(model.code) == code.lower())
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise DomainError(error, f"Code {code} is already used", "code")


def create_cost_code(
    session: Session, actor: Actor, *, code: str, description: str | None = None, active: bool = True
) -> CostCode:
    """Add a code to the company standard list; the code is kept as typed (text, not a number)."""
    require(actor, editing(Tool.PROJECT_ADMIN), "Creating a cost code")
    code = clean_text(code, "code", required=True, max_len=32)
    _check_code_free(session, CostCode, code, ErrorCode.DUPLICATE_COST_CODE, None)
    row = CostCode(
        code=code,
        description=clean_text(description, "description"),
        division=company_division(session, code),
        active=bool(active),
    )
    session.add(row)
    session.flush()
    return row


def update_cost_code(session: Session, actor: Actor, row: CostCode, **values: Any) -> CostCode:
    """Apply the fields given in ``values`` (None clears the description); refused while the cost
    code is with the ERP."""
    require(actor, editing(Tool.PROJECT_ADMIN), "Editing a cost code")
    ensure_editable(row)
    if given(values, "code", clearable=False):
        code = clean_text(values["code"], "code", required=True, max_len=32)
        _check_code_free(session, CostCode, code, ErrorCode.DUPLICATE_COST_CODE, row.id)
        row.code = code
        row.division = company_division(session, code)
    if given(values, "description"):
        row.description = clean_text(values["description"], "description")
    if given(values, "active", clearable=False):
        row.active = bool(values["active"])
    session.flush()
    return row


def create_cost_type(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    erp_code: str | None = None,
    active: bool = True,
) -> CostType:
    require(actor, editing(Tool.PROJECT_ADMIN), "Creating a cost type")
    code = clean_text(code, "code", required=True, max_len=8)
    _check_code_free(session, CostType, code, ErrorCode.DUPLICATE_COST_TYPE, None)
    row = CostType(
        code=code,
        name=clean_text(name, "name", required=True, max_len=100),
        erp_code=clean_text(erp_code, "erpCode", max_len=8) or None,
        active=bool(active),
    )
    session.add(row)
    session.flush()
    return row


def update_cost_type(session: Session, actor: Actor, row: CostType, **values: Any) -> CostType:
    require(actor, editing(Tool.PROJECT_ADMIN), "Editing a cost type")
    if given(values, "code", clearable=False):
        code = clean_text(values["code"], "code", required=True, max_len=8)
        _check_code_free(session, CostType, code, ErrorCode.DUPLICATE_COST_TYPE, row.id)
        row.code = code
    if given(values, "name", clearable=False):
        row.name = clean_text(values["name"], "name", required=True, max_len=100)
    if given(values, "erp_code"):
        row.erp_code = clean_text(values["erp_code"], "erpCode", max_len=8) or None
    if given(values, "active", clearable=False):
        row.active = bool(values["active"])
    session.flush()
    return row
