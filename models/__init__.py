"""CostBridge data model: SQLAlchemy tables and the domain rules that belong to the data.

Importing this package registers every table on ``Base.metadata`` and the session hooks that
publish change notices after commit (``models.events``).
"""

import models.events  # noqa: F401  (registers the session hooks)
from models.base import Base
from models.budgets import Budget, BudgetLine, BudgetModification
from models.commitments import (
    Commitment,
    CommitmentChangeOrder,
    CommitmentChangeOrderLine,
    CommitmentLine,
)
from models.company import CompanySettings
from models.costs import DirectCost, UnplacedJobCost
from models.delivery import ConnectorLease, ErpDelivery
from models.directory import Vendor
from models.imports import ImportRun
from models.invoices import SubcontractorInvoice, SubcontractorInvoiceLine
from models.prime_contracts import (
    PrimeContract,
    PrimeContractChangeOrder,
    PrimeContractChangeOrderLine,
    PrimeContractLine,
)
from models.projects import Project, ProjectCostCode, SubJob
from models.sync import ErpExport, SyncEvent
from models.users import ApiToken, User, UserPermission
from models.wbs import CostCode, CostType

__all__ = [
    "ApiToken",
    "Base",
    "Budget",
    "BudgetLine",
    "BudgetModification",
    "Commitment",
    "CommitmentChangeOrder",
    "CommitmentChangeOrderLine",
    "CommitmentLine",
    "CompanySettings",
    "ConnectorLease",
    "CostCode",
    "CostType",
    "DirectCost",
    "ErpDelivery",
    "ErpExport",
    "ImportRun",
    "PrimeContract",
    "PrimeContractChangeOrder",
    "PrimeContractChangeOrderLine",
    "PrimeContractLine",
    "Project",
    "ProjectCostCode",
    "SubJob",
    "SubcontractorInvoice",
    "SubcontractorInvoiceLine",
    "SyncEvent",
    "UnplacedJobCost",
    "User",
    "UserPermission",
    "Vendor",
]
