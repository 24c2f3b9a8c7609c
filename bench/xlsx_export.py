"""Benchmark: XLSX export writing against the CSV writer of the same rows, and its memory.

1. Time per 100k rows of the XLSX writer (exporters/workbook.py: xlsxwriter in constant-memory
   mode, with the currency, date and header formats and the print set-up of every export) as a
   ratio to the CSV writer (exporters/tabular.iter_csv) over the same rows. Limit: 12x. For
   reference, openpyxl's write-only writer over the same rows (the previous writer) is timed too.
2. Peak memory of writing 100k and 1M rows, each in a fresh interpreter after a 1,000-row warm-up:
   flat means the growth while writing stays about the same (limit: 1M rows may grow at most 1.5x
   what 100k rows did, plus 8 MiB of noise), and the peak RSS ratio stays near 1.

Process CPU time by default (the machine is shared; wall time measures the neighbours); --wall
uses wall time. --quick skips the 1M-row run and the openpyxl reference. Run:

    .venv/bin/python bench/xlsx_export.py
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_clock = time.perf_counter if "--wall" in sys.argv else time.process_time

from exporters.tabular import DATE, MONEY, Column, iter_csv  # noqa: E402
from exporters.workbook import write_xlsx  # noqa: E402

ROWS = 100_000
LIMIT = 12.0
MEMORY_LIMIT = 1.5
MEMORY_SLACK = 8 * 2**20
COLUMNS = (
    Column("Item Date", DATE),
    Column("Cost Code", width=10),
    Column("Cost Type", width=6),
    Column("Description", width=30),
    Column("Vendor", width=20),
    Column("Amount", MONEY),
)
DAY = dt.date(2026, 1, 1)


def generate(count: int):
    for i in range(count):
        yield (DAY, f"{i % 50:02d}-100", "1", f"Transaction {i}", "ACME Concrete", Decimal(i % 99999) / 100)


def time_csv(rows: list[tuple]) -> float:
    with tempfile.TemporaryFile("w", encoding="utf-8", newline="") as handle:
        started = _clock()
        for chunk in iter_csv(COLUMNS, rows):
            handle.write(chunk)
        return _clock() - started


def time_xlsx(rows: list[tuple]) -> float:
    with tempfile.TemporaryFile() as handle:
        started = _clock()
        write_xlsx(handle, "Direct Costs", COLUMNS, rows)
        return _clock() - started


def time_openpyxl(rows: list[tuple]) -> float:
    """The previous writer, for reference: openpyxl write-only with currency-formatted amounts."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    with tempfile.TemporaryFile() as handle:
        started = _clock()
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Direct Costs")
        sheet.append([c.header for c in COLUMNS])
        for row in rows:
            amount = WriteOnlyCell(sheet, value=row[5])
            amount.number_format = '"$"#,##0.00;[Red]-"$"#,##0.00'
            sheet.append([*row[:5], amount])
        book.save(handle)
        return _clock() - started


# --- memory: each size in a fresh interpreter ----------------------------------------------------


def memory_child(count: int) -> None:
    """Print the growth of peak resident memory while writing ``count`` rows (bytes), and seconds."""
    import resource

    with tempfile.TemporaryFile() as handle:
        write_xlsx(handle, "Warm-up", COLUMNS, generate(1_000))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with tempfile.TemporaryFile() as handle:
        write_xlsx(handle, "Direct Costs", COLUMNS, generate(count))
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((peak - baseline) * 1024, peak * 1024, f"{elapsed:.1f}")


def memory(count: int) -> tuple[int, int, str]:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(count)], check=True, capture_output=True, text=True
    )
    growth, peak, seconds = out.stdout.strip().splitlines()[-1].split()
    return int(growth), int(peak), seconds


def main() -> None:
    quick = "--quick" in sys.argv
    rows = list(generate(ROWS))
    csv_s = min(time_csv(rows) for _ in range(5))
    xlsx_s = min(time_xlsx(rows) for _ in range(2))
    print(f"clock: {_clock.__name__}")
    print(f"per {ROWS:,} rows: CSV writer {csv_s:.2f} s, XLSX writer {xlsx_s:.2f} s")
    if not quick:
        old = time_openpyxl(rows)
        print(
            f"reference, openpyxl write-only over the same rows: {old:.2f} s "
            f"({old / xlsx_s:.1f}x the XLSX writer)"
        )
    ratio = xlsx_s / csv_s
    print(f"xlsx / csv ratio {ratio:.2f} (limit {LIMIT})")

    mib = 2**20
    sizes = (100_000,) if quick else (100_000, 1_000_000)
    results = {n: memory(n) for n in sizes}
    for n, (growth, peak, seconds) in results.items():
        print(
            f"xlsx {n:>9,} rows: peak RSS {peak / mib:.1f} MiB, +{growth / mib:.1f} MiB while writing, "
            f"{seconds} s"
        )
    if not quick:
        (small_growth, small_peak, _), (large_growth, large_peak, _) = results[100_000], results[1_000_000]
        flat = large_growth <= small_growth * MEMORY_LIMIT + MEMORY_SLACK
        print(
            f"1M vs 100k rows: peak RSS ratio {large_peak / small_peak:.2f}, growth while writing "
            f"+{large_growth / mib:.1f} vs +{small_growth / mib:.1f} MiB (limit {MEMORY_LIMIT}x + "
            f"{MEMORY_SLACK // mib} MiB): {'flat' if flat else 'NOT FLAT'}"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--memory-child":
        memory_child(int(sys.argv[2]))
    else:
        main()
