"""The ``costbridge`` command line: serve, migrate, demo, export-schema, and the users, import,
export, connector and digest commands registered by their areas."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer

from models.db import database_url, is_sqlite_url, make_engine, make_sessionmaker, migrate, normalize_url

app = typer.Typer(
    help=(
        "CostBridge: the bridge between construction project management and construction accounting "
        "(Sage 100 Contractor, Sage 300 CRE).\n\n"
        "The database is COSTBRIDGE_DATABASE_URL (default, also when set but empty: the SQLite file "
        "costbridge.db in the working directory; PostgreSQL with postgresql://user:password@host/dbname). "
        "Start with: costbridge serve --demo"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _engine():
    return make_engine()


def _shown_url() -> str:
    """The database URL with any password masked, for printing."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(normalize_url(database_url())).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL fails later with its own message
        return database_url()


def _say(message: str) -> None:
    # plain text, never wrapped: tokens and URLs must stay on one line to be copied
    typer.echo(message)


def _fail(code: str, message: str) -> NoReturn:
    typer.echo(f"Error ({code}): {message}", err=True)
    raise typer.Exit(1)


@app.command("migrate")
def migrate_cmd() -> None:
    """Create or upgrade the database schema to the latest version (Alembic migrations).

    Safe to run any number of times. `serve`, `demo` and `users create` migrate on their own; run
    this one before starting several API processes against one PostgreSQL.
    """
    migrate(_engine())
    _say(f"Database {_shown_url()} is up to date.")


@app.command("export-schema")
def export_schema(
    output: Path = typer.Option(
        None, "--output", "-o", help="Write the schema to this file instead of printing it."
    ),
) -> None:
    """Print the GraphQL schema (SDL, types sorted by name).

    The committed schema.graphql must equal this output; regenerate it after changing the API with:
    costbridge export-schema -o schema.graphql
    """
    from api.schema import schema_sdl

    sdl = schema_sdl()
    if output:
        output.write_text(sdl)
        _say(f"Wrote {output}")
    else:
        typer.echo(sdl, nl=False)


def _log_config() -> dict:
    """uvicorn's logging, plus the application's own loggers (errors under their request ids)."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["costbridge"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


@app.command("serve")
def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", envvar="COSTBRIDGE_HOST", help="Interface to bind (0.0.0.0 for all)."
    ),
    port: int = typer.Option(8000, "--port", envvar="PORT", help="TCP port to listen on."),
    demo: bool = typer.Option(
        False,
        "--demo",
        help="Load the demo company when the database has no projects, and print demo tokens.",
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        envvar="COSTBRIDGE_WORKERS",
        min=1,
        help="API processes (uvicorn's process model). More than one needs PostgreSQL; SQLite is the "
        "embedded single-machine database and takes one.",
    ),
    connector_every: int = typer.Option(
        None,
        "--connector-every",
        envvar="COSTBRIDGE_CONNECTOR_INTERVAL",
        help="Run the file connector every N seconds while serving (default: the company's export "
        "interval setting with one worker, off with several; 0 turns it off). In production run it "
        "as its own process instead: costbridge connector run --every N.",
    ),
    access_log: bool = typer.Option(
        False, "--access-log/--no-access-log", help="Log every request (off by default: errors are logged)."
    ),
) -> None:
    """Migrate the database, optionally load demo data, and serve the GraphQL API.

    GraphiQL is at http://HOST:PORT/graphql in a browser (not with COSTBRIDGE_ENV=production), a
    health check at /healthz. Every API request needs the header Authorization: Bearer <token>
    (from `users create` or --demo).
    """
    import uvicorn

    from api.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        _fail("INVALID_SETTING", str(exc))
    if workers > 1 and is_sqlite_url(database_url()):
        _fail(
            "WORKERS_NEED_POSTGRESQL",
            "SQLite is the embedded, single-machine database and is served by one process; for "
            "--workers above 1 set COSTBRIDGE_DATABASE_URL to a PostgreSQL database.",
        )
    engine = _engine()
    migrate(engine)
    if demo:
        from api.demo import load_demo_if_empty

        load_demo_if_empty(make_sessionmaker(engine), _say)
    if connector_every is None:
        if workers > 1:
            connector_every = 0
            _say("file connector: not run by a multi-worker server; run `costbridge connector run --every N`")
        else:
            from models.company import get_settings

            with make_sessionmaker(engine)() as session:
                connector_every = get_settings(session).export_interval_seconds
                session.commit()
    engine.dispose()
    scheduler = connector_engine = None
    if connector_every > 0:
        from exporters.connectors.scheduler import start_file_connector

        # its own small pool: the API's connections stay the API's
        connector_engine = make_engine(pool_size=1, max_overflow=1)
        scheduler = start_file_connector(make_sessionmaker(connector_engine), connector_every)
        _say(f"file connector runs every {connector_every} s")
    _say(
        f"CostBridge on http://{host}:{port}/graphql  (database: {_shown_url()}; {settings.mode} mode; "
        f"{workers} worker{'s' if workers > 1 else ''})"
    )
    if is_sqlite_url(database_url()):
        _say("SQLite: the embedded single-machine set-up (one process); production runs PostgreSQL")
    try:
        uvicorn.run(
            "api.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            log_config=_log_config(),
            access_log=access_log,
            server_header=False,
            # uvloop and httptools where installed (they are dependencies), asyncio and h11 otherwise
            loop="auto",
            http="auto",
            ws="websockets",
            # a WebSocket message is refused by the protocol itself past the application's own cap
            ws_max_size=settings.ws_max_message_bytes + 1024,
            ws_per_message_deflate=False,
        )
    finally:
        if scheduler is not None:
            scheduler.stop()
        if connector_engine is not None:
            connector_engine.dispose()


@app.command("demo")
def demo_cmd() -> None:
    """Load the demo company into a database without projects, and print demo tokens.

    Pacific Ridge Builders (Sage 100 Contractor, US): three California projects, cost codes and
    types, vendors, budgets, commitments in several workflow states, a change order, a
    subcontractor invoice and job costs, plus three users (admin, project manager, accounting
    approver). A database that already has projects is left as it is; each run prints a fresh
    token for every demo user it has.
    """
    from api.demo import load_demo_if_empty

    engine = _engine()
    migrate(engine)
    load_demo_if_empty(make_sessionmaker(engine), _say)
    engine.dispose()


def _register_area_commands() -> None:
    # Each area (users, imports/exports, connectors, digest) adds its own commands in its own module.
    import importlib

    for module in ("api.cli_users", "api.cli_workflow", "api.cli_imports", "api.cli_exports"):
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
