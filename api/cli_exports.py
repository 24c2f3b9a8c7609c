"""``costbridge export ...``: the budget, vendor list, job-cost report and company job-cost summary
as CSV or XLSX files, run as the command-line system actor (whoever holds the database)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from pathlib import Path

import typer
from rich.console import Console

from exporters import budget as budget_export
from exporters import job_cost_report as job_cost_export
from exporters import vendors as vendor_export
from models import reports
from models.db import make_engine, make_sessionmaker, migrate
from models.errors import DomainError
from models.policy import COMMAND_LINE

console = Console(stderr=True)
export_app = typer.Typer(
    help="Export budgets, vendors and job-cost reports as CSV or XLSX.", no_args_is_help=True
)


class FileFormat(enum.StrEnum):
    csv = "csv"
    xlsx = "xlsx"


FORMAT = typer.Option(FileFormat.csv, "--format", "-f", help="csv or xlsx.")


def _output(output: Path | None, default: str) -> Path:
    return output or Path(default)


def _write(path: Path, fmt: FileFormat, csv_chunks: Callable[[], Iterator[str]], xlsx: Callable) -> None:
    if fmt is FileFormat.csv:
        with path.open("w", encoding="utf-8", newline="") as handle:
            for chunk in csv_chunks():
                handle.write(chunk)
    else:
        with path.open("wb") as handle:
            xlsx(handle)
    console.print(f"wrote {path}")


def _run(action: Callable) -> None:
    engine = make_engine()
    migrate(engine)
    try:
        with make_sessionmaker(engine)() as session:
            action(session)
    except DomainError as exc:
        typer.echo(f"Error ({exc.code}): {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@export_app.command("budget")
def export_budget(
    project: str = typer.Option(..., "--project", "-p", help="Project number."),
    fmt: FileFormat = FORMAT,
    output: Path = typer.Option(None, "--output", "-o", help="File to write (default budget-NUMBER.FORMAT)."),
) -> None:
    """A project's budget: the import columns, then the read-only figures (re-imports cleanly)."""

    def action(session):
        found = reports.find_project(session, project)
        lines = budget_export.budget_export_lines(session, COMMAND_LINE, found.id)
        info = budget_export.budget_book(session, COMMAND_LINE, found)
        path = _output(output, f"budget-{project}.{fmt.value}")
        _write(
            path,
            fmt,
            lambda: budget_export.budget_csv(lines),
            lambda f: budget_export.write_budget_xlsx(lines, f, info),
        )

    _run(action)


@export_app.command("budget-template")
def export_budget_template(
    fmt: FileFormat = FORMAT,
    output: Path = typer.Option(None, "--output", "-o", help="File to write."),
) -> None:
    """The empty budget import template (XLSX: instructions, drop-downs of the company's codes)."""

    def action(session):
        info = budget_export.budget_book(session, COMMAND_LINE)
        path = _output(output, f"budget-template.{fmt.value}")
        _write(path, fmt, budget_export.template_csv, lambda f: budget_export.write_template_xlsx(f, info))

    _run(action)


@export_app.command("vendors")
def export_vendors(
    fmt: FileFormat = FORMAT,
    output: Path = typer.Option(None, "--output", "-o", help="File to write (default vendors.FORMAT)."),
) -> None:
    """The vendor list: Vendor Record Number, Name, Address, City, State, Zip, Sync Status."""

    def action(session):
        path = _output(output, f"vendors.{fmt.value}")
        _write(
            path,
            fmt,
            lambda: vendor_export.vendors_csv(vendor_export.vendor_export_rows(session, COMMAND_LINE)),
            lambda f: vendor_export.write_vendors_xlsx(
                vendor_export.vendor_export_rows(session, COMMAND_LINE), f
            ),
        )

    _run(action)


@export_app.command("job-cost-report")
def export_job_cost_report(
    project: str = typer.Option(..., "--project", "-p", help="Project number."),
    fmt: FileFormat = FORMAT,
    output: Path = typer.Option(None, "--output", "-o", help="File to write."),
) -> None:
    """A project's job-cost report (XLSX: the printable report with division subtotals, and the
    budget vs projected cost chart)."""

    def action(session):
        report = reports.job_cost_report(session, COMMAND_LINE, reports.find_project(session, project).id)
        path = _output(output, f"job-cost-report-{project}.{fmt.value}")
        _write(
            path,
            fmt,
            lambda: job_cost_export.report_csv(report),
            lambda f: job_cost_export.write_report_xlsx(report, f),
        )

    _run(action)


@export_app.command("job-cost-summary")
def export_job_cost_summary(
    fmt: FileFormat = FORMAT,
    output: Path = typer.Option(None, "--output", "-o", help="File to write."),
) -> None:
    """One row per project with its job-cost totals."""

    def action(session):
        summary = reports.company_job_cost_summary(session, COMMAND_LINE)
        path = _output(output, f"job-cost-summary.{fmt.value}")
        _write(
            path,
            fmt,
            lambda: job_cost_export.summary_csv(summary),
            lambda f: job_cost_export.write_summary_xlsx(summary, f),
        )

    _run(action)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
