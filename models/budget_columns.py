"""The budget file layout shared by the budget importer, the template and the budget export.

An exported budget re-imports cleanly: the export writes IMPORT_COLUMNS with READ_ONLY_COLUMNS
among them (EXPORT_COLUMNS: the names beside their codes, the figures after the import columns),
and the importer recognises READ_ONLY_COLUMNS and ignores them.
"""

from __future__ import annotations

SUB_JOB = "Sub Job"
COST_CODE = "Cost Code"
COST_TYPE = "Cost Type"
DESCRIPTION = "Description"
ORIGINAL_BUDGET_AMOUNT = "Original Budget Amount"
QUANTITY = "Quantity"
UNIT_OF_MEASURE = "Unit of Measure"
UNIT_COST = "Unit Cost"

IMPORT_COLUMNS = (
    SUB_JOB,
    COST_CODE,
    COST_TYPE,
    DESCRIPTION,
    ORIGINAL_BUDGET_AMOUNT,
    QUANTITY,
    UNIT_OF_MEASURE,
    UNIT_COST,
)
REQUIRED_COLUMNS = (COST_CODE, COST_TYPE, ORIGINAL_BUDGET_AMOUNT)

# names beside the codes; "Cost Code Description" would be taken for the line's Description
SUB_JOB_NAME = "Sub Job Name"
COST_CODE_NAME = "Cost Code Name"
COST_TYPE_NAME = "Cost Type Name"

BUDGET_MODIFICATIONS = "Budget Modifications"
REVISED_BUDGET = "Revised Budget"
COMMITTED_COSTS = "Committed Costs"
DIRECT_COSTS_JTD = "Direct Costs (JTD)"

READ_ONLY_FIGURES = (BUDGET_MODIFICATIONS, REVISED_BUDGET, COMMITTED_COSTS, DIRECT_COSTS_JTD)
READ_ONLY_COLUMNS = (SUB_JOB_NAME, COST_CODE_NAME, COST_TYPE_NAME, *READ_ONLY_FIGURES)

EXPORT_COLUMNS = (
    SUB_JOB,
    SUB_JOB_NAME,
    COST_CODE,
    COST_CODE_NAME,
    COST_TYPE,
    COST_TYPE_NAME,
    DESCRIPTION,
    ORIGINAL_BUDGET_AMOUNT,
    QUANTITY,
    UNIT_OF_MEASURE,
    UNIT_COST,
    *READ_ONLY_FIGURES,
)
