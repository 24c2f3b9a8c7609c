"""Sage 100 Contractor file layouts: where each column of an export goes in an import Sage 100
Contractor runs, one table per published import, worded like its publication.

- ``sage100-dis``: the Sage 100 Contractor Data Integration Suite templates EI Dynamics publishes
  (S100CDIS): a file-type code in the first column of every row; field-name templates (APVEND,
  PJBUDGET, PJCC) with a first line naming the columns as in their file examples; column-numbered
  templates (PJSC) with header (H) and detail (D) records and a placeholder in every column.
- ``sage100-native``: Sage 100 Contractor's own window import, where its help documents one
  (6-5 Cost Codes, File > Open, comma-quote ``.qte``).

Values follow the templates' types: Numeric job, vendor and cost division numbers, cost codes
``Numeric (9,3)`` written with three decimals (``3300.000``), cost types 1-9, dates yyyy-mm-dd,
amounts with two decimals. Text is quoted, numbers are not, as in the templates' file examples.
"""

from __future__ import annotations

from collections.abc import Mapping

from exporters.layout import (
    DERIVED,
    HEADER_DETAIL,
    KEEP,
    PIVOT,
    TAG_TYPE,
    WARN,
    Choice,
    Column,
    Date,
    Layout,
    Numeric,
    Omit,
    Pivot,
    Record,
    Source,
    String,
    derived,
)
from models.enums import ErpSystem, FileLayout

S100 = ErpSystem.SAGE_100_CONTRACTOR
DIS = FileLayout.SAGE100_DIS
NATIVE = FileLayout.SAGE100_NATIVE

_EID = "https://eidynamics.com/Software/ProductInfo/S100CDIS/"
_HELP = "https://help-sage100contractor.na.sage.com/Sage100Contractor/US/21_2/Content/Modules/6-Project_Management/"

DIS_VENDORS = Source(
    "EI Dynamics, Sage 100 Contractor Data Integration Suite: 4-4 Vendors", _EID + "Sage100Vendors"
)
DIS_BUDGETS = Source(
    "EI Dynamics, Sage 100 Contractor Data Integration Suite: 6-2 Budgets", _EID + "Sage100Budgets"
)
DIS_COST_CODES = Source(
    "EI Dynamics, Sage 100 Contractor Data Integration Suite: 6-5 Cost Codes", _EID + "Sage100CostCodes"
)
DIS_SUBCONTRACTS = Source(
    "EI Dynamics, Sage 100 Contractor Data Integration Suite: 6-7-1 Subcontracts",
    _EID + "Sage100Subcontracts",
)
HELP_COST_CODES = Source("Sage 100 Contractor help: Importing cost codes", _HELP + "Importing_cost_codes.htm")

JOB_NO = Numeric(label="Numeric")
COST_CODE = Numeric(9, 3)
COST_TYPE = Choice(
    [str(n) for n in range(1, 10)],
    "Numeric 1-9 (1 Material, 2 Labor, 3 Equipment, 4 Subcontract, 5 Other, 6-9 user)",
)
AMOUNT = Numeric(10, 2)
DATE = Date("%Y-%m-%d", "Date yyyy-mm-dd")


def _short_name(row: Mapping[str, str]) -> str:
    return (row.get("Name") or "")[:30].rstrip()


VENDOR = Layout(
    DIS,
    S100,
    "AP Vendor",
    "APVEND (4-4 Vendors)",
    DIS_VENDORS,
    records=(
        Record(
            "row",
            (
                Column("filetype", "File Type Code", TAG_TYPE, const="APVEND"),
                Column("recnum", "Vendor No", JOB_NO, "Vendor Record Number", required=True),
                Column("vndnme", "Vendor Name", String(75), "Name", required=True),
                Column(
                    "shtnme",
                    "Vendor Short Name",
                    String(30),
                    derive=derived(["Name"], _short_name),
                    rule="the name's first 30 characters: Sage's short name is a lookup label it needs for a "
                    "new vendor, CostBridge keeps none, and the whole name is in vndnme",
                ),
                Column("addrs1", "Vendor Addr 1", String(50), "Address"),
                Column("ctynme", "Vendor City", String(50), "City"),
                Column("state_", "Vendor State", String(2), "State"),
                Column("zipcde", "Vendor Zip", String(10), "Zip"),
            ),
        ),
    ),
    header_row=True,
    notes=("The template's other columns (vendor type, owner, user fields, 1099, terms, ...) are left out.",),
)

_TYPE_COLUMNS = {
    "1": ("matbdg", "Material"),
    "2": ("labbdg", "Labor"),
    "3": ("eqpbdg", "Equipment"),
    "4": ("subbdg", "Subcontract"),
    "5": ("othbdg", "Other"),
    "6": ("usrcs6", "User Def 6"),
    "7": ("usrcs7", "User Def 7"),
    "8": ("usrcs8", "User Def 8"),
    "9": ("usrcs9", "User Def 9"),
}
_BUDGET_PIVOT = Pivot(
    key=("Job", "Cost Code"),
    by="Cost Type",
    amount="Budget Amount",
    columns={ctype: name for ctype, (name, _) in _TYPE_COLUMNS.items()},
)

