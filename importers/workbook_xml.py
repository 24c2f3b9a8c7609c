"""Measuring a workbook's XML parts as a stream, before a spreadsheet reader parses them: the cells a
sheet really uses (never the ``<dimension>`` it declares, which is only a hint to verify), how many
cells and merged ranges it holds, how deep its elements nest, the longest tag or text, and the
shared-strings table. DTDs are refused unread.

Two ways to measure, same answers: a fast one for the canonical form every spreadsheet program
writes (every cell ``<c r="B7" ...>``, no ``>`` left unescaped in text, so counting ``<``, ``</`` and
``/>`` gives the nesting exactly and one regular expression finds any cell outside the verified
box), and an exact one with expat for anything else, which mirrors how the reader places cells
(a cell without ``r`` follows the previous one)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from xml.parsers import expat

from importers.errors import FileError
from importers.headers import column_letter
from importers.limits import ImportLimits
from importers.workbook_package import corrupt
from models.errors import ErrorCode

# real sheets nest six deep; a reader keeps every open element on a stack
MAX_DEPTH = 128
# the longest run between two '<': one tag, or one text (an Excel cell holds at most 32,767 characters)
MAX_TOKEN = 2 * 1024 * 1024
# merged ranges are read for every sheet and kept as a list
MAX_MERGES = 100_000

_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# bytes the reader would hand on as control characters in a cell's text (tab and line breaks aside)
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_CONTROL_TO_NUL = bytes.maketrans(_CONTROL_BYTES, b"\x00" * len(_CONTROL_BYTES))
_NOT_MARKS = bytes(b for b in range(256) if b not in b"<>/cf")
_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?"')
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_ROW_NUMBER = re.compile(rb'<row r="0*([1-9][0-9]{0,6})"')
_NON_CANONICAL_CELL = re.compile(rb'<c(?:[\t\n\r/>]| (?!r="))')
_CANONICAL_CELL = re.compile(rb'<c r="([A-Z]{1,3})0*([1-9][0-9]{0,6})"')
_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
# a formula cell whose cached value is missing or empty: <c r="B2" ...><f>..</f></c> or <v></v>
_FORMULA_NO_VALUE = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>'
)


def dtd_refused(part: str) -> FileError:
    return FileError(
        ErrorCode.FILE_CORRUPT,
        f"The workbook part {part} contains a document type declaration (DTD or entity), which "
        "spreadsheet programs never write; it is refused unread. Save the file again from Excel.",
    )


def too_deep(part: str) -> FileError:
    return corrupt(f"{part} nests elements more than {MAX_DEPTH} deep")


@dataclass
class SheetShape:
    """What a sheet would make the reader lay out: the used range from A1 (1-based row and column
    counts), the cells it holds, its merged ranges, and the first formula without a saved value."""

    rows: int = 0
    columns: int = 0
    cells: int = 0
    merges: int = 0
    formula_without_value: str | None = None
    # proven free of anything the reader would turn into a control character (else: not known)
    plain_text: bool = False


def decodes_to_control(piece: bytes) -> bool:
    """Whether the piece holds an escape the reader decodes, which may be a control character: a
    character reference ('&#1;') or Excel's own escape ('_x001B_'). Looked for only when the byte
    that starts one is there at all (a fast byte search)."""
    return (b"&" in piece and b"&#" in piece) or (b"_" in piece and b"_x" in piece)


def may_hold_control(piece: bytes) -> bool:
    """Whether cell text read from the piece may hold a control character (never False when it can)."""
    return b"\x00" in piece.translate(_CONTROL_TO_NUL) or decodes_to_control(piece)


def tag_marks(piece: bytes) -> tuple[int, bytes] | None:
    """How many tags the piece holds when every '<' is closed by a '>' before the next '<' and no
    '>' stands alone (no '>' in text or values: '/>' then marks tag ends for sure), else None; with
    a copy of the piece holding only '<', '>', '/', 'c' and 'f'. Every '<c' or '<f' of the piece is
    one in the copy too (the copy may have more; the '/' keeps '</c>' apart), so the copy can count
    cell tags and look for formulas in a fraction of the bytes."""
    marks = piece.translate(None, _NOT_MARKS)
    angles = marks.translate(None, b"/cf")
    tags = len(angles) // 2
    return (tags, marks) if angles == b"<>" * tags else None


def pieces(chunks: Iterator[bytes], part: str) -> Iterator[bytes]:
    """Re-cut a stream so each piece ends just before a '<' (no tag is split), refusing any tag or
    text longer than MAX_TOKEN: a reader would buffer it whole."""
    carry = b""
    for chunk in chunks:
        buf = carry + chunk if carry else chunk
        cut = buf.rfind(b"<")
        if cut <= 0:
            carry = buf
        else:
            piece, carry = buf[:cut], buf[cut:]
            _check_gaps(piece, part)
            yield piece
        if len(carry) > MAX_TOKEN:
            raise _token_too_long(part)
    if carry:
        _check_gaps(carry, part)
        yield carry


def _token_too_long(part: str) -> FileError:
    return corrupt(f"{part} holds a single element or text over {MAX_TOKEN // (1024 * 1024)} MB")


def _check_gaps(piece: bytes, part: str) -> None:
    # every window of MAX_TOKEN bytes, at half-window steps, holds a '<': no run reaches 1.5x the cap
    step = MAX_TOKEN // 2
    for start in range(0, len(piece) - MAX_TOKEN, step):
        if piece.find(b"<", start, start + MAX_TOKEN) < 0:
            raise _token_too_long(part)


# --- worksheets --------------------------------------------------------------------------------------


def scan_sheet(open_chunks: Callable[[], Iterator[bytes]], part: str, limits: ImportLimits) -> SheetShape:
    """The sheet's shape (or a bound of it within the limits): by counting when the XML is canonical
    and its cells are within A-Z (the usual export), else by a box grown to the cells, else by the
    exact scan."""
    for narrow in (True, False):
        fast = _CountedSheet(part, limits, narrow)
        if all(fast.feed(piece) for piece in pieces(open_chunks(), part)) and fast.shape.merges <= MAX_MERGES:
            return fast.shape
    return _ExactSheet(part, limits).scan(pieces(open_chunks(), part))


def _letters_after(letters: str) -> str:
    """A pattern for column letters later than ``letters`` (longer, or same length and later as text)."""
    alternatives = [f"[A-Z]{{{len(letters) + 1},}}"]
    for i, ch in enumerate(letters):
        rest = len(letters) - i - 1
        if ch < "Z":
            alternatives.append(f"{letters[:i]}[{chr(ord(ch) + 1)}-Z]" + (f"[A-Z]{{{rest}}}" if rest else ""))
    return "|".join(alternatives)


def _number_above(number: int) -> str:
    """A pattern for row numbers above ``number``, written without leading zeros."""
    digits = str(number)
    alternatives = [f"[1-9][0-9]{{{len(digits)},}}"]
    for i, ch in enumerate(digits):
        rest = len(digits) - i - 1
        if ch < "9":
            alternatives.append(f"{digits[:i]}[{chr(ord(ch) + 1)}-9]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return "|".join(alternatives)


def _outside(rows: int, columns: int) -> re.Pattern[bytes]:
    """Any cell tag that is not '<c r="REF"' with REF inside the first ``rows`` x ``columns``."""
    after = _letters_after(column_letter(max(columns, 1) - 1))
    above = _number_above(max(rows, 1))
    malformed = '(?![A-Z]{1,3}[0-9]{1,7}")'
    beyond = f'(?:{after})|[A-Z]+0*(?:{above})"|[A-Z]+0*"'
    return re.compile(f'<c(?:[\\t\\n\\r/>]| (?!r=")| r="(?:{malformed}|{beyond}))'.encode())


class _CountedSheet:
    """The fast measures; ``feed`` returns False as soon as the XML is not canonical or a cell falls
    outside what the measure can vouch for, and the next measure decides.

    Narrow: every cell reference is one letter within the column limit and a row number within
    what the cell limit leaves for 26 columns, checked by counting on a copy where letters and digits
    are folded into classes (a reference 'B1234' reads 'A0000'); the shape is that bound.
    Boxed: the box every cell must fall in starts from the declared ``<dimension>`` and the rows each
    piece announces, and grows to take in any cell a regular expression finds outside it, so it ends
    as the real used range, whatever was declared."""

    MAX_GROWTHS = 64  # a sorted sheet widens a few times (header, wider rows); a shuffled one falls back

    def __init__(self, part: str, limits: ImportLimits, narrow: bool):
        self.part = part
        self.limits = limits
        self.narrow = narrow
        self.shape = SheetShape()
        self.depth = 0
        self.first = True
        self.growths = 0
        self.outside: re.Pattern[bytes] = _outside(1, 1)
        self.box = (0, 0)  # the (rows, columns) self.outside was built for
        if narrow:
            columns = min(26, limits.max_columns)
            rows = min(limits.max_rows + limits.header_search_rows, limits.max_cells // columns)
            self.shape.rows, self.shape.columns = rows, columns
            self.shape.plain_text = True  # until a piece may hold a control character
            self.classes = _classes(columns)
            # a reference with as many digits as the row limit (or more) is checked by value
            self.longest = b'<c r="A' + b"0" * len(str(rows))
            self.above = re.compile(f'<c r="[A-Z](?:0*(?:{_number_above(rows)})"|[0-9]{{8}})'.encode())

    def feed(self, piece: bytes) -> bool:
        if self.first:
            self.first = False
            if not self._prolog(piece):
                return False
        marked = tag_marks(piece)
        if marked is None:
            return False
        lt, marks = marked
        ends = piece.count(b"</")
        self.depth += lt - 2 * ends - piece.count(b"/>")
        # (a prefixed cell needs a ':'; most pieces have none, and looking for one byte is cheap)
        if not 0 <= self.depth <= MAX_DEPTH or (b":" in piece and _PREFIXED_CELL.search(piece)):
            return False
        shape = self.shape
        if self.narrow:
            # every cell tag counts here; past the limit the boxed measure counts only filled ones
            cells = self._narrow(piece, marks)
            if cells is None or shape.cells + cells > self.limits.max_cells:
                return False
            shape.cells += cells
        else:
            if not self._boxed(piece):
                return False
            # a cell the reader keeps has a value inside, so it is closed by '</c>' (empty ones count too)
            shape.cells += piece.count(b"</c>")
            if shape.cells > self.limits.max_cells:
                raise too_many_cells(shape.cells, self.limits)
        shape.merges += piece.count(b"mergeCell")
        if shape.formula_without_value is None and b"<f" in marks:
            missing = _FORMULA_NO_VALUE.search(piece)
            if missing:
                shape.formula_without_value = missing.group(1).decode()
        return True

    def _narrow(self, piece: bytes, marks: bytes) -> int | None:
        """How many cell tags the piece has, if every one is '<c r="REF"' with REF one letter within
        the limit and a row within it (else None). ``marks``: the piece's ``tag_marks`` copy."""
        folded = piece.translate(self.classes)
        # the folding maps control bytes to NUL: one fast byte search on the copy made anyway
        if self.shape.plain_text and (b"\x00" in folded or decodes_to_control(piece)):
            self.shape.plain_text = False
        cells = folded.count(b'<c r="A0')
        # other '<c...' elements (cols, colors) are fine; odd cell tags are not. The marks hold at
        # least the piece's '<c': as few as its canonical cells means there are no others
        if marks.count(b"<c") != cells and (
            folded.count(b'<c r="') != cells or _NON_CANONICAL_CELL.search(piece)
        ):
            return None
        if self.longest in folded and self.above.search(piece):
            return None
        return cells

    def _boxed(self, piece: bytes) -> bool:
        """Every cell tag of the piece is canonical and inside the box (grown as needed)."""
        shape = self.shape
        last_row = piece.rfind(b'<row r="')
        if last_row >= 0:
            announced = _ROW_NUMBER.match(piece, last_row)
            if announced and int(announced.group(1)) > shape.rows:
                shape.rows = int(announced.group(1))
        at = 0
        while True:
            if self.box != (shape.rows, shape.columns):
                if not _within(shape.rows, shape.columns, self.limits):
                    return False  # the exact scan decides whether those cells hold anything
                self.box = (shape.rows, shape.columns)
                self.outside = _outside(shape.rows, shape.columns)
            found = self.outside.search(piece, at)
            if found is None:
                return True
            cell = _CANONICAL_CELL.match(piece, found.start())
            self.growths += 1
            if cell is None or self.growths > self.MAX_GROWTHS:
                return False
            letters, number = cell.group(1, 2)
            shape.rows = max(shape.rows, int(number))
            shape.columns = max(shape.columns, _column_number(letters.decode()))
            at = found.start()

    def _prolog(self, piece: bytes) -> bool:
        if _DTD.search(piece):
            raise dtd_refused(self.part)
        head = piece[:200].lower()
        if piece.startswith((b"\xff\xfe", b"\xfe\xff")) or b"utf-16" in head or b"\x00" in head:
            return False
        declared = _DIMENSION.search(piece)
        if declared is not None and not self.narrow:
            first_col, first_row, last_col, last_row = declared.groups()
            letters, number = (last_col, last_row) if last_col else (first_col, first_row)
            rows, columns = int(number), _column_number(letters.decode())
            # a hint: kept only if within the limits (an honest file may declare more than it fills)
            if _within(rows, columns, self.limits):
                self.shape.rows, self.shape.columns = rows, columns
        return True


