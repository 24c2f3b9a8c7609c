"""Natural order of codes: the one sort key for cost codes, divisions, sub jobs and cost types.

Codes are text, but accountants read their numeric sections as numbers: Sage 100 ``2120.000``
comes before ``15400.000``, Sage 300 ``01-100`` before ``01-1000``, ``1.20.300`` before
``1.100.300``. The key is a plain string, so Python sorts by it and the database orders by it
(``CostCode.sort_key``, computed on every write) with the same result, page after page.

The key uses only ``0-9`` and ``a-f``, so every collation (SQLite's bytes, PostgreSQL's C or a
locale) orders it alike:

- a run of digits is its length without leading zeros (two digits) then those digits, so a shorter
  number sorts first and equal lengths compare digit by digit (``0042120`` for ``2120``);
- any other text is its lowercased UTF-8 bytes, each as ``1`` plus two hex digits, closed by
  ``0``, so a shorter text sorts before a longer one that starts the same way.

Codes that differ only in leading zeros or letter case get equal keys; callers break the tie with
the code itself.
"""

from __future__ import annotations

import re

_PARTS = re.compile(r"(\d+)")
# the longest key: a 32-character code of 4-byte UTF-8 characters (12 key characters each)
MAX_KEY_LENGTH = 400


def natural_sort_key(code: str | None) -> str:
    """A string that sorts ``code`` in natural order (numeric sections compare as numbers)."""
    parts = _PARTS.split((code or "").strip().lower())
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2:  # digits
            digits = part.lstrip("0") or "0"
            out.append(f"{len(digits):02d}{digits}")
        else:
            out.append("".join(f"1{byte:02x}" for byte in part.encode()) + "0")
    return "".join(out)
