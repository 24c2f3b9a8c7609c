"""Measuring a legacy XLS workbook (BIFF records in an OLE2 compound file) before the reader loads it.

The reader follows the compound file's sector chains and loads every sheet at open, reserving
memory from what the records declare (the DIMENSIONS box, the shared-string count). So the chains
are walked here first (inside the file, no loops), the declared counts are checked against the
limits and against the bytes that could hold them, and every cell record is read for the used
range each sheet really has."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from importers.errors import FileError
from importers.limits import ImportLimits
from importers.workbook_package import corrupt
from importers.workbook_xml import MAX_MERGES, SheetShape, check_shape, too_many_cells
from models.errors import ErrorCode

FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
_HEADER = struct.Struct("<8s16x5H6x4I4x4I")
# cell records: row and column in their first four bytes
_CELLS = {0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x0006}
_FORMULA_STRING = 0x0207  # a formula's text result: one more cell at the formula's place
_MULRK, _SST, _BOUNDSHEET, _DIMENSIONS, _MERGE, _LBL, _EOF, _BOF = (
    0x00BD, 0x00FC, 0x0085, 0x0200, 0x00E5, 0x0018, 0x000A, 0x0809,
)  # fmt: skip


def _bad(detail: str) -> FileError:
    return corrupt(f"the XLS file {detail}")


@dataclass
class _Compound:
    data: bytes
    sector: int
    sectors: int
    fat: list[int]

    def read(self, index: int) -> bytes:
        start = (index + 1) * self.sector
        return self.data[start : start + self.sector]

    def chain(self, start: int, what: str) -> list[int]:
        """The sectors of a chain, refusing a loop, a sector outside the file or a broken link."""
        seen: list[int] = []
        visited: set[int] = set()
        index = start
        while index != ENDOFCHAIN:
            if index >= self.sectors or index >= len(self.fat) or index in visited:
                raise _bad(f"has a broken {what} chain")
            visited.add(index)
            seen.append(index)
            index = self.fat[index]
        return seen


def _compound(data: bytes) -> _Compound:
    if len(data) < 512:
        raise _bad("is too short")
    (_sig, _minor, major, order, shift, mini_shift, dir_sectors, fat_sectors, _dir_start, _tx,
     _minifat_start, minifat_sectors, difat_start, difat_sectors) = _HEADER.unpack_from(data)  # fmt: skip
    if order != 0xFFFE or (major, shift) not in ((3, 9), (4, 12)) or mini_shift != 6:
        raise _bad("has an invalid header")
    sector = 1 << shift
    sectors = (len(data) - sector + sector - 1) // sector
    if max(dir_sectors, fat_sectors, minifat_sectors, difat_sectors) > sectors:
        raise _bad("declares more sectors than it has")
    # the FAT sector list: 109 in the header, then the DIFAT chain (the last entry of each links on)
    entries = list(struct.unpack_from("<109I", data, 76))
    per = sector // 4
    index, visited = difat_start, set()
    while index not in (FREESECT, ENDOFCHAIN):
        if index >= sectors or index in visited:
            raise _bad("has a broken DIFAT chain")
        visited.add(index)
        if (index + 2) * sector > len(data):
            raise _bad("is cut off")
        block = struct.unpack_from(f"<{per}I", data, (index + 1) * sector)
        entries.extend(block[:-1])
        index = block[-1]
    fat: list[int] = []
    for entry in entries:
        if entry == FREESECT:
            continue
        if entry >= sectors or (entry + 2) * sector > len(data):
            raise _bad("points outside itself")
        fat.extend(struct.unpack_from(f"<{per}I", data, (entry + 1) * sector))
    return _Compound(data, sector, sectors, fat)


def _stream(data: bytes) -> bytes:
    """The Workbook (or Book) stream, read the way the reader reads it, after checking every chain
    it follows at open."""
    cfb = _compound(data)
    dir_start, minifat_start, minifat_sectors = (
        struct.unpack_from("<I", data, 48)[0],
        *struct.unpack_from("<II", data, 60),
    )
    directory = b"".join(cfb.read(i) for i in cfb.chain(dir_start, "directory"))
    entries = [directory[i : i + 128] for i in range(0, len(directory) - 127, 128)]
    if not entries:
        raise _bad("has no directory")

    def entry(raw: bytes) -> tuple[str, int, int]:
        # as the reader does: the 64-byte name up to its first NUL, the size as wide as the version's
        name = raw[:64].decode("utf-16-le", "ignore").split("\0", 1)[0]
        start = struct.unpack_from("<I", raw, 116)[0]
        size = struct.unpack_from("<Q" if cfb.sector == 4096 else "<I", raw, 120)[0]
        return name, start, size

    _root_name, root_start, root_size = entry(entries[0])
    if root_size > len(data):
        raise _bad("declares a stream larger than the file")
    ministream_sectors = cfb.chain(root_start, "mini stream")
    minifat = (
        [] if minifat_start == ENDOFCHAIN and not minifat_sectors else cfb.chain(minifat_start, "mini FAT")
    )
    named: dict[str, tuple[int, int]] = {}
    for raw in entries:
        name, start, size = entry(raw)
        named.setdefault(name, (start, size))
    found = named.get("Workbook") or named.get("Book")
    if found is None:
        raise _bad("holds no workbook")
    start, size = found
    if size > len(data):
        raise _bad("declares a stream larger than the file")
    if size >= 4096:
        stream = b"".join(cfb.read(i) for i in cfb.chain(start, "workbook"))
    else:
        mini_fat = [v for i in minifat for v in struct.unpack_from(f"<{cfb.sector // 4}I", cfb.read(i))]
        ministream = b"".join(cfb.read(i) for i in ministream_sectors)
        mini = _Compound(b"\0" * 64 + ministream, 64, len(ministream) // 64, mini_fat)
        stream = b"".join(mini.read(i) for i in mini.chain(start, "workbook"))
    if len(stream) < size:
        raise _bad("has a workbook stream shorter than declared")
    return stream[:size]


def scan_xls(data: bytes, limits: ImportLimits) -> SheetShape:
    """The largest sheet's shape; refuses a workbook whose records, together, exceed the limits."""
    stream = _stream(data)
    records = _records(stream)
    sheets: list[int] = []
    for kind, body, _at in records:
        if kind == _EOF:
            break
        if kind == _SST:
            if len(body) < 8:
                raise _bad("has a damaged shared-string table")
            unique = struct.unpack_from("<i", body, 4)[0]
            if unique < 0 or unique > limits.max_shared_strings or unique * 3 > len(stream):
                raise FileError(
                    ErrorCode.TOO_MANY_CELLS,
                    f"The workbook declares {unique:,} shared texts, more than it can hold or than the "
                    f"limit of {limits.max_shared_strings:,}; it is refused. Save it again from Excel.",
                )
        elif kind == _BOUNDSHEET:
            if len(body) < 8:
                raise _bad("has a damaged sheet list")
            position = struct.unpack_from("<I", body)[0]
            if position >= len(stream):
                raise _bad("points to a sheet outside itself")
            sheets.append(position)
        elif kind == _LBL and (len(body) < 14 or struct.unpack_from("<H", body, 4)[0] > len(body) - 14):
            raise _bad("has a damaged defined name")
    largest, total = SheetShape(), 0
    for position in sheets:
        shape = _sheet(stream, position, limits)
        total += shape.rows * shape.columns
        if total > limits.max_cells:
            raise too_many_cells(total, limits)
        if shape.rows * shape.columns >= largest.rows * largest.columns:
            largest = shape
    return largest


