"""The configured ERP: what each ERP system supports beyond the record types (the seeds' feature
maps), the ERP names, and the ERP settings a company administrator changes.

What each ERP does with each syncable record type is part of that type's entry in
``models.registry``; ``registry.capabilities(system)`` returns the whole feature map.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from models.company import CompanySettings, get_settings
from models.enums import Country, ErpSystem, FileLayout, RecordType
from models.errors import DomainError, ErrorCode
from models.inputs import given
from models.policy import ERP_SETTINGS, Actor, require


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
    "file_layout": "fileLayout",
    "file_layouts": "fileLayouts",
}

# the key of a system's default layout in ``CompanySettings.file_layouts``
DEFAULT_LAYOUT = "*"

# per ERP entity, the layouts the exporters offer for it (``exporters.layouts.available``)
LayoutCatalogue = Callable[[ErpSystem], Mapping[str, Collection[FileLayout]]]


def file_layout_choices(settings: CompanySettings, system: ErpSystem) -> dict[str, FileLayout]:
    """The layouts chosen for ``system``: the default under ``DEFAULT_LAYOUT``, then per entity."""
    chosen = (settings.file_layouts or {}).get(ErpSystem(system).value, {})
    return {key: FileLayout(value) for key, value in chosen.items()}


def update_erp_settings(
    session: Session, actor: Actor, *, layouts: LayoutCatalogue | None = None, **values: Any
) -> CompanySettings:
    """Change the ERP configuration (ADMIN on ERP Integrations): the settings named in ``values``
    (``erp_system``, ``country``, ``uses_phases``, ``export_folder``, ``export_interval_seconds``,
    ``file_layout``, ``file_layouts``); none of them can be cleared. Open exports keep the ERP
    system they were mapped for.

    ``file_layout`` is the file connector's default layout for the configured ERP (after an
    ``erp_system`` change in the same call); ``file_layouts`` a sequence of (ERP entity, layout or
    None) pairs, None returning the entity to the default. Both are checked against ``layouts``
    (the exporters' catalogue), which they need."""
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
    if "file_layout" in values or "file_layouts" in values:
        if layouts is None:
            raise TypeError("file layouts are checked against the exporters' layout catalogue")
        _set_file_layouts(settings, layouts, values.get("file_layout"), values.get("file_layouts") or ())
    session.flush()
    return settings


def _set_file_layouts(
    settings: CompanySettings,
    layouts: LayoutCatalogue,
    default: Any,
    per_entity: Sequence[tuple[str, Any]],
) -> None:
    system = ErpSystem(settings.erp_system)
    offered = layouts(system)
    chosen = {key: value.value for key, value in file_layout_choices(settings, system).items()}
    if default is not None:
        layout = FileLayout(default)
        if not any(layout in options for options in offered.values()):
            raise DomainError(
                ErrorCode.INVALID_VALUE,
                f"The {layout.value} layout is not one of {ERP_NAMES[system]}'s file layouts",
                "fileLayout",
            )
        chosen[DEFAULT_LAYOUT] = layout.value
    for entity, value in per_entity:
        if entity not in offered:
            raise DomainError(
                ErrorCode.INVALID_VALUE,
                f"{ERP_NAMES[system]} has no export entity {entity!r} (one of: {', '.join(sorted(offered))})",
                "fileLayouts",
            )
        if value is None:
            chosen.pop(entity, None)
            continue
        layout = FileLayout(value)
        if layout not in offered[entity]:
            names = ", ".join(sorted(option.value for option in offered[entity]))
            raise DomainError(
                ErrorCode.INVALID_VALUE,
                f"{ERP_NAMES[system]} {entity} files have no {layout.value} layout (available: {names})",
                "fileLayouts",
            )
        chosen[entity] = layout.value
    # a new dict, so the JSON column sees the change
    settings.file_layouts = {**(settings.file_layouts or {}), system.value: chosen}
