"""Job-cost load files (ERP job-cost transaction exports) and vendor lists for the import tests."""

from __future__ import annotations

import datetime as dt

from tests import files_common as f

HEADER = [
    "Job",
    "Phase/Extra",
    "Cost Code",
    "Cost Type",
    "Source",
    "Transaction Date",
    "Description",
    "Vendor",
    "Invoice",
    "Amount",
    "Transaction ID",
]
ROWS = [
    ["1001", "", "01-100", "1", "AP Cost", "2026-02-03", "Rebar", "V100", "INV-1", "1,200.00", "T1"],
    [
        "1001",
        "01",
        "2120.000",
        "4",
        "AP Cost (with Commitment)",
        "02/04/2026",
        "Pour",
        "V100",
        "INV-2",
        "5000",
        "T2",
    ],
    ["24-001", "", "01-200", "2", "PR Cost", "46058", "Crew week 6", "V100", "X", "(300.50)", "T3"],
    ["1001", "", "01-100", "M", "JC Cost", "2026-02-06", "Permit fee", "", "", "75.25", "T4"],
]


def good_csv() -> bytes:
    return f.csv_bytes([HEADER, *ROWS])


def typed_rows() -> list[list]:
    return [
        HEADER,
        [1001, "", "01-100", 1, "AP Cost", dt.date(2026, 2, 3), "Rebar", "V100", "INV-1", 1200, "T1"],
        [
            1001,
            "01",
            2120,
            4,
            "AP Cost (with Commitment)",
            dt.date(2026, 2, 4),
            "Pour",
            "V100",
            "INV-2",
            5000,
            "T2",
        ],
        ["24-001", "", "01-200", 2, "PR Cost", dt.date(2026, 2, 5), "Crew week 6", "V100", "X", -300.5, "T3"],
        [1001, "", "01-100", "M", "JC Cost", dt.date(2026, 2, 6), "Permit fee", "", "", 75.25, "T4"],
    ]


# (cost code, type, source type, date, vendor?, invoice, amount)
EXPECTED = [
    ("01-100", "INVOICE", "2026-02-03", True, "INV-1", "1200.00", None),
    ("2120.000", "SUBCONTRACTOR_INVOICE", "2026-02-04", True, "INV-2", "5000.00", "01"),
    ("01-200", "PAYROLL", "2026-02-05", False, None, "-300.50", None),
    ("01-100", "EXPENSE", "2026-02-06", False, None, "75.25", None),
]

UNPLACEABLE = [
    ["9999", "", "01-100", "1", "JC Cost", "2026-02-03", "Other job", "", "", "10", "U1"],
    ["1001", "77", "01-100", "1", "JC Cost", "2026-02-03", "Bad phase", "", "", "11", "U2"],
    ["1001", "", "99-999", "1", "JC Cost", "2026-02-03", "New code", "", "", "12", "U3"],
    ["1001", "", "01-100", "Q", "JC Cost", "2026-02-03", "Odd type", "", "", "13", "U4"],
    ["1001", "", "01-100", "1", "AP Cost", "2026-02-03", "New vendor", "V404", "I9", "14", "U5"],
]

VENDOR_HEADER = ["Vendor Record Number", "Name", "Address", "City", "State", "Zip"]
VENDORS = [
    ["V200", "Bolt Electric", "1 Main St", "Irvine", "CA", "92614"],
    ["V201", "Acme Roofing, Inc.", "2 Oak Ave", "Tustin", "CA", "92780"],
]


def vendors_csv(rows=VENDORS, header=VENDOR_HEADER) -> bytes:
    return f.csv_bytes([header, *rows])
