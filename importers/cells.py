"""Parsing one cell: money, dates, codes and text, from CSV strings or calamine values.

Every parser raises CellError with a code and a message naming the bad value; the planner adds the
row and column."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import repeat
from operator import methodcaller
from typing import Any, Generic, TypeVar

from models.errors import ErrorCode

CENT = Decimal("0.01")
# Numeric(15, 2): 13 digits before the point
MONEY_LIMIT = Decimal("1e13")
# Numeric(18, 4): 14 digits before the point
QUANTITY_LIMIT = Decimal("1e14")
EXCEL_EPOCH = dt.date(1899, 12, 30)
_AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
_PLAIN_AMOUNT = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d{1,12})(?:\.\d{1,2})?$")
_US_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+)?$")


V = TypeVar("V")


class CellError(Exception):
    def __init__(self, code: ErrorCode, message: str, subject: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.subject = subject  # the value at fault, when the caller should group by it


def subject_of(value: Any) -> str:
    """A cell value as a short text naming it in grouped reasons."""
    text = code(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# CostBridge's own CSV exports put a ' before text a spreadsheet would run as a formula
# (exporters/tabular.py); reading it back drops that quote so an export re-imports unchanged.
_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")


def text(value: Any, max_len: int = 200) -> str:
    if value.__class__ is str and len(value) <= max_len:
        stripped: str = value.strip()
        return stripped[1:] if stripped.startswith(_NEUTRALISED) else stripped
    if value is None:
        return ""
    if isinstance(value, float):
        out = code(value)
    elif isinstance(value, dt.datetime | dt.date):
        out = value.isoformat()[:10]
    else:
        out = str(value).strip()
    if len(out) > max_len:
        raise CellError(ErrorCode.VALUE_TOO_LONG, f"'{out[:40]}...' is longer than {max_len} characters")
    return out


def code(value: Any) -> str:
    """A code as text: 2120.0 read from a numeric cell becomes '2120' (matched later against
    '2120.000' by numeric value), text keeps its zeros and loses surrounding spaces."""
    if value.__class__ is str:
        return str(value).strip()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if value is None:
        return ""
    return str(value).strip()


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise CellError(ErrorCode.INVALID_AMOUNT, f"'{value}' is not {what}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raw = str(value).strip()
    s = raw.replace("$", "").replace(" ", "").replace("\u00a0", "")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.startswith("-"):
        negative, s = not negative, s[1:]
    elif s.endswith("-"):  # Sage report style: 1,234.56-
        negative, s = not negative, s[:-1]
    elif s.startswith("+"):
        s = s[1:]
    s = s.replace("$", "")
    if s.count(".") > 1:
        raise CellError(
            ErrorCode.INVALID_AMOUNT, f"'{raw}' is not {what}: it has more than one decimal point"
        )
    if not s or not _AMOUNT.match(s) or s == ".":
        raise CellError(ErrorCode.INVALID_AMOUNT, f"'{raw}' is not {what}")
    d = Decimal(s.replace(",", ""))
    return -d if negative else d


def money(value: Any) -> Decimal:
    """'$1,234.56', '(1,234.56)', '-1234.5', '1,234.56-' or a number -> Decimal to the cent."""
    if value.__class__ is float and -1e12 < value < 1e12:  # the common spreadsheet case, fast
        return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    if value.__class__ is str and _PLAIN_AMOUNT.match(value):  # '1234.56', '-5', '1,234.56'
        plain = Decimal(value.replace(",", "")).quantize(CENT, rounding=ROUND_HALF_UP)
        if abs(plain) < MONEY_LIMIT:
            return plain
    d = _decimal(value, "an amount")
    try:
        d = d.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        d = MONEY_LIMIT
    if abs(d) >= MONEY_LIMIT:
        raise CellError(
            ErrorCode.AMOUNT_TOO_LARGE,
            f"{value} is too large: amounts are at most 9,999,999,999,999.99",
        )
    return d


def quantity(value: Any) -> Decimal:
    d = _decimal(value, "a number")
    try:
        d = d.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        d = QUANTITY_LIMIT
    if abs(d) >= QUANTITY_LIMIT:
        raise CellError(ErrorCode.AMOUNT_TOO_LARGE, f"{value} is too large for this column")
    return d


def date(value: Any) -> dt.date:
    """ISO (2026-02-03), US (2/3/2026, 02/03/26), an Excel serial (46056) or a date cell."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellError(ErrorCode.INVALID_DATE, f"{value} is not a date")
    raw = str(value).strip()
    try:
        if m := _ISO_DATE.match(raw):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _US_DATE.match(raw):
            year = int(m[3])
            if len(m[3]) == 2:
                year += 2000 if year < 70 else 1900
            return dt.date(year, int(m[1]), int(m[2]))
        if raw.isdigit():
            return date(int(raw))
    except ValueError:
        raise CellError(
            ErrorCode.INVALID_DATE, f"'{raw}' is not a real date (check the day and month)"
        ) from None
    raise CellError(ErrorCode.INVALID_DATE, f"'{raw}' is not a date: use 2026-02-03 or 02/03/2026")


