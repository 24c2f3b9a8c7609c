"""Reading a file into rows of raw cell values, whatever the accountant dropped in.

The content decides the reader, not the name: a workbook (XLSX/XLSB/ODS zip, legacy XLS OLE2) is read
by python-calamine whatever it is called; text is read as CSV. Two cases are refused rather than
guessed: text named like a workbook (FILE_TYPE_MISMATCH: usually a broken export, and guessing its
encoding and delimiter risks loading garbage) and binary data that is no workbook (FILE_UNREADABLE).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import python_calamine

from importers.errors import FileError
from importers.headers import column_letter
from importers.limits import ImportLimits
from models.errors import ErrorCode
from models.inputs import CONTROL_CHARACTERS

WORKBOOK_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Excel saves an encrypted workbook (any format) as an OLE2 container holding these two streams.
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
DELIMITERS = (",", "\t", ";", "|")
# a formula cell whose cached value is missing or empty: <c r="B2" ...><f>..</f></c> or <v></v>
_FORMULA_NO_VALUE = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>'
)


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
        return _read_workbook(data, "xls", limits)
    if data.startswith(ZIP_MAGIC):
        return _read_workbook(data, _zip_kind(data, limits), limits)
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
    return _read_csv(data)


# --- workbooks ---------------------------------------------------------------------------------------


def _zip_kind(data: bytes, limits: ImportLimits) -> str:
    """Check the package (complete, not a zip bomb, formulas have values) and say which format it is."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise FileError(
            ErrorCode.FILE_CORRUPT,
            "The workbook is damaged or incomplete (it may have been cut off while uploading or copying). "
            "Save it again from Excel and retry.",
        ) from None
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_decompressed_bytes:
        raise _too_big_unpacked(limits)
    names = {i.filename for i in infos}
    if "mimetype" in names and b"opendocument.spreadsheet" in zf.read("mimetype"):
        return "ods"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "xl/workbook.xml" not in names:
        raise FileError(
            ErrorCode.FILE_TYPE_MISMATCH,
            "This is a zip package but not a spreadsheet (no workbook inside). Export the data as .xlsx or "
            ".csv.",
        )
    _check_worksheets(zf, infos, limits)
    return "xlsx"


def _too_big_unpacked(limits: ImportLimits) -> FileError:
    return FileError(
        ErrorCode.DECOMPRESSED_TOO_LARGE,
        f"The workbook unpacks to more than {limits.max_decompressed_bytes:,} bytes; it is refused "
        "(split it, or save it as CSV)",
    )


def _check_worksheets(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: ImportLimits) -> None:
    # Sizes in the zip directory can lie, so the sheets are inflated with a running cap; the same
    # pass finds formulas saved without a cached value (calamine would read them as empty cells).
    budget = limits.max_decompressed_bytes
    for info in infos:
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        try:
            with zf.open(info) as fh:
                xml = fh.read(budget + 1)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError):
            raise FileError(
                ErrorCode.FILE_CORRUPT, "The workbook is damaged or incomplete. Save it again from Excel."
            ) from None
        budget -= len(xml)
        if budget < 0:
            raise _too_big_unpacked(limits)
        if b"<f" in xml:
            missing = _FORMULA_NO_VALUE.search(xml)
            if missing:
                cell = missing.group(1).decode()
                raise FileError(
                    ErrorCode.FORMULA_WITHOUT_VALUE,
                    f"Cell {cell} holds a formula with no saved value (the file was written by a program "
                    "that does not calculate). Open it in Excel, let it calculate, and save it again.",
                    column=re.sub(r"\d", "", cell),
                    row=int(re.sub(r"\D", "", cell)),
                )


def _read_workbook(data: bytes, fmt: str, limits: ImportLimits) -> Sheet:
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise FileError(ErrorCode.PASSWORD_PROTECTED, "The workbook is password-protected") from None
    except Exception as exc:  # calamine raises several unrelated types for damaged files
        raise FileError(
            ErrorCode.FILE_CORRUPT, f"The workbook cannot be read: it is damaged or incomplete ({exc})"
        ) from None
    with wb:
        for meta in wb.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet = wb.get_sheet_by_name(meta.name)
            if sheet.height == 0 or sheet.end is None:
                continue
            rows = sheet.to_python(skip_empty_area=False)
            if not any(any(c != "" for c in r) for r in rows):
                continue
            merged = sheet.merged_cell_ranges or []
            _refuse_control_characters(rows)
            return Sheet(rows=rows, format=fmt, merged=list(merged))
    raise FileError(ErrorCode.SHEET_EMPTY, "The workbook has no data: its sheets are empty")


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


def _read_csv(data: bytes) -> Sheet:
    text = _decode(data)
    sample = text[:65536].splitlines()[:40]
    delimiter = sniff_delimiter(sample)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FileError(ErrorCode.FILE_UNREADABLE, f"The CSV file cannot be read: {exc}") from None
    if CONTROL_CHARACTERS.search(text):  # one scan of the text; the cells only when it finds one
        _refuse_control_characters(rows)
    return Sheet(rows=rows, format="csv")


def _refuse_control_characters(rows: list[list[Any]]) -> None:
    """A cell holding a NUL byte (no database here stores one in text) or another control
    character (it would garble the files the ERP reads) refuses the file, naming the cell."""
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