def _classes(columns: int) -> bytes:
    """A translation folding the first ``columns`` letters into 'A', the other letters into 'B',
    digits into '0' and control bytes into NUL (lower case and the rest unchanged)."""
    table = bytearray(_CONTROL_TO_NUL)
    for i in range(26):
        table[65 + i] = ord("A") if i < columns else ord("B")
    for i in range(10):
        table[48 + i] = ord("0")
    return bytes(table)


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _within(rows: int, columns: int, limits: ImportLimits) -> bool:
    return (
        rows <= limits.max_rows + limits.header_search_rows
        and columns <= limits.max_columns
        and rows * columns <= limits.max_cells
    )


class Expat:
    """An expat parser that refuses DTDs and deep nesting, for the exact scans. Subclasses get each
    element's local name (prefix dropped, as the readers match them) unless ``qualified``."""

    qualified = False

    def __init__(self, part: str):
        self.part = part
        self.depth = 0
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartDoctypeDeclHandler = self._dtd
        self.parser.EntityDeclHandler = self._dtd
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end

    def _dtd(self, *_args: object) -> None:
        raise dtd_refused(self.part)

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise too_deep(self.part)
        self.start(name if self.qualified else name.rpartition(":")[2], attrs)

    def _end(self, name: str) -> None:
        self.depth -= 1
        self.end(name if self.qualified else name.rpartition(":")[2])

    def start(self, local: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, local: str) -> None:
        pass

    def feed_all(self, stream: Iterator[bytes]) -> None:
        try:
            for piece in stream:
                self.parser.Parse(piece, False)
            self.parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise corrupt(f"{self.part}: {expat.ErrorString(exc.code)}") from None