BUDGET = Layout(
    DIS,
    S100,
    "Budget",
    "PJBUDGET (6-2 Budgets)",
    DIS_BUDGETS,
    records=(
        Record(
            "row",
            (
                Column("filetype", "File Type Code", TAG_TYPE, const="PJBUDGET"),
                Column(
                    "lckedt",
                    "Lock Edit (1=Yes;0=No)",
                    Numeric(),
                    const="0",
                    rule="0, as in the template's file example: the accountant locks the budget in Sage",
                ),
                Column(
                    "setbdgt",
                    "Set Budget (1=Yes;0=No)",
                    Numeric(),
                    const="0",
                    rule="0, as in the template's file example: the accountant sets the original budget "
                    "in Sage",
                ),
                Column("recnum", "Job No", JOB_NO, "Job", required=True),
                Column(
                    "phsnum",
                    "Phase No",
                    Numeric(),
                    rule="empty: when Sage 100 phases are used, budgets come from Sage (BUDGET_OWNED_BY_ERP)",
                ),
                Column("cstcde", "Cost Code", COST_CODE, "Cost Code", required=True),
                *(
                    Column(
                        name,
                        meaning,
                        AMOUNT,
                        _BUDGET_PIVOT.slot(ctype),
                        rule=f"the sum of the Budget Amounts of the code's lines with cost type {ctype}",
                    )
                    for ctype, (name, meaning) in _TYPE_COLUMNS.items()
                ),
            ),
        ),
    ),
    shape=PIVOT,
    pivot=_BUDGET_PIVOT,
    header_row=True,
    notes=(
        "One row per job and cost code: each line's Budget Amount in the column of its cost type (1-5 "
        "matbdg, labbdg, eqpbdg, subbdg, othbdg; 6-9 the user-defined usrcs6-usrcs9), so the file's "
        "amounts add up to the budget's total to the cent. A cost type without a line leaves its column "
        "empty; a $0 line writes 0.00.",
        "The template's hrsbdg, estunt, usrdf1 and ntetxt columns are left out (CostBridge's Sage 100 "
        "budget export carries amounts only).",
    ),
)

COST_CODE_DIS = Layout(
    DIS,
    S100,
    "Cost Code",
    "PJCC (6-5 Cost Codes)",
    DIS_COST_CODES,
    records=(
        Record(
            "row",
            (
                Column("filetype", "File Type Code", TAG_TYPE, const="PJCC"),
                Column("recnum", "Cost Code", COST_CODE, "Cost Code", required=True),
                Column("cdenme", "Cost Code Name", String(50), "Description", required=True),
                Column("divnum", "Division", Numeric(), "Division", required=True),
            ),
        ),
    ),
    header_row=True,
    notes=(
        "The division must exist in Sage's cost divisions (6-5 > Cost Divisions) before the import.",
        "The template's untdsc, cmpcde, maxwge, cmpcd2, dptnum, ntetxt and inactv columns are left out.",
    ),
)

_NO_VALUE = "empty placeholder: CostBridge's subcontract export has no such value"
_SC_HEADER_PLACEHOLDERS = (
    ("COL8", "Job Phase No", Numeric()),
    ("COL9", "Cost Division", Numeric()),
    ("COL10", "User Def 1", String(50)),
    ("COL11", "User Def 2", String(50)),
    ("COL12", "Status (1-Bid;2-Refused;3-Contract;4-Current;5-Complete;6-Closed)", Numeric()),
    ("COL13", "Type", Numeric()),
    ("COL14", "Approved Date", DATE),
    ("COL15", "Sched Start Date", DATE),
    ("COL16", "Sched End Date", DATE),
    ("COL17", "Actual Start Date", DATE),
    ("COL18", "Subst Complete Date", DATE),
    ("COL19", "Actual Finish Date", DATE),
    ("COL20", "Retention", AMOUNT),
    ("COL21", "Bid Bond", AMOUNT),
    ("COL22", "Perf. Bond", AMOUNT),
    ("COL23", "Hot List (1=Yes;0=No)", Numeric()),
    ("COL24", "Hold Payment (1=Yes;0=No)", Numeric()),
    ("COL25", "Lock Edit (1=Yes;0=No)", Numeric()),
    ("COL26", "Notes", String(None)),
)