def _records(stream: bytes, start: int = 0) -> Iterator[tuple[int, bytes, int]]:
    at, end = start, len(stream)
    while at + 4 <= end:
        kind, size = struct.unpack_from("<HH", stream, at)
        body_at = at + 4
        if body_at + size > end:
            raise _bad("is cut off")
        yield kind, stream[body_at : body_at + size], at
        at = body_at + size


def _sheet(stream: bytes, position: int, limits: ImportLimits) -> SheetShape:
    shape = SheetShape()
    rows = columns = cells = merges = 0
    unpack = struct.unpack_from
    for kind, body, _at in _records(stream, position):
        if kind in _CELLS:
            if len(body) < 4:
                raise _bad("has a damaged cell")
            row, col = unpack("<HH", body)
            cells += 1
        elif kind == _MULRK:
            if len(body) < 6:
                raise _bad("has a damaged cell")
            row, col = unpack("<HH", body)
            last = unpack("<H", body, len(body) - 2)[0]
            if last < col or len(body) != 6 + 6 * (last - col + 1):
                raise _bad("has a damaged cell")
            cells += last - col + 1
            col = last
        elif kind == _FORMULA_STRING:
            cells += 1
            continue
        elif kind == _DIMENSIONS:
            _dimensions(body)
            continue
        elif kind == _MERGE:
            count = unpack("<H", body)[0] if len(body) >= 2 else 0
            if len(body) < 2 + 8 * count:
                raise _bad("has damaged merged cells")
            merges += count
            if merges > MAX_MERGES:
                raise _bad(f"lists more than {MAX_MERGES:,} merged ranges")
            continue
        elif kind == _EOF:
            break
        else:
            continue
        if row >= rows:
            rows = row + 1
        if col >= columns:
            columns = col + 1
        if cells > limits.max_cells:
            raise too_many_cells(cells, limits)
    check_shape(rows, columns, limits)
    shape.rows, shape.columns, shape.cells, shape.merges = rows, columns, cells, merges
    return shape


def _dimensions(body: bytes) -> None:
    """The reader reserves room for the box DIMENSIONS declares: it must be a real box within the
    format's own size (65,536 rows x 256 columns); the cells themselves are measured, not this."""
    if len(body) == 14:
        first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", body)
    elif len(body) == 10:
        first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", body)
    else:
        raise _bad("has a damaged DIMENSIONS record")
    if last_row == 0 or last_col == 0:
        return
    if first_row > last_row or first_col > last_col or last_row > 65_536 or last_col > 256:
        raise _bad("declares an impossible sheet size")
