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
import operator
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers import cells
from importers.bulk import column_converter, converter, insert_columns, insert_rows, table_of, update_by_id
from importers.cells import CellError
from importers.errors import Reason
from importers.failed_rows import ref_of, unplaced_ref
from importers.headers import Column
from importers.pipeline import ImportOptions, run_import
from importers.placement import (
    AP_TYPES,
    PlacesWaitingJobCosts,
    Resolver,
    reason_text,
    source_type,
)
from importers.plan import CellReporter, ErrorPolicy, Plan, Table
from importers.progress import CHECK, MATCH, NO_PROGRESS, WRITE
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
        (
            "Trans ID",
            "Trans #",
            "Trans No",
            "Trans Number",
            "Tran #",
            "Tran No",
            "Trn #",
            "Trn No",
            "Transaction #",
            "Transaction Number",
            "Transaction No",
            "Transaction Num",
            "Record Number",
            "Record #",
            "ERP Transaction ID",
        ),
        fallbacks=("Reference", "Reference #", "Reference No", "Reference Number", "Ref", "Ref #", "Ref No"),
    ),
    # the Error column of a failed-rows file: '[U12] ...' names the kept row a corrected row replaces
    Column("error", "Error", ("Errors",)),
)
_TEXT_LIMITS = (("description", 500), ("vendor", 200), ("invoice", 64), ("transaction_id", 64))
_CHUNK = 5000
_DIRECT_COLUMNS = (
    "project_id", "sub_job_id", "cost_code_id", "cost_type_id", "type", "item_date", "description",
    "vendor_id", "invoice_number", "amount", "erp_transaction_id", "dedupe_key",
)  # fmt: skip
_KEPT_COLUMNS = (
    "job", "sub_job", "cost_code", "cost_type", "source", "item_date", "description", "vendor",
    "invoice_number", "amount", "erp_transaction_id", "dedupe_key", "reason_code", "reason", "project_id",
)  # fmt: skip


def _key_for_transaction(transaction_id: str) -> str:
    if len(transaction_id) <= 61:
        return "tx:" + transaction_id
    return "tx#" + hashlib.sha256(transaction_id.encode()).hexdigest()[:61]


# a number cell already at whole cents: kept as the float itself (its repr is the amount to the cent)
_CENTS = re.compile(r"-?[0-9]{1,13}(?:\.[0-9]{1,2})?")


def _money(value: Any) -> Any:
    if value.__class__ is float and -1e12 < value < 1e12 and _CENTS.fullmatch(repr(value)):
        return value
    if cells.is_blank(value):
        raise CellError(ErrorCode.REQUIRED, "an amount is required")
    return cells.money(value)


def _exact(amount: Any) -> Decimal:
    return amount if amount.__class__ is Decimal else Decimal(repr(amount)).quantize(cells.CENT)


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


@dataclass
class _Batch:
    """The rows a load creates, column by column (all the same length): what ``apply`` writes."""

    numbers: list[int]
    keys: list[str]
    jobs: list[str]
    sub_jobs: list[str]
    codes: list[str]
    types: list[str]
    sources: list[str]
    kinds: list[DirectCostType]
    dates: list[dt.date]
    descriptions: list[str]
    vendors: list[str]
    invoices: list[str]
    amounts: list[Any]  # float at whole cents, or Decimal
    transactions: list[str]
    # where each row goes (None where unknown), and every reason a row cannot be placed (or ())
    project_ids: list[int | None]
    sub_job_ids: list[int | None]
    cost_code_ids: list[int | None]
    cost_type_ids: list[int | None]
    vendor_ids: list[int | None]
    reasons: list[tuple[Reason, ...]]
    # the kept (unplaced) row a corrected row replaces, else None
    targets: list[int | None]

    def __len__(self) -> int:
        return len(self.keys)

    def take(self, indexes: list[int]) -> _Batch:
        return _Batch(*([column[i] for i in indexes] if column else [] for column in self.__dict__.values()))


