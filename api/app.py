"""The Starlette application: GraphQL at /graphql (GraphiQL on GET), bearer-token auth, one
database session per request, and the file download routes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from api.context import Context, request_actor
from api.schema import schema
from importers.limits import limits_from_env
from models.db import make_engine, make_sessionmaker
from models.users import authenticate

# room for the multipart envelope and the GraphQL operation around the uploaded file
MULTIPART_OVERHEAD_BYTES = 1024 * 1024


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


class SessionAuthMiddleware:
    """Opens the request's session, resolves the bearer token, and closes the session after.

    Every request except the GraphiQL page (GET /graphql with an HTML Accept) and /healthz needs a
    valid token; a missing or unknown one gets HTTP 401 before any GraphQL runs.
    """

    def __init__(self, app: ASGIApp, factory: sessionmaker[Session], max_body_bytes: int) -> None:
        self.app = app
        self.factory = factory
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        session = self.factory()
        try:
            token = bearer_token(request)
            user = authenticate(session, token) if token else None
            public = request.url.path == "/healthz" or (
                request.method == "GET"
                and request.url.path == "/graphql"
                and "text/html" in request.headers.get("accept", "")
            )
            if user is None and not public:
                response = JSONResponse(
                    {
                        "errors": [
                            {"message": "Authentication required: a valid 'Authorization: Bearer' token"}
                        ]
                    },
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await response(scope, receive, send)
                return
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > self.max_body_bytes:
                response = JSONResponse(
                    {
                        "errors": [
                            {
                                "message": f"Request body over {self.max_body_bytes} bytes",
                                "code": "FILE_TOO_LARGE",
                            }
                        ]
                    },
                    status_code=413,
                )
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})
            scope["state"]["session"] = session
            scope["state"]["user"] = user
            await self.app(scope, receive, send)
        finally:
            session.rollback()
            session.close()


class CostBridgeGraphQL(GraphQL):
    async def get_context(self, request: Request, response: Response | None = None) -> Context:  # type: ignore[override]
        return Context(
            request=request, response=response, session=request.state.session, actor=request_actor(request)
        )


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok")


def create_app(engine: Engine | None = None, **_: Any) -> Starlette:
    engine = engine or make_engine()
    factory = make_sessionmaker(engine)
    graphql_app = CostBridgeGraphQL(schema, graphql_ide="graphiql", multipart_uploads_enabled=True)
    from api import downloads

    routes = [
        Route("/healthz", healthz),
        Route("/graphql", graphql_app, methods=["GET", "POST"]),
        *downloads.routes,
    ]
    app = Starlette(routes=routes)
    app.state.engine = engine
    app.state.session_factory = factory
    # the HTTP cap follows the import file cap (COSTBRIDGE_IMPORT_MAX_FILE_BYTES)
    max_body = limits_from_env().max_file_bytes + MULTIPART_OVERHEAD_BYTES
    return SessionAuthMiddleware(app, factory, max_body)  # type: ignore[return-value]
