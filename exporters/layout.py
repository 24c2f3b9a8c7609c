"""The machinery behind the file layouts (exporters/sage100_layouts.py, exporters/sage300_layouts.py):
how the file connector lays an export's payload out in a file the ERP's own import reads.

A payload (``exporters.mapping``) says *what* goes to the ERP; a ``Layout`` says only *where* it
goes in one published import format: which record types (a header ``H`` and detail ``D`` records,
or one kind of row), which columns in which order, each column's published type (``String (50)``,
``Numeric (9,3)``, a date format), fixed codes (the file-type code of a Data Integration Suite
template), and how the payload's rows become the file's rows:

- ``ROWS``: one file row per payload row (the header alone, or the header with each line);
- ``HEADER_DETAIL``: one header record, then one detail record per line, kept together and in order;
- ``PIVOT``: lines grouped by ``Pivot.key``, one file row per group, the amount of each line in the
  column its ``Pivot.by`` value names (a budget's cost types side by side).

A layout never changes what is exported: every payload column is placed in a column, or named in
``omits`` with what leaving it out means (``DERIVED``: the file carries it anyway, as the sum of the
amounts or in the file name; ``WARN``: informational, dropped with a warning; ``BLOCK``: a value
there cannot be laid out, so the record is blocked). A value that does not fit its column (too
long, not a number, too many digits or decimals, not one of the allowed codes) is a ``Problem``,
never cut or rounded: preflight turns problems into blockers before the record is sent, and the
file connector fails an export whose payload has one rather than write it.

Each column says where it comes from: the publication of its layout (``Layout.source``) or, where
a detail was not in the publications read, ``published=False`` with the reason in ``rule``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from exporters.mapping import payload_rows
from exporters.tabular import neutralise
from models.enums import ErpSystem, FileLayout
from models.errors import ErrorCode

STRING = "string"
INTEGER = "integer"
DECIMAL = "decimal"
DATE = "date"
TAG = "tag"  # a fixed code written bare (a template's file-type code, H / D)
PLACEHOLDER = "placeholder"  # Sage's "leave this column as it is" placeholder: " "

ROWS = "rows"
HEADER_DETAIL = "header/detail"
PIVOT = "pivot"

DERIVED = "derived"
WARN = "warn"
BLOCK = "block"


@dataclass(frozen=True)
class Source:
    """A publication a layout follows."""

    title: str
    url: str


@dataclass(frozen=True)
class FieldType:
    """A target field's type, as its publication states it."""

    kind: str
    label: str  # the publication's wording: "String (50)", "Numeric (9,3)", "yyyy-mm-dd"
    length: int | None = None
    digits: int | None = None  # integer digits a number may have
    places: int = 0  # decimal places a number is written with (and may have)
    date_format: str = "%Y-%m-%d"
    choices: tuple[str, ...] = ()
    quoted: bool = False  # written inside double quotes, even when empty


def String(length: int | None, label: str | None = None, *, quoted: bool = True) -> FieldType:  # noqa: N802
    return FieldType(
        STRING, label or (f"String ({length})" if length else "Text"), length=length, quoted=quoted
    )


def Numeric(digits: int | None = None, places: int = 0, label: str | None = None) -> FieldType:  # noqa: N802
    """``Numeric`` (a whole number), or ``Numeric (p,s)``: p digits in all, s of them decimals."""
    if digits is None:
        return FieldType(INTEGER, label or "Numeric")
    return FieldType(DECIMAL, label or f"Numeric ({digits},{places})", digits=digits - places, places=places)


def Signed(integer_digits: int, places: int, label: str) -> FieldType:  # noqa: N802
    return FieldType(DECIMAL, label, digits=integer_digits, places=places)


def Choice(values: Iterable[str], label: str) -> FieldType:  # noqa: N802
    return FieldType(INTEGER, label, choices=tuple(values))


def Date(fmt: str, label: str, *, quoted: bool = True) -> FieldType:  # noqa: N802
    return FieldType(DATE, label, date_format=fmt, quoted=quoted)


TAG_TYPE = FieldType(TAG, "file-type code")
KEEP = FieldType(PLACEHOLDER, 'placeholder " "', quoted=True)

# the row key holding the file's date (the connector's run) for columns that print it
FILE_DATE = "\x00file date"