class JobCostImporter(PlacesWaitingJobCosts):
    kind = ImportKind.JOB_COSTS
    columns = COLUMNS
    ignored = ()
    key_columns = ("job", "cost_code")
    money_column = "amount"
    project_id = None
    progress = NO_PROGRESS

    def check(self, session: Session) -> None:
        pass

    def plan(self, session: Session, table: Table, cell: CellReporter, policy: ErrorPolicy) -> Plan:
        # Column by column: each distinct value of a column is parsed once and mapped back with
        # C-level map(); lookups are made once per distinct job/code/type combination and vendor.
        plan = Plan()
        numbers, columns = table.numbers, table.columns
        failed: dict[int, list[tuple[int, str, CellError]]] = {}
        self.progress.start(CHECK, len(numbers))
        # the rows are checked a column at a time: progress moves on by a share of them per column
        share = len(numbers) // 12

        def parse_column(position: int, key: str, parse: Callable[[Any], Any]) -> list[Any]:
            parsed = cells.parse_column(columns[position], position, key, parse, failed)
            self.progress.advance(share)
            return parsed

        jobs = parse_column(0, "job", _required_code)
        sub_jobs = parse_column(1, "sub_job", cells.code)
        codes = parse_column(2, "cost_code", _required_code)
        types = parse_column(3, "cost_type", _required_code)
        kinds = parse_column(4, "source", _source)
        dates = parse_column(5, "item_date", _date)
        amounts = cells.money_column(columns[9]) or parse_column(9, "amount", _money)
        texts: list[list[str]] = []
        for position, (key, limit) in zip((6, 7, 8, 10), _TEXT_LIMITS, strict=True):
            fast = cells.text_column(columns[position], limit)
            if fast is not None:
                self.progress.advance(share)
            texts.append(fast or parse_column(position, key, functools.partial(cells.text, max_len=limit)))
        descriptions, vendors, invoices, transactions = texts
        # vendor and invoice belong to AP rows only
        not_ap = {k for k in set(kinds) if k not in AP_TYPES}
        if not_ap and failed:  # a cell that failed to parse has no text
            vendors = ["" if k in not_ap else v for v, k in zip(vendors, kinds, strict=True)]
            invoices = ["" if k in not_ap else v for v, k in zip(invoices, kinds, strict=True)]
        elif not_ap:
            # a text times its row's flag: itself on an AP row, '' on the others (C-level maps)
            ap = list(map({k: k not in not_ap for k in set(kinds)}.__getitem__, kinds))
            vendors = list(map(operator.mul, vendors, ap))
            invoices = list(map(operator.mul, invoices, ap))
        placed_later: list[list[Any]] = [[], [], [], [], [], [], []]  # ids, reasons, targets: below
        batch = _Batch(numbers, [], jobs, sub_jobs, codes, types, list(columns[4]), kinds, dates,
                       descriptions, vendors, invoices, amounts, transactions, *placed_later)  # fmt: skip
        keys = batch.keys = _keys(batch, failed)
        self.progress.advance(share)
        for i in sorted(failed):
            for _, key, exc in sorted(failed[i], key=lambda f: f[0]):
                plan.fail(cell.issue(numbers[i], key, exc.code, exc.message, exc.subject))
        self.progress.finish()

        self.progress.start(MATCH, len(numbers))
        # placed before anything is set aside, so a failing row's other reasons are listed too
        texts = [batch.jobs, batch.sub_jobs, batch.codes, batch.types, batch.vendors]
        if failed:  # a cell that failed to parse has no value to look up
            texts = [[t or "" for t in column] for column in texts]
        placement = Resolver(session).columns(*texts)
        batch.project_ids, batch.sub_job_ids = placement.project_ids, placement.sub_job_ids
        batch.cost_code_ids, batch.cost_type_ids = placement.cost_code_ids, placement.cost_type_ids
        batch.vendor_ids, batch.reasons = placement.vendor_ids, placement.reasons
        plan.reasons = [(numbers[i], r) for i, row in enumerate(placement.reasons) if row for r in row]

        refs = [ref_of(v) for v in columns[11]] if cell.layout.index.get("error") is not None else []
        wanted = {r for r in refs if r is not None}
        known = _Known(
            session, [k for i, k in enumerate(keys) if i not in failed] if failed else keys, wanted
        )
        batch.targets = [None] * len(keys)
        if failed or known.direct or known.kept:
            keep: list[int] = []
            for i, key in enumerate(keys):
                if i in failed or key in known.direct:
                    continue
                ref = refs[i] if refs else None
                target = known.by_id.get(ref) if ref is not None else known.kept.get(key)
                if target is None:
                    keep.append(i)
                elif target.direct_cost_id is None and (
                    target.line != (jobs[i], sub_jobs[i], codes[i], types[i], vendors[i]) or target.key != key
                ):
                    batch.targets[i] = target.id  # a correction of the row kept unplaced
                    keep.append(i)
            plan.unchanged = len(keys) - len(failed) - len(keep)
            batch = batch.take(keep)
        corrections = len(batch.targets) - batch.targets.count(None)
        plan.updates = [None] * corrections  # counted as updates; written from the batch
        plan.creates = batch
        unplaced = [i for i, r in enumerate(batch.reasons) if r]
        plan.unplaced_rows = [batch.numbers[i] for i in unplaced]
        plan.extra_counts["CREATE"] = len(batch) - corrections
        # unplaced rows are created (kept, to be placed later): "of which" CREATE, by reason
        by_reason = Counter(str(batch.reasons[i][0].code) for i in unplaced)
        plan.extra_counts["UNPLACED"] = len(unplaced)
        plan.extra_counts.update({f"UNPLACED:{reason}": n for reason, n in sorted(by_reason.items())})
        self.progress.finish()
        return plan

    def apply(self, session: Session, plan: Plan, run: ImportRun) -> None:
        batch: _Batch = plan.creates
        self.progress.start(WRITE, len(batch))
        if not len(batch):
            self.progress.finish()
            return
        direct_table, kept_table = table_of(DirectCost), table_of(UnplacedJobCost)
        now = converter(session, direct_table, "created_at")(utcnow())
        as_money = converter(session, direct_table, "amount", memo=False)
        as_amounts = column_converter(session, direct_table, "amount")
        reasons = batch.reasons
        # a few distinct kinds and dates: each converted once, mapped back at C speed
        as_type = {k: converter(session, direct_table, "type")(k) for k in set(batch.kinds)}.__getitem__
        as_date = {d: converter(session, direct_table, "item_date")(d) for d in set(batch.dates)}.__getitem__
        unplaced = [i for i, r in enumerate(reasons) if r]
        # amounts at whole cents are floats already; the backends take them as they are
        as_float_ok = set(map(type, batch.amounts)) <= {float}
        direct = batch.take([i for i, r in enumerate(reasons) if not r]) if unplaced else batch
        # every id was looked up in this transaction (Resolver): the references are proven
        insert_columns(
            session,
            direct_table,
            _DIRECT_COLUMNS,
            (
                direct.project_ids, direct.sub_job_ids, direct.cost_code_ids, direct.cost_type_ids,
                list(map(as_type, direct.kinds)), list(map(as_date, direct.dates)), direct.descriptions,
                direct.vendor_ids, [v or None for v in direct.invoices],
                direct.amounts if as_float_ok else as_amounts(direct.amounts),
                [t or None for t in direct.transactions], direct.keys,
            ),
            {
                "status": converter(session, direct_table, "status")(DirectCostStatus.APPROVED),
                "import_run_id": run.id, "created_at": now, "updated_at": now,
            },
            self.progress.advance,
            references_resolved=True,
        )  # fmt: skip
        if direct.targets.count(None) != len(direct.targets):
            self._mark_placed(session, direct, run, now)
        if not unplaced:
            self.progress.finish()
            return
        kept = batch.take(unplaced)
        values = [
            (kept.jobs[i], kept.sub_jobs[i], kept.codes[i], kept.types[i], cells.text(kept.sources[i], 64))
            + (as_date(kept.dates[i]), kept.descriptions[i], kept.vendors[i], kept.invoices[i] or None)
            + (as_money(kept.amounts[i]), kept.transactions[i] or None, kept.keys[i])
            + (str(kept.reasons[i][0].code), reason_text(kept.reasons[i]), kept.project_ids[i])
            for i in range(len(kept))
        ]
        new = [v for v, t in zip(values, kept.targets, strict=True) if t is None]
        insert_rows(session, kept_table, _KEPT_COLUMNS, new, {"import_run_id": run.id}, self.progress.advance)
        corrected = [
            {**dict(zip(_KEPT_COLUMNS, v, strict=True)), "id": t, "import_run_id": run.id}
            for v, t in zip(values, kept.targets, strict=True)
            if t is not None
        ]
        update_by_id(session, UnplacedJobCost, corrected)
        # each kept row's reference, for the failed-rows file
        mine = select(UnplacedJobCost.dedupe_key, UnplacedJobCost.id).where(
            UnplacedJobCost.import_run_id == run.id
        )
        ids = {key: kept_id for key, kept_id in session.execute(mine).all()}
        plan.refs = {
            n: unplaced_ref(ids[k]) for n, k in zip(kept.numbers, kept.keys, strict=True) if k in ids
        }
        self.progress.finish()

    @staticmethod
    def _mark_placed(session: Session, direct: _Batch, run: ImportRun, now: Any) -> None:
        """The kept rows that corrected rows replace, now placed: they point at the new direct costs."""
        keys = {k: t for k, t in zip(direct.keys, direct.targets, strict=True) if t is not None}
        made = session.execute(
            select(DirectCost.dedupe_key, DirectCost.id).where(
                DirectCost.import_run_id == run.id, DirectCost.dedupe_key.in_(list(keys))
            )
        ).all()
        placed_at = utcnow()
        update_by_id(
            session,
            UnplacedJobCost,
            [{"id": keys[key], "direct_cost_id": dc_id, "placed_at": placed_at} for key, dc_id in made],
        )


