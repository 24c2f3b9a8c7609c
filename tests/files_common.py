"""Builders that write the same rows as CSV (any encoding/delimiter), XLSX (openpyxl), XLS (xlwt)
and ODS (odfpy), plus the damaged and hostile files the bad-input corpus needs."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile


def csv_bytes(rows, delimiter: str = ",", encoding: str = "utf-8", bom: bool = False) -> bytes:
    import csv

    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, *, merge: str | None = None, sheet_title: str = "Sheet1") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    for row in rows:
        ws.append(list(row))
    if merge:
        ws.merge_cells(merge)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xls_bytes(rows) -> bytes:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="MM/DD/YYYY")
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write(i, j, value, date_style)
            elif value is not None:
                ws.write(i, j, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ods_bytes(rows) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Sheet1")
    for row in rows:
        tr = TableRow()
        for value in row:
            if value is None or value == "":
                cell = TableCell()
            elif isinstance(value, bool | str):
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            elif isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=value.isoformat()))
            else:
                cell = TableCell(valuetype="float", value=str(value))
                cell.addElement(P(text=str(value)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def xlsx_with_formula(rows, cell: str, formula: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    ws[cell] = formula  # openpyxl saves formulas without a calculated value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def empty_workbook() -> bytes:
    from openpyxl import Workbook

    buf = io.BytesIO()
    Workbook().save(buf)
    return buf.getvalue()


def zip_bomb(rows, inflated_bytes: int) -> bytes:
    """A real workbook whose sheet XML is padded with whitespace: tiny on disk, huge unpacked."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * inflated_bytes, 1)
            target.writestr(info.filename, data)
    return out.getvalue()


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def encrypted_workbook() -> bytes:
    """What Excel writes for a password-protected workbook: an OLE2 (CFB) container with the
    EncryptionInfo and EncryptedPackage streams (the signature and directory names are what count)."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x18:0x1A] = (0x3E).to_bytes(2, "little")  # minor version
    header[0x1A:0x1C] = (3).to_bytes(2, "little")  # major version 3, 512-byte sectors
    header[0x1C:0x1E] = (0xFFFE).to_bytes(2, "little")  # little-endian
    header[0x1E:0x20] = (9).to_bytes(2, "little")
    directory = bytearray(512)
    for i, name in enumerate(("Root Entry", "EncryptionInfo", "EncryptedPackage")):
        raw = name.encode("utf-16-le") + b"\x00\x00"
        entry = bytearray(128)
        entry[: len(raw)] = raw
        entry[64:66] = len(raw).to_bytes(2, "little")
        entry[66] = 5 if i == 0 else 2
        directory[i * 128 : (i + 1) * 128] = entry
    return bytes(header) + bytes(directory) + random.Random(7).randbytes(1024)


def binary_junk(size: int = 4096) -> bytes:
    return random.Random(1).randbytes(size)