@dataclass(frozen=True)
class Column:
    name: str  # as the publication names it: "recnum", "COL7", "Cost Code#"
    meaning: str  # the publication's description: "Vendor No", "Subcontract Description"
    type: FieldType
    value: str | None = None  # the payload column it carries (a mapping table's ERP column)
    const: str | None = None  # a fixed value
    derive: Callable[[Mapping[str, str]], str] | None = None  # computed from the payload row
    required: bool = False
    rule: str = ""  # how the value is chosen, when it is not simply the payload column
    published: bool = True  # False: not in the publications read; ``rule`` says why it is there


@dataclass(frozen=True)
class Record:
    """One kind of row: the layout's only row, or its header (H) or detail (D) record."""

    name: str  # "row", "H (header)", "D (detail)"
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Pivot:
    """Lines with the same ``key`` values make one row; each line's ``amount`` goes to the column
    its ``by`` value names (``columns``), summed to the cent."""

    key: tuple[str, ...]
    by: str
    amount: str
    columns: Mapping[str, str]  # ``by`` value -> the row key the layout's column carries

    def slot(self, value: str) -> str:
        return f"{self.amount} ({self.by} {value})"


@dataclass(frozen=True)
class Omit:
    """A payload column the layout has no place for, and what that means."""

    field: str
    effect: str  # DERIVED, WARN or BLOCK
    reason: str


@dataclass(frozen=True)
class Problem:
    code: ErrorCode
    field: str  # the payload column (the export's ERP column)
    message: str
    fix: str
    limit: str | None = None
    warning: bool = False


