"""Prime contract mutations: contracts coming in from Sage 300 CRE (a CN contract file upload, or a
batch from the sync agent, reported per contract), and the change orders (PCCOs) made on them."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

import strawberry
from sqlalchemy.orm import Session
from strawberry.file_uploads import Upload

from api.context import Info
from api.errors import UserError, run_in_transaction
from api.mutations.imports import ImportPayload, company_import
from api.mutations.records_commitments import CommitmentLineInput
from api.mutations.records_common import (
    LINE_REFS,
    UPDATE_SEMANTICS,
    execute,
    get_or_fail,
    line_values,
    values_of,
)
from api.permissions import IsAuthenticated
from api.types.enums import ChangeOrderStatus
from api.types.imports import ImportErrorPolicy
from api.types.prime_contracts import PrimeContract, PrimeContractChangeOrder
from importers.plan import ErrorPolicy
from importers.prime_contracts import import_prime_contracts
from models import prime_contracts as m
from models.enums import ImportKind
from models.errors import ErrorCode
from models.policy import Actor
from models.prime_contract_inbound import (
    PrimeContractIn,
    PrimeContractItemIn,
    ReceivedPrimeContract,
    receive_prime_contract,
)

MAX_BATCH = 200


@strawberry.input
class ImportPrimeContractsInput:
    file: Upload = strawberry.field(description="A Sage 300 CRE contract file: one row per contract item.")
    dry_run: bool = False
    error_policy: ImportErrorPolicy = ErrorPolicy.ALL_OR_NOTHING  # type: ignore[valid-type]


@strawberry.input
class ErpPrimeContractItemInput:
    item: str
    cost_code: str
    category: str
    amount: Decimal
    extra: str | None = None
    description: str | None = None


@strawberry.input
class ErpPrimeContractInput:
    contract_id: str = strawberry.field(description="The Sage 300 CRE contract ID.")
    job_id: str = strawberry.field(description="The ERP Job ID of the project it belongs to.")
    title: str | None = None
    customer: str | None = None
    contract_date: dt.date | None = None
    retainage_percent: Decimal | None = None
    items: list[ErpPrimeContractItemInput] = strawberry.field(default_factory=list)


@strawberry.input
class ReceiveErpPrimeContractsInput:
    contracts: list[ErpPrimeContractInput]


@strawberry.type
class ReceivedErpPrimeContract:
    contract_id: str
    prime_contract: PrimeContract | None
    created: bool
    changed: bool
    errors: list[UserError]


@strawberry.type
class ReceiveErpPrimeContractsPayload:
    results: list[ReceivedErpPrimeContract]
    errors: list[UserError]


@strawberry.input
class CreatePrimeContractChangeOrderInput:
    prime_contract_id: strawberry.ID
    number: str
    title: str | None = None
    description: str | None = None
    change_date: dt.date | None = None
    lines: list[CommitmentLineInput] = strawberry.field(default_factory=list)


@strawberry.input(description=UPDATE_SEMANTICS)
class UpdatePrimeContractChangeOrderInput:
    id: strawberry.ID
    number: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    change_date: dt.date | None = strawberry.UNSET
    lines: list[CommitmentLineInput] | None = strawberry.field(
        default=strawberry.UNSET, description="When given, replaces every line."
    )


@strawberry.input
class ChangePrimeContractChangeOrderStatusInput:
    id: strawberry.ID
    status: ChangeOrderStatus


@strawberry.type
class PrimeContractChangeOrderPayload:
    change_order: PrimeContractChangeOrder | None
    errors: list[UserError]


def _with_lines(input_obj) -> dict:
    values = values_of(input_obj)
    if input_obj.lines is not strawberry.UNSET:
        values["lines"] = None if input_obj.lines is None else line_values(input_obj.lines, LINE_REFS)
    return values


def _receive(session: Session, *, actor: Actor, contract: PrimeContractIn) -> ReceivedPrimeContract:
    return receive_prime_contract(session, actor, contract)


@strawberry.type
class PrimeContractMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Load a Sage 300 CRE contract file (Contracts module export, one row per item) into "
        "prime contracts (STANDARD on ERP Integrations, READ_ONLY on Prime Contract).",
    )
    def import_prime_contracts(self, info: Info, input: ImportPrimeContractsInput) -> ImportPayload:
        return company_import(info, input, ImportKind.PRIME_CONTRACTS, import_prime_contracts)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Prime contracts coming in from Sage 300 CRE (sync agent), reported per contract: each "
        "becomes (or refreshes) a SYNCED prime contract on the project of its job (STANDARD on ERP "
        "Integrations, READ_ONLY on Prime Contract).",
    )
    def receive_erp_prime_contracts(
        self, info: Info, input: ReceiveErpPrimeContractsInput
    ) -> ReceiveErpPrimeContractsPayload:
        ctx = info.context
        if len(input.contracts) > MAX_BATCH:
            return ReceiveErpPrimeContractsPayload(
                results=[],
                errors=[
                    UserError(
                        code=ErrorCode.TOO_MANY_ROWS,
                        message=f"At most {MAX_BATCH} contracts at once",
                        field="contracts",
                    )
                ],
            )
        results = []
        for given in input.contracts:
            contract = PrimeContractIn(
                contract_id=given.contract_id,
                job_id=given.job_id,
                title=given.title or "",
                customer=given.customer or "",
                contract_date=given.contract_date,
                retainage_percent=given.retainage_percent,
                items=[
                    PrimeContractItemIn(
                        item=i.item,
                        cost_code=i.cost_code,
                        category=i.category,
                        amount=i.amount,
                        extra=i.extra,
                        description=i.description or "",
                    )
                    for i in given.items
                ],
            )
            received, errors = run_in_transaction(
                ctx.session, functools.partial(_receive, actor=ctx.actor, contract=contract)
            )
            results.append(
                ReceivedErpPrimeContract(
                    contract_id=given.contract_id,
                    prime_contract=PrimeContract.from_row(received.prime_contract) if received else None,
                    created=bool(received and received.created),
                    changed=bool(received and received.changed),
                    errors=errors,
                )
            )
        return ReceiveErpPrimeContractsPayload(results=results, errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Create a DRAFT change order on a prime contract synced with the ERP; lines may be "
        "negative (STANDARD on Prime Contract).",
    )
    def create_prime_contract_change_order(
        self, info: Info, input: CreatePrimeContractChangeOrderInput
    ) -> PrimeContractChangeOrderPayload:
        def action(s, u):
            contract = get_or_fail(
                s, m.PrimeContract, input.prime_contract_id, "PrimeContract", "primeContractId"
            )
            return m.create_prime_contract_change_order(s, u, contract, **_with_lines(input))

        row, errors = execute(info, action, PrimeContractChangeOrder.from_row)
        return PrimeContractChangeOrderPayload(change_order=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Change a prime contract change order; lines, when given, replace all lines. Refused "
        "while it is with the ERP.",
    )
    def update_prime_contract_change_order(
        self, info: Info, input: UpdatePrimeContractChangeOrderInput
    ) -> PrimeContractChangeOrderPayload:
        def action(s, u):
            change_order = get_or_fail(s, m.PrimeContractChangeOrder, input.id, "PrimeContractChangeOrder")
            return m.update_prime_contract_change_order(s, u, change_order, **_with_lines(input))

        row, errors = execute(info, action, PrimeContractChangeOrder.from_row)
        return PrimeContractChangeOrderPayload(change_order=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Move a prime contract change order along DRAFT -> PENDING -> APPROVED / REJECTED "
        "(or VOID).",
    )
    def change_prime_contract_change_order_status(
        self, info: Info, input: ChangePrimeContractChangeOrderStatusInput
    ) -> PrimeContractChangeOrderPayload:
        def action(s, u):
            change_order = get_or_fail(s, m.PrimeContractChangeOrder, input.id, "PrimeContractChangeOrder")
            return m.change_prime_contract_change_order_status(s, u, change_order, input.status)

        row, errors = execute(info, action, PrimeContractChangeOrder.from_row)
        return PrimeContractChangeOrderPayload(change_order=row, errors=errors)
