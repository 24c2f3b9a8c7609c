"""Caps every import enforces, configurable per call (tests use small values).

The workbook caps are checked on the file itself (zip directory, part sizes read through a counting
stream, the cells a sheet declares) before a spreadsheet reader allocates anything, so each one
bounds the memory a file can make the server spend."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ImportLimits:
    max_file_bytes: int = 25 * 1024 * 1024
    max_rows: int = 200_000
    # the used range counted from A1 (what the reader lays out in memory): columns, and rows x columns
    max_columns: int = 256
    max_cells: int = 5_000_000
    # total uncompressed size of an XLSX/ODS package: a small file that inflates past this is a zip bomb
    max_decompressed_bytes: int = 400 * 1024 * 1024
    # the shared-strings table is held in memory whole: its entries and its unpacked size
    max_shared_strings: int = 2_000_000
    max_shared_strings_bytes: int = 96 * 1024 * 1024
    # workbook parts other than sheets and strings (styles, workbook, relationships)
    max_part_bytes: int = 16 * 1024 * 1024
    # an ImportRun keeps at most this many row errors (the counts stay exact)
    max_recorded_errors: int = 1000
    header_search_rows: int = 20


DEFAULT_LIMITS = ImportLimits()

_ENV = {
    "max_file_bytes": "COSTBRIDGE_IMPORT_MAX_FILE_BYTES",
    "max_rows": "COSTBRIDGE_IMPORT_MAX_ROWS",
    "max_columns": "COSTBRIDGE_IMPORT_MAX_COLUMNS",
    "max_cells": "COSTBRIDGE_IMPORT_MAX_CELLS",
    "max_decompressed_bytes": "COSTBRIDGE_IMPORT_MAX_DECOMPRESSED_BYTES",
}


def limits_from_env() -> ImportLimits:
    """The defaults, overridden by the COSTBRIDGE_IMPORT_MAX_* variables above."""
    values = {field: int(os.environ[var]) for field, var in _ENV.items() if os.environ.get(var, "").isdigit()}
    return replace(DEFAULT_LIMITS, **values)
