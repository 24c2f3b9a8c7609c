"""Projects (ERP jobs), their sub jobs (Sage 100 phases / Sage 300 extras) and the subset of the
company's cost codes each project uses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, Timestamped
from models.enums import RecordType, Tool
from models.errors import DomainError, ErrorCode
from models.inputs import given
from models.policy import Actor, editing, require
from models.sync import SyncState, ensure_editable
from models.wbs import CostCode, CostType


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
    # the code was on the project when its job export was accepted, so it travels with the job (the
    # Sage 100 shell budget); a code added afterwards must reach the ERP on its own
    in_job_export: Mapped[bool] = mapped_column(default=False, nullable=False)

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


def create_project(session: Session, actor: Actor, **values: Any) -> Project:
    """Create a CostBridge-origin project (NOT_SENT) with its empty, unlocked budget."""
    require(actor, editing(Tool.PROJECT_ADMIN), "Creating a project")
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


def update_project(session: Session, actor: Actor, project: Project, **values: Any) -> Project:
    """Apply the fields given in ``values`` (None clears the address fields); refused while the
    project is with the ERP."""
    require(actor, editing(Tool.PROJECT_ADMIN), "Editing a project")
    ensure_editable(project)
    if given(values, "number", clearable=False):
        number = _clean(values["number"], "number", required=True, max_len=32)
        _check_number_free(session, number, exclude_id=project.id)
        project.number = number
    if given(values, "name", clearable=False):
        project.name = _clean(values["name"], "name", required=True)
    for field, max_len in (("address", 200), ("city", 100), ("state", 50), ("zip", 20)):
        if given(values, field):
            setattr(project, field, _clean(values[field], field, max_len=max_len))
    if given(values, "active", clearable=False):
        project.active = bool(values["active"])
    session.flush()
    return project


# --- sub jobs ------------------------------------------------------------------------------------


def _check_sub_job_number_free(
    session: Session, project_id: int, number: str, exclude_id: int | None
) -> None:
    stmt = select(SubJob.id).where(
        SubJob.project_id == project_id, func.lower(SubJob.number) == number.lower()
    )
    if exclude_id is not None:
        stmt = stmt.where(SubJob.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise DomainError(
            ErrorCode.DUPLICATE_SUB_JOB, f"Sub job {number} already exists on this project", "number"
        )


def create_sub_job(session: Session, actor: Actor, project: Project, *, number: str, name: str) -> SubJob:
    require(actor, editing(Tool.PROJECT_ADMIN), "Creating a sub job")
    number = _clean(number, "number", required=True, max_len=32)
    _check_sub_job_number_free(session, project.id, number, None)
    row = SubJob(project_id=project.id, number=number, name=_clean(name, "name", required=True))
    session.add(row)
    session.flush()
    return row


def update_sub_job(session: Session, actor: Actor, row: SubJob, **values: Any) -> SubJob:
    require(actor, editing(Tool.PROJECT_ADMIN), "Editing a sub job")
    ensure_editable(row)
    if given(values, "number", clearable=False):
        number = _clean(values["number"], "number", required=True, max_len=32)
        _check_sub_job_number_free(session, row.project_id, number, row.id)
        row.number = number
    if given(values, "name", clearable=False):
        row.name = _clean(values["name"], "name", required=True)
    session.flush()
    return row


# --- the project's cost codes --------------------------------------------------------------------


def add_project_cost_codes(
    session: Session, actor: Actor, project: Project, cost_code_ids: list[int]
) -> list[CostCode]:
    """Enable company cost codes on a project; codes already enabled are left as they are."""
    require(actor, editing(Tool.PROJECT_ADMIN), "Adding cost codes to a project")
    wanted = list(dict.fromkeys(cost_code_ids))
    found = (
        {c.id: c for c in session.scalars(select(CostCode).where(CostCode.id.in_(wanted))).all()}
        if wanted
        else {}
    )
    for index, pk in enumerate(cost_code_ids):
        if pk not in found:
            raise DomainError(ErrorCode.NOT_FOUND, "Cost code not found", f"costCodeIds[{index}]")
    present = set(
        session.scalars(
            select(ProjectCostCode.cost_code_id).where(ProjectCostCode.project_id == project.id)
        ).all()
    )
    for pk in wanted:
        if pk not in present:
            session.add(ProjectCostCode(project_id=project.id, cost_code_id=pk))
    session.flush()
    return [found[pk] for pk in wanted]


def mark_job_cost_codes(session: Session, project: Project) -> None:
    """The project's job export was just accepted: its cost codes now travel with the job (they
    are the shell budget's codes; preflight refused codes without a cost type)."""
    session.execute(
        update(ProjectCostCode).where(ProjectCostCode.project_id == project.id).values(in_job_export=True),
        execution_options={"synchronize_session": "fetch"},
    )


