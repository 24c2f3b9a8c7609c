"""A world with at least one record of every node type, for the access-policy tests: the demo
company, plus an accepted export in the outbox, import runs of two kinds and an unplaced job cost.

``build_world`` returns the global ID of one record per GraphQL node type, and the project whose
reports and budget the downloads fetch.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.demo.company import load_demo_company
from api.relay import NODE_REGISTRY, to_global_id
from exporters.mapping import build_payload
from models import registry, workflow
from models.budgets import Budget, BudgetLine
from models.commitments import Commitment
from models.costs import UnplacedJobCost
from models.enums import ImportKind
from models.imports import ImportRun
from models.prime_contracts import (
    PrimeContract,
    PrimeContractChangeOrder,
    PrimeContractChangeOrderLine,
    PrimeContractLine,
)
from models.projects import Project
from models.sync import mark_born_synced
from tests.actors import SETUP


@dataclass
class World:
    project_id: int
    ids: dict[str, str]  # GraphQL type name -> global ID of one record of it
    record_ids: dict[str, str]  # record type -> global ID of one syncable record of it

    @property
    def project(self) -> str:
        return self.ids["Project"]


def _graphql_name(entry) -> str:
    return entry.strawberry_type.__strawberry_definition__.name


def build_world(session: Session) -> World:
    load_demo_company(session)
    session.flush()
    harbor = session.scalar(select(Project).where(Project.number == "24-101"))
    po = session.scalar(
        select(Commitment).where(Commitment.project_id == harbor.id, Commitment.number == "PO-001")
    )
    workflow.send(session, SETUP, po)
    workflow.accept(session, SETUP, po, build_payload=build_payload)
    for kind, project_id in ((ImportKind.BUDGET, harbor.id), (ImportKind.JOB_COSTS, None)):
        session.add(
            ImportRun(
                kind=kind,
                file_name=f"{kind.value.lower()}.csv",
                sha256="0" * 64,
                project_id=project_id,
                status="SUCCEEDED",
                counts={"CREATE": 1},
                errors=[],
                warnings=[],
            )
        )
    # a prime contract (from Sage 300 CRE Contracts) with a change order, on Harbor Point
    line = session.scalars(select(BudgetLine).join(Budget).where(Budget.project_id == harbor.id)).first()
    contract = PrimeContract(project_id=harbor.id, number="C-2401", title="Harbor Point owner contract")
    contract.lines = [
        PrimeContractLine(
            item="1", cost_code_id=line.cost_code_id, cost_type_id=line.cost_type_id, amount="10.00"
        )
    ]
    session.add(contract)
    session.flush()
    mark_born_synced(session, contract, "C-2401", SETUP)
    change_order = PrimeContractChangeOrder(prime_contract_id=contract.id, number="PCCO-1")
    change_order.lines = [
        PrimeContractChangeOrderLine(
            cost_code_id=line.cost_code_id, cost_type_id=line.cost_type_id, amount="1.00"
        )
    ]
    session.add(change_order)
    session.add(
        UnplacedJobCost(
            job="99-999",
            amount="12.34",
            dedupe_key="unplaced-1",
            reason_code="UNKNOWN_JOB",
            reason="Job 99-999 is not a project",
        )
    )
    session.flush()
    ids: dict[str, str] = {}
    for prefix, entry in NODE_REGISTRY.items():
        model = entry.model
        # the first row, preferring Harbor Point's when the model hangs off a project
        stmt = select(model).order_by(model.id)
        if model is ImportRun:
            stmt = stmt.where(ImportRun.kind == ImportKind.BUDGET)
        row = session.scalars(stmt.limit(1)).first()
        assert row is not None, f"the policy world has no {prefix}"
        ids[_graphql_name(entry)] = to_global_id(prefix, row.id)
    record_ids = {
        spec.record_type.value: ids[spec.type_name] for spec in registry.REGISTRY if spec.type_name in ids
    }
    session.commit()
    return World(project_id=harbor.id, ids=ids, record_ids=record_ids)
