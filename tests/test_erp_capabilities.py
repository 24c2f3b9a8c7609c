"""The `erp` capability matrix lists every feature row of both ERPs' feature maps, supported or not,
as the seeds say, and docs/workflow.md shows the same table."""

from __future__ import annotations

from pathlib import Path

from models import registry
from models.enums import ErpSystem

S100, S300 = ErpSystem.SAGE_100_CONTRACTOR, ErpSystem.SAGE_300_CRE

# Written from the seeds: "About Procore + Sage 100 Contractor" and "About the Procore + Sage 300 CRE
# Connector" (feature set maps, footnotes, supported and unsupported features).
# feature -> {ERP: (exported to it, imported from it)}
SEEDS: dict[str, dict[ErpSystem, tuple[bool, bool]]] = {
    # PROJECTS <-> JOBS (both)
    "PROJECT": {S100: (True, True), S300: (True, True)},
    # SUB JOBS <- PHASES (Sage 100, import only); SUB JOBS <-> EXTRAS (Sage 300)
    "SUB_JOB": {S100: (False, True), S300: (True, True)},
    # COMPANIES <-> AP VENDORS
    "VENDOR": {S100: (True, True), S300: (True, True)},
    # COST CODES travel with jobs both ways (Sage 100); STANDARD COST CODES (JC) import only (Sage 300,
    # "New cost codes must be created in your ERP system")
    "COST_CODE": {S100: (True, True), S300: (False, True)},
    # BUDGET <-> BUDGET; BUDGETS <-> ESTIMATE (JC)
    "BUDGET": {S100: (True, True), S300: (True, True)},
    # budget changes exports (Sage 100 footnote 2); BUDGET CHANGES -> APPROVED ESTIMATE CHANGES (JC)
    "BUDGET_MODIFICATION": {S100: (True, False), S300: (True, False)},
    # COMMITMENTS -> (export only; "Import commitments ... to a Procore project" unsupported)
    "COMMITMENT": {S100: (True, False), S300: (True, False)},
    "COMMITMENT_CHANGE_ORDER": {S100: (True, False), S300: (True, False)},
    # SUBCONTRACTOR INVOICES -> AP INVOICES
    "SUBCONTRACTOR_INVOICE": {S100: (True, False), S300: (True, False)},
    # PRIME CONTRACT <- CONTRACTS (CN) (Sage 300); "Prime Contract sync" unsupported (Sage 100)
    "PRIME_CONTRACT": {S100: (False, False), S300: (False, True)},
    # PCCOs -> PRIME CONTRACT CHANGE ORDERS (Sage 300); "Owner Change Orders sync" unsupported (Sage 100)
    "PRIME_CONTRACT_CHANGE_ORDER": {S100: (False, False), S300: (True, False)},
    # COST TYPES <-> COST TYPES with jobs (Sage 100); STANDARD CATEGORIES import (Sage 300)
    "COST_TYPES": {S100: (True, True), S300: (False, True)},
    # JOB COSTS / DIRECT COSTS <- COSTS, JOB COST TRANSACTIONS / JOB COSTS TRANSACTION DETAILS
    "JOB_COST_TRANSACTIONS": {S100: (False, True), S300: (False, True)},
    # JOB COSTS BILLED RATE TRANSACTIONS <- (Sage 300 only)
    "BILLED_RATE_TRANSACTIONS": {S100: (False, False), S300: (False, True)},
    # COMPANY INSURANCE <- VENDOR INSURANCE (AP) (Sage 300); managed in Sage 100 ("must be managed and
    # updated in Sage 100 Contractor")
    "VENDOR_INSURANCE": {S100: (False, False), S300: (False, True)},
    # COST FORECAST DATA -> (Sage 300 only)
    "FORECAST_VALUES": {S100: (False, False), S300: (True, False)},
    # PROCORE PAY - PAYMENTS ISSUED -> INVOICE CODE 1 & 2: Sage 300, limited availability, a payments
    # product of its own; CostBridge carries no payments, so it lists the row as not supported
    "PAYMENTS_ISSUED": {S100: (False, False), S300: (False, False)},
    # "Integrated owner invoices and related payments" unsupported (both)
    "OWNER_INVOICES": {S100: (False, False), S300: (False, False)},
    # "Custom WBS Segments are NOT supported" (both)
    "CUSTOM_WBS_SEGMENTS": {S100: (False, False), S300: (False, False)},
}


def test_the_matrix_is_the_seeds_feature_maps():
    for system in ErpSystem:
        caps = {c.feature: (c.export_supported, c.import_supported) for c in registry.capabilities(system)}
        assert caps == {feature: flags[system] for feature, flags in SEEDS.items()}, system
        assert all(c.erp_name and c.notes for c in registry.capabilities(system)), system


def test_the_docs_show_the_same_table():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "workflow.md").read_text()
    rows = {}
    for line in docs.splitlines():
        if line.startswith("| `") and line.count("|") == 4:
            feature, s100, s300 = (cell.strip() for cell in line.strip("|").split("|"))
            rows[feature.strip("`")] = (s100, s300)

    def flags(cell: str) -> tuple[bool, bool]:
        export, _, rest = cell.partition(" / ")
        return export == "yes", rest.split(" ")[0] == "yes"

    for feature, by_erp in SEEDS.items():
        s100, s300 = rows[feature]
        assert (flags(s100), flags(s300)) == (by_erp[S100], by_erp[S300]), feature
