"""Test data for the import tests: a company cost code list, cost types, projects, vendors, and
helpers to upload a file over HTTP and to snapshot the tables an import writes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.budgets import Budget, BudgetLine
from models.costs import DirectCost, UnplacedJobCost
from models.directory import Vendor, normalize_vendor_name
from models.enums import Origin, SyncStatus
from models.projects import Project, ProjectCostCode, SubJob
from models.sync import SyncEvent
from models.wbs import CostCode, CostType

COST_CODES = ("01-100", "01-200", "02-100", "2120.000", "0100")
COST_TYPES = (("1", "Material", "M"), ("2", "Labor", "L"), ("4", "Subcontract", "S"), ("5", "Other", "O"))


@dataclass
class World:
    project_id: int
    project_number: str
    sub_job_id: int
    codes: dict[str, int]
    types: dict[str, int]
    vendor_id: int


def seed(session: Session, *, project_number: str = "24-001", erp_job_id: str | None = "1001") -> World:
    codes = {}
    for code in COST_CODES:
        row = CostCode(code=code, description=f"Code {code}", division=code[:2])
        session.add(row)
        session.flush()
        codes[code] = row.id
    types = {}
    for code, name, erp in COST_TYPES:
        row = CostType(code=code, name=name, erp_code=erp)
        session.add(row)
        session.flush()
        types[code] = row.id
    project = Project(number=project_number, name="Harbor Clinic", origin_id=erp_job_id)
    session.add(project)
    session.flush()
    session.add(Budget(project_id=project.id))
    for code in ("01-100", "01-200", "2120.000"):
        session.add(ProjectCostCode(project_id=project.id, cost_code_id=codes[code]))
    sub = SubJob(project_id=project.id, number="01", name="Phase 1")
    session.add(sub)
    vendor = Vendor(
        name="Acme Concrete, Inc.",
        normalized_name=normalize_vendor_name("Acme Concrete, Inc."),
        origin=Origin.ERP,
        origin_id="V100",
        sync_status=SyncStatus.SYNCED,
    )
    session.add(vendor)
    session.commit()
    return World(project.id, project.number, sub.id, codes, types, vendor.id)


TABLES = (BudgetLine, ProjectCostCode, Vendor, SyncEvent, DirectCost, UnplacedJobCost, Budget)


def snapshot(session: Session) -> dict[str, int]:
    """Row counts of every table an import writes (ImportRun excluded: every run is recorded)."""
    session.expire_all()
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def budget_lines(session: Session, project_id: int) -> list[tuple]:
    session.expire_all()
    rows = session.execute(
        select(
            CostCode.code, CostType.code, SubJob.number, BudgetLine.original_amount, BudgetLine.description
        )
        .join(Budget, Budget.id == BudgetLine.budget_id)
        .join(CostCode, CostCode.id == BudgetLine.cost_code_id)
        .join(CostType, CostType.id == BudgetLine.cost_type_id)
        .outerjoin(SubJob, SubJob.id == BudgetLine.sub_job_id)
        .where(Budget.project_id == project_id)
        .order_by(CostCode.code, CostType.code, SubJob.number)
    ).all()
    return [tuple(r) for r in rows]


IMPORT_FIELDS = """
  importRun {
    id kind fileName sha256 status dryRun errorPolicy
    counts { create update unchanged error skipped unplaced }
    errors { row column code message }
    warnings { row column code message }
  }
  errors { code message row column field }
"""

MUTATIONS = {
    "budget": ("importBudget", "ImportBudgetInput"),
    "vendors": ("importVendors", "ImportVendorsInput"),
    "job-costs": ("importJobCosts", "ImportJobCostsInput"),
    "prime-contracts": ("importPrimeContracts", "ImportPrimeContractsInput"),
}


def upload(client, actor, kind: str, file_name: str, content: bytes, **input_values) -> dict:
    """Post a GraphQL multipart upload (the spec's operations/map/file parts) and return the payload."""
    import json

    name, input_type = MUTATIONS[kind]
    fields = IMPORT_FIELDS
    if kind == "prime-contracts":  # its loads also count the contracts they write
        fields = fields.replace("unplaced }", "unplaced contracts rows }")
    query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {fields} }} }}"
    variables = {"input": {"file": None, **input_values}}
    response = client.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": query, "variables": variables}),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (file_name, content, "application/octet-stream")},
        headers=actor.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"][name]
