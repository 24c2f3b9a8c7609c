"""Sage 300 CRE contract file load: the contracts an accountant exports from Sage 300 CRE's
Contracts (CN) module, one row per contract item (Contract, Job, Item, Extra, Cost Code, Category,
Amount, with the contract's description, customer, date and retainage), into prime contracts.

The rows of one contract are grouped by its Contract ID; each contract then goes through the same
rules as a contract the sync agent sends (``models.prime_contract_inbound``): its job must be a
synced project, it may not already be on another project, its items may not span jobs, and its
extras, cost codes and categories must exist. A refused contract reports the row and column that
caused it; its other rows are not loaded either. Re-importing the same file changes nothing.

Counts are rows, as for every import (the rows of created, updated and unchanged contracts, and the
failed rows: with the skipped ones they add up to the rows read); CONTRACTS counts the contracts
written (or, in a dry run, that would be).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from importers import cells
from importers.cells import CellError
from importers.errors import FileError
from importers.headers import Column
from importers.pipeline import ImportOptions, run_import
from importers.plan import CellReporter, ErrorPolicy, Plan, Row
from importers.progress import CHECK, MATCH, NO_PROGRESS, WRITE
from models.enums import ImportKind
from models.errors import DomainError, ErrorCode
from models.imports import ImportRun
from models.policy import IMPORT_PRIME_CONTRACTS, Actor, require
from models.prime_contract_inbound import (
    Placement,
    PlannedContract,
    PrimeContractIn,
    PrimeContractItemIn,
    apply_prime_contract,
    plan_prime_contract,
    require_sage_300,
)

COLUMNS = (
    Column(
        "contract",
        "Contract",
        ("Contract ID", "Contract Number", "Contract #", "Contract No", "Prime Contract", "Prime Contract #"),
        required=True,
    ),
    Column("job", "Job", ("Job ID", "Job Number", "Job #", "Job No"), required=True),
    Column("title", "Contract Description", ("Contract Title", "Title", "Contract Name")),
    Column("customer", "Customer", ("Customer Name", "Owner", "Client")),
    Column("contract_date", "Contract Date", ("Date",)),
    Column("retainage", "Retainage Percent", ("Retainage %", "Retainage Pct", "Retainage")),
    Column("item", "Item", ("Contract Item", "Item #", "Item Number", "Item No", "Line Item"), required=True),
    Column("description", "Item Description", ("Description", "Line Description")),
    Column("extra", "Extra", ("Extra ID", "Sub Job")),
    Column("cost_code", "Cost Code", ("CostCode", "Code"), required=True),
    Column("category", "Category", ("Cost Type", "Cat", "Cost Category"), required=True),
    Column(
        "amount",
        "Amount",
        ("Contract Amount", "Original Contract Amount", "Item Amount", "Scheduled Value"),
        required=True,
    ),
)
_KEYS = tuple(c.key for c in COLUMNS)
# where a rule's field (as models.prime_contract_inbound names it) is in the file
_FIELD_COLUMNS = {
    "contractId": "contract",
    "jobId": "job",
    "title": "title",
    "customer": "customer",
    "retainagePercent": "retainage",
    "item": "item",
    "extra": "extra",
    "costCode": "cost_code",
    "category": "category",
    "amount": "amount",
    "description": "description",
}
_ITEM_FIELD = re.compile(r"^items\[(\d+)\]\.(\w+)$")


@dataclass
class _Contract:
    """The rows of one contract in the file."""

    number: str
    first_row: int
    header: dict[str, Any] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)
    items: list[PrimeContractItemIn] = field(default_factory=list)
    failed: bool = False


class PrimeContractImporter:
    kind = ImportKind.PRIME_CONTRACTS
    columns = COLUMNS
    ignored = ("Status", "Billed to Date", "Remaining", "Revised Contract Amount")
    key_columns = ("contract", "item")
    money_column = "amount"
    project_id = None
    progress = NO_PROGRESS

    def __init__(self, actor: Actor):
        self.actor = actor

    def check(self, session: Session) -> None:
        try:
            require_sage_300(session)
        except DomainError as exc:
            raise FileError(exc.code, exc.message) from None

    def plan(self, session: Session, rows: list[Row], cell: CellReporter, policy: ErrorPolicy) -> Plan:
        plan = Plan()
        contracts: dict[str, _Contract] = {}
        for row in self.progress.each(CHECK, rows, len(rows)):
            raw = dict(zip(_KEYS, row.values, strict=True))
            n = row.number
            before = len(plan.errors)
            number = cells.code(raw["contract"])
            if not number:
                plan.fail(cell.issue(n, "contract", ErrorCode.REQUIRED, "a contract ID is required"))
                continue
            contract = contracts.get(number.lower())
            if contract is None:
                contract = contracts[number.lower()] = _Contract(number, n)
            contract.rows.append(n)
            header = self._header(raw, n, cell, plan)
            for key, value in header.items():
                if value not in (None, "") and contract.header.get(key) in (None, ""):
                    contract.header[key] = value
            try:
                amount = cells.money(raw["amount"]) if not cells.is_blank(raw["amount"]) else None
            except CellError as exc:
                plan.fail(cell.issue(n, "amount", exc.code, exc.message))
                amount = None
            if amount is None and len(plan.errors) == before:
                plan.fail(cell.issue(n, "amount", ErrorCode.REQUIRED, "an amount is required (0 for none)"))
            texts = {}
            for key in ("item", "description", "extra", "cost_code", "category", "job"):
                try:
                    texts[key] = cells.text(raw[key]) if key == "description" else cells.code(raw[key])
                except CellError as exc:
                    plan.fail(cell.issue(n, key, exc.code, exc.message))
            if len(plan.errors) > before or amount is None:
                contract.failed = True
                continue
            contract.items.append(
                PrimeContractItemIn(
                    item=texts["item"],
                    cost_code=texts["cost_code"],
                    category=texts["category"],
                    amount=amount,
                    extra=texts["extra"] or None,
                    description=texts["description"],
                    job_id=texts["job"],
                )
            )

        placement = Placement(session)
        written = {"CREATE": 0, "UPDATE": 0}
        for contract in self.progress.each(MATCH, list(contracts.values()), len(contracts)):
            if contract.failed:
                self._refuse_rest(plan, cell, contract, None)
                continue
            try:
                planned = plan_prime_contract(session, self._contract_in(contract), placement)
            except DomainError as exc:
                bad_row = self._report(plan, cell, contract, exc)
                self._refuse_rest(plan, cell, contract, bad_row)
                continue
            if planned.created:
                plan.creates.append(planned)
                written["CREATE"] += len(contract.rows)
            elif planned.changed or planned.relinked:
                plan.updates.append(planned)
                written["UPDATE"] += len(contract.rows)
            else:
                plan.unchanged += len(contract.rows)
        # the plan lists contracts (what apply writes); the counts, as every import's, are rows
        plan.extra_counts.update(written, CONTRACTS=len(plan.creates) + len(plan.updates))
        return plan

    @staticmethod
    def _header(raw: dict[str, Any], n: int, cell: CellReporter, plan: Plan) -> dict[str, Any]:
        header: dict[str, Any] = {}
        for key in ("job", "title", "customer"):
            if raw[key] is not None:
                try:
                    header[key] = cells.code(raw[key]) if key == "job" else cells.text(raw[key])
                except CellError as exc:
                    plan.fail(cell.issue(n, key, exc.code, exc.message))
        if raw["contract_date"] is not None and not cells.is_blank(raw["contract_date"]):
            try:
                header["contract_date"] = cells.date(raw["contract_date"])
            except CellError as exc:
                plan.fail(cell.issue(n, "contract_date", exc.code, exc.message))
        if raw["retainage"] is not None and not cells.is_blank(raw["retainage"]):
            text = str(raw["retainage"]).strip().rstrip("%").strip()
            try:
                header["retainage"] = cells.quantity(text)
            except CellError as exc:
                plan.fail(cell.issue(n, "retainage", exc.code, exc.message))
        return header

    @staticmethod
    def _contract_in(contract: _Contract) -> PrimeContractIn:
        header = contract.header
        date: dt.date | None = header.get("contract_date")
        retainage: Decimal | None = header.get("retainage")
        return PrimeContractIn(
            contract_id=contract.number,
            job_id=header.get("job") or "",
            title=header.get("title") or "",
            customer=header.get("customer") or "",
            contract_date=date,
            retainage_percent=retainage,
            items=contract.items,
        )

    @staticmethod
    def _report(plan: Plan, cell: CellReporter, contract: _Contract, exc: DomainError) -> int:
        """Report a refused contract at the row and column the rule names; returns that row."""
        row, key = contract.first_row, "contract"
        field_name = exc.field or ""
        if match := _ITEM_FIELD.match(field_name):
            row = contract.rows[int(match[1])]
            key = _FIELD_COLUMNS.get(match[2], "item")
        elif field_name in _FIELD_COLUMNS:
            key = _FIELD_COLUMNS[field_name]
        plan.fail(cell.issue(row, key, exc.code, exc.message))
        return row

    @staticmethod
    def _refuse_rest(plan: Plan, cell: CellReporter, contract: _Contract, bad_row: int | None) -> None:
        """The other rows of a refused contract are not loaded either: they count as errors too."""
        rest = [n for n in contract.rows if n not in plan.error_rows and n != bad_row]
        if not rest:
            return
        plan.error_rows.update(rest)
        listed = ", ".join(str(n) for n in rest[:10]) + (" ..." if len(rest) > 10 else "")
        plan.warnings.append(
            cell.issue(
                rest[0],
                "contract",
                ErrorCode.ROW_SKIPPED,
                f"contract {contract.number} is not loaded (an error on another of its rows); its rows "
                f"{listed} are skipped with it",
            )
        )

    def apply(self, session: Session, plan: Plan, run: ImportRun) -> None:
        planned: PlannedContract
        everything = [*plan.creates, *plan.updates]
        for planned in self.progress.each(WRITE, everything, len(everything)):
            apply_prime_contract(session, self.actor, planned)

    def after_apply(self, session: Session, run: ImportRun) -> None:
        pass


def import_prime_contracts(
    session: Session,
    actor: Actor,
    data: bytes,
    file_name: str,
    options: ImportOptions = ImportOptions(),
) -> ImportRun:
    """Load a Sage 300 CRE contract file (STANDARD on ERP Integrations and READ_ONLY on Prime Contract)."""
    require(actor, IMPORT_PRIME_CONTRACTS, "Importing prime contracts")
    return run_import(session, PrimeContractImporter(actor), data, file_name, actor, options)
