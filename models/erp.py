"""The configured ERP: what each ERP system supports beyond the record types (the seeds' feature
maps), the ERP names, and the ERP settings a company administrator changes.

What each ERP does with each syncable record type is part of that type's entry in
``models.registry``; ``registry.capabilities(system)`` returns the whole feature map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from models.company import CompanySettings, get_settings
from models.enums import Country, ErpSystem, RecordType
from models.errors import DomainError, ErrorCode
from models.export_root import resolve_export_folder
from models.inputs import given
from models.policy import ERP_SETTINGS, Actor, require
from models.wbs import apply_division_rule


@dataclass(frozen=True)
class ErpSupport:
    """What one ERP does with one kind of record, worded as the seeds' feature maps word it."""

    erp_name: str  # what the ERP calls it
    export_supported: bool
    import_supported: bool
    notes: str = ""


@dataclass(frozen=True)
class Capability:
    feature: str  # a record type name, or a feature that is not a record (FORECAST_VALUES, ...)
    record_type: RecordType | None
    erp_name: str
    export_supported: bool
    import_supported: bool
    notes: str = ""


_S100 = ErpSystem.SAGE_100_CONTRACTOR
_S300 = ErpSystem.SAGE_300_CRE

ERP_NAMES = {_S100: "Sage 100 Contractor", _S300: "Sage 300 CRE"}

# Features that are not syncable records, listed after the record types in the feature map.
OTHER_FEATURES: dict[ErpSystem, tuple[Capability, ...]] = {
    _S100: (
        Capability(
            "JOB_COST_TRANSACTIONS",
            None,
            "Job cost transactions (6-3, 4-2, 5-2)",
            False,
            True,
            "Import only (project and budget must be synced).",
        ),
        Capability(
            "FORECAST_VALUES",
            None,
            "Cost forecast data",
            False,
            False,
            "Estimated cost at completion and forecast to complete are exported to Sage 300 CRE only.",
        ),
        Capability("PRIME_CONTRACT", None, "Prime contract", False, False, "Out of scope for now."),
    ),
    _S300: (
        Capability(
            "JOB_COST_TRANSACTIONS", None, "Job cost transaction details", False, True, "Import only."
        ),
        Capability(
            "FORECAST_VALUES",
            None,
            "Cost forecast data",
            True,
            False,
            "Estimated Cost at Completion and Forecast to Complete export with the estimate.",
        ),
        Capability(
            "PRIME_CONTRACT",
            None,
            "Contracts (CN)",
            False,
            False,
            "Out of scope for now: CostBridge has no prime contracts.",
        ),
    ),
}

OUT_OF_SCOPE = (
    "Prime contracts and prime contract change orders (PCCOs) are out of scope for now.",
    "Owner invoices and payments are not integrated.",
    "Custom WBS segments are not supported.",
)


def feature(system: ErpSystem, name: str) -> Capability:
    """A feature that is not a record type (JOB_COST_TRANSACTIONS, FORECAST_VALUES, ...)."""
    for cap in OTHER_FEATURES[ErpSystem(system)]:
        if cap.feature == name:
            return cap
    raise KeyError(name)


# --- settings ------------------------------------------------------------------------------------


SETTING_FIELDS = {
    "erp_system": "erpSystem",
    "country": "country",
    "uses_phases": "usesPhases",
    "export_folder": "exportFolder",
    "export_interval_seconds": "exportIntervalSeconds",
    "cost_division_rule": "costDivisionRule",
    "cost_division_length": "costDivisionLength",
}


def update_erp_settings(session: Session, actor: Actor, **values: Any) -> CompanySettings:
    """Change the ERP configuration (ADMIN on ERP Integrations): the settings named in ``values``
    (``erp_system``, ``country``, ``uses_phases``, ``export_folder``, ``export_interval_seconds``,
    ``cost_division_rule``, ``cost_division_length``); none of them can be cleared. Open exports
    keep the ERP system they were mapped for. A new division rule recomputes every cost code's
    division."""
    require(actor, ERP_SETTINGS, "Changing the ERP settings")
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise TypeError(f"not ERP settings: {sorted(unknown)}")
    for field, camel in SETTING_FIELDS.items():
        given(values, field, camel, clearable=False)
    settings = get_settings(session)
    if "export_folder" in values:
        folder = str(values["export_folder"]).strip()
        if not folder:
            raise DomainError(ErrorCode.REQUIRED, "The export folder cannot be empty", "exportFolder")
        if len(folder) > 500:
            raise DomainError(ErrorCode.INVALID_VALUE, "The export folder path is too long", "exportFolder")
        resolve_export_folder(folder)
        settings.export_folder = folder
    if "export_interval_seconds" in values:
        interval = int(values["export_interval_seconds"])
        if interval < 0 or interval > 7 * 24 * 3600:
            raise DomainError(
                ErrorCode.INVALID_VALUE,
                "The export interval must be between 0 (on demand) and 604800 seconds",
                "exportIntervalSeconds",
            )
        settings.export_interval_seconds = interval
    if "erp_system" in values:
        settings.erp_system = ErpSystem(values["erp_system"])
    if "country" in values:
        settings.country = Country(values["country"])
    if "uses_phases" in values:
        settings.uses_phases = bool(values["uses_phases"])
    if settings.erp_system == ErpSystem.SAGE_300_CRE and settings.uses_phases:
        # phases are a Sage 100 Contractor notion; Sage 300 CRE has extras, which sync both ways
        if values.get("uses_phases"):
            raise DomainError(
                ErrorCode.INVALID_VALUE, "Phases are a Sage 100 Contractor setting", "usesPhases"
            )
        settings.uses_phases = False
    if "cost_division_rule" in values or "cost_division_length" in values:
        apply_division_rule(
            session, actor, settings, values.get("cost_division_rule"), values.get("cost_division_length")
        )
    session.flush()
    return settings
