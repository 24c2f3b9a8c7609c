"""Workbook measuring without a database: the declared dimension is only a hint, the fast count and
the exact scan agree, cells without a reference are placed as the reader places them, and the
patterns that bound the used range are exact."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from importers.errors import FileError
from importers.headers import column_letter
from importers.limits import DEFAULT_LIMITS
from importers.reading import read_sheet
from importers.workbook_xml import _CountedSheet, _ExactSheet, _letters_after, _number_above, pieces
from tests import files_common as f
from tests import files_hostile as h

HEAD = h._sheet_head


def _sheet(body: bytes, dimension: str | None = "A1") -> bytes:
    return HEAD(dimension) + body + h._TAIL


def _both(xml: bytes):
    chunks = [xml[i : i + 7000] for i in range(0, len(xml), 7000)]
    fast = _CountedSheet("sheet", DEFAULT_LIMITS, False)
    completed = all(fast.feed(p) for p in pieces(iter(chunks), "sheet"))
    exact = _ExactSheet("sheet", DEFAULT_LIMITS).scan(pieces(iter(chunks), "sheet"))
    return (fast.shape if completed else None), exact


def test_a_declared_dimension_is_only_a_hint():
    rows = [["Job", "Cost Code"], ["1001", "01-100"]]
    honest = f.xlsx_bytes(rows)
    for declared in (b"A1:XFD1048576", b"A1"):
        lying = _with_dimension(honest, declared)
        assert read_sheet(lying, "x.xlsx", DEFAULT_LIMITS).rows[:2] == rows


def _with_dimension(xlsx: bytes, ref: bytes) -> bytes:
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref + b'"', data)
            target.writestr(info.filename, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "body",
    [
        h._rows("A1", "K9", "C100"),  # declared box A1 grows to the cells
        b'<row r="2"><c r="B2" s="1"/><c r="D2"><v>1</v></c></row><row r="1"><c r="A1"><v>2</v></c></row>',
        b"".join(h._rows(f"{column_letter(i % 30)}{i + 1}") for i in range(300)),  # shuffled columns
    ],
)
def test_the_fast_count_and_the_exact_scan_agree(body):
    fast, exact = _both(_sheet(body))
    assert fast is not None
    assert (fast.rows, fast.columns) == (exact.rows, exact.columns)


def test_non_canonical_xml_takes_the_exact_scan_and_is_measured_the_same():
    # attributes in another order, a '>' in a text, cells without a reference
    body = (
        b'<row r="1"><c s="1" r="A1"><v>1</v></c>'
        b'<c t="inlineStr" r="B1"><is><t>a &gt; b > c</t></is></c></row>'
        b'<row r="5"><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>'
    )
    fast, exact = _both(_sheet(body))
    assert fast is None
    assert (exact.rows, exact.columns) == (5, 3)


@pytest.mark.parametrize(
    "body,code",
    [
        (b'<row r="1000000"><c><v>1</v></c></row>', "TOO_MANY_ROWS"),  # placed by its row, no reference
        (b'<row r="1"><x:c r="XFD1"><v>1</v></x:c></row>', "TOO_MANY_COLUMNS"),  # any prefix
        (b'<row r="1"><c r="A1"><v>1</v></c>' + b"<c><v>1</v></c>" * 300 + b"</row>", "TOO_MANY_COLUMNS"),
    ],
)
def test_cells_are_placed_as_the_reader_places_them(body, code):
    xlsx = h._skeleton(h.Part("xl/worksheets/sheet1.xml", _sheet(body)))
    with pytest.raises(FileError) as refused:
        read_sheet(xlsx, "x.xlsx", DEFAULT_LIMITS)
    assert refused.value.code == code


def test_the_limits_are_configurable():
    xlsx = f.xlsx_bytes([["Job", "Cost Code", "Amount"], ["1", "2", 3]])
    with pytest.raises(FileError) as refused:
        read_sheet(xlsx, "x.xlsx", replace(DEFAULT_LIMITS, max_columns=2))
    assert refused.value.code == "TOO_MANY_COLUMNS"
    with pytest.raises(FileError) as refused:
        read_sheet(xlsx, "x.xlsx", replace(DEFAULT_LIMITS, max_cells=5))
    assert refused.value.code == "TOO_MANY_CELLS"


def test_the_range_patterns_are_exact():
    for last in range(1, 800):
        letters = column_letter(last - 1)
        after = re.compile(_letters_after(letters))
        for col in range(1, 800):
            assert bool(after.fullmatch(column_letter(col - 1))) == (col > last), (letters, col)
    for top in (1, 9, 10, 99, 100, 101, 4567, 100_003, 200_020):
        above = re.compile(_number_above(top))
        for n in {*range(1, 120), top - 1, top, top + 1, top * 10, 10 ** len(str(top)), 1_048_576}:
            if n >= 1:
                assert bool(above.fullmatch(str(n))) == (n > top), (top, n)


def _record(kind: int, body: bytes) -> bytes:
    head = bytes([kind]) if kind < 0x80 else bytes([(kind & 0x7F) | 0x80, kind >> 7])
    size, out = len(body), b""
    while True:
        out += bytes([(size & 0x7F) | (0x80 if size > 0x7F else 0)])
        size >>= 7
        if not size:
            return head + out + body


def test_xlsb_sheet_records_are_measured_as_a_stream():
    import struct

    from importers.workbook_xlsb import scan_shared_strings, scan_sheet

    def real(col: int) -> bytes:
        return _record(0x05, struct.pack("<IId", col, 0, 1.5))

    def row(n: int) -> bytes:
        return _record(0x00, struct.pack("<I", n) + b"\0" * 8)

    sheet = row(0) + real(0) + real(3) + row(9) + real(1) + _record(0x92, b"")
    chunks = [sheet[i : i + 5] for i in range(0, len(sheet), 5)]  # records cut across chunks
    shape = scan_sheet(iter(chunks), "sheet1.bin", DEFAULT_LIMITS)
    assert (shape.rows, shape.columns, shape.cells) == (10, 4, 3)
    with pytest.raises(FileError) as refused:
        scan_sheet(iter([row(0) + real(100_000)]), "sheet1.bin", DEFAULT_LIMITS)
    assert refused.value.code == "TOO_MANY_COLUMNS"
    strings = _record(0x9F, struct.pack("<II", 5, 3_000_000))
    with pytest.raises(FileError) as refused:
        scan_shared_strings(iter([strings]), "sharedStrings.bin", DEFAULT_LIMITS)
    assert refused.value.code == "TOO_MANY_CELLS"


@pytest.mark.parametrize(
    "ref,vouched",
    [("Z9", True), ("A192307", True), ("A192308", False), ("A1000000", False), ("AA1", False), ("a1", False)],
)
def test_the_narrow_count_vouches_only_for_one_letter_and_rows_the_cell_limit_allows(ref, vouched):
    # 26 columns x 192,307 rows is what 5,000,000 cells allow
    xml = _sheet(h._rows("A1") + f'<row r="2"><c r="{ref}"><v>1</v></c></row>'.encode())
    narrow = _CountedSheet("sheet", DEFAULT_LIMITS, True)
    assert all(narrow.feed(p) for p in pieces(iter([xml]), "sheet")) is vouched
    if vouched:
        assert narrow.shape.columns * narrow.shape.rows <= DEFAULT_LIMITS.max_cells


_INLINE = '<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _text_book(cells: dict[str, bytes], strings: list[bytes] | None = None) -> bytes:
    """A two-column sheet: a header row and one row whose cells hold ``cells`` (raw XML text), inline
    or, with ``strings``, as indexes into a shared-strings table."""
    body = b'<row r="1">' + _INLINE.format(ref="A1", text="Job").encode()
    body += _INLINE.format(ref="B1", text="Memo").encode() + b'</row><row r="2">'
    extra = []
    for ref, text in cells.items():
        if strings is None:
            body += _INLINE.format(ref=ref, text="").encode().replace(b"<t></t>", b"<t>" + text + b"</t>")
        else:
            body += f'<c r="{ref}" t="s"><v>{len(strings)}</v></c>'.encode()
            strings.append(b"<si><t>" + text + b"</t></si>")
    if strings is not None:
        table = f'<?xml version="1.0" encoding="UTF-8"?><sst {h.NS}>'.encode() + b"".join(strings) + b"</sst>"
        extra.append(h.Part("xl/sharedStrings.xml", table))
    return h._skeleton(h.Part("xl/worksheets/sheet1.xml", _sheet(body + b"</row>", None)), *extra)


@pytest.mark.parametrize("shared", [False, True], ids=["inline", "shared-strings"])
@pytest.mark.parametrize(
    "text",
    [b"a\x01b", b"a\x7fb", b"a&#1;b", b"a&#x1B;b", b"a_x0007_b", b"a_x001f_b"],
    ids=["byte", "del", "reference", "hex-reference", "excel-escape", "excel-escape-lower"],
)
def test_a_control_character_in_workbook_text_is_refused_at_its_cell_however_it_is_written(text, shared):
    from importers.workbook_bounds import measure_workbook

    clean = _text_book({"A2": b"1001", "B2": b"a &amp; b_y x_"}, [] if shared else None)
    assert measure_workbook(clean, True, DEFAULT_LIMITS).plain_text  # so the cells are not searched
    assert read_sheet(clean, "x.xlsx", DEFAULT_LIMITS).rows[1] == ["1001", "a & b_y x_"]

    hostile = _text_book({"A2": b"1001", "B2": text}, [] if shared else None)
    assert not measure_workbook(hostile, True, DEFAULT_LIMITS).plain_text
    with pytest.raises(FileError) as refused:
        read_sheet(hostile, "x.xlsx", DEFAULT_LIMITS)
    assert (refused.value.code, refused.value.row, refused.value.column) == ("INVALID_VALUE", 2, "B")