SUBCONTRACT = Layout(
    DIS,
    S100,
    "Subcontract",
    "PJSC (6-7-1 Subcontracts)",
    DIS_SUBCONTRACTS,
    records=(
        Record(
            "H (header)",
            (
                Column("COL1", "File Type Code", TAG_TYPE, const="PJSC"),
                Column("COL2", "Header Record", TAG_TYPE, const="H"),
                Column("COL3", "Contract No", String(20), "Subcontract #", required=True),
                Column("COL4", "Subcontract Date", DATE, "Subcontract Date", required=True),
                Column("COL5", "Vendor", JOB_NO, "Vendor", required=True),
                Column("COL6", "Job No", JOB_NO, "Job", required=True),
                Column("COL7", "Subcontract Description", String(50), "Description", required=True),
                *(
                    Column(
                        name,
                        meaning,
                        kind,
                        rule="empty placeholder: CostBridge's subcontract export has no such value",
                    )
                    for name, meaning, kind in _SC_HEADER_PLACEHOLDERS
                ),
            ),
        ),
        Record(
            "D (detail)",
            (
                Column("COL1", "File Type Code", TAG_TYPE, const="PJSC"),
                Column("COL2", "Detail Record", TAG_TYPE, const="D"),
                Column("COL3", "Contract No (same as header)", String(20), "Subcontract #", required=True),
                Column("COL4", "Line Description", String(50), "Line Description", required=True),
                Column("COL5", "Cost Code", COST_CODE, "Cost Code", required=True),
                Column("COL6", "Cost Type", COST_TYPE, "Cost Type", required=True),
                Column(
                    "COL7",
                    "Amount",
                    AMOUNT,
                    "Amount",
                    published=False,
                    rule="not in the published pages read (the detail record's columns after COL6 could "
                    "not be read): CostBridge writes the line amount here so no money is lost; check the "
                    "column against the template before the first import",
                ),
            ),
        ),
    ),
    shape=HEADER_DETAIL,
    omits=(
        Omit("Original Subcontract", DERIVED, "it is the sum of the detail records' amounts"),
        Omit("Qty", WARN, "quantities are informational; the line amount books"),
        Omit("Price", WARN, "unit prices are informational; the line amount books"),
    ),
    notes=(
        "Each subcontract is one H record followed by its D records, in line order; every column has a "
        "placeholder, as the template asks.",
        "A company default of sage100-dis leaves subcontracts on the named layout: the D record's amount "
        "column is not confirmed by the publication, so choose it for Subcontract files explicitly.",
    ),
)

COST_CODE_NATIVE = Layout(
    NATIVE,
    S100,
    "Cost Code",
    "6-5 Cost Codes import (File > Open, comma-quote)",
    HELP_COST_CODES,
    records=(
        Record(
            "row",
            (
                Column(
                    "Cost Code#",
                    "Cost Code#",
                    COST_CODE,
                    "Cost Code",
                    required=True,
                    rule="type as the Data Integration Suite's PJCC recnum gives it for the same Sage field; "
                    "Sage's knowledge base: a cost code number cannot begin with a zero",
                ),
                Column(
                    "Description",
                    "Description",
                    String(50),
                    "Description",
                    rule="length as the Data Integration Suite's PJCC cdenme gives it for the same Sage "
                    "field",
                ),
                Column("Unit", "Unit", KEEP, rule="Sage's placeholder: keeps what Sage has"),
                Column("Division", "Division", Numeric(), "Division", required=True),
                Column("Comp Code1", "Comp Code1", KEEP, rule="Sage's placeholder: keeps what Sage has"),
                Column("Wage Max", "Wage Max", KEEP, rule="Sage's placeholder: keeps what Sage has"),
                Column("Comp Code2", "Comp Code2", KEEP, rule="Sage's placeholder: keeps what Sage has"),
                Column("Department", "Department", KEEP, rule="Sage's placeholder: keeps what Sage has"),
            ),
        ),
    ),
    extension="qte",
    notes=(
        "No header line: Sage reads every line as a cost code, in the order Cost Code#, Description, Unit, "
        "Division, Comp Code1, Wage Max, Comp Code2, Department. Columns CostBridge has no value for carry "
        'the placeholder " " that Sage\'s help gives for leaving a column as it is.',
        "Cost divisions are imported first, from their own window (Division#, Description); CostBridge "
        "keeps no division records (a code's division is its first section, with no description), so it "
        "writes no division file: the divisions must exist in Sage.",
        "Imported cost codes overwrite existing ones with the same number (Sage's help).",
    ),
)

LAYOUTS = (VENDOR, BUDGET, COST_CODE_DIS, SUBCONTRACT, COST_CODE_NATIVE)

# Sage 100 entities that keep the named layout, and why (docs/workflow.md shows these).
NAMED_ONLY = {
    "Job": "the Data Integration Suite's ARJOB template holds the job, but the job export also carries "
    "its shell budget (cost codes and types), which is a second template (PJBUDGET) and so a second "
    "file, while an export is delivered in exactly one file",
    "Budget Change Order": "the PJCO template's budget and sub change detail record is not in the "
    "published pages read (only its header and prime change records are)",
    "Purchase Order": "the PJPO template's header is published, its detail (line) record is not in the "
    "published pages read",
    "Subcontract Change Order": "the PJCO template's budget and sub change detail record is not in the "
    "published pages read",
    "Purchase Order Change Order": "the PJPO template's detail record is not in the published pages read",
    "AP Invoice": "the APINV template's header is published (Invoice No String (20), Vendor No, ...), its "
    "distribution record is not in the published pages read",
}