def _keys(batch: _Batch, failed: dict[int, list[tuple[int, str, CellError]]]) -> list[str]:
    """Each row's idempotency key: its ERP transaction id, or a hash of its content and its occurrence
    among identical rows of the file. A transaction id given twice fails the row (added to ``failed``)."""
    transactions, numbers = batch.transactions, batch.numbers
    keys: list[str] = [""] * len(transactions)
    if all(transactions) and len(set(transactions)) == len(transactions):
        if max(map(len, transactions)) <= 61:
            return list(map("tx:".__add__, transactions))
        return [_key_for_transaction(tx) for tx in transactions]
    first: dict[str, int] = {}
    occurrences: dict[str, int] = {}
    for i, tx in enumerate(transactions):
        if i in failed:
            continue
        if tx:
            seen = first.setdefault(tx, i)
            if seen != i:
                duplicate = CellError(
                    ErrorCode.DUPLICATE_ROW, f"transaction {tx} is also on row {numbers[seen]}"
                )
                failed[i] = [(10, "transaction_id", duplicate)]
                continue
            keys[i] = _key_for_transaction(tx)
            continue
        line = (batch.jobs[i], batch.sub_jobs[i], batch.codes[i], batch.types[i], batch.kinds[i].value)
        content = "\x1f".join(
            (*line, batch.dates[i].isoformat(), batch.descriptions[i], batch.vendors[i], batch.invoices[i])
            + (str(_exact(batch.amounts[i])),)
        )
        nth = occurrences[content] = occurrences.get(content, 0) + 1
        keys[i] = hashlib.sha256(f"{content}\x1f{nth}".encode()).hexdigest()
    return keys