def remove_project_cost_code(session: Session, actor: Actor, project: Project, cost_code_id: int) -> None:
    """Disable a cost code on a project; refused while budget or commitment lines use it."""
    require(actor, editing(Tool.PROJECT_ADMIN), "Removing a cost code from a project")
    link = session.scalar(
        select(ProjectCostCode).where(
            ProjectCostCode.project_id == project.id, ProjectCostCode.cost_code_id == cost_code_id
        )
    )
    if link is None:
        raise DomainError(
            ErrorCode.COST_CODE_NOT_IN_PROJECT, "This cost code is not used on the project", "costCodeId"
        )
    from models.budgets import Budget, BudgetLine
    from models.commitments import (
        Commitment,
        CommitmentChangeOrder,
        CommitmentChangeOrderLine,
        CommitmentLine,
    )

    uses = (
        select(BudgetLine.id)
        .join(Budget, Budget.id == BudgetLine.budget_id)
        .where(Budget.project_id == project.id, BudgetLine.cost_code_id == cost_code_id),
        select(CommitmentLine.id)
        .join(Commitment, Commitment.id == CommitmentLine.commitment_id)
        .where(Commitment.project_id == project.id, CommitmentLine.cost_code_id == cost_code_id),
        select(CommitmentChangeOrderLine.id)
        .join(CommitmentChangeOrder, CommitmentChangeOrder.id == CommitmentChangeOrderLine.change_order_id)
        .join(Commitment, Commitment.id == CommitmentChangeOrder.commitment_id)
        .where(Commitment.project_id == project.id, CommitmentChangeOrderLine.cost_code_id == cost_code_id),
    )
    for stmt in uses:
        if session.scalar(stmt.limit(1)) is not None:
            raise DomainError(
                ErrorCode.COST_CODE_IN_USE,
                "Budget or commitment lines of this project use this cost code; change them first",
                "costCodeId",
            )
    session.delete(link)
    session.flush()


class ProjectScope:
    """Checks that the sub jobs, cost codes and cost types a line names exist and belong to the
    project; loads each list once, so checking many lines costs a few queries."""

    def __init__(self, session: Session, project_id: int) -> None:
        self.session = session
        self.project_id = project_id
        self._cost_codes: set[int] | None = None
        self._sub_jobs: set[int] | None = None
        self._cost_types: set[int] | None = None

    def cost_code(self, pk: int | None, field: str) -> int:
        if pk is None:
            raise DomainError(ErrorCode.REQUIRED, "A cost code is required", field)
        if self._cost_codes is None:
            self._cost_codes = set(
                self.session.scalars(
                    select(ProjectCostCode.cost_code_id).where(ProjectCostCode.project_id == self.project_id)
                ).all()
            )
        if pk not in self._cost_codes:
            if self.session.get(CostCode, pk) is None:
                raise DomainError(ErrorCode.NOT_FOUND, "Cost code not found", field)
            raise DomainError(
                ErrorCode.COST_CODE_NOT_IN_PROJECT,
                "This cost code is not one of the project's cost codes; add it to the project first",
                field,
            )
        return pk

    def sub_job(self, pk: int | None, field: str) -> int | None:
        if pk is None:
            return None
        if self._sub_jobs is None:
            self._sub_jobs = set(
                self.session.scalars(select(SubJob.id).where(SubJob.project_id == self.project_id)).all()
            )
        if pk not in self._sub_jobs:
            if self.session.get(SubJob, pk) is None:
                raise DomainError(ErrorCode.NOT_FOUND, "Sub job not found", field)
            raise DomainError(
                ErrorCode.SUB_JOB_NOT_IN_PROJECT, "This sub job belongs to another project", field
            )
        return pk

    def cost_type(self, pk: int | None, field: str) -> int:
        if pk is None:
            raise DomainError(ErrorCode.REQUIRED, "A cost type is required", field)
        if self._cost_types is None:
            self._cost_types = set(self.session.scalars(select(CostType.id)).all())
        if pk not in self._cost_types:
            raise DomainError(ErrorCode.NOT_FOUND, "Cost type not found", field)
        return pk
