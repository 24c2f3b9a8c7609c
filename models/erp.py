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

# Features that are not syncable records, listed after the record types in the feature map: every
# other row of the seeds' feature maps ("About the Procore + Sage 100 Contractor / Sage 300 CRE
# Connector") and of their unsupported-features lists, each as supported or not.
OTHER_FEATURES: dict[ErpSystem, tuple[Capability, ...]] = {
    _S100: (
        Capability(
            "COST_TYPES",
            None,
            "Cost Types",
            True,
            True,
            "Cost types travel with the job's cost codes both ways; they are mandatory and come from the "
            "standard list (1 Material .. 5 Other, 6-9 user).",
        ),
        Capability(
            "JOB_COST_TRANSACTIONS",
            None,
            "Costs: committed costs (invoiced), JTD cost, job cost transactions (1-3, 4-2, 5-2)",
            False,
            True,
            "Import only (project and budget must be synced); they are the budget's direct costs.",
        ),
        Capability(
            "BILLED_RATE_TRANSACTIONS",
            None,
            "Billed rate transactions",
            False,
            False,
            "Not in the Sage 100 Contractor feature map.",
        ),
        Capability(
            "VENDOR_INSURANCE",
            None,
            "Vendor insurance",
            False,
            False,
            "Insurance information is managed and updated in Sage 100 Contractor.",
        ),
        Capability(
            "FORECAST_VALUES",
            None,
            "Cost forecast data",
            False,
            False,
            "Estimated cost at completion and forecast to complete are exported to Sage 300 CRE only.",
        ),
        Capability(
            "PAYMENTS_ISSUED",
            None,
            "Payments issued",
            False,
            False,
            "Not in the Sage 100 Contractor feature map.",
        ),
        Capability(
            "OWNER_INVOICES",
            None,
            "Owner invoices and payments",
            False,
            False,
            "Integrated owner invoices and related payments are not supported.",
        ),
        Capability(
            "CUSTOM_WBS_SEGMENTS",
            None,
            "Custom WBS segments",
            False,
            False,
            "Custom WBS segments are not supported.",
        ),
    ),
    _S300: (
        Capability(
            "COST_TYPES",
            None,
            "Standard Categories (JC)",
            False,
            True,
            "Import only: categories must be used, from the standard category list kept in Sage 300 CRE.",
        ),
        Capability(
            "JOB_COST_TRANSACTIONS",
            None,
            "Job Costs Transaction Details",
            False,
            True,
            "Import only; they are the budget's direct costs.",
        ),
        Capability(
            "BILLED_RATE_TRANSACTIONS",
            None,
            "Job Costs Billed Rate Transactions",
            False,
            True,
            "Import only, with the job-cost load; requires transactions generated from Work-In-Progress "
            "(WIP) in the Sage Billing module.",
        ),
        Capability(
            "VENDOR_INSURANCE",
            None,
            "Vendor Insurance (AP)",
            False,
            True,
            "Import only, with the AP vendor list (policy type and expiration).",
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
            "PAYMENTS_ISSUED",
            None,
            "Invoice Code 1 & 2",
            False,
            False,
            "Payments issued through Procore Pay go to Sage 300 CRE only where that payments product is "
            "available (limited availability, United States); CostBridge issues no payments.",
        ),
        Capability(
            "OWNER_INVOICES",
            None,
            "Owner invoices and payments",
            False,
            False,
            "Integrated owner invoices and related payments are not supported.",
        ),
        Capability(
            "CUSTOM_WBS_SEGMENTS",
            None,
            "Custom WBS segments",
            False,
            False,
            "Custom WBS segments are not supported.",
        ),
    ),
}

OUT_OF_SCOPE = (
    "Owner invoices and payments are not integrated.",
    "Custom WBS segments are not supported.",
    "Payments issued (Procore Pay) are not part of CostBridge.",
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
    "direct_exports": "directExports",
    "digest_enabled": "digestEnabled",
    "digest_hour_utc": "digestHourUtc",
    "smtp_security": "smtpSecurity",
}
# mail settings that may be cleared (null): the environment or nothing then applies
CLEARABLE_FIELDS = {
    "smtp_host": ("smtpHost", 255),
    "smtp_username": ("smtpUsername", 254),
    "mail_sender": ("mailSender", 254),
    "smtp_port": ("smtpPort", 0),
}
SMTP_SECURITY = ("NONE", "STARTTLS", "SSL")


def _set_mail_settings(settings: CompanySettings, values: dict[str, Any]) -> None:
    for name, (camel, max_len) in CLEARABLE_FIELDS.items():
        if name not in values:
            continue
        value = values[name]
        if name == "smtp_port":
            if value is not None and not 0 < int(value) < 65536:
                raise DomainError(ErrorCode.INVALID_VALUE, "The SMTP port must be 1 to 65535", camel)
            settings.smtp_port = None if value is None else int(value)
            continue
        text = (value or "").strip() or None
        if text is not None and len(text) > max_len:
            raise DomainError(ErrorCode.INVALID_VALUE, f"{camel} is longer than {max_len} characters", camel)
        if name == "mail_sender" and text is not None and "@" not in text:
            raise DomainError(ErrorCode.INVALID_VALUE, f"'{text}' is not an e-mail address", camel)
        setattr(settings, name, text)
    if "smtp_security" in values:
        security = str(values["smtp_security"]).strip().upper()
        if security not in SMTP_SECURITY:
            raise DomainError(
                ErrorCode.INVALID_VALUE, f"smtpSecurity is one of {', '.join(SMTP_SECURITY)}", "smtpSecurity"
            )
        settings.smtp_security = security
    if "digest_hour_utc" in values:
        hour = int(values["digest_hour_utc"])
        if not 0 <= hour <= 23:
            raise DomainError(ErrorCode.INVALID_VALUE, "The digest hour is 0 to 23 (UTC)", "digestHourUtc")
        settings.digest_hour_utc = hour
    if "digest_enabled" in values:
        settings.digest_enabled = bool(values["digest_enabled"])


def update_erp_settings(session: Session, actor: Actor, **values: Any) -> CompanySettings:
    """Change the ERP configuration (ADMIN on ERP Integrations): the settings named in ``values``
    (``erp_system``, ``country``, ``uses_phases``, ``export_folder``, ``export_interval_seconds``,
    ``cost_division_rule``, ``cost_division_length``, ``direct_exports``, and the digest e-mail:
    ``digest_enabled``, ``digest_hour_utc``, ``smtp_host``, ``smtp_port``, ``smtp_security``,
    ``smtp_username``, ``mail_sender``); only the mail server settings can be cleared. Open exports
    keep the ERP system they were mapped for; turning direct exports on or off changes what later
    sends do, never what is already sent. A new division rule recomputes every cost code's
    division."""
    require(actor, ERP_SETTINGS, "Changing the ERP settings")
    unknown = set(values) - set(SETTING_FIELDS) - set(CLEARABLE_FIELDS)
    if unknown:
        raise TypeError(f"not ERP settings: {sorted(unknown)}")
    for field, camel in SETTING_FIELDS.items():
        given(values, field, camel, clearable=False)
    settings = get_settings(session)
    _set_mail_settings(settings, values)
    if "direct_exports" in values:
        settings.direct_exports = bool(values["direct_exports"])
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
