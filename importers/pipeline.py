"""The one import pipeline every kind goes through:

read -> find the header -> map headers -> skip blank and subtotal rows -> plan (parse, validate,
CREATE/UPDATE/UNCHANGED/ERROR per row) -> apply in the caller's transaction with bulk statements ->
record the ImportRun, with the rows read and the control totals of the money column. The caller
commits; nothing here commits per row. Progress goes to ``ImportOptions.progress``, phase by phase.
"""

from __future__ import annotations

import gc
import logging
import operator
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import zip_longest
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from importers import cells, failed_rows, reading, reasons
from importers.cells import CellError
from importers.errors import FileError, RowIssue
from importers.headers import Column, Layout, find_layout
from importers.limits import DEFAULT_LIMITS, ImportLimits
from importers.plan import CellReporter, ErrorPolicy, Outcome, Plan, RunStatus, Table
from importers.progress import READ, ProgressCallback, Reporter
from importers.runs import finish_run, start_run
from models.audit import acting_as
from models.enums import ImportKind
from models.errors import ErrorCode
from models.imports import ImportRun
from models.policy import Actor

log = logging.getLogger("costbridge.imports")
_TOTAL_LABEL = re.compile(r"^(grand\s+|sub\s*-?)?totals?\b|\btotals?\s*:?$", re.IGNORECASE)


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    error_policy: ErrorPolicy = ErrorPolicy.ALL_OR_NOTHING
    limits: ImportLimits = field(default_factory=lambda: DEFAULT_LIMITS)
    # told how far the import has got (importers/progress.py); None: nobody watches
    progress: ProgressCallback | None = field(default=None, compare=False)


class Importer(Protocol):
    @property
    def kind(self) -> ImportKind: ...

    @property
    def columns(self) -> tuple[Column, ...]: ...

    @property
    def ignored(self) -> tuple[str, ...]: ...

    # columns a detail row always fills; a "Total" label with these blank (or holding the label)
    # marks a subtotal row of a report export
    @property
    def key_columns(self) -> tuple[str, ...]: ...

    # the column whose amounts the run's control totals add up (None: the kind has none)
    @property
    def money_column(self) -> str | None: ...

    @property
    def project_id(self) -> int | None: ...

    # set by the pipeline before plan; importers report their row loops through it
    progress: Reporter

    def check(self, session: Session) -> None: ...

    def plan(self, session: Session, table: Table, cells: CellReporter, policy: ErrorPolicy) -> Plan: ...

    def apply(self, session: Session, plan: Plan, run: ImportRun) -> None: ...

    def after_apply(self, session: Session, run: ImportRun) -> None: ...


