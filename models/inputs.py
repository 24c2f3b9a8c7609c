"""Input normalisation shared by the record domain functions: text, money, quantities, percents, and
which fields an update names (absent: unchanged; None: cleared, where the field may be empty).

Every parser raises a DomainError naming the field, so API, CLI and importers report the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from models.base import CENT, ZERO
from models.errors import DomainError, ErrorCode

E = TypeVar("E", bound=Enum)

# Money columns are Numeric(15, 2): 13 integer digits and 2 decimals.
MONEY_LIMIT = Decimal(10) ** 13
# Quantity columns are Numeric(18, 4): 14 integer digits and 4 decimals.
QUANTITY_LIMIT = Decimal(10) ** 14
QUANTUM_4 = Decimal("0.0001")


def given(values: Mapping[str, Any], field: str, camel: str | None = None, *, clearable: bool = True) -> bool:
    """Whether an update names ``field``. A field given as None is cleared when ``clearable``; a
    field that cannot be cleared (a name, a number, a required reference) is refused REQUIRED."""
    if field not in values:
        return False
    if values[field] is None and not clearable:
        name = camel or field
        raise DomainError(ErrorCode.REQUIRED, f"{name} cannot be cleared", name)
    return True


# control characters other than tab and line breaks, and lone surrogates: PostgreSQL refuses NUL in
# text, a surrogate is not UTF-8, and the rest garble the files the ERP reads
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def refuse_control_characters(text: str, field: str) -> str:
    found = CONTROL_CHARACTERS.search(text)
    if found:
        raise DomainError(
            ErrorCode.INVALID_VALUE,
            f"{field} contains a control character (U+{ord(found.group(0)):04X})",
            field,
        )
    return text


def clean_text(value: str | None, field: str, *, required: bool = False, max_len: int = 200) -> str:
    text = refuse_control_characters((value or "").strip(), field)
    if required and not text:
        raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
    if len(text) > max_len:
        raise DomainError(ErrorCode.INVALID_VALUE, f"{field} is longer than {max_len} characters", field)
    return text


def _to_decimal(value: Any, field: str, code: ErrorCode) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(code, f"{field} '{value}' is not a number", field) from None
    if not number.is_finite():
        raise DomainError(code, f"{field} '{value}' is not a number", field)
    return number


def parse_money(
    value: Any,
    field: str,
    *,
    required: bool = False,
    allow_negative: bool = False,
) -> Decimal:
    """A money amount: at most 13 integer digits and 2 decimals, non-negative unless allowed; a
    blank amount is 0.00 unless ``required``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
        return ZERO
    number = _to_decimal(value, field, ErrorCode.INVALID_AMOUNT)
    if number < 0 and not allow_negative:
        raise DomainError(ErrorCode.NEGATIVE_AMOUNT, f"{field} may not be negative ({number})", field)
    if abs(number) >= MONEY_LIMIT:
        raise DomainError(ErrorCode.INVALID_AMOUNT, f"{field} {number} has more than 13 digits", field)
    if number != number.quantize(CENT):
        raise DomainError(ErrorCode.INVALID_AMOUNT, f"{field} {number} has more than 2 decimals", field)
    return number.quantize(CENT)


def parse_quantity(
    value: Any, field: str, *, code: ErrorCode = ErrorCode.INVALID_VALUE, allow_negative: bool = False
) -> Decimal | None:
    """A quantity or unit cost (Numeric(18, 4)); None stays None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = _to_decimal(value, field, code)
    if number < 0 and not allow_negative:
        raise DomainError(ErrorCode.NEGATIVE_AMOUNT, f"{field} may not be negative ({number})", field)
    if abs(number) >= QUANTITY_LIMIT or number != number.quantize(QUANTUM_4):
        raise DomainError(code, f"{field} {number} has more than 14 digits or 4 decimals", field)
    return number.quantize(QUANTUM_4)


def parse_percent(value: Any, field: str) -> Decimal:
    """A percentage between 0 and 100 with at most 2 decimals."""
    if value is None:
        return ZERO
    number = _to_decimal(value, field, ErrorCode.INVALID_VALUE)
    if number < 0 or number > 100 or number != number.quantize(CENT):
        raise DomainError(
            ErrorCode.INVALID_VALUE, f"{field} must be between 0 and 100 with at most 2 decimals", field
        )
    return number.quantize(CENT)


def check_transition(table: Mapping[E, Sequence[E]], current: E, target: E, what: str) -> None:
    """Refuse a status change that the ``table`` (status -> allowed next statuses) does not list."""
    if target == current:
        return
    if target not in table.get(current, ()):
        raise DomainError(
            ErrorCode.INVALID_STATUS_TRANSITION,
            f"A {what} cannot go from {current.value} to {target.value}",
            "status",
        )
