"""`costbridge import budget|vendors|job-costs|prime-contracts FILE`: the same imports as the GraphQL
mutations, run as the command-line system actor, with a progress bar that counts rows phase by phase
(percent, rows per second, time left) and a summary that fits the terminal: the rows read and what
became of each, the unplaced and failed rows by reason, the control total of the money column, and
after a refusal that nothing was written and which option would load the good rows. Exit code 1 when
the import failed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from sqlalchemy import func, select

from models.db import make_engine, make_sessionmaker, migrate, transaction
from models.errors import DomainError, ErrorCode
from models.policy import COMMAND_LINE

import_app = typer.Typer(
    help="Import budgets, ERP vendor lists, ERP job-cost loads and Sage 300 CRE contract files.",
    no_args_is_help=True,
)

FileArg = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV, XLSX, XLS, XLSB or ODS")
DryRun = typer.Option(False, "--dry-run", help="Plan and report without writing anything.")
REJECT_OPTION = "--reject-failed-rows"
RejectFailed = typer.Option(
    False,
    REJECT_OPTION,
    help="Apply the good rows and report the bad ones (default: all or nothing).",
)
# the file column the control total adds up, per import kind
MONEY_COLUMN = {"budget": "Original Budget Amount", "job-costs": "Amount"}
LISTED = 50


def _console() -> Console:
    # made per run, so the width follows the terminal (or COLUMNS) of this invocation
    return Console(highlight=False)


# --- progress ---------------------------------------------------------------------------------------


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if not speed else f"{speed:,.0f} rows/s", style="progress.data.speed")


class _RowsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text(f"{task.completed:,.0f} rows")
        return Text(f"{task.completed:,.0f}/{task.total:,.0f} rows")


class ProgressBar:
    """Shows each ImportProgress: one bar, reset at every phase."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TaskProgressColumn(),
            _RowsColumn(),
            _RateColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("Starting", total=None)
        self.phase = ""

    def __enter__(self) -> ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def __call__(self, event) -> None:
        if event.phase != self.phase:
            self.phase = event.phase
            self._restart(event.label, event.total, event.done)
        else:
            self.progress.update(self.task, total=event.total, completed=event.done)

    def status(self, text: str) -> None:
        """A step without rows to count (reading the file in, committing)."""
        self.phase = ""
        self._restart(text, None, 0)

    def _restart(self, description: str, total: int | None, done: int) -> None:
        self.progress.reset(self.task, completed=done, description=description)
        # reset() keeps the old total when given None; an unknown size is a pulsing bar
        self.progress.tasks[self.task].total = total


# --- the run ----------------------------------------------------------------------------------------


@dataclass
class RunSummary:
    """What the summary prints, taken from the ImportRun before its session closes."""

    file_name: str
    run_id: int
    status: str
    dry_run: bool
    counts: dict[str, int]
    control_total: Decimal | None
    failed_total: Decimal | None
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    @classmethod
    def of(cls, run) -> RunSummary:
        return cls(
            file_name=run.file_name,
            run_id=run.id,
            status=run.status,
            dry_run=run.dry_run,
            counts=dict(run.counts),
            control_total=run.control_total,
            failed_total=run.failed_total,
            errors=list(run.errors),
            warnings=list(run.warnings),
        )


def _run(kind: str, path: Path, dry_run: bool, reject_failed_rows: bool, project: str | None = None) -> None:
    from importers.budget import import_budget
    from importers.job_costs import import_job_costs
    from importers.limits import limits_from_env
    from importers.pipeline import ImportOptions
    from importers.plan import ErrorPolicy
    from importers.prime_contracts import import_prime_contracts
    from importers.vendors import import_vendors
    from models.projects import Project

    console = _console()
    engine = make_engine()
    migrate(engine)
    try:
        with ProgressBar(console) as bar:
            options = ImportOptions(
                dry_run=dry_run,
                error_policy=ErrorPolicy.REJECT_FAILED_ROWS
                if reject_failed_rows
                else ErrorPolicy.ALL_OR_NOTHING,
                limits=limits_from_env(),
                progress=bar,
            )
            bar.status(f"Reading {path.name}")
            data = path.read_bytes()
            with transaction(make_sessionmaker(engine)) as session:
                if kind == "budget":
                    found = session.scalar(
                        select(Project).where(func.lower(Project.number) == (project or "").strip().lower())
                    )
                    if found is None:
                        raise DomainError(
                            ErrorCode.NOT_FOUND, f"No project with number '{project}'", "project"
                        )
                    run = import_budget(session, COMMAND_LINE, found, data, path.name, options)
                elif kind == "vendors":
                    run = import_vendors(session, COMMAND_LINE, data, path.name, options)
                elif kind == "prime-contracts":
                    run = import_prime_contracts(session, COMMAND_LINE, data, path.name, options)
                else:
                    run = import_job_costs(session, COMMAND_LINE, data, path.name, options)
                summary = RunSummary.of(run)
                bar.status("Saving")
    except DomainError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    print_summary(console, summary, kind, path)
    if summary.status == "FAILED":
        raise typer.Exit(1)


# --- the summary ------------------------------------------------------------------------------------

_HEADLINES = {
    "SUCCEEDED": "every row was loaded",
    "PARTIAL": "the good rows were loaded, the failed rows were not",
    "FAILED": "nothing was written",
    "DRY_RUN": "a dry run, nothing was written",
}


def _money(amount: Decimal) -> str:
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


def _by_code(issues: list[dict]) -> Counter:
    return Counter(i["code"] for i in issues if i.get("row") is not None)