@dataclass(frozen=True)
class Layout:
    profile: FileLayout
    erp_system: ErpSystem
    entity: str  # the mapping table's ERP entity ("AP Vendor", "Budget", ...)
    template: str  # the import it follows: "APVEND (4-4 Vendors)"
    source: Source
    records: tuple[Record, ...]
    shape: str = ROWS
    header_row: bool = False  # a first line naming the columns (the templates' file examples have one)
    extension: str = "csv"
    file_per: str | None = None  # a payload header column: one file per value (the record has none)
    pivot: Pivot | None = None
    omits: tuple[Omit, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def confirmed(self) -> bool:
        """Every column is in the publication (a company default only applies confirmed layouts)."""
        return all(c.published for record in self.records for c in record.columns)

    def placed(self) -> set[str]:
        """The payload columns this layout carries."""
        out = {c.value for record in self.records for c in record.columns if c.value}
        out |= {name for c in self.columns() for name in _derive_inputs(c)}
        if self.pivot is not None:
            out |= {*self.pivot.key, self.pivot.by, self.pivot.amount}
        if self.file_per:
            out.add(self.file_per)
        return out | {o.field for o in self.omits}

    def columns(self) -> list[Column]:
        return [c for record in self.records for c in record.columns]

    # --- rows -----------------------------------------------------------------------------------

    def rows(self, payload: Mapping[str, Any]) -> list[tuple[Record, dict[str, str]]]:
        """The file rows of one payload: each with its record type and the values it reads."""
        missing = [c for c in payload["columns"] if c not in self.placed()]
        if missing:
            # a column the layout neither places nor omits: a layout bug, never data
            raise ValueError(f"{self.profile.value} {self.entity} has no place for {missing}")
        if self.shape == HEADER_DETAIL:
            header, detail = self.records
            out = [(header, dict(payload["header"]))]
            return out + [(detail, {**payload["header"], **line}) for line in payload["lines"]]
        if self.shape == PIVOT:
            assert self.pivot is not None
            return [(self.records[0], row) for row in _pivot(self.pivot, payload_rows(dict(payload)))]
        return [(self.records[0], row) for row in payload_rows(dict(payload))]

    def problems(self, payload: Mapping[str, Any], *, pending: Sequence[str] = ()) -> list[Problem]:
        """What keeps ``payload`` from this layout (``pending``: columns whose value comes later,
        such as the key the approver types when accepting, are not checked for being empty)."""
        found: list[Problem] = []
        for omit in self.omits:
            if omit.effect == DERIVED:
                continue
            values = [v for v in _values(payload, omit.field) if v]
            if values:
                found.append(_omitted(self, omit))
        if self.pivot is not None:
            allowed = set(self.pivot.columns)
            for value in sorted({v for v in _values(payload, self.pivot.by) if v not in allowed}):
                found.append(
                    Problem(
                        ErrorCode.INVALID_VALUE,
                        self.pivot.by,
                        f"{self.template} has amount columns for {self.pivot.by} "
                        f"{', '.join(self.pivot.columns)} only; this record has {value or 'none'}",
                        f"Use one of the cost types {', '.join(self.pivot.columns)} on the lines.",
                        ", ".join(self.pivot.columns),
                    )
                )
            if found:
                return _unique(found)
        for record, row in self.rows(payload):
            for column in record.columns:
                problem = cell(column, row)[1]
                if problem is not None and not (
                    problem.code == ErrorCode.REQUIRED and column.value in pending
                ):
                    found.append(_worded(self, record, column, problem))
        return _unique(found)

    def lines(self, payloads: Iterable[Mapping[str, Any]], file_date: dt.date) -> Iterator[str]:
        """The file's lines (each ending CRLF), one payload at a time: memory stays flat as the
        file grows. The first line names the columns where the layout has a header line."""
        if self.header_row:
            yield ",".join(c.name for c in self.records[0].columns) + "\r\n"
        for payload in payloads:
            for record, row in self.rows(payload):
                row[FILE_DATE] = file_date.isoformat()
                cells = []
                for column in record.columns:
                    text, problem = cell(column, row)
                    if problem is not None:
                        # the connector screens payloads with ``problems`` before writing
                        raise ValueError(f"{self.entity}: {column.name}: {problem.message}")
                    cells.append(_quote(text) if column.type.quoted else text)
                yield ",".join(cells) + "\r\n"

    def data_rows(self, text_lines: int) -> int:
        """The data rows of a file of ``text_lines`` lines."""
        return text_lines - (1 if self.header_row else 0)


# --- cells -----------------------------------------------------------------------------------------

_INTEGER = re.compile(r"[1-9][0-9]*")
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


def cell(column: Column, row: Mapping[str, str]) -> tuple[str, Problem | None]:
    """The text a column writes for ``row``, or why the value does not fit the column's type."""
    kind = column.type
    if column.const is not None:
        return column.const, None  # the layout's own code, written as the publication shows it
    if column.derive is not None:
        raw = column.derive(row)
    elif column.value is not None:
        raw = row.get(column.value) or ""
    else:
        raw = ""
    if kind.kind == PLACEHOLDER:
        return " ", None
    if raw == "":
        if column.required:
            return "", Problem(ErrorCode.REQUIRED, column.value or column.name, "is empty", "", kind.label)
        return "", None
    if kind.kind in (TAG,):
        return raw, None
    if kind.kind == STRING:
        text = neutralise(raw)
        if kind.length is not None and len(text) > kind.length:
            return text, Problem(
                ErrorCode.VALUE_TOO_LONG,
                column.value or column.name,
                f"is {len(text)} characters long; the column holds {kind.length}",
                f"shorten it to {kind.length} characters or fewer",
                kind.label,
            )
        return text, None
    if kind.kind == DATE:
        try:
            day = dt.date.fromisoformat(raw[:10])
        except ValueError:
            return raw, Problem(
                ErrorCode.INVALID_DATE, column.value or column.name, f"{raw!r} is not a date", "", kind.label
            )
        return day.strftime(kind.date_format), None
    if kind.kind == INTEGER:
        if not _INTEGER.fullmatch(raw):
            return raw, Problem(
                ErrorCode.NOT_NUMERIC,
                column.value or column.name,
                f"{raw!r} is not a number (the column is {kind.label})",
                "use a whole number without letters, dashes or leading zeros",
                kind.label,
            )
        if kind.choices and raw not in kind.choices:
            return raw, Problem(
                ErrorCode.INVALID_VALUE,
                column.value or column.name,
                f"{raw!r} is not one of {', '.join(kind.choices)}",
                f"use one of {', '.join(kind.choices)}",
                kind.label,
            )
        return raw, None
    # DECIMAL: the value as a number with the column's decimals, never rounded
    problem = _decimal_problem(raw, kind)
    if problem is not None:
        return raw, Problem(problem[0], column.value or column.name, problem[1], problem[2], kind.label)
    return f"{Decimal(raw):.{kind.places}f}", None


def _decimal_problem(raw: str, kind: FieldType) -> tuple[ErrorCode, str, str] | None:
    if not _DECIMAL.fullmatch(raw):
        return (
            ErrorCode.NOT_NUMERIC,
            f"{raw!r} is not a number (the column is {kind.label})",
            "use digits with at most one decimal point, no letters, dashes or leading zeros",
        )
    whole, _, fraction = raw.lstrip("-").partition(".")
    if len(fraction.rstrip("0")) > kind.places:
        return (
            ErrorCode.INVALID_VALUE,
            f"{raw} has more than {kind.places} decimals (the column is {kind.label}); it would be rounded",
            f"use at most {kind.places} decimals",
        )
    if kind.digits is not None and len(whole.lstrip("0") or "0") > kind.digits:
        return (
            ErrorCode.AMOUNT_TOO_LARGE,
            f"{raw} has more than {kind.digits} digits before the decimal point (the column is {kind.label})",
            f"keep it below {Decimal(10) ** kind.digits:,.0f}",
        )
    return None


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _derive_inputs(column: Column) -> tuple[str, ...]:
    inputs = getattr(column.derive, "inputs", ())
    return tuple(inputs)


def derived(
    inputs: Sequence[str], fn: Callable[[Mapping[str, str]], str]
) -> Callable[[Mapping[str, str]], str]:
    """A ``Column.derive`` function that names the payload columns it reads."""
    fn.inputs = tuple(inputs)  # type: ignore[attr-defined]
    return fn


def _pivot(pivot: Pivot, rows: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    groups: dict[tuple[str, ...], dict[str, str]] = {}
    sums: dict[tuple[str, ...], dict[str, Decimal]] = {}
    for row in rows:
        key = tuple(row.get(k, "") for k in pivot.key)
        out = groups.setdefault(key, {k: row.get(k, "") for k in row})
        if row.get(pivot.by, "") not in pivot.columns:
            raise ValueError(f"no column for {pivot.by} {row.get(pivot.by)!r}")
        slot = pivot.slot(row.get(pivot.by, ""))
        amount = row.get(pivot.amount, "")
        if amount != "":
            per = sums.setdefault(key, {})
            per[slot] = per.get(slot, Decimal("0.00")) + Decimal(amount)
        out.pop(pivot.by, None)
        out.pop(pivot.amount, None)
    for key, out in groups.items():
        for slot, total in sums.get(key, {}).items():
            out[slot] = f"{total:.2f}"
    return list(groups.values())


def _values(payload: Mapping[str, Any], name: str) -> list[str]:
    header = payload["header"]
    if name in header:
        return [header[name] or ""]
    return [line.get(name) or "" for line in payload["lines"]]


def _omitted(layout: Layout, omit: Omit) -> Problem:
    if omit.effect == WARN:
        return Problem(
            ErrorCode.LAYOUT_CANNOT_CARRY,
            omit.field,
            f"{omit.field} is left out of the {layout.template} file: {omit.reason}",
            "Nothing to do; the named layout carries it if it must reach the ERP.",
            warning=True,
        )
    return Problem(
        ErrorCode.LAYOUT_CANNOT_CARRY,
        omit.field,
        f"The {layout.template} file has no place for {omit.field}: {omit.reason}",
        f"Clear {omit.field} on the record, or choose the named layout for {layout.entity} files "
        "(updateErpSettings fileLayouts).",
    )


def _worded(layout: Layout, record: Record, column: Column, problem: Problem) -> Problem:
    where = f"{layout.template} {record.name} column {column.name} ({column.meaning}, {column.type.label})"
    if problem.code == ErrorCode.REQUIRED:
        return Problem(
            ErrorCode.REQUIRED,
            problem.field,
            f"{problem.field} is empty; {where} requires it",
            f"Fill in {problem.field}.",
            problem.limit,
        )
    return Problem(
        problem.code,
        problem.field,
        f"{problem.field} {problem.message} for {where}",
        f"Change {problem.field}: {problem.fix}.",
        problem.limit,
    )


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[str, str], Problem] = {}
    for p in problems:
        seen.setdefault((p.code.value, p.message), p)
    return list(seen.values())
