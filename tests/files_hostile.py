"""Hostile workbooks, built on the fly and small on disk: far cells, lying zip sizes, entity
declarations, huge shared-string tables, deep nesting, repeat bombs (XLSX, ODS, XLS) and text.

Big unpacked parts are never held in memory here: a deflate block of a repeated unit is made once
and repeated (full-flush blocks are independent), with the CRC computed as it would be."""

from __future__ import annotations

import io
import struct
import zlib

from tests import files_common as f

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_BLOCK = 1 << 20


class Part:
    """One zip member: its raw deflate stream, CRC and real size (and the size the directory states)."""

    def __init__(self, name: str, data: bytes = b"", *, declared: int | None = None):
        self.name = name
        self.stream = zlib.compress(data, 9)[2:-4]  # raw deflate
        self.crc = zlib.crc32(data)
        self.size = len(data)
        self.declared = declared

    @classmethod
    def repeated(cls, name: str, head: bytes, unit: bytes, times: int, tail: bytes = b"", **kw) -> Part:
        part = cls(name, **kw)
        per_block = max(1, _BLOCK // len(unit))
        block_data = unit * per_block
        blocks, rest = divmod(times, per_block)
        pieces, crc, size = [], 0, 0

        def add(data: bytes, final: bool = False) -> None:
            nonlocal crc, size
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            pieces.append(c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH))
            crc, size = zlib.crc32(data, crc), size + len(data)

        add(head)
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = c.compress(block_data) + c.flush(zlib.Z_FULL_FLUSH)
        for _ in range(blocks):
            pieces.append(block)
            crc, size = zlib.crc32(block_data, crc), size + len(block_data)
        add(unit * rest + tail, final=True)
        part.stream, part.crc, part.size = b"".join(pieces), crc, size
        return part


def raw_zip(parts: list[Part]) -> bytes:
    """A zip written by hand, so the directory can state whatever size a test wants."""
    out, central = io.BytesIO(), []
    for p in parts:
        name = p.name.encode()
        declared = p.size if p.declared is None else p.declared
        offset = out.tell()
        out.write(
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                20,
                0,
                8,
                0,
                0x21,
                p.crc,
                len(p.stream),
                declared,
                len(name),
                0,
            )
        )
        out.write(name + p.stream)
        central.append(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, p.crc, len(p.stream), declared,
                len(name), 0, 0, 0, 0, 0, offset,
            )
            + name
        )  # fmt: skip
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(
        struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), start, 0)
    )
    return out.getvalue()


def _skeleton(sheet: Part, *extra: Part) -> bytes:
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{office}.worksheet+xml"/></Types>'
    ).encode()
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        b'<?xml version="1.0" encoding="UTF-8"?><workbook ' + NS.encode() + b' xmlns:r="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
        b'r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    return raw_zip(
        [
            Part("[Content_Types].xml", content_types),
            Part("_rels/.rels", rels),
            Part("xl/workbook.xml", workbook),
            Part("xl/_rels/workbook.xml.rels", workbook_rels),
            sheet,
            *extra,
        ]
    )


def _sheet_head(dimension: str | None = None, prolog: bytes = b"") -> bytes:
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        + prolog
        + f"<worksheet {NS}>".encode()
        + dim
        + b"<sheetData>"
    )


_TAIL = b"</sheetData></worksheet>"


def _cell(ref: str, value: str = "1") -> bytes:
    return f'<c r="{ref}"><v>{value}</v></c>'.encode()


def _rows(*cells: str) -> bytes:
    out = b""
    for ref in cells:
        row = "".join(ch for ch in ref if ch.isdigit())
        out += f'<row r="{row}">'.encode() + _cell(ref) + b"</row>"
    return out


def far_cells(last: str, dimension: str | None) -> bytes:
    """A1 and one far cell: a few hundred bytes that a reader would lay out from A1 to ``last``."""
    return _skeleton(Part("xl/worksheets/sheet1.xml", _sheet_head(dimension) + _rows("A1", last) + _TAIL))


def repeated_cell(times: int) -> bytes:
    """Cell A1 written ``times`` times: a 1x1 box whose cell list still grows with every copy."""
    sheet = Part.repeated("xl/worksheets/sheet1.xml", _sheet_head("A1") + b'<row r="1">', _cell("A1"), times,
                          b"</row>" + _TAIL)  # fmt: skip
    return _skeleton(sheet)


def deep_sheet(levels: int) -> bytes:
    sheet = Part.repeated("xl/worksheets/sheet1.xml", _sheet_head("A1") + _rows("A1"), b"<a>", levels, _TAIL)
    return _skeleton(sheet)


def deep_styles(levels: int) -> bytes:
    styles = Part.repeated("xl/styles.xml", f"<styleSheet {NS}>".encode(), b"<a>", levels, b"</styleSheet>")
    return _skeleton(Part("xl/worksheets/sheet1.xml", _sheet_head("A1") + _rows("A1") + _TAIL), styles)


_LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def entity_sheet() -> bytes:
    body = b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row>'
    return _skeleton(Part("xl/worksheets/sheet1.xml", _sheet_head("A1", prolog=_LAUGHS) + body + _TAIL))


def entity_shared_strings() -> bytes:
    strings = Part(
        "xl/sharedStrings.xml",
        b'<?xml version="1.0"?>' + _LAUGHS + f"<sst {NS}><si><t>&lol3;</t></si></sst>".encode(),
    )
    sheet = Part(
        "xl/worksheets/sheet1.xml",
        _sheet_head("A1") + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + _TAIL,
    )
    return _skeleton(sheet, strings)


def many_shared_strings(count: int) -> bytes:
    strings = Part.repeated(
        "xl/sharedStrings.xml", f"<sst {NS}>".encode(), b"<si><t>x</t></si>", count, b"</sst>"
    )
    return _skeleton(Part("xl/worksheets/sheet1.xml", _sheet_head("A1") + _rows("A1") + _TAIL), strings)