class _ExactSheet(Expat):
    def __init__(self, part: str, limits: ImportLimits):
        super().__init__(part)
        self.limits = limits
        self.shape = SheetShape()
        self.row = 0
        self.col = 0
        self.cell: tuple[int, int] | None = None
        self.filled = False
        self.formula = False
        self.parser.CharacterDataHandler = self._text
        self.in_value = False

    def scan(self, stream: Iterator[bytes]) -> SheetShape:
        self.feed_all(stream)
        shape = self.shape
        if shape.merges > MAX_MERGES:
            raise corrupt(f"{self.part} lists more than {MAX_MERGES:,} merged ranges")
        return shape

    def start(self, local: str, attrs: dict[str, str]) -> None:
        if local == "c":
            ref = attrs.get("r")
            if ref is None:
                self.cell = (self.row, self.col)
            else:
                self.cell = _cell_of(ref, self.part)
                self.col = self.cell[1]
            self.filled = self.formula = False
        elif local == "row":
            number = attrs.get("r")
            if number is not None:
                if not number.isdigit() or int(number) < 1:
                    raise corrupt(f"{self.part} has a row numbered '{number[:20]}'")
                self.row = int(number) - 1
        elif self.cell is not None:
            self.filled = True  # any value element: counted whatever it holds
            if local == "f":
                self.formula = True
            elif local == "v":
                self.in_value = True
        elif local == "mergeCell":
            self.shape.merges += 1
            if self.shape.merges > MAX_MERGES:
                raise corrupt(f"{self.part} lists more than {MAX_MERGES:,} merged ranges")

    def _text(self, data: str) -> None:
        if self.in_value and data.strip():
            self.formula = False  # the formula has its saved value

    def end(self, local: str) -> None:
        if local == "c":
            if self.cell is not None and self.filled:
                self._count(*self.cell)
                if self.formula and self.shape.formula_without_value is None:
                    row, col = self.cell
                    self.shape.formula_without_value = f"{column_letter(col)}{row + 1}"
            self.cell = None
            self.col += 1
        elif local == "row":
            self.row += 1
            self.col = 0
        elif local == "v":
            self.in_value = False

    def _count(self, row: int, col: int) -> None:
        shape = self.shape
        shape.cells += 1
        shape.rows = max(shape.rows, row + 1)
        shape.columns = max(shape.columns, col + 1)
        limits = self.limits
        if shape.cells > limits.max_cells:
            raise too_many_cells(shape.cells, limits)
        check_shape(shape.rows, shape.columns, limits)


