"""The record-type registry is complete and the only list of record types: every record type has
one entry with a fixed GraphQL name, every ERP it exports to has a mapping table for it, and the
queue, labels and project lookups come from it."""

from __future__ import annotations

from exporters.mapping import mapped_record_types
from models import registry
from models.enums import ErpSystem, RecordType

# The GraphQL type names and global-ID prefixes clients store: changing one breaks stored IDs.
FIXED_TYPE_NAMES = {
    RecordType.PROJECT: "Project",
    RecordType.SUB_JOB: "SubJob",
    RecordType.VENDOR: "Vendor",
    RecordType.COST_CODE: "CostCode",
    RecordType.BUDGET: "Budget",
    RecordType.BUDGET_MODIFICATION: "BudgetModification",
    RecordType.COMMITMENT: "Commitment",
    RecordType.COMMITMENT_CHANGE_ORDER: "CommitmentChangeOrder",
    RecordType.SUBCONTRACTOR_INVOICE: "SubcontractorInvoice",
    RecordType.PRIME_CONTRACT: "PrimeContract",
    RecordType.PRIME_CONTRACT_CHANGE_ORDER: "PrimeContractChangeOrder",
}


def test_every_record_type_has_one_entry_with_its_fixed_name():
    assert {s.record_type: s.type_name for s in registry.REGISTRY} == FIXED_TYPE_NAMES
    for entry in registry.REGISTRY:
        assert entry.record_type == entry.model.RECORD_TYPE
        assert entry.erp.keys() == set(ErpSystem)


def test_every_exported_record_type_has_a_mapping_table_per_erp():
    for system in ErpSystem:
        exported = {
            c.record_type for c in registry.capabilities(system) if c.export_supported and c.record_type
        }
        assert exported <= mapped_record_types(system), system


def test_the_feature_map_lists_record_types_in_registry_order_then_other_features():
    caps = registry.capabilities(ErpSystem.SAGE_300_CRE)
    assert [c.record_type for c in caps[: len(registry.REGISTRY)]] == [
        s.record_type for s in registry.REGISTRY
    ]
    assert [c.feature for c in caps[len(registry.REGISTRY) :]] == [
        "COST_TYPES",
        "JOB_COST_TRANSACTIONS",
        "BILLED_RATE_TRANSACTIONS",
        "VENDOR_INSURANCE",
        "FORECAST_VALUES",
        "PAYMENTS_ISSUED",
        "OWNER_INVOICES",
        "CUSTOM_WBS_SEGMENTS",
    ]


def test_the_queue_filter_does_not_depend_on_declaration_order():
    # a subset in any order selects exactly those types (formerly zipped against the enum order)
    wanted = [RecordType.SUBCONTRACTOR_INVOICE, RecordType.PROJECT]
    assert [s.record_type for s in registry.specs(wanted)] == [
        RecordType.PROJECT,
        RecordType.SUBCONTRACTOR_INVOICE,
    ]


def test_the_accept_input_takes_every_erp_key_the_registry_names():
    from api.mutations.workflow import AcceptItemInput

    fields = {f.python_name for f in AcceptItemInput.__strawberry_definition__.fields}
    assert {typed.attribute for typed in registry.origin_id_fields()} <= fields
    assert [typed.field for typed in registry.origin_id_fields()] == ["erpJobId", "erpVendorId"]


def test_the_global_id_prefix_table_is_fixed():
    """Every ID prefix node(id:) resolves, and what it resolves to. Renaming a model or a GraphQL
    class must not change this table: clients store these IDs."""
    import api.schema  # noqa: F401 - registers every node type
    import models
    from api.relay import NODE_REGISTRY, from_global_id, to_global_id

    assert {prefix: entry.model for prefix, entry in NODE_REGISTRY.items()} == {
        "Project": models.Project,
        "SubJob": models.SubJob,
        "CostCode": models.CostCode,
        "CostType": models.CostType,
        "Vendor": models.Vendor,
        "Budget": models.Budget,
        "BudgetLine": models.BudgetLine,
        "BudgetModification": models.BudgetModification,
        "Commitment": models.Commitment,
        "CommitmentLine": models.CommitmentLine,
        "CommitmentChangeOrder": models.CommitmentChangeOrder,
        "SubcontractorInvoice": models.SubcontractorInvoice,
        "DirectCost": models.DirectCost,
        "PrimeContract": models.PrimeContract,
        "PrimeContractChangeOrder": models.PrimeContractChangeOrder,
        "ErpExport": models.ErpExport,
        "ImportRun": models.ImportRun,
    }
    # an ID a client stored decodes to the same record
    assert from_global_id("Q29tbWl0bWVudDo0Mg==") == ("Commitment", 42)
    assert to_global_id("BudgetLine", 7) == "QnVkZ2V0TGluZTo3"
