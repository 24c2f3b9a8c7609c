"""Company settings: which ERP the company runs, its country, how it uses the ERP, and how its cost
codes roll up to divisions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Enum, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, Timestamped
from models.enums import Country, DivisionRule, ErpSystem


class CompanySettings(Timestamped, Base):
    """A single row (id = 1): CostBridge serves one company per database."""

    __tablename__ = "company_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="My Company")
    erp_system: Mapped[ErpSystem] = mapped_column(
        Enum(ErpSystem, native_enum=False, length=32), nullable=False, default=ErpSystem.SAGE_100_CONTRACTOR
    )
    country: Mapped[Country] = mapped_column(
        Enum(Country, native_enum=False, length=2), nullable=False, default=Country.US
    )
    # Sage 100 Contractor phases in use: budgets must then come from the ERP.
    uses_phases: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # The file connector's output folder and schedule (seconds; 0 = on demand only).
    export_folder: Mapped[str] = mapped_column(String(500), nullable=False, default="erp-exports")
    export_interval_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # How cost codes roll up to the divisions reports subtotal by; the length is used by
    # LEADING_CHARACTERS only.
    cost_division_rule: Mapped[DivisionRule] = mapped_column(
        Enum(DivisionRule, native_enum=False, length=24), nullable=False, default=DivisionRule.FIRST_SECTION
    )
    cost_division_length: Mapped[int] = mapped_column(Integer, nullable=False, default=2)
    # ERP direct exports: a sent record skips the approver and goes straight to the outbox.
    direct_exports: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # The approvers' daily digest by e-mail: sent once a day at or after this hour (UTC) by the
    # connector process. The SMTP password is never stored: it comes from the environment only.
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    digest_hour_utc: Mapped[int] = mapped_column(Integer, default=7, nullable=False)
    digest_last_sent_on: Mapped[dt.date | None] = mapped_column(Date)
    smtp_host: Mapped[str | None] = mapped_column(String(255))
    smtp_port: Mapped[int | None] = mapped_column(Integer)
    smtp_security: Mapped[str] = mapped_column(String(16), nullable=False, default="STARTTLS")
    smtp_username: Mapped[str | None] = mapped_column(String(254))
    mail_sender: Mapped[str | None] = mapped_column(String(254))


def get_settings(session: Session) -> CompanySettings:
    """The company's settings, created with defaults on first use."""
    settings = session.scalar(select(CompanySettings).where(CompanySettings.id == 1))
    if settings is None:
        settings = CompanySettings(id=1)
        session.add(settings)
        session.flush()
    return settings
