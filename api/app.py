"""The ASGI application: GraphQL at /graphql (GraphiQL on GET outside production; subscriptions over
WebSocket), the file download routes, and /healthz.

Request path: ``ServingMiddleware`` gives the request an id and reads and caps its body; the route
then runs all its database work (token lookup included) as one job on the worker pool, sized with
the database pool (``api.serving``). WebSocket connections to /graphql carry GraphQL subscriptions
(``api.subscriptions``); the hub of change notices starts and stops with the application.
``app_from_env`` is the factory ``costbridge serve`` hands to uvicorn, which calls it once in each
worker process.
"""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from api.schema import schema
from api.serving.failures import REQUEST_ID, code_for_status, error_response, failure_response
from api.serving.graphql_http import GraphQLEndpoint
from api.serving.middleware import ServingMiddleware
from api.serving.session import Services
from api.serving.tokens import TokenCache
from api.serving.workers import DatabaseWorkers
from api.settings import Settings, current_settings
from api.subscriptions.hub import EventHub, weakly
from models import events
from models.db import make_engine, make_sessionmaker, pool_capacity, set_statement_timeout


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok")


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", None) or REQUEST_ID.get()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = code_for_status(exc.status_code)
    return error_response(exc.status_code, code, str(exc.detail), _request_id(request), exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    return failure_response(exc, _request_id(request), request.url.path)


def create_app(engine: Engine | None = None, settings: Settings | None = None) -> ASGIApp:
    """The application over ``engine`` (default: the configured database, disposed on shutdown)."""
    settings = settings or current_settings()
    owned = engine is None
    engine = engine or make_engine()
    factory = make_sessionmaker(engine)
    factory.configure(info={"db_retry_seconds": settings.db_retry_seconds})
    set_statement_timeout(factory, settings.statement_timeout_ms)
    workers = DatabaseWorkers(pool_capacity(engine), settings.queue_timeout_seconds)
    tokens = TokenCache(settings.token_cache_seconds)
    hub = EventHub(engine)
    hub.on_remote(tokens.on_notices)
    forget_tokens = events.add_listener(engine, weakly(tokens.on_notices))
    services = Services(factory=factory, workers=workers, settings=settings, tokens=tokens, hub=hub)
    from api import downloads

    @asynccontextmanager
    async def lifespan(_app: Starlette):
        await hub.start()
        try:
            yield
        finally:
            await hub.close()
            forget_tokens()
            workers.shutdown()
            if owned:
                engine.dispose()

    graphql = GraphQLEndpoint(schema, services)
    routes = [
        Route("/healthz", healthz),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        *downloads.routes,
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.engine = engine
    app.state.session_factory = factory
    app.state.services = services
    return ServingMiddleware(app, settings)


def app_from_env() -> ASGIApp:
    """The application as the environment configures it (uvicorn's factory, one per process)."""
    app = create_app()
    # What the process holds from here on (modules, the schema, mappers, the pool) lives as long as
    # the process: the cyclic garbage collector stops scanning it. Otherwise each collection of the
    # oldest generation walks ~200,000 objects, about 20 ms of every large request.
    gc.collect()
    gc.freeze()
    return app
