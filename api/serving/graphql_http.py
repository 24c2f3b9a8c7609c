"""GraphQL over HTTP at /graphql: GraphiQL on GET (not in production), queries by GET, queries and
mutations by POST as JSON or as a multipart upload.

On the event loop the endpoint only gathers the request (the body is already read and capped; a
multipart form is split into the operation and its files); then ONE worker job authenticates,
decodes the operation, runs it (parse, limits, validation, execution with synchronous resolvers),
codes its errors and encodes the JSON answer.

WebSocket connections (GraphQL subscriptions, graphql-transport-ws) go to strawberry's protocol
handler as ``api.subscriptions.ws`` extends it: signed in by ``connection_init``, bounded, with the
database work of each event on the same worker pool.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLRequestData, process_result
from strawberry.http.parse_content_type import parse_content_type
from strawberry.http.types import HTTPMethod
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.graphql import OperationType

from api.context import Context
from api.serving.failures import REQUEST_ID, code_for_status, coded_errors, error_response, new_request_id
from api.serving.session import AUTH_MESSAGE, Services, Unauthenticated, request_session
from api.serving.workers import ServerBusy, run_coroutine
from api.subscriptions.ws import BoundedAdapter, Connection, SubscriptionHandler
from models.errors import ErrorCode


def request_id_of(request: Request) -> str:
    return getattr(request.state, "request_id", None) or REQUEST_ID.get()


class GraphQLEndpoint(GraphQL):
    graphql_transport_ws_handler_class = SubscriptionHandler
    websocket_adapter_class = BoundedAdapter

    def __init__(self, schema, services: Services) -> None:
        settings = services.settings
        super().__init__(
            schema,
            graphql_ide=None if settings.production else "graphiql",
            multipart_uploads_enabled=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
            max_subscriptions_per_connection=settings.ws_max_subscriptions,
            # the token travels in connection_init, never in a cookie: a page on another origin
            # can do nothing with a socket it opens that its own script could not do with fetch
            allowed_origins=("*",),
        )
        self.services = services
        self.connections = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        rid = request_id_of(request)
        try:
            response = await self.handle(request)
        except HTTPException as exc:
            response = error_response(exc.status_code, code_for_status(exc.status_code), exc.reason, rid)
        except Unauthenticated:
            response = error_response(
                401, ErrorCode.UNAUTHENTICATED, AUTH_MESSAGE, rid, headers={"WWW-Authenticate": "Bearer"}
            )
        except ServerBusy:
            response = error_response(
                503,
                ErrorCode.SERVER_BUSY,
                "The server is busy; retry the request.",
                rid,
                {"Retry-After": "1"},
            )
        finally:
            await request.close()  # the uploaded files of a multipart form
        await response(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.connections >= self.services.settings.ws_max_connections:
            # refused before the handshake completes: the client sees HTTP 403 and may retry later
            reason = "SERVER_BUSY: too many connections"
            await send({"type": "websocket.close", "code": 1013, "reason": reason})
            return
        scope.setdefault("state", {})
        scope["state"]["request_id"] = new_request_id()
        scope["state"]["settings"] = self.services.settings
        self.connections += 1
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.connections -= 1

    async def get_context(self, request, response=None):
        if request.scope["type"] == "websocket":
            return Connection(request, self.services, request.scope["state"]["request_id"])
        return await super().get_context(request, response)

    async def handle(self, request: Request) -> Response:
        adapter = self.request_adapter_class(request)
        if not self.is_request_allowed(adapter):
            raise HTTPException(405, "GraphQL only supports GET and POST requests.")
        if self.should_render_graphql_ide(adapter):
            if self.graphql_ide:
                return await self.render_graphql_ide(request)
            raise HTTPException(404, "Not Found")
        content_type, _ = parse_content_type(adapter.content_type or "")
        payload: Any
        if request.method == "GET":
            payload = dict(adapter.query_params)
        elif "application/json" in content_type:
            payload = await request.body()
        elif content_type == "multipart/form-data":
            payload = await self.parse_multipart(adapter)
        else:
            raise HTTPException(400, "Unsupported content type")
        sub_response = await self.get_sub_response(request)
        body = await self.services.workers.run(self._serve, request, payload, sub_response)
        response = Response(body, status_code=sub_response.status_code or 200, media_type="application/json")
        response.headers.raw.extend(sub_response.headers.raw)
        return response

    def _request_data(self, method: str, payload: Any) -> GraphQLRequestData:
        if isinstance(payload, bytes):
            payload = self.parse_json(payload)
        elif method == "GET":
            payload = self.parse_query_params(payload)
        if isinstance(payload, list):
            self._validate_batch_request(payload, protocol="http")
        if not isinstance(payload, dict):
            raise HTTPException(400, "The request body must be a JSON object")
        query, variables, extensions = (
            payload.get("query"),
            payload.get("variables"),
            payload.get("extensions"),
        )
        if not isinstance(query, str | None):
            raise HTTPException(400, "The GraphQL operation's `query` must be a string or null, if provided.")
        if not isinstance(variables, dict | None):
            raise HTTPException(
                400, "The GraphQL operation's `variables` must be an object or null, if provided."
            )
        if not isinstance(extensions, dict | None):
            raise HTTPException(
                400, "The GraphQL operation's `extensions` must be an object or null, if provided."
            )
        operation_name = payload.get("operationName")
        if not isinstance(operation_name, str | None):
            raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null.")
        return GraphQLRequestData(
            query=query, variables=variables, operation_name=operation_name, extensions=extensions
        )

    def _serve(self, request: Request, payload: Any, sub_response: Response) -> bytes:
        """The worker job: authenticate, run the operation, code its errors, encode the answer."""
        rid = request_id_of(request)
        with request_session(self.services, request) as (session, user):
            data = self._request_data(request.method, payload)
            context = Context(
                request=request,
                response=sub_response,
                session=session,
                actor=user,
                request_id=rid,
                hub=self.services.hub,
            )
            try:
                result = run_coroutine(
                    self.schema.execute(
                        data.query,
                        variable_values=data.variables,
                        context_value=context,
                        operation_name=data.operation_name,
                        allowed_operation_types=OperationType.from_http(cast(HTTPMethod, request.method)),
                        operation_extensions=data.extensions,
                    )
                )
            except MissingQueryError:
                raise HTTPException(400, "No GraphQL query found in the request") from None
            except CannotGetOperationTypeError as exc:
                raise HTTPException(400, exc.as_http_error_reason()) from None
            except InvalidOperationTypeError as exc:
                raise HTTPException(400, exc.as_http_error_reason(request.method)) from None
            result.errors = coded_errors(result.errors, rid)
            return orjson.dumps(process_result(result))
