"""`costbridge import budget|vendors|job-costs FILE`: the same imports as the GraphQL mutations, run
as the command-line system actor, with a progress bar and a summary table. Exit code 1 when the import
failed (nothing written)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from models.db import make_engine, make_sessionmaker, migrate, transaction
from models.errors import DomainError, ErrorCode
from models.policy import COMMAND_LINE

console = Console()
import_app = typer.Typer(
    help="Import budgets, ERP vendor lists and ERP job-cost loads.", no_args_is_help=True
)

FileArg = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV, XLSX, XLS, XLSB or ODS")
DryRun = typer.Option(False, "--dry-run", help="Plan and report without writing anything.")
RejectFailed = typer.Option(
    False,
    "--reject-failed-rows",
    help="Apply the good rows and report the bad ones (default: all or nothing).",
)


def _run(kind: str, path: Path, dry_run: bool, reject_failed_rows: bool, project: str | None = None) -> None:
    from importers.budget import import_budget
    from importers.job_costs import import_job_costs
    from importers.limits import limits_from_env
    from importers.pipeline import ImportOptions
    from importers.plan import ErrorPolicy
    from importers.vendors import import_vendors
    from models.projects import Project

    options = ImportOptions(
        dry_run=dry_run,
        error_policy=ErrorPolicy.REJECT_FAILED_ROWS if reject_failed_rows else ErrorPolicy.ALL_OR_NOTHING,
        limits=limits_from_env(),
    )
    engine = make_engine()
    migrate(engine)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"Reading {path.name}", total=3)
        data = path.read_bytes()
        progress.update(task, advance=1, description=f"Importing {path.name}")
        try:
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
                else:
                    run = import_job_costs(session, COMMAND_LINE, data, path.name, options)
                progress.update(task, advance=1, description="Saving")
                summary = (run.id, run.status, dict(run.counts), list(run.errors), list(run.warnings))
        except DomainError as exc:
            console.print(f"[red]{exc.code}[/red]: {exc.message}")
            raise typer.Exit(1) from None
        progress.update(task, advance=1)
    _print_summary(path.name, *summary)
    if summary[1] == "FAILED":
        raise typer.Exit(1)


def _print_summary(file_name, run_id, status, counts, errors, warnings) -> None:
    table = Table(title=f"{file_name}: {status} (import run {run_id})")
    table.add_column("Outcome")
    table.add_column("Rows", justify="right")
    for key in ("CREATE", "UPDATE", "UNCHANGED", "ERROR", "SKIPPED", "UNPLACED"):
        if key in counts:
            table.add_row(key, f"{counts[key]:,}")
    console.print(table)
    for title, issues, colour in (("Errors", errors, "red"), ("Warnings", warnings, "yellow")):
        if not issues:
            continue
        listing = Table(title=title, title_style=colour)
        for col in ("Row", "Column", "Code", "Message"):
            listing.add_column(col)
        for item in issues[:50]:
            listing.add_row(
                str(item.get("row") or ""), item.get("column") or "", item["code"], item["message"]
            )
        console.print(listing)
        if len(issues) > 50:
            console.print(f"... and {len(issues) - 50} more {title.lower()}")


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


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