def outcome_table(summary: RunSummary, kind: str) -> Table:
    """Rows read, then where each went; the lines without indent add up to the rows read."""
    counts = summary.counts
    failed_run = summary.status == "FAILED"
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Rows", no_wrap=True)
    table.add_column("Count", justify="right", no_wrap=True)
    table.add_column("Amount" if kind in MONEY_COLUMN else "", justify="right", no_wrap=True)
    rows_read = counts.get("ROWS", 0)
    table.add_row("Read", f"{rows_read:,}", "")
    would = "would be " if summary.dry_run else ""
    errors = counts.get("ERROR", 0)
    skipped = counts.get("SKIPPED", 0)
    if failed_run and rows_read:
        good = rows_read - errors - skipped
        total = _money(summary.control_total) if summary.control_total is not None else ""
        table.add_row("Good, not written", f"{good:,}", total)
    else:
        total = _money(summary.control_total) if summary.control_total is not None else ""
        table.add_row(f"{would}Created".capitalize(), f"{counts.get('CREATE', 0):,}", "")
        unplaced = counts.get("UNPLACED", 0)
        if "UNPLACED" in counts:
            table.add_row("  of which unplaced", f"{unplaced:,}", "")
            for key, n in sorted(counts.items()):
                if key.startswith("UNPLACED:"):
                    table.add_row(f"    {key.split(':', 1)[1]}", f"{n:,}", "")
        table.add_row(f"{would}Updated".capitalize(), f"{counts.get('UPDATE', 0):,}", "")
        table.add_row("Unchanged", f"{counts.get('UNCHANGED', 0):,}", "")
        if summary.control_total is not None:
            table.add_row("  control total of the rows above", "", total)
    table.add_row(
        "Failed", f"{errors:,}", "" if summary.failed_total is None else _money(summary.failed_total)
    )
    for code, n in sorted(_by_code(summary.errors).items()):
        table.add_row(f"  {code}", f"{n:,}", "")
    if skipped:
        table.add_row("Skipped (subtotal rows)", f"{skipped:,}", "")
    return table


def print_summary(console: Console, summary: RunSummary, kind: str, path: Path) -> None:
    headline = _HEADLINES.get(summary.status, summary.status.lower())
    console.print(
        Text(
            f"{summary.file_name}: {summary.status}, {headline} (import run {summary.run_id})", style="bold"
        ),
        overflow="fold",
    )
    if kind in MONEY_COLUMN:
        console.print(Text(f"Amounts: the file's {MONEY_COLUMN[kind]} column.", style="dim"), overflow="fold")
    console.print(outcome_table(summary, kind))
    if summary.status == "FAILED":
        _explain_refusal(console, summary, kind, path)
    for title, issues, colour in (
        ("Errors", summary.errors, "red"),
        ("Warnings", summary.warnings, "yellow"),
    ):
        if issues:
            console.print()
            _issues(console, title, issues, colour)


def _explain_refusal(console: Console, summary: RunSummary, kind: str, path: Path) -> None:
    counts = summary.counts
    good = counts.get("ROWS", 0) - counts.get("ERROR", 0) - counts.get("SKIPPED", 0)
    row_errors = counts.get("ERROR", 0)
    lines = ["Nothing was written: the import is all or nothing."]
    if row_errors and good > 0:
        command = f"costbridge import {kind} {path.name}" + (" --project ..." if kind == "budget" else "")
        lines.append(
            f"Fix the {row_errors:,} failed row{'' if row_errors == 1 else 's'} and import the file again, "
            f"or run `{command} {REJECT_OPTION}` to load the {_rows(good)} that are good and leave the "
            f"failed {'one' if row_errors == 1 else 'ones'} out."
        )
    elif not row_errors:
        lines.append("The file itself was refused (see the error below); fix it and import it again.")
    for line in lines:
        console.print(Text(line), overflow="fold")


def _issues(console: Console, title: str, issues: list[dict], colour: str) -> None:
    listing = Table(
        title=title, title_style=colour, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False
    )
    listing.add_column("Row", justify="right", no_wrap=True)
    listing.add_column("Column", overflow="fold")
    listing.add_column("Code", no_wrap=True)
    listing.add_column("Message", overflow="fold", ratio=1)
    for item in issues[:LISTED]:
        listing.add_row(str(item.get("row") or ""), item.get("column") or "", item["code"], item["message"])
    console.print(listing)
    if len(issues) > LISTED:
        console.print(f"... and {len(issues) - LISTED:,} more {title.lower()}")


# --- commands ---------------------------------------------------------------------------------------


@import_app.command("budget")
def budget_cmd(
    file: Path = FileArg,
    project: str = typer.Option(..., "--project", help="The project number whose budget to import into."),
    dry_run: bool = DryRun,
    reject_failed_rows: bool = RejectFailed,
) -> None:
    """Import a budget file into a project's budget."""
    _run("budget", file, dry_run, reject_failed_rows, project)


@import_app.command("vendors")
def vendors_cmd(
    file: Path = FileArg, dry_run: bool = DryRun, reject_failed_rows: bool = RejectFailed
) -> None:
    """Load the ERP's AP vendor list."""
    _run("vendors", file, dry_run, reject_failed_rows)


@import_app.command("job-costs")
def job_costs_cmd(
    file: Path = FileArg, dry_run: bool = DryRun, reject_failed_rows: bool = RejectFailed
) -> None:
    """Load ERP job-cost transactions as direct costs (unplaceable rows are kept with their reason)."""
    _run("job-costs", file, dry_run, reject_failed_rows)


@import_app.command("prime-contracts")
def prime_contracts_cmd(
    file: Path = FileArg, dry_run: bool = DryRun, reject_failed_rows: bool = RejectFailed
) -> None:
    """Load a Sage 300 CRE contract file (Contracts module, one row per contract item) into prime
    contracts."""
    _run("prime-contracts", file, dry_run, reject_failed_rows)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
