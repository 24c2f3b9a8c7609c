"""Measuring an ODS spreadsheet's content.xml as a stream before the reader loads it.

The reader loads every table at once and expands ``table:number-columns-repeated`` and
``table:number-rows-repeated`` into real cells (and clones a text once per repeat), so a few
hundred bytes can ask for billions of cells. This replays its rules on the element stream: cells of
a row up to the last one are laid out (a trailing empty run is not), empty rows count only when a
later row has data, and each repeat of a text costs its length again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from importers.errors import FileError
from importers.limits import ImportLimits
from importers.workbook_package import corrupt
from importers.workbook_xml import MAX_TOKEN, Expat, SheetShape, check_shape, pieces, too_many_cells
from models.errors import ErrorCode

_VALUE_ATTRS = (
    "office:value",
    "office:string-value",
    "office:date-value",
    "office:time-value",
    "office:boolean-value",
)
_CELLS = ("table:table-cell", "table:covered-table-cell")


def scan_content(open_chunks: Callable[[], Iterator[bytes]], part: str, limits: ImportLimits) -> SheetShape:
    """The largest table's shape; refuses a workbook whose tables together exceed the limits."""
    content = _Content(part, limits)
    content.feed_all(pieces(open_chunks(), part))
    return content.largest


class _Content(Expat):
    qualified = True  # the reader matches these names with their 'table:' prefix

    def __init__(self, part: str, limits: ImportLimits):
        super().__init__(part)
        self.limits = limits
        self.parser.CharacterDataHandler = self._text
        self.largest = SheetShape()
        self.total_cells = 0  # laid out before expansion, all tables
        self.total_area = 0  # after expansion, all tables
        self.text_bytes = 0  # texts cloned per repeat, all tables
        self.table: SheetShape | None = None
        self.in_row = False
        self.cell: list[Any] | None = None  # [repeats, filled, text length]
        self.position = self.pending_empty = self.area = self.row_repeats = 0
        self.row_cells: list[tuple[int, bool, int]] = []

    # tables and rows
    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "table:table":
            if attrs.get("table:name") is not None:
                self.table = SheetShape()
                self.position = 0  # rows so far, repeats included
                self.pending_empty = 0
                self.area = 0
        elif self.table is None:
            return
        elif name == "table:table-row":
            self.in_row = True
            self.row_repeats = _count(attrs.get("table:number-rows-repeated"), self.part)
            self.row_cells = []
        elif name in _CELLS and self.in_row:
            filled = (
                any(a in attrs for a in _VALUE_ATTRS)
                or attrs.get("office:value-type") == "string"
                or "table:formula" in attrs
            )
            text = sum(len(attrs.get(a, "")) for a in (*_VALUE_ATTRS[1:4], "table:formula"))
            self.cell = [_count(attrs.get("table:number-columns-repeated"), self.part), filled, text]
        elif self.cell is not None and name == "text:s":
            spaces = _count(attrs.get("text:c"), self.part)
            self._add_text(spaces)
        elif self.cell is not None and name == "text:p":
            self._add_text(1)

    def _text(self, data: str) -> None:
        if self.cell is not None:
            self._add_text(len(data))

    def _add_text(self, length: int) -> None:
        assert self.cell is not None
        self.cell[2] += length
        if self.cell[2] > MAX_TOKEN:
            raise corrupt(f"{self.part} holds a cell text over {MAX_TOKEN // (1024 * 1024)} MB")

    def end(self, name: str) -> None:
        if self.table is None:
            return
        if name in _CELLS and self.cell is not None:
            repeats, filled, text = self.cell
            self.row_cells.append((repeats, filled, text))
            self.cell = None
        elif name == "table:table-row" and self.in_row:
            self.in_row = False
            self._row_done()
        elif name == "table:table":
            self.total_area += self.area
            shape = self.table
            if shape.rows * shape.columns >= self.largest.rows * self.largest.columns:
                self.largest = shape
            self.table = None

    def _row_done(self) -> None:
        cells, limits, shape = self.row_cells, self.limits, self.table
        assert shape is not None
        laid_out = sum(c[0] for c in cells)
        if cells and not cells[-1][1]:
            laid_out -= cells[-1][0]  # a trailing empty run is not laid out
        last_filled = 0
        position = 0
        text = 0
        for repeats, filled, length in cells:
            position += repeats
            if filled:
                last_filled = position
                text += repeats * length
        self.total_cells += laid_out
        if self.total_cells > limits.max_cells:
            raise too_many_cells(self.total_cells, limits)
        self.position += self.row_repeats
        if not last_filled:
            self.pending_empty += self.row_repeats
            return
        height = self.pending_empty + self.row_repeats
        self.pending_empty = 0
        shape.rows = self.position
        shape.columns = max(shape.columns, last_filled)
        shape.cells += height * last_filled  # laid out after expansion, this table
        check_shape(shape.rows, shape.columns, limits)
        self.area = shape.rows * shape.columns
        if self.total_area + self.area > limits.max_cells:
            raise too_many_cells(self.total_area + self.area, limits)
        self.text_bytes += self.row_repeats * text
        if self.text_bytes > limits.max_shared_strings_bytes:
            raise FileError(
                ErrorCode.TOO_MANY_CELLS,
                f"The spreadsheet's repeated cells add up to more than {limits.max_shared_strings_bytes:,} "
                "bytes of text; it is refused. Save it as CSV, or remove the repeated rows.",
            )


def _count(value: str | None, part: str) -> int:
    if value is None:
        return 1
    if not value.isdigit() or len(value) > 10:
        raise corrupt(f"{part} repeats a row or cell '{value[:20]}' times")
    return int(value)
