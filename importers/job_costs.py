"""Job-cost load: ERP job-cost transactions (Sage 100 6-3 / 4-2 / 5-2, Sage 300 job cost details)
into direct costs, the 100k-row path.

Mapping (seed: Job Cost Transaction Details): AP Cost -> INVOICE, AP Cost (with Commitment) ->
SUBCONTRACTOR_INVOICE, PR Cost -> PAYROLL, JC Cost -> EXPENSE; status APPROVED; vendor and invoice
kept only for AP rows. Rows are idempotent by the ERP transaction id, or by a content hash (plus the
row's occurrence number among identical rows of the file) when the ERP gives none; posted ERP
transactions never change, so a known key is UNCHANGED. Rows that cannot be placed are kept as
UnplacedJobCost with the reason; a bad cell (date, amount, source) is an ERROR. Lookups are loaded
once, repeated values are parsed once, and rows are written with one executemany per table."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers import cells
from importers.bulk import converter, insert_rows, table_of
from importers.cells import CellError
from importers.headers import Column
from importers.pipeline import ImportOptions, run_import
from importers.placement import AP_TYPES, Resolver, place_pending_job_costs, source_type
from importers.plan import CellReporter, ErrorPolicy, Plan, Row
from importers.progress import CHECK, MATCH, NO_PROGRESS, PLACE, WRITE
from models.base import utcnow
from models.costs import DirectCost, UnplacedJobCost
from models.enums import DirectCostStatus, DirectCostType, ImportKind
from models.errors import ErrorCode
from models.imports import ImportRun
from models.policy import IMPORT_JOB_COSTS, Actor, require

COLUMNS = (
    Column("job", "Job", ("Job ID", "Job Number", "Job No", "Job #", "Project Number"), required=True),
    Column("sub_job", "Phase/Extra", ("Phase", "Extra", "Sub Job", "Phase Number", "Extra ID")),
    Column("cost_code", "Cost Code", ("CostCode", "Code"), required=True),
    Column(
        "cost_type",
        "Cost Type",
        ("Category", "Cost Type/Category", "CostType", "Cost Category"),
        required=True,
    ),
    Column("source", "Source", ("Transaction Source", "Transaction Type", "Source Type"), required=True),
    Column(
        "item_date",
        "Transaction Date",
        ("Date", "Trans Date", "Transaction Dt", "Posting Date", "Item Date"),
        required=True,
    ),
    Column("description", "Description", ("Desc", "Memo")),
    Column("vendor", "Vendor", ("Vendor Name", "Vendor Number", "Vendor ID", "Vendor #")),
    Column("invoice", "Invoice", ("Invoice #", "Invoice Number", "Invoice No")),
    Column("amount", "Amount", ("Cost", "Cost Amount", "Transaction Amount"), required=True),
    Column(
        "transaction_id",
        "Transaction ID",
        ("Trans ID", "Transaction #", "Transaction Number", "Transaction No", "Record Number"),
    ),
)
_TEXT_LIMITS = (("description", 500), ("vendor", 200), ("invoice", 64), ("transaction_id", 64))
_CHUNK = 5000
_DIRECT_COLUMNS = (
    "project_id", "sub_job_id", "cost_code_id", "cost_type_id", "type", "status", "item_date",
    "description", "vendor_id", "invoice_number", "amount", "erp_transaction_id", "dedupe_key",
    "import_run_id", "created_at", "updated_at",
)  # fmt: skip
_KEPT_COLUMNS = (
    "job", "sub_job", "cost_code", "cost_type", "source", "item_date", "description", "vendor",
    "invoice_number", "amount", "erp_transaction_id", "dedupe_key", "reason_code", "reason",
    "import_run_id", "project_id",
)  # fmt: skip


def _key_for_transaction(transaction_id: str) -> str:
    if len(transaction_id) <= 61:
        return "tx:" + transaction_id
    return "tx#" + hashlib.sha256(transaction_id.encode()).hexdigest()[:61]


def _plain_texts(column: tuple[Any, ...], limit: int) -> list[str] | None:
    """Fast path for a column of short strings (the usual case); None sends it to the full parser."""
    if not all(v.__class__ is str for v in column) or max(map(len, column), default=0) > limit:
        return None
    return [v.strip() for v in column]


def _float_amounts(column: tuple[Any, ...]) -> list[Decimal] | None:
    """Fast path for a column of number cells within the money range; None sends it to the full parser."""
    if (
        not column
        or not all(v.__class__ is float for v in column)
        or not (min(column) > -1e12 and max(column) < 1e12)
    ):
        return None
    quantize, cent, half_up = Decimal.quantize, cells.CENT, ROUND_HALF_UP
    return [quantize(Decimal(repr(v)), cent, rounding=half_up) for v in column]


def _required_code(value: Any) -> str:
    text = cells.code(value)
    if not text:
        raise CellError(ErrorCode.REQUIRED, "a value is required")
    return text


def _source(value: Any) -> DirectCostType:
    text = cells.text(value, 64)
    found = source_type(text)
    if found is None:
        raise CellError(
            ErrorCode.UNKNOWN_SOURCE,
            f"'{text}' is not a job-cost source: use AP Cost, AP Cost (with Commitment), PR Cost or JC Cost",
        )
    return found


def _date(value: Any) -> dt.date:
    if cells.is_blank(value):
        raise CellError(ErrorCode.REQUIRED, "a transaction date is required")
    return cells.date(value)


def _amount(value: Any) -> Decimal:
    if cells.is_blank(value):
        raise CellError(ErrorCode.REQUIRED, "an amount is required")
    return cells.money(value)


class JobCostImporter:
    kind = ImportKind.JOB_COSTS
    columns = COLUMNS
    ignored = ()
    key_columns = ("job", "cost_code")
    money_column = "amount"
    project_id = None
    progress = NO_PROGRESS

    def check(self, session: Session) -> None:
        pass

    def plan(self, session: Session, rows: list[Row], cell: CellReporter, policy: ErrorPolicy) -> Plan:
        # Column-wise: each distinct value of a column is parsed once and mapped back with C-level
        # map(); only assembling the parsed rows is a Python loop per row.
        plan = Plan()
        resolve = Resolver(session).resolve_parts
        numbers = [row.number for row in rows]
        columns = list(zip(*[row.values for row in rows], strict=True))
        failed: dict[int, list[tuple[int, str, CellError]]] = {}

        def parse_column(position: int, key: str, parse: Callable[[Any], Any]) -> list[Any]:
            column = columns[position]
            results: dict[Any, Any] = {}
            failures: dict[Any, CellError] = {}
            for value in set(column):
                try:
                    results[value] = parse(value)
                except CellError as exc:
                    results[value] = None
                    failures[value] = exc
            if failures:
                for i, value in enumerate(column):
                    error = failures.get(value)
                    if error is not None:
                        failed.setdefault(i, []).append((position, key, error))
            return list(map(results.__getitem__, column))

        jobs = parse_column(0, "job", _required_code)
        sub_jobs = parse_column(1, "sub_job", cells.code)
        codes = parse_column(2, "cost_code", _required_code)
        types = parse_column(3, "cost_type", _required_code)
        sources = parse_column(4, "source", _source)
        dates = parse_column(5, "item_date", _date)
        amounts = _float_amounts(columns[9])
        if amounts is None:
            amounts = parse_column(9, "amount", _amount)
        descriptions, vendors, invoices, transaction_ids = (
            _plain_texts(columns[position], limit)
            or parse_column(position, key, functools.partial(cells.text, max_len=limit))
            for position, (key, limit) in zip((6, 7, 8, 10), _TEXT_LIMITS, strict=True)
        )
        occurrences: dict[str, int] = {}
        seen_tx: dict[str, int] = {}
        parsed = []
        assembled = zip(
            range(len(rows)), jobs, sub_jobs, codes, types, sources, dates, amounts,
            descriptions, vendors, invoices, transaction_ids, strict=True,
        )  # fmt: skip
        for (
            i, job, sub_job, cost_code, cost_type, dc_type, item_date, amount,
            description, vendor, invoice, tx,
        ) in self.progress.each(CHECK, assembled, len(rows)):  # fmt: skip
            if i in failed:
                continue
            if dc_type not in AP_TYPES:
                vendor = invoice = ""
            if tx:
                first = seen_tx.setdefault(tx, i)
                if first != i:
                    duplicate = CellError(
                        ErrorCode.DUPLICATE_ROW, f"transaction {tx} is also on row {numbers[first]}"
                    )
                    failed[i] = [(10, "transaction_id", duplicate)]
                    continue
                key = _key_for_transaction(tx)
            else:
                content = "\x1f".join(
                    (job, sub_job, cost_code, cost_type, dc_type.value, item_date.isoformat(), description)
                    + (vendor, invoice, str(amount))
                )
                nth = occurrences[content] = occurrences.get(content, 0) + 1
                key = hashlib.sha256(f"{content}\x1f{nth}".encode()).hexdigest()
            parsed.append(
                (key, job, sub_job, cost_code, cost_type, columns[4][i], dc_type, item_date)
                + (description, vendor, invoice, amount, tx)
            )
        for i in sorted(failed):
            for _, key, exc in sorted(failed[i], key=lambda f: f[0]):
                plan.fail(cell.issue(numbers[i], key, exc.code, exc.message))

        known = _existing_keys(session, [p[0] for p in parsed])
        reasons: dict[str, int] = {}
        for p in self.progress.each(MATCH, parsed, len(parsed)):
            if p[0] in known:
                plan.unchanged += 1
                continue
            placed, vendor_id = resolve(p[1], p[2], p[3], p[4], p[9])
            plan.creates.append((p, placed, vendor_id))
            if placed.reason_code is not None:
                reason = str(placed.reason_code)
                reasons[reason] = reasons.get(reason, 0) + 1
        # unplaced rows are created (kept, to be placed later): "of which" CREATE, by reason
        plan.extra_counts["UNPLACED"] = sum(reasons.values())
        plan.extra_counts.update({f"UNPLACED:{reason}": n for reason, n in sorted(reasons.items())})
        return plan

    def apply(self, session: Session, plan: Plan, run: ImportRun) -> None:
        direct_table, kept_table = table_of(DirectCost), table_of(UnplacedJobCost)
        now = converter(session, direct_table, "created_at")(utcnow())
        approved = converter(session, direct_table, "status")(DirectCostStatus.APPROVED)
        as_type = converter(session, direct_table, "type")
        as_date = converter(session, direct_table, "item_date")
        as_money = converter(session, direct_table, "amount", memo=False)
        run_id = run.id
        direct, kept = [], []
        for p, placed, vendor_id in plan.creates:
            key, job, sub_job, cost_code, cost_type, source, dc_type, item_date = p[:8]
            description, vendor, invoice, amount, tx = p[8:]
            if placed.reason_code is None:
                direct.append(
                    (placed.project_id, placed.sub_job_id, placed.cost_code_id, placed.cost_type_id)
                    + (as_type(dc_type), approved, as_date(item_date), description, vendor_id)
                    + (invoice or None, as_money(amount), tx or None, key, run_id, now, now)
                )
            else:
                kept.append(
                    (
                        job,
                        sub_job,
                        cost_code,
                        cost_type,
                        cells.text(source, 64),
                        as_date(item_date),
                        description,
                    )
                    + (vendor, invoice or None, as_money(amount), tx or None, key, str(placed.reason_code))
                    + (placed.reason, run_id, placed.project_id)
                )
        self.progress.start(WRITE, len(direct) + len(kept))
        insert_rows(session, direct_table, _DIRECT_COLUMNS, direct, self.progress.advance)
        insert_rows(session, kept_table, _KEPT_COLUMNS, kept, self.progress.advance)
        self.progress.finish()

    def after_apply(self, session: Session, run: ImportRun) -> None:
        self.progress.start(PLACE, None)
        self.progress.finish(place_pending_job_costs(session))


def _existing_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for model in (DirectCost, UnplacedJobCost):
        if session.scalar(select(model.id).limit(1)) is None:
            continue
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            found.update(session.scalars(select(model.dedupe_key).where(model.dedupe_key.in_(chunk))))
    return found


def import_job_costs(
    session: Session,
    actor: Actor,
    data: bytes,
    file_name: str,
    options: ImportOptions = ImportOptions(),
) -> ImportRun:
    """Load ERP job-cost transactions (needs STANDARD on the ERP Integrations tool)."""
    require(actor, IMPORT_JOB_COSTS, "Importing job costs")
    return run_import(session, JobCostImporter(), data, file_name, actor, options)
