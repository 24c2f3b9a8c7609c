"""Create and update mutations for every record a user makes on the field side, composed from one
class per area (see the records_* modules)."""

from __future__ import annotations

import strawberry

from api.mutations.records_budgets import BudgetMutations
from api.mutations.records_commitments import CommitmentMutations
from api.mutations.records_directory import DirectoryMutations
from api.mutations.records_invoices import InvoiceMutations
from api.mutations.records_setup import ProjectMutations, WbsMutations


@strawberry.type
class RecordMutations(
    ProjectMutations, WbsMutations, DirectoryMutations, BudgetMutations, CommitmentMutations, InvoiceMutations
):
    pass
