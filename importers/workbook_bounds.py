"""Bounding a workbook before the spreadsheet reader sees it: every part the reader will load is
measured from the file itself (real unpacked sizes, the cells each sheet really uses, the
shared-string count, element nesting, DTDs), and a file over any limit is refused with a coded
error while using little memory. Returns the format the reader will be asked to read, and whether
the measuring already proved that no cell text holds a control character (so the cells need not be
searched again)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from importers.errors import FileError
from importers.limits import ImportLimits
from importers.workbook_ods import scan_content
from importers.workbook_ole import scan_xls
from importers.workbook_package import Package
from importers.workbook_xlsb import scan_shared_strings as scan_xlsb_strings
from importers.workbook_xlsb import scan_sheet as scan_xlsb_sheet
from importers.workbook_xml import (
    relationship_targets,
    scan_part,
    scan_shared_strings,
    scan_sheet,
)
from models.errors import ErrorCode

_SHEET_TYPES = ("/worksheet", "/chartsheet", "/dialogsheet", "/macrosheet")


@dataclass(frozen=True)
class Measured:
    format: str  # 'xls', 'xlsx', 'xlsb' or 'ods'
    plain_text: bool = False  # proven: no cell text holds a control character


def measure_workbook(data: bytes, zipped: bool, limits: ImportLimits) -> Measured:
    """The format once the file is known to fit the limits; FileError otherwise."""
    if not zipped:
        scan_xls(data, limits)
        return Measured("xls")
    package = Package(data, limits)
    mimetype = package.find("mimetype")
    if mimetype is not None and b"opendocument.spreadsheet" in package.read(
        mimetype, 256, _part_too_big("mimetype", 256)
    ):
        _measure_ods(package, limits)
        return Measured("ods")
    if package.find("xl/workbook.bin") is not None:
        _measure_xlsb(package, limits)
        return Measured("xlsb")
    if package.find("xl/workbook.xml") is None:
        raise FileError(
            ErrorCode.FILE_TYPE_MISMATCH,
            "This is a zip package but not a spreadsheet (no workbook inside). Export the data as .xlsx "
            "or .csv.",
        )
    return Measured("xlsx", _measure_xlsx(package, limits))


def _part_too_big(name: str, cap: int) -> FileError:
    return FileError(
        ErrorCode.DECOMPRESSED_TOO_LARGE,
        f"The workbook part {name} unpacks to more than {cap:,} bytes; it is refused "
        "(save the workbook again, or save the sheet as CSV)",
    )


def _opener(package: Package, name: str, cap: int) -> Callable[[], Iterator[bytes]] | None:
    info = package.find(name)
    if info is None:
        return None
    return lambda: package.chunks(info, cap, _part_too_big(info.filename, cap))


def _part(package: Package, name: str, cap: int) -> Callable[[], Iterator[bytes]]:
    """The opener of a part known to be in the package."""
    opener = _opener(package, name, cap)
    assert opener is not None, name
    return opener


def _sheet_parts(package: Package, rels: str, folder: str, suffix: str) -> list[str]:
    """The sheets the reader can open: every relationship target of a sheet type, and whatever lies
    in the worksheets folder (a hostile file may point a sheet anywhere)."""
    parts = set(package.names_under(folder, suffix))
    opener = _opener(package, rels, package.limits.max_part_bytes)
    if opener is not None:
        for target, kind in relationship_targets(opener, rels):
            if kind.endswith(_SHEET_TYPES):
                path = target.lstrip("/")
                if not path.lower().startswith("xl/"):
                    path = "xl/" + path
                info = package.find(posixpath.normpath(path))
                if info is not None:
                    parts.add(info.filename)
    return sorted(parts)


def _measure_xlsx(package: Package, limits: ImportLimits) -> bool:
    """Whether the cells' text (the sheets and the shared strings: the reader takes cell text from
    nowhere else) is proven free of control characters."""
    for name in ("_rels/.rels", "xl/workbook.xml", "xl/styles.xml"):
        opener = _opener(package, name, limits.max_part_bytes)
        if opener is not None:
            scan_part(opener, name)
    strings = _opener(package, "xl/sharedStrings.xml", limits.max_shared_strings_bytes)
    plain = True
    if strings is not None:
        plain = scan_shared_strings(strings, "xl/sharedStrings.xml", limits)[1]
    formula_cell = None
    for name in _sheet_parts(package, "xl/_rels/workbook.xml.rels", "xl/worksheets/", ".xml"):
        shape = scan_sheet(_part(package, name, limits.max_decompressed_bytes), name, limits)
        formula_cell = formula_cell or shape.formula_without_value
        plain = plain and shape.plain_text
    if formula_cell:
        raise FileError(
            ErrorCode.FORMULA_WITHOUT_VALUE,
            f"Cell {formula_cell} holds a formula with no saved value (the file was written by a program "
            "that does not calculate). Open it in Excel, let it calculate, and save it again.",
            column="".join(ch for ch in formula_cell if ch.isalpha()),
            row=int("".join(ch for ch in formula_cell if ch.isdigit())),
        )
    return plain


def _measure_xlsb(package: Package, limits: ImportLimits) -> None:
    for name in ("xl/workbook.bin", "xl/styles.bin"):
        opener = _opener(package, name, limits.max_part_bytes)
        if opener is not None:
            for _chunk in opener():
                pass
    strings = _opener(package, "xl/sharedStrings.bin", limits.max_shared_strings_bytes)
    if strings is not None:
        scan_xlsb_strings(strings(), "xl/sharedStrings.bin", limits)
    for name in _sheet_parts(package, "xl/_rels/workbook.bin.rels", "xl/worksheets/", ".bin"):
        scan_xlsb_sheet(_part(package, name, limits.max_decompressed_bytes)(), name, limits)


def _measure_ods(package: Package, limits: ImportLimits) -> None:
    content = _opener(package, "content.xml", limits.max_decompressed_bytes)
    if content is None:
        raise FileError(ErrorCode.FILE_CORRUPT, "The ODS spreadsheet has no content; save it again.")
    scan_content(content, "content.xml", limits)
