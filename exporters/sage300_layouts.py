"""Sage 300 CRE file layouts: where each column of an export goes in an import Sage 300 CRE runs.

- ``sage300-estimating``: the job cost transaction file Sage 300 CRE Job Cost imports as estimates
  (Job Cost > Import Estimates), one category record ("C") per estimate line, as Sage Estimating's
  help publishes it. The record has no job column: the job is chosen when the file is imported, so
  the connector writes one file per job, the Job ID in its name.
"""

from __future__ import annotations

from exporters.layout import (
    BLOCK,
    FILE_DATE,
    Column,
    Date,
    Layout,
    Omit,
    Record,
    Signed,
    Source,
    String,
)
from models.enums import ErpSystem, FileLayout

S300 = ErpSystem.SAGE_300_CRE

ESTIMATING_CATEGORY = Source(
    "Sage Estimating help: Category record for Sage 300 Construction and Real Estate",
    "https://help-sageestimating.na.sage.com/en-us/23_1/Content/300CRE_Integration/Sage300_category_transaction.htm",
)

_SIGNED = Signed(8, 2, "8.2 signed")
_UNDESCRIBED = "(not described)"
_AS_EXAMPLE = 'empty, as in the publication\'s example (bare for fields 9-10, "" for 11-12)'

ESTIMATE = Layout(
    FileLayout.SAGE300_ESTIMATING,
    S300,
    "Estimate",
    "JC estimate import, category record (C)",
    ESTIMATING_CATEGORY,
    records=(
        Record(
            "C (category)",
            (
                Column("1", "Type of record (C)", String(1), const="C"),
                Column("2", "Job cost phase code", String(15), "Cost Code", required=True),
                Column("3", "Phase description", String(30), "Description"),
                Column("4", "Job cost category", String(3), "Category", required=True),
                Column(
                    "5",
                    "Date of file generation (mmddyyyy)",
                    Date("%m%d%Y", "mmddyyyy", quoted=False),
                    FILE_DATE,
                    rule="the file's date (the connector run that writes it)",
                ),
                Column("6", "Item quantity", _SIGNED, "Units"),
                Column("7", "Unit description", String(4), "Unit of Measure"),
                Column("8", "Amount", _SIGNED, "Amount"),
                *(Column(n, _UNDESCRIBED, Signed(8, 2, "empty"), rule=_AS_EXAMPLE) for n in ("9", "10")),
                *(Column(n, _UNDESCRIBED, String(None, "empty"), rule=_AS_EXAMPLE) for n in ("11", "12")),
            ),
        ),
    ),
    file_per="Job",
    omits=(
        Omit("Extra", BLOCK, "the category record has no extra column"),
        Omit("Estimated Cost at Completion", BLOCK, "the category record has no forecast columns"),
        Omit("Forecast to Complete", BLOCK, "the category record has no forecast columns"),
    ),
    notes=(
        "One file per job (the record has no job column; pick the job when importing: the Job ID is in the "
        "file's name). One C record per estimate line, in line order.",
        '"8.2 signed" is read as up to 8 digits before the decimal point and 2 after; a value with more '
        "decimals is refused, never rounded.",
        "Sage's import stops on categories that are not standard categories, and creates a job that does "
        "not exist yet (Sage knowledge base, Job Cost estimate import).",
    ),
)

LAYOUTS = (ESTIMATE,)

# Sage 300 CRE entities that keep the named layout, and why (docs/workflow.md shows these).
NAMED_ONLY = {
    "Job": "no published job import layout was found",
    "Extra": "no published extra import layout was found",
    "AP Vendor": "no published vendor import layout was found",
    "Standard Cost Code": "standard cost codes are not exported (they come from Sage 300 CRE)",
    "Approved Estimate Change": "the estimate import can post approved estimate changes (an import "
    "option), but its record needs the change order number, which the published category record does "
    "not carry",
    "Commitment": "no published Contracts (commitment) import layout was found",
    "Commitment Change Order": "no published commitment change order import layout was found",
    "AP Invoice": "Sage's knowledge base publishes the AP invoice import formats (API/APD variable, "
    "following each company's AP Settings; APIF/APDF fixed), but only the invoice record's first fields "
    "were readable, not the distribution record",
    "Contract": "prime contracts are not exported: they come from Sage 300 CRE (CN Contracts) into "
    "CostBridge",
    "Prime Contract Change Order": "no published Contracts (CN) change order import layout was found",
}
