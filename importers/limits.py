"""Caps every import enforces, configurable per call (tests use small values)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ImportLimits:
    max_file_bytes: int = 25 * 1024 * 1024
    max_rows: int = 200_000
    # total uncompressed size of an XLSX/ODS package: a small file that inflates past this is a zip bomb
    max_decompressed_bytes: int = 400 * 1024 * 1024
    # an ImportRun keeps at most this many row errors (the counts stay exact)
    max_recorded_errors: int = 1000
    header_search_rows: int = 20


DEFAULT_LIMITS = ImportLimits()

_ENV = {
    "max_file_bytes": "COSTBRIDGE_IMPORT_MAX_FILE_BYTES",
    "max_rows": "COSTBRIDGE_IMPORT_MAX_ROWS",
    "max_decompressed_bytes": "COSTBRIDGE_IMPORT_MAX_DECOMPRESSED_BYTES",
}


def limits_from_env() -> ImportLimits:
    """The defaults, overridden by COSTBRIDGE_IMPORT_MAX_FILE_BYTES / _MAX_ROWS / _MAX_DECOMPRESSED_BYTES."""
    values = {field: int(os.environ[var]) for field, var in _ENV.items() if os.environ.get(var, "").isdigit()}
    return replace(DEFAULT_LIMITS, **values)
