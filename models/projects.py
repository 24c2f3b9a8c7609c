"""Projects (ERP jobs), their sub jobs (Sage 100 phases / Sage 300 extras) and the subset of the
company's cost codes each project uses."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, Timestamped
from models.enums import PermissionLevel, RecordType, Tool
from models.errors import DomainError, ErrorCode
from models.sync import SyncState, ensure_editable
from models.users import User, require
from models.wbs import CostCode


class Project(SyncState, Timestamped, Base):
    __tablename__ = "projects"
    RECORD_TYPE = RecordType.PROJECT

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    city: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    state: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    zip: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    active: Mapped[bool] = mapped_column(default=True, nullable=False)

    sub_jobs: Mapped[list[SubJob]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="SubJob.number"
    )
    project_cost_codes: Mapped[list[ProjectCostCode]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )

    @property
    def erp_job_id(self) -> str | None:
        return self.origin_id


class SubJob(SyncState, Timestamped, Base):
    __tablename__ = "sub_jobs"
    __table_args__ = (UniqueConstraint("project_id", "number"),)
    RECORD_TYPE = RecordType.SUB_JOB

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)

    project: Mapped[Project] = relationship(back_populates="sub_jobs")


class ProjectCostCode(Base):
    """A company cost code enabled on a project (Sage 100: the job's shell budget codes)."""

    __tablename__ = "project_cost_codes"
    __table_args__ = (UniqueConstraint("project_id", "cost_code_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    cost_code_id: Mapped[int] = mapped_column(ForeignKey("cost_codes.id"), nullable=False, index=True)

    project: Mapped[Project] = relationship(back_populates="project_cost_codes")
    cost_code: Mapped[CostCode] = relationship()


# --- domain rules --------------------------------------------------------------------------------


PROJECT_FIELDS = ("number", "name", "address", "city", "state", "zip", "active")


def _clean(value: str | None, field: str, *, required: bool = False, max_len: int = 200) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
    if len(text) > max_len:
        raise DomainError(ErrorCode.INVALID_VALUE, f"{field} is longer than {max_len} characters", field)
    return text


def _check_number_free(session: Session, number: str, exclude_id: int | None = None) -> None:
    stmt = select(Project.id).where(func.lower(Project.number) == number.lower())
    if exclude_id is not None:
        stmt = stmt.where(Project.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise DomainError(
            ErrorCode.DUPLICATE_PROJECT_NUMBER, f"Project number {number} is already used", "number"
        )


def create_project(session: Session, actor: User | None, **values) -> Project:
    """Create a CostBridge-origin project (NOT_SENT) with its empty, unlocked budget."""
    if actor is not None:
        require(actor, Tool.PROJECT_ADMIN, PermissionLevel.STANDARD, "Creating a project")
    number = _clean(values.get("number"), "number", required=True, max_len=32)
    name = _clean(values.get("name"), "name", required=True)
    _check_number_free(session, number)
    project = Project(
        number=number,
        name=name,
        address=_clean(values.get("address"), "address"),
        city=_clean(values.get("city"), "city", max_len=100),
        state=_clean(values.get("state"), "state", max_len=50),
        zip=_clean(values.get("zip"), "zip", max_len=20),
    )
    session.add(project)
    from models.budgets import Budget

    session.add(Budget(project=project))
    session.flush()
    return project


def update_project(session: Session, actor: User | None, project: Project, **values) -> Project:
    """Apply the given (non-None) fields; refused while the project is with the ERP."""
    if actor is not None:
        require(actor, Tool.PROJECT_ADMIN, PermissionLevel.STANDARD, "Editing a project")
    ensure_editable(project)
    if values.get("number") is not None:
        number = _clean(values["number"], "number", required=True, max_len=32)
        _check_number_free(session, number, exclude_id=project.id)
        project.number = number
    if values.get("name") is not None:
        project.name = _clean(values["name"], "name", required=True)
    for field, max_len in (("address", 200), ("city", 100), ("state", 50), ("zip", 20)):
        if values.get(field) is not None:
            setattr(project, field, _clean(values[field], field, max_len=max_len))
    if values.get("active") is not None:
        project.active = bool(values["active"])
    session.flush()
    return project
