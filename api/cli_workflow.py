"""Workflow commands: ``costbridge connector run`` (the file connector, and the approvers' daily
digest e-mail when it is due) and ``costbridge digest`` (print the summary, or ``--send`` it to
every approver now)."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from models.db import make_engine, make_sessionmaker, migrate
from models.errors import DomainError

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
    from exporters.digest_mail import send_due_digest

    engine = make_engine()
    migrate(engine)
    factory = make_sessionmaker(engine)
    try:
        while True:
            try:
                run = run_file_connector(factory, folder)
            except DomainError as exc:
                typer.echo(f"Error ({exc.code}): {exc.message}", err=True)
                raise typer.Exit(1) from None
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
            try:
                delivery = send_due_digest(factory)
            except DomainError as exc:
                typer.echo(f"digest: {exc.code}: {exc.message}", err=True)
            else:
                if delivery is not None:
                    typer.echo(_delivery_summary(delivery))
            if not every:
                break
            time.sleep(every)
    finally:
        engine.dispose()
    if run.errors:
        raise typer.Exit(1)


def _delivery_summary(delivery) -> str:
    sent = ", ".join(f"{email} ({count} item(s))" for email, count in delivery.sent.items()) or "nobody"
    text = f"digest sent to {sent}"
    if delivery.skipped:
        text += f"; nothing waiting for {', '.join(delivery.skipped)}"
    for email, reason in delivery.failed.items():
        text += f"; NOT delivered to {email}: {reason}"
    return text


def digest_cmd(
    send: bool = typer.Option(
        False,
        "--send",
        help="E-mail each accounting approver the items waiting for them now, instead of printing.",
    ),
) -> None:
    """Print what awaits accounting acceptance, grouped by type, with how long each has waited and
    its ID; with --send, e-mail it to every accounting approver (one message each, listing what that
    approver may decide on; approvers with nothing waiting get none)."""
    from models.policy import COMMAND_LINE
    from models.workflow import approval_digest, digest_text

    engine = make_engine()
    migrate(engine)
    try:
        with make_sessionmaker(engine)() as session:
            if not send:
                typer.echo(digest_text(approval_digest(session, COMMAND_LINE)), nl=False)
                return
            from exporters.digest_mail import send_digests

            try:
                delivery = send_digests(session, COMMAND_LINE)
            except DomainError as exc:
                typer.echo(f"Error ({exc.code}): {exc.message}", err=True)
                raise typer.Exit(1) from None
            typer.echo(_delivery_summary(delivery))
            if not delivery.ok:
                raise typer.Exit(1)
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    app.add_typer(connector_app, name="connector")
    app.command("digest")(digest_cmd)
