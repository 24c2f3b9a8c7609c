"""Finding the header row (report exports put titles above it) and mapping its cells to columns.

Matching ignores case, spacing and punctuation ("Cost Code", "COSTCODE", "cost_code" are one name)
and knows each column's aliases. Unknown columns are ignored with a warning; a missing required
column, a column given twice, or merged header cells stop the import."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from importers.errors import FileError, RowIssue
from models.errors import ErrorCode


def normalize_header(value: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(value).lower())


@dataclass(frozen=True)
class Column:
    key: str  # the name the importer uses
    label: str  # the name in templates and messages
    aliases: tuple[str, ...] = ()
    required: bool = False
    # looser names, used only when the file has none of the names above (then ignored, with a warning)
    fallbacks: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {normalize_header(n) for n in (self.label, *self.aliases)}

    def fallback_names(self) -> set[str]:
        return {normalize_header(n) for n in self.fallbacks} - self.names()


@dataclass
class Layout:
    """What the header row told us: where the header is and which column index holds each key."""

    header_index: int
    index: dict[str, int]
    labels: dict[str, str]  # key -> header text as written in the file (for messages)
    warnings: list[RowIssue] = field(default_factory=list)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def find_layout(
    rows: list[list[Any]],
    columns: tuple[Column, ...],
    ignored: tuple[str, ...] = (),
    search_rows: int = 20,
    merged: list[Any] | None = None,
) -> Layout:
    by_name = {name: col for col in columns for name in col.names()}
    fallback = {name: col for col in columns for name in col.fallback_names() if name not in by_name}
    ignored_names = {normalize_header(n) for n in ignored}
    required = [c for c in columns if c.required]

    best_index, best_hits = None, 0
    for i, row in enumerate(rows[:search_rows]):
        names = [normalize_header(c) for c in row if c != ""]
        hits = {by_name[n].key for n in names if n in by_name} | {
            fallback[n].key for n in names if n in fallback
        }
        if required and all(c.key in hits for c in required):
            best_index, best_hits = i, len(hits)
            break
        if len(hits) > best_hits and len(hits) >= 2:
            best_index, best_hits = i, len(hits)
    if best_index is None:
        raise _explain_missing_header(rows[:search_rows], by_name, columns, search_rows)

    header = rows[best_index]
    excel_row = best_index + 1
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    warnings: list[RowIssue] = []
    named = {by_name[n].key for n in (normalize_header(c) for c in header if str(c).strip()) if n in by_name}
    for j, cell in enumerate(header):
        text = str(cell).strip()
        if not text:
            continue
        name = normalize_header(text)
        col = by_name.get(name)
        if col is None and name in fallback:
            col = fallback[name]
            if col.key in named or col.key in index:
                warnings.append(
                    RowIssue(
                        ErrorCode.UNKNOWN_COLUMN,
                        f"Column {column_letter(j)} '{text}' was ignored: '{labels.get(col.key, col.label)}' "
                        f"is used as the {col.label}",
                        excel_row,
                        text,
                    )
                )
                continue
        if col is None:
            if name not in ignored_names:
                warnings.append(
                    RowIssue(
                        ErrorCode.UNKNOWN_COLUMN,
                        f"Column {column_letter(j)} '{text}' is not a known column and was ignored",
                        excel_row,
                        text,
                    )
                )
            continue
        if col.key in index:
            first = index[col.key]
            raise FileError(
                ErrorCode.DUPLICATE_COLUMN,
                f"'{col.label}' appears twice in the header (columns {column_letter(first)} and "
                f"{column_letter(j)}); keep one",
                row=excel_row,
                column=text,
            )
        index[col.key] = j
        labels[col.key] = text
    for r0c0, r1c1 in merged or ():
        (r0, c0), (r1, c1) = r0c0, r1c1
        if r0 <= best_index <= r1 and c1 > c0:
            raise FileError(
                ErrorCode.MERGED_HEADER_CELLS,
                f"Header cells {column_letter(c0)}{excel_row}:{column_letter(c1)}{excel_row} are merged; "
                "unmerge them so every column has its own heading",
                row=excel_row,
            )
    missing = [c.label for c in required if c.key not in index]
    if missing:
        raise FileError(
            ErrorCode.MISSING_COLUMN,
            f"Required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)} "
            f"(header found on row {excel_row})",
            row=excel_row,
            column=missing[0],
        )
    return Layout(best_index, index, labels, warnings)


def _explain_missing_header(
    rows: list[list[Any]], by_name: dict[str, Column], columns: tuple[Column, ...], search_rows: int
) -> FileError:
    """The error for a file whose header row was not found: why, as precisely as the rows tell."""
    for i, row in enumerate(rows):
        cells = [str(c) for c in row if str(c).strip()]
        if len(cells) != 1:
            continue
        pieces = [p for p in re.split(r"[^A-Za-z0-9 #/_]", cells[0]) if p.strip()]
        if sum(1 for p in pieces if normalize_header(p) in by_name) >= 2:
            separator = next((ch for ch in cells[0] if not (ch.isalnum() or ch in " #/_")), "?")
            return FileError(
                ErrorCode.WRONG_DELIMITER,
                f"Row {i + 1} holds all the headings in one cell, separated by '{separator}'. Save the file "
                "with commas, tabs or semicolons between columns (Excel: Save As > CSV).",
                row=i + 1,
            )
    expected = ", ".join(c.label for c in columns if c.required)
    return FileError(
        ErrorCode.HEADER_NOT_FOUND,
        f"No header row found in the first {search_rows} rows; expected the columns {expected}",
    )