def _cell_of(ref: str, part: str) -> tuple[int, int]:
    found = _REF.fullmatch(ref)
    if found is None or int(found.group(2)) < 1:
        raise corrupt(f"{part} has a cell at '{ref[:20]}'")
    return int(found.group(2)) - 1, _column_number(found.group(1)) - 1


# --- the limits as errors ----------------------------------------------------------------------------


def too_many_cells(cells: int, limits: ImportLimits) -> FileError:
    return FileError(
        ErrorCode.TOO_MANY_CELLS,
        f"The sheet holds {cells:,} or more cells; the limit is {limits.max_cells:,}. Delete the "
        "unused rows and columns (select them, right-click, Delete) or save the sheet as CSV.",
    )


def check_shape(rows: int, columns: int, limits: ImportLimits) -> None:
    """Refuse a used range (from A1) over the limits: rows, columns, then rows x columns."""
    row_cap = limits.max_rows + limits.header_search_rows
    if rows > row_cap:
        raise FileError(
            ErrorCode.TOO_MANY_ROWS,
            f"The sheet uses rows down to {rows:,}; the limit is {limits.max_rows:,} data rows. "
            "Delete the unused rows below the data, or split the file.",
        )
    if columns > limits.max_columns:
        raise FileError(
            ErrorCode.TOO_MANY_COLUMNS,
            f"The sheet uses columns up to {column_letter(columns - 1)} ({columns:,} columns); the limit "
            f"is {limits.max_columns:,}. Delete the unused columns to the right of the data.",
        )
    if rows * columns > limits.max_cells:
        raise FileError(
            ErrorCode.TOO_MANY_CELLS,
            f"The sheet's used range is {rows:,} rows x {columns:,} columns ({rows * columns:,} cells); "
            f"the limit is {limits.max_cells:,}. Delete the unused rows and columns, or split the file.",
        )