def numeric_key(code_text: str) -> str | None:
    """'2120.000' and '2120' share the key '2120'; codes that are not plain numbers have none."""
    if not code_text or not code_text.replace(".", "", 1).isdigit():
        return None
    return format(Decimal(code_text).normalize(), "f")


class CodeIndex(Generic[V]):
    """Looks codes up exactly, then case-insensitively, then by numeric value when that is unambiguous
    (a code Excel stored as a number lost its zeros: 2120.000 -> 2120, 0100 -> 100). The fallback
    tables are built on the first miss: most loads only ever need the exact one. Later pairs win."""

    def __init__(self, pairs: Iterable[tuple[str, V]]) -> None:
        self.exact: dict[str, V] = dict(pairs)
        self._folded: dict[str, V] | None = None
        self._numeric: dict[str, V] = {}

    def get(self, code_text: str) -> V | None:
        found = self.exact.get(code_text)
        if found is None:
            folded = self._folded if self._folded is not None else self._fallbacks()
            found = folded.get(code_text.lower())
            if found is None and (n := numeric_key(code_text)) is not None:
                found = self._numeric.get(n)
        return found

    def _fallbacks(self) -> dict[str, V]:
        folded: dict[str, V] = {}
        numeric: dict[str, set[V]] = {}
        for key, value in self.exact.items():
            folded[key.lower()] = value
            if (n := numeric_key(key)) is not None:
                numeric.setdefault(n, set()).add(value)
        self._numeric = {k: next(iter(v)) for k, v in numeric.items() if len(v) == 1}
        self._folded = folded
        return folded


# --- whole columns (fast paths for the usual shapes; None sends a column to the per-value parsers) ---


def text_column(column: Sequence[Any], max_len: int) -> list[str] | None:
    """A column of short text cells, stripped, when none needs more (a neutralising quote)."""
    try:
        # of the values a reader gives, only text has a length
        longest = max(map(len, column), default=0)
    except TypeError:
        return None  # a cell that is not text
    if longest > max_len:
        return None
    stripped: list[str] = list(map(str.strip, column))
    # one search of the joined column finds any value starting with a quote
    if "\x00'" in "\x00" + "\x00".join(stripped):
        return None
    return stripped


def money_column(column: Sequence[Any]) -> list[Any] | None:
    """A column of amounts needing no rounding: number cells already at whole cents (kept as the
    floats themselves, which backends take as they are) or plain text like '1234.56' / '1,234.5'
    (as Decimals)."""
    kinds = set(map(type, column))
    if kinds == {float}:
        if not (min(column, default=0) > -1e12 and max(column, default=0) < 1e12):
            return None
        # round(v, 2) == v exactly when v's shortest decimal form has at most two decimals
        return list(column) if list(map(round, column, repeat(2))) == list(column) else None
    if kinds == {str} and all(map(_PLAIN_AMOUNT.fullmatch, column)):
        amounts = list(map(Decimal, map(methodcaller("replace", ",", ""), column)))
        return amounts if max(map(abs, amounts), default=0) < MONEY_LIMIT else None
    return None


# a failure's column key: a heading key, or None for a reason that belongs to the whole row
FailureKey = TypeVar("FailureKey", str, str | None)


def parse_column(
    column: Sequence[Any],
    position: int,
    key: FailureKey,
    parse: Callable[[Any], Any],
    failed: dict[int, list[tuple[int, FailureKey, CellError]]],
) -> list[Any]:
    """``column`` parsed by ``parse``, once per distinct value (a load repeats its codes and dates);
    each cell that fails is listed under its row in ``failed`` as (position, key, error) and parsed
    as None, so every reason of a row is found in one pass."""
    results: dict[Any, Any] = {}
    failures: dict[Any, CellError] = {}
    for value in set(column):
        try:
            results[value] = parse(value)
        except CellError as exc:
            results[value] = None
            if exc.subject is None:
                exc.subject = subject_of(value)
            failures[value] = exc
    if failures:
        for i, value in enumerate(column):
            error = failures.get(value)
            if error is not None:
                failed.setdefault(i, []).append((position, key, error))
    if all(results[v] is v for v in results):
        return list(column)  # every value is already its parsed form
    return list(map(results.__getitem__, column))
