"""Measuring an XLSB workbook's binary parts (BIFF12 records) as a stream before the reader loads them:
each sheet's cell records for its real used range, and the shared-string count the reader reserves
room for."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from importers.errors import FileError
from importers.limits import ImportLimits
from importers.workbook_package import corrupt
from importers.workbook_xml import MAX_TOKEN, SheetShape, check_shape, too_many_cells
from models.errors import ErrorCode

_ROW, _END_DATA, _BEGIN_SST = 0x0000, 0x0092, 0x009F
# value cells: RK, error, bool, real, string, shared string, and the formula results (MS-XLSB 2.4)
_CELLS = frozenset(range(0x0002, 0x000B))
_MAX_ROW = 0x0010_0000  # the reader stops at a row beyond Excel's last


def records(chunks: Iterator[bytes], part: str) -> Iterator[tuple[int, bytes]]:
    """(record type, record body) pairs; a record over MAX_TOKEN or cut off is refused."""
    buf, at = b"", 0
    for chunk in chunks:
        buf = buf[at:] + chunk
        at = 0
        end = len(buf)
        while True:
            head = at
            if head >= end:
                break
            kind = buf[head]
            head += 1
            if kind & 0x80:
                if head >= end:
                    break
                kind = (kind & 0x7F) | ((buf[head] & 0x7F) << 7)
                head += 1
            size, shift = 0, 0
            for _ in range(4):
                if head >= end:
                    size = -1
                    break
                byte = buf[head]
                head += 1
                size |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            if size < 0:
                break
            if size > MAX_TOKEN:
                raise corrupt(f"{part} holds a record over {MAX_TOKEN // (1024 * 1024)} MB")
            if head + size > end:
                break
            yield kind, buf[head : head + size]
            at = head + size
    if at < len(buf):
        raise corrupt(f"{part} is cut off")


def scan_sheet(chunks: Iterator[bytes], part: str, limits: ImportLimits) -> SheetShape:
    shape = SheetShape()
    row = rows = columns = cells = 0
    for kind, body in records(chunks, part):
        if kind in _CELLS:
            if len(body) < 4:
                raise corrupt(f"{part} has a damaged cell")
            col = struct.unpack_from("<I", body)[0]
            cells += 1
            if cells > limits.max_cells:
                raise too_many_cells(cells, limits)
            if row >= rows or col >= columns:
                rows, columns = max(rows, row + 1), max(columns, col + 1)
                check_shape(rows, columns, limits)
        elif kind == _ROW:
            if len(body) < 4:
                raise corrupt(f"{part} has a damaged row")
            row = struct.unpack_from("<I", body)[0]
            if row > _MAX_ROW:
                break
        elif kind == _END_DATA:
            break
    check_shape(rows, columns, limits)
    shape.rows, shape.columns, shape.cells = rows, columns, cells
    return shape


def scan_shared_strings(chunks: Iterator[bytes], part: str, limits: ImportLimits) -> int:
    """The count the table declares (the reader reserves room for it); the whole part is read, so its
    unpacked size counts against its cap."""
    unique = 0
    for kind, body in records(chunks, part):
        if kind == _BEGIN_SST and not unique:
            if len(body) < 8:
                raise corrupt(f"{part} has a damaged shared-string table")
            unique = struct.unpack_from("<I", body, 4)[0]
            if unique > limits.max_shared_strings:
                raise FileError(
                    ErrorCode.TOO_MANY_CELLS,
                    f"The workbook declares {unique:,} shared texts; the limit is "
                    f"{limits.max_shared_strings:,}. Save it as CSV, or split it.",
                )
    return unique