@dataclass(frozen=True)
class _Kept:
    id: int
    key: str
    direct_cost_id: int | None
    line: tuple[str, str, str, str, str]  # job, sub job, cost code, cost type, vendor


class _Known:
    """What the database already holds of a load's keys: direct costs, and rows kept unplaced (by key,
    and by the id a failed-rows file names)."""

    def __init__(self, session: Session, keys: list[str], ids: set[int]):
        self.direct: set[str] = set()
        self.kept: dict[str, _Kept] = {}
        self.by_id: dict[int, _Kept] = {}
        if session.scalar(select(DirectCost.id).limit(1)) is not None:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                self.direct.update(
                    session.scalars(select(DirectCost.dedupe_key).where(DirectCost.dedupe_key.in_(chunk)))
                )
        if session.scalar(select(UnplacedJobCost.id).limit(1)) is None:
            return
        kept = UnplacedJobCost
        line = (kept.job, kept.sub_job, kept.cost_code, kept.cost_type, kept.vendor)
        wanted = [kept.dedupe_key.in_(keys[s : s + _CHUNK]) for s in range(0, len(keys), _CHUNK)]
        wanted += [kept.id.in_(sorted(ids))] if ids else []
        for condition in wanted:
            query = select(kept.id, kept.dedupe_key, kept.direct_cost_id, *line).where(condition)
            for row in session.execute(query):
                found = _Kept(row[0], row[1], row[2], (row[3], row[4], row[5], row[6], row[7]))
                self.kept[found.key] = self.by_id[found.id] = found


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