# --- shared strings and the small parts --------------------------------------------------------------


def scan_shared_strings(
    open_chunks: Callable[[], Iterator[bytes]], part: str, limits: ImportLimits
) -> tuple[int, bool]:
    """How many strings the table holds (refused past the limit), by count or by the exact scan, and
    whether they are proven free of control characters (by the count only)."""
    depth, count, first, plain = 0, 0, True, True
    for piece in pieces(open_chunks(), part):
        if first:
            first = False
            if _DTD.search(piece):
                raise dtd_refused(part)
            if piece.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in piece[:200]:
                break
        marked = tag_marks(piece)
        if marked is None or b":si" in piece:
            break
        lt = marked[0]
        depth += lt - 2 * piece.count(b"</") - piece.count(b"/>")
        if not 0 <= depth <= MAX_DEPTH:
            break
        count += piece.count(b"<si>") + piece.count(b"<si ") + piece.count(b"<si/")
        _check_strings(count, limits)
        plain = plain and not may_hold_control(piece)
    else:
        return count, plain
    counter = _StringCounter(part, limits)
    counter.feed_all(pieces(open_chunks(), part))
    return counter.count, False


def _check_strings(count: int, limits: ImportLimits) -> None:
    if count > limits.max_shared_strings:
        raise FileError(
            ErrorCode.TOO_MANY_CELLS,
            f"The workbook's shared-strings table holds more than {limits.max_shared_strings:,} "
            "different texts; it is refused. Save the sheet as CSV, or split it.",
        )


class _StringCounter(Expat):
    def __init__(self, part: str, limits: ImportLimits):
        super().__init__(part)
        self.limits = limits
        self.count = 0

    def start(self, local: str, attrs: dict[str, str]) -> None:
        if local == "si":
            self.count += 1
            _check_strings(self.count, self.limits)


def scan_part(open_chunks: Callable[[], Iterator[bytes]], part: str) -> None:
    """A small part (styles, workbook, relationships): well formed, no DTD, not nested too deep."""
    Expat(part).feed_all(pieces(open_chunks(), part))


class _Relationships(Expat):
    def __init__(self, part: str):
        super().__init__(part)
        self.targets: list[tuple[str, str]] = []

    def start(self, local: str, attrs: dict[str, str]) -> None:
        if local == "Relationship" and attrs.get("Target"):
            self.targets.append((attrs["Target"], attrs.get("Type", "")))


def relationship_targets(open_chunks: Callable[[], Iterator[bytes]], part: str) -> list[tuple[str, str]]:
    """(target, type) of each relationship a relationships part names, checked as a small part."""
    rels = _Relationships(part)
    rels.feed_all(pieces(open_chunks(), part))
    return rels.targets
