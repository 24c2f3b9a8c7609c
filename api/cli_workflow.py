"""Workflow commands: ``costbridge connector run`` (the file connector) and ``costbridge digest``
(the approver's daily summary)."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from models.db import make_engine, make_sessionmaker, migrate

connector_app = typer.Typer(help="Deliver accepted ERP exports.", no_args_is_help=True)


@connector_app.command("run")
def connector_run(
    folder: Path = typer.Option(
        None, "--folder", help="Write the CSV files here instead of the configured export folder."
    ),
    every: int = typer.Option(
        0, "--every", min=0, help="Keep running, once every this many seconds (0: run once and exit)."
    ),
) -> None:
    """Write every queued ERP export into ERP-importable CSV files (one per ERP entity) and
    acknowledge them. One run at a time per company (a second one does nothing); safe to re-run
    after a crash: the delivery journal makes sure nothing is written twice."""
    from exporters.connectors.file import run_file_connector

    engine = make_engine()
    migrate(engine)
    factory = make_sessionmaker(engine)
    try:
        while True:
            run = run_file_connector(factory, folder)
            if run.skipped:
                typer.echo(f"nothing done: {run.skipped}")
            for path in run.files:
                typer.echo(f"wrote {path}")
            typer.echo(
                f"{len(run.acknowledged)} export(s) acknowledged"
                + (f" ({len(run.recovered)} from an interrupted run)" if run.recovered else "")
                + (f", {len(run.failed)} failed (ERP key taken)" if run.failed else "")
            )
            for error in run.errors:
                typer.echo(f"error: {error}", err=True)
            if not every:
                break
            time.sleep(every)
    finally:
        engine.dispose()
    if run.errors:
        raise typer.Exit(1)


def digest_cmd() -> None:
    """Print what awaits accounting acceptance, grouped by type, with how long each has waited."""
    from models.policy import COMMAND_LINE
    from models.workflow import approval_digest, digest_text

    engine = make_engine()
    migrate(engine)
    try:
        with make_sessionmaker(engine)() as session:
            typer.echo(digest_text(approval_digest(session, COMMAND_LINE)), nl=False)
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    app.add_typer(connector_app, name="connector")
    app.command("digest")(digest_cmd)
