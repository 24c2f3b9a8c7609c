"""Reading a file into rows of raw cell values, whatever the accountant dropped in.

Workbooks are measured before they are read (``workbook_bounds``), and text before it is split
into cells, so no file makes the reader hold more than the limits allow.

The content decides the reader, not the name: a workbook (XLSX/XLSB/ODS zip, legacy XLS OLE2) is read
by python-calamine whatever it is called; text is read as CSV. Two cases are refused rather than
guessed: text named like a workbook (FILE_TYPE_MISMATCH: usually a broken export, and guessing its
encoding and delimiter risks loading garbage) and binary data that is no workbook (FILE_UNREADABLE).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain
from pathlib import PurePath
from typing import Any

import python_calamine

from importers.errors import FileError
from importers.headers import column_letter
from importers.limits import ImportLimits
from importers.workbook_bounds import measure_workbook
from importers.workbook_xml import check_shape, too_many_cells
from models.errors import ErrorCode
from models.inputs import CONTROL_CHARACTERS

WORKBOOK_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Excel saves an encrypted workbook (any format) as an OLE2 container holding these two streams.
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
DELIMITERS = (",", "\t", ";", "|")


@dataclass
class Sheet:
    rows: list[list[Any]]
    format: str  # "csv", "xlsx", "xls", "xlsb", "ods"
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def extension_of(file_name: str) -> str:
    return PurePath(file_name or "").suffix.lower()


def read_sheet(data: bytes, file_name: str, limits: ImportLimits) -> Sheet:
    if len(data) > limits.max_file_bytes:
        raise FileError(
            ErrorCode.FILE_TOO_LARGE,
            f"The file is {len(data):,} bytes; the limit is {limits.max_file_bytes:,} bytes. "
            "Split it into smaller files.",
        )
    if not data.strip():
        raise FileError(ErrorCode.FILE_EMPTY, "The file is empty")
    ext = extension_of(file_name)
    if ext not in WORKBOOK_EXTENSIONS | TEXT_EXTENSIONS:
        raise FileError(
            ErrorCode.UNSUPPORTED_FILE_TYPE,
            f"'{file_name}' is not a supported file type: use .csv, .txt, .xlsx, .xls, .xlsb or .ods",
        )
    if data.startswith(OLE2_MAGIC):
        if any(name in data for name in _ENCRYPTED_STREAMS):
            raise FileError(
                ErrorCode.PASSWORD_PROTECTED,
                "The workbook is password-protected (encrypted). Open it in Excel, remove the password "
                "(File > Info > Protect Workbook) and save it again.",
            )
        return _read_workbook(data, False, limits)
    if data.startswith(ZIP_MAGIC):
        return _read_workbook(data, True, limits)
    if ext in WORKBOOK_EXTENSIONS:
        if _looks_like_text(data):
            raise FileError(
                ErrorCode.FILE_TYPE_MISMATCH,
                f"'{file_name}' is named {ext} but is really a text (CSV) file. Rename it to .csv, "
                "or open it in Excel and save it as an Excel workbook.",
            )
        raise FileError(
            ErrorCode.FILE_CORRUPT,
            f"'{file_name}' is not a readable {ext} workbook: the file is damaged or incomplete",
        )
    return _read_csv(data, limits)


# --- workbooks ---------------------------------------------------------------------------------------


def _read_workbook(data: bytes, zipped: bool, limits: ImportLimits) -> Sheet:
    # measured first: the reader lays a sheet out in memory from A1 to its last cell, so a file of any
    # shape must be refused before it gets there
    measured = measure_workbook(data, zipped, limits)
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise FileError(ErrorCode.PASSWORD_PROTECTED, "The workbook is password-protected") from None
    except BaseException as exc:  # several unrelated types for damaged files, panics included
        raise _unreadable(exc) from None
    with wb:
        for meta in wb.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            try:
                sheet = wb.get_sheet_by_name(meta.name)
            except BaseException as exc:
                raise _unreadable(exc) from None
            if sheet.height == 0 or sheet.end is None or sheet.start is None:
                continue
            (top, left), (bottom, right) = sheet.start, sheet.end
            check_shape(bottom + 1, right + 1, limits)
            # the used area only, placed back at its row and column: no copy of the empty corner
            rows = sheet.to_python(skip_empty_area=True)
            if not any(any(c != "" for c in r) for r in rows):
                continue
            if left:
                pad = [""] * left
                rows = [pad + r for r in rows]
            if top:
                rows[:0] = [[] for _ in range(top)]
            merged = sheet.merged_cell_ranges or []
            if not measured.plain_text:
                _refuse_control_characters(rows)
            return Sheet(rows=rows, format=measured.format, merged=list(merged))
    raise FileError(ErrorCode.SHEET_EMPTY, "The workbook has no data: its sheets are empty")


def _unreadable(exc: BaseException) -> FileError:
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
        raise exc
    detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return FileError(
        ErrorCode.FILE_CORRUPT, f"The workbook cannot be read: it is damaged or incomplete ({detail})"
    )


# --- text ----------------------------------------------------------------------------------------------


def _looks_like_text(data: bytes) -> bool:
    try:
        _decode(data[:4096], final=False)
    except FileError:
        return False
    return True


def _decode(data: bytes, final: bool = True) -> str:
    encodings: tuple[str, ...]
    if data.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)  # Excel's "Unicode text"
    elif len(data) > 3 and data[1] == 0 and data[3] == 0 and data[0] != 0:
        encodings = ("utf-16-le",)
    else:
        encodings = ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            decoder = codecs.getincrementaldecoder(encoding)()
            text = decoder.decode(data, final=final)
        except UnicodeDecodeError:
            continue
        sample = text[:8192]
        controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n")
        if controls > max(2, len(sample) // 100):
            break
        return text
    raise FileError(
        ErrorCode.FILE_UNREADABLE,
        "The file is not text or a spreadsheet (it looks like binary data). Export the report as CSV or "
        "Excel and try again.",
    )


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter giving the most rows of the same width (>1 column) among the first lines."""
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        widths = [len(r) for r in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in r)]
        common = Counter(w for w in widths if w > 1).most_common(1)
        score = common[0][1] * 1000 + common[0][0] if common else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(data: bytes, limits: ImportLimits) -> Sheet:
    text = _decode(data)
    sample = text[:65536].splitlines()[:40]
    delimiter = sniff_delimiter(sample)
    # lines and delimiters bound the rows and cells before any is made (quoted ones count too)
    lines = text.count("\n") or text.count("\r")
    if lines > limits.max_rows + limits.header_search_rows:
        raise FileError(
            ErrorCode.TOO_MANY_ROWS,
            f"The file has {lines:,} lines; the limit is {limits.max_rows:,} data rows. "
            "Split it into smaller files.",
        )
    cells = text.count(delimiter) + lines
    if cells > limits.max_cells:
        raise too_many_cells(cells, limits)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FileError(ErrorCode.FILE_UNREADABLE, f"The CSV file cannot be read: {exc}") from None
    widest = max(map(len, rows), default=0)
    check_shape(1, widest, limits)
    if CONTROL_CHARACTERS.search(text):  # one scan of the text; the cells only when it finds one
        _refuse_control_characters(rows)
    return Sheet(rows=rows, format="csv")


def _refuse_control_characters(rows: list[list[Any]]) -> None:
    """A cell holding a NUL byte (no database here stores one in text) or another control
    character (it would garble the files the ERP reads) refuses the file, naming the cell."""
    # one scan over the text cells joined (cheap next to the read); the cells only when it finds one
    texts = [cell for cell in chain.from_iterable(rows) if cell.__class__ is str]
    if not CONTROL_CHARACTERS.search(" ".join(texts)):
        return
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            if cell.__class__ is str and (found := CONTROL_CHARACTERS.search(cell)):
                raise FileError(
                    ErrorCode.INVALID_VALUE,
                    f"Row {i + 1}, column {column_letter(j)} holds a control character "
                    f"(U+{ord(found.group(0)):04X}); remove it and upload the file again",
                    row=i + 1,
                    column=column_letter(j),
                )
