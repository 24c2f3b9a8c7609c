"""The ``costbridge`` command line: serve, migrate, demo, users, export-schema, and the import,
export, connector and digest commands registered by their areas."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from models.db import database_url, make_engine, make_sessionmaker, migrate, transaction

app = typer.Typer(
    help="CostBridge: the bridge between construction project management and construction accounting.",
    no_args_is_help=True,
    add_completion=False,
)
users_app = typer.Typer(help="Manage users and their API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
console = Console()


def _engine():
    return make_engine()


@app.command("migrate")
def migrate_cmd() -> None:
    """Create or upgrade the database schema (Alembic migrations) at COSTBRIDGE_DATABASE_URL."""
    migrate(_engine())
    console.print(f"database at {database_url()} is up to date")


@app.command("export-schema")
def export_schema(
    output: Path = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Print the GraphQL schema (SDL, sorted) that schema.graphql must match."""
    from api.schema import schema_sdl

    sdl = schema_sdl()
    if output:
        output.write_text(sdl)
    else:
        typer.echo(sdl, nl=False)


@users_app.command("create")
def users_create(
    name: str = typer.Option(..., help="Full name."),
    email: str = typer.Option(..., help="Email address (unique)."),
    admin: bool = typer.Option(False, "--admin", help="ADMIN on every tool."),
    approver: bool = typer.Option(
        False,
        "--approver",
        help="Accounting approver: STANDARD on ERP Integrations + can push to accounting.",
    ),
) -> None:
    """Create a user and print a new API token once (it is stored hashed and cannot be shown again)."""
    from models.enums import PermissionLevel, Tool
    from models.errors import DomainError
    from models.users import ALL_ADMIN, create_user, issue_token

    levels = dict(ALL_ADMIN) if admin else {tool: PermissionLevel.READ_ONLY for tool in Tool}
    if approver and levels[Tool.ERP_INTEGRATIONS] < PermissionLevel.STANDARD:
        levels[Tool.ERP_INTEGRATIONS] = PermissionLevel.STANDARD
    engine = _engine()
    migrate(engine)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            user = create_user(
                session, name=name, email=email, levels=levels, can_push_to_accounting=approver
            )
            token = issue_token(session, user, label="cli")
    except DomainError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(1) from None
    console.print(f"created user {user.email} (id {user.id})")
    typer.echo(token)


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(int(os.environ.get("PORT", "8000")), help="Port (PORT overrides the default)."),
    demo: bool = typer.Option(False, "--demo", help="Load demo data first when the database is empty."),
) -> None:
    """Migrate, optionally load demo data, and serve GraphQL (GraphiQL at /graphql)."""
    import uvicorn

    from api.app import create_app

    engine = _engine()
    migrate(engine)
    if demo:
        from models.demo import load_demo_if_empty

        load_demo_if_empty(make_sessionmaker(engine), console.print)
    console.print(f"CostBridge on http://{host}:{port}/graphql  (database: {database_url()})")
    uvicorn.run(create_app(engine=engine), host=host, port=port, log_level="info")


@app.command("demo")
def demo_cmd() -> None:
    """Load the demo company (projects, vendors, budgets, commitments, users) into an empty database."""
    from models.demo import load_demo_if_empty

    engine = _engine()
    migrate(engine)
    load_demo_if_empty(make_sessionmaker(engine), console.print)


def _register_area_commands() -> None:
    # Each area (imports/exports, connectors, digest) adds its own commands in its own module.
    import importlib

    for module in ("api.cli_workflow", "api.cli_imports", "api.cli_exports"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(app)


_register_area_commands()

if __name__ == "__main__":
    app()