_collector_lock = threading.Lock()
_collector_paused = 0


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while a load runs: a big file makes millions of objects
    (none of them in reference cycles) and every collection would walk them all again. Paused by
    the first import running and resumed by the last; reference counting frees memory as usual."""
    global _collector_paused
    with _collector_lock:
        if _collector_paused == 0 and gc.isenabled():
            gc.disable()
            _collector_paused = 1
        elif _collector_paused:
            _collector_paused += 1
    try:
        yield
    finally:
        with _collector_lock:
            if _collector_paused:
                _collector_paused -= 1
                if _collector_paused == 0:
                    gc.enable()


def run_import(
    session: Session,
    importer: Importer,
    data: bytes,
    file_name: str,
    actor: Actor,
    options: ImportOptions = ImportOptions(),
) -> ImportRun:
    """Import one file. Always returns the recorded ImportRun (FAILED, PARTIAL, SUCCEEDED, DRY_RUN);
    expected problems are in ``run.errors``, never raised."""
    with _no_cycle_collection():
        return _run_import(session, importer, data, file_name, actor, options)


def _run_import(
    session: Session,
    importer: Importer,
    data: bytes,
    file_name: str,
    actor: Actor,
    options: ImportOptions,
) -> ImportRun:

    def new_run() -> ImportRun:
        return start_run(
            session,
            importer.kind,
            data,
            file_name,
            actor,
            dry_run=options.dry_run,
            error_policy=str(options.error_policy),
            project_id=importer.project_id,
        )

    acting_as(session, actor)
    run = new_run()
    counts = {o.value: 0 for o in Outcome}
    progress = importer.progress = Reporter(options.progress, run_id=run.id)
    try:
        importer.check(session)
        progress.start(READ, None)
        sheet = reading.read_sheet(data, file_name, options.limits)
        layout = find_layout(
            sheet.rows,
            importer.columns,
            importer.ignored,
            options.limits.header_search_rows,
            sheet.merged,
        )
        table, skipped = _data_table(sheet.rows, layout, importer, options.limits)
        progress.finish(len(table) + len(skipped))
    except FileError as exc:
        return _failed(run, counts, [RowIssue(exc.code, exc.message, exc.row, exc.column)], [], options)

    counts["ROWS"] = len(table) + len(skipped)
    counts[Outcome.SKIPPED] = len(skipped)
    warnings = layout.warnings + [
        RowIssue(ErrorCode.ROW_SKIPPED, f"Row {n}: a subtotal/total row, not loaded", n) for n in skipped
    ]
    cells = CellReporter(layout, {c.key: c.label for c in importer.columns})
    plan = importer.plan(session, table, cells, options.error_policy)
    warnings += plan.warnings
    # every reason, for every row that fails or would stay unplaced, grouped with its fix
    grouped = reasons.group([*reasons.from_issues(plan.errors), *plan.reasons])
    counts[Outcome.ERROR] = len(plan.error_rows)
    counts[Outcome.CREATE] = len(plan.creates)
    counts[Outcome.UPDATE] = len(plan.updates)
    counts[Outcome.UNCHANGED] = plan.unchanged
    # kind-specific counts, which may also restate an outcome (a plan that lists what it writes in
    # bigger units than rows, such as prime contracts, gives its row counts here)
    counts.update(plan.extra_counts)
    run.control_total, run.failed_total = control_totals(table, importer, plan.error_rows)

    def hand_back(everything: bool) -> None:
        returned = failed_rows.collect(
            sheet.rows, layout.header_index, table.numbers, plan.errors, plan.reasons, plan.unplaced_rows,
            plan.refs, everything=everything,
        )  # fmt: skip
        run.failed_rows = returned
        run.failed_row_count = len(returned["rows"]) if returned else 0

    refuse = plan.errors and options.error_policy == ErrorPolicy.ALL_OR_NOTHING
    if options.dry_run or refuse:
        hand_back(everything=True)  # nothing is written: the whole file comes back, to fix and reload
    if options.dry_run:
        return finish_run(
            run,
            status=RunStatus.DRY_RUN,
            counts=counts,
            errors=plan.errors,
            warnings=warnings,
            limits=options.limits,
            reasons=grouped,
        )
    if refuse:
        return _failed(run, counts, plan.errors, warnings, options, planned=True, reasons=grouped)
    try:
        importer.apply(session, plan, run)
        session.flush()
        importer.after_apply(session, run)
    except IntegrityError as exc:
        session.rollback()
        log.info("import of %s conflicted with a concurrent change: %s", file_name, exc.orig)
        run = new_run()
        run.control_total, run.failed_total = control_totals(table, importer, plan.error_rows)
        issue = RowIssue(
            ErrorCode.CONCURRENT_UPDATE,
            "The data changed while the file was being imported; nothing was written, retry.",
        )
        return _failed(run, counts, [issue], warnings, options, planned=True)
    hand_back(everything=False)
    status = RunStatus.PARTIAL if plan.errors else RunStatus.SUCCEEDED
    return finish_run(
        run,
        status=status,
        counts=counts,
        errors=plan.errors,
        warnings=warnings,
        limits=options.limits,
        reasons=grouped,
    )


def _failed(
    run: ImportRun,
    counts: dict[str, int],
    errors: list[RowIssue],
    warnings: list[RowIssue],
    options: ImportOptions,
    planned: bool = False,
    reasons: list[dict[str, Any]] | None = None,
) -> ImportRun:
    if planned:
        # nothing is written: what would have been created or updated is reported, not counted as done
        counts = {k: v for k, v in counts.items() if not k.startswith("UNPLACED:")}
        counts.update({"CREATE": 0, "UPDATE": 0, "UNCHANGED": 0})
        for written in ("UNPLACED", "CONTRACTS"):
            if written in counts:
                counts[written] = 0
    status = RunStatus.DRY_RUN if options.dry_run else RunStatus.FAILED
    return finish_run(
        run,
        status=status,
        counts=counts,
        errors=errors,
        warnings=warnings,
        limits=options.limits,
        reasons=reasons or [],
    )


def control_totals(
    table: Table, importer: Importer, error_rows: set[int]
) -> tuple[Decimal | None, Decimal | None]:
    """The money column summed over the rows the import accepts, and over the failed rows whose
    amount can be read (each amount read as the importer reads it: rounded half-up to cents)."""
    key = importer.money_column
    if key is None:
        return None, None
    column = table.columns[[c.key for c in importer.columns].index(key)]
    everything = _sum_cents(list(column))
    failed = (
        _sum_cents([value for n, value in zip(table.numbers, column, strict=True) if n in error_rows])
        if error_rows
        else 0
    )
    return Decimal(everything - failed) / 100, Decimal(failed) / 100


def _sum_cents(values: list[Any]) -> int:
    # fast path, the usual spreadsheet column: number cells that are whole cents, summed as integers
    if values and set(map(type, values)) == {float} and max(map(abs, values)) < 1e12:
        scaled = list(map((100.0).__mul__, values))
        cents = list(map(round, scaled))
        if max(map(abs, map(operator.sub, scaled, cents))) < 1e-6:
            return sum(cents)
    # and a CSV's: plain text amounts ('1234.56', '1,234.5'), exact as Decimals
    if values and values[0].__class__ is str:
        plain = cells.money_column(values)
        if plain is not None:
            return int(sum(plain) * 100)
    return sum(c for c in map(_cents, values) if c is not None)


def _cents(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(cells.money(value) * 100)
    except (CellError, ValueError, ArithmeticError):
        return None


def _data_table(
    raw_rows: list[list[Any]], layout: Layout, importer: Importer, limits: ImportLimits
) -> tuple[Table, list[int]]:
    """The rows below the header as the importer's columns, without blank and subtotal rows.

    Whole columns are taken at once (C-level transposition); only rows whose key cells are blank or
    hold a 'Total' label are looked at one by one."""
    body_start = layout.header_index + 1
    body = raw_rows[body_start:]
    if len(body) > limits.max_rows:
        raise FileError(
            ErrorCode.TOO_MANY_ROWS,
            f"The file has {len(body):,} data rows; the limit is {limits.max_rows:,}. "
            "Split it into smaller files.",
        )
    widths = set(map(len, body))
    width = max(widths, default=0)
    # rows of one width transpose as they are; ragged ones are padded
    columns = list(zip(*body, strict=True) if len(widths) <= 1 else zip_longest(*body, fillvalue=""))
    key_positions = [layout.index[k] for k in importer.key_columns if k in layout.index]
    suspects: set[int] = set()
    for j in key_positions:
        column = columns[j] if j < width else ("",) * len(body)
        odd = {v for v in set(column) if _maybe_label(v)}
        if odd:
            suspects.update(i for i, v in enumerate(column) if v in odd)
    dropped: set[int] = set()
    skipped: list[int] = []
    for i in sorted(suspects):
        raw = body[i]
        if _is_blank(raw):
            dropped.add(i)  # blank rows are not data; they are skipped without a warning
        elif _is_subtotal(raw, key_positions):
            dropped.add(i)
            skipped.append(body_start + 1 + i)
    numbers = list(range(body_start + 1, body_start + 1 + len(body)))
    keep: list[int] = []
    if dropped:
        keep = [i for i in range(len(body)) if i not in dropped]
        numbers = [numbers[i] for i in keep]
    if not numbers:
        raise FileError(
            ErrorCode.NO_DATA_ROWS,
            f"The file has a header (row {layout.header_index + 1}) but no data rows below it",
            row=layout.header_index + 1,
        )
    selected: list[Sequence[Any]] = []
    for c in importer.columns:
        position = layout.index.get(c.key)
        if position is None:
            selected.append([None] * len(numbers))
            continue
        column = columns[position] if position < width else ("",) * len(body)
        selected.append([column[i] for i in keep] if dropped else column)
    return Table(numbers, selected), skipped


def _maybe_label(value: Any) -> bool:
    """A key cell that is blank, or text that could be a 'Total' label."""
    if value is None or value == "":
        return True
    return value.__class__ is str and (not value.strip() or "otal" in value or "OTAL" in value)


def _is_blank(raw: list[Any]) -> bool:
    return all(v is None or v == "" or (isinstance(v, str) and not v.strip()) for v in raw)


def _is_subtotal(raw: list[Any], key_positions: list[int]) -> bool:
    labels = [c for c in raw if isinstance(c, str) and "otal" in c.lower() and _TOTAL_LABEL.search(c.strip())]
    if not labels:
        return False
    width = len(raw)
    for j in key_positions:
        cell = raw[j] if j < width else ""
        if cell == "" or cell is None or (isinstance(cell, str) and (not cell.strip() or cell in labels)):
            return True
    return False