def big_shared_strings(megabytes: int) -> bytes:
    unit = b"<si><t>" + b"x" * 65_000 + b"</t></si>"
    strings = Part.repeated("xl/sharedStrings.xml", f"<sst {NS}>".encode(), unit, megabytes * 16, b"</sst>")
    return _skeleton(Part("xl/worksheets/sheet1.xml", _sheet_head("A1") + _rows("A1") + _TAIL), strings)


def lying_size(megabytes: int) -> bytes:
    """A sheet whose directory says it unpacks to 1 KB; it really unpacks to ``megabytes`` MB."""
    sheet = Part.repeated(
        "xl/worksheets/sheet1.xml", _sheet_head("A1") + _rows("A1"), b"<x/>" * 64, megabytes * 4096, _TAIL,
        declared=1024,
    )  # fmt: skip
    return _skeleton(sheet)


def huge_attribute(megabytes: int) -> bytes:
    head = _sheet_head("A1") + b'<row r="1"><c r="A1" x="'
    tail = b'"><v>1</v></c></row>' + _TAIL
    sheet = Part.repeated("xl/worksheets/sheet1.xml", head, b"a" * 1024, megabytes * 1024, tail)
    return _skeleton(sheet)


def many_merges(count: int) -> bytes:
    head = _sheet_head("A1") + _rows("A1") + b"</sheetData><mergeCells>"
    sheet = Part.repeated(
        "xl/worksheets/sheet1.xml", head, b'<mergeCell ref="A1:B2"/>', count, b"</mergeCells></worksheet>"
    )
    return _skeleton(sheet)


def many_members(count: int) -> bytes:
    good = f.xlsx_bytes([["Job", "Cost Code"], ["1", "2"]])
    source = __import__("zipfile").ZipFile(io.BytesIO(good))
    parts = [Part(i.filename, source.read(i.filename)) for i in source.infolist()]
    parts += [Part(f"xl/media/x{i}.bin", b"") for i in range(count)]
    return raw_zip(parts)


# --- ODS --------------------------------------------------------------------------------------------

_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def _ods(table: str) -> bytes:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Sheet1">{table}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    ).encode()
    return raw_zip(
        [Part("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), Part("content.xml", content)]
    )


def ods_repeat_bomb() -> bytes:
    return _ods(
        '<table:table-row table:number-rows-repeated="1000000000"><table:table-cell '
        'table:number-columns-repeated="1000000" office:value-type="float" office:value="1"/>'
        "</table:table-row>"
    )


def ods_empty_run_bomb() -> bytes:
    """Empty runs before a filled cell are laid out one by one, in every row."""
    row = (
        '<table:table-row><table:table-cell table:number-columns-repeated="16000"/>'
        '<table:table-cell office:value-type="float" office:value="1"/></table:table-row>'
    )
    return _ods(row * 400)


def ods_space_bomb() -> bytes:
    return _ods(
        '<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="1000000000"/>'
        "</text:p></table:table-cell></table:table-row>"
    )


# --- XLS --------------------------------------------------------------------------------------------


def _xls_with_number(row: int, col: int) -> bytes:
    """An XLS written by xlwt whose second number cell is moved to (row, col) in place."""
    data = bytearray(f.xls_bytes([["Job", 0.123456789012], ["x", 0.987654321098]]))
    record = struct.pack("<HHHH", 0x0203, 14, 1, 1)  # NUMBER at B2
    at = data.find(record)
    assert at > 0, "xlwt wrote no NUMBER record for B2"
    struct.pack_into("<HH", data, at + 4, row, col)
    return bytes(data)


def xls_far_cell() -> bytes:
    return _xls_with_number(65535, 255)


def xls_lying_dimensions() -> bytes:
    data = bytearray(_xls_with_number(1, 1))
    at = data.find(struct.pack("<HH", 0x0200, 14))
    assert at > 0, "xlwt wrote no DIMENSIONS record"
    struct.pack_into("<IIHH", data, at + 4, 5, 1, 0, 2)  # first row after the last
    return bytes(data)


def xls_huge_string_count() -> bytes:
    data = bytearray(f.xls_bytes([["Job", "Cost Code"], ["a", "b"]]))
    at = data.find(struct.pack("<H", 0x00FC))
    while at > 0 and data[at + 2 : at + 4] == b"\x00\x00":
        at = data.find(struct.pack("<H", 0x00FC), at + 1)
    assert at > 0, "xlwt wrote no SST record"
    struct.pack_into("<I", data, at + 8, 0x7FFFFFFF)
    return bytes(data)


def xls_fat_loop() -> bytes:
    """The FAT sends the workbook stream's last sector back to its first: a chain without an end."""
    data = bytearray(_xls_with_number(1, 1))
    sector = 512
    fat_at = (struct.unpack_from("<I", data, 76)[0] + 1) * sector
    fat = list(struct.unpack_from(f"<{sector // 4}I", data, fat_at))
    directory = (struct.unpack_from("<I", data, 48)[0] + 1) * sector
    for entry in range(directory, directory + sector, 128):
        if data[entry : entry + 16].decode("utf-16-le", "ignore").startswith("Workbook"):
            start = index = struct.unpack_from("<I", data, entry + 116)[0]
            break
    else:
        raise AssertionError("no Workbook stream")
    while fat[index] != 0xFFFFFFFE:
        index = fat[index]
    fat[index] = start
    struct.pack_into(f"<{sector // 4}I", data, fat_at, *fat)
    return bytes(data)


def blank_lines_csv(lines: int) -> bytes:
    return b"Job,Cost Code\r\n" + b"\r\n" * lines
