"""GraphQL subscriptions over WebSocket at /graphql, in the graphql-transport-ws protocol (strawberry's
handler, with CostBridge's request path around it).

- **Sign-in**: the first message, ``connection_init``, carries the bearer token in its payload
  (``{"Authorization": "Bearer <token>"}``; a browser cannot set headers on a WebSocket), or the
  handshake carries the usual header. Without a valid token the connection closes with 4403
  (UNAUTHENTICATED). The token is checked again, through the token cache, before every event
  delivered, so a revoked token or a disabled user stops receiving within seconds (4403).
- **Bounded**: a message over ``COSTBRIDGE_WS_MAX_MESSAGE_BYTES`` closes the connection (1009); no
  ``connection_init`` within ``COSTBRIDGE_WS_INIT_TIMEOUT_SECONDS`` closes it (4408); at most
  ``COSTBRIDGE_WS_MAX_SUBSCRIPTIONS`` subscriptions per connection (TOO_MANY_SUBSCRIPTIONS) and
  ``COSTBRIDGE_WS_MAX_CONNECTIONS`` connections per process; a subscriber that falls 1,000 events
  behind is stopped (SUBSCRIPTION_TOO_SLOW). Malformed messages close the connection with 4400.
- **Off the event loop**: parsing, limits and validation of the subscription, and for each event
  the token check, the permission check and the execution of the selection (re-reading the record
  under the subscriber's permissions) run as jobs on the database worker pool. The loop only moves
  messages and filters notices.
- **Coded errors**: every error sent has ``extensions.code``; unexpected ones are INTERNAL_ERROR
  with the connection's request id, their detail in the server log only.
- Only subscriptions travel over the WebSocket: queries and mutations are refused
  (SUBSCRIPTIONS_ONLY) and go over HTTP POST.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable
from inspect import isawaitable
from json import JSONDecodeError
from typing import Any, cast

from graphql import (
    ExecutionResult,
    Executor,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    create_source_event_stream,
    execute_subscription_event,
    located_error,
    specified_rules,
)
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived, WebSocketDisconnected
from strawberry.schema.schema import validate_document
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.utils.aio import aclosing

from api.context import Context
from api.serving.failures import classify, coded_error, coded_errors
from api.serving.limits import check_operation, parse_document, refusal
from api.serving.workers import ServerBusy, run_coroutine
from api.subscriptions.hub import Overflow
from models.errors import ErrorCode
from models.events import Notice
from models.policy import ANONYMOUS, Actor
from models.users import SignedInUser

log = logging.getLogger("costbridge.api")

CLOSE_UNAUTHENTICATED = 4403
MAX_OPERATION_ID = 128
AUTH_REASON = 'UNAUTHENTICATED: connection_init needs {"Authorization": "Bearer <token>"}'
REVOKED_REASON = "UNAUTHENTICATED: the token was revoked or expired, or the user disabled"


class Unauthenticated(Exception):
    pass


def bearer_of(params: dict[str, Any], headers: Any) -> str | None:
    """The token of ``connection_init``'s payload (``Authorization``: ``Bearer <token>``, any case
    of the key), else of the handshake's Authorization header."""
    value = next((v for k, v in params.items() if isinstance(k, str) and k.lower() == "authorization"), None)
    if value is None:
        value = headers.get("authorization")
    if not isinstance(value, str):
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class Connection:
    """One WebSocket connection: who it signed in as, and what its subscriptions need. It is the
    context of the subscription resolvers (which only filter notices); each event is executed with
    a request ``Context`` of its own, in a worker job."""

    def __init__(self, websocket: WebSocket, services: Any, request_id: str) -> None:
        self.websocket = websocket
        self.request = websocket  # where the limits find the settings
        self.services = services
        self.request_id = request_id
        self.connection_params: dict[str, Any] = {}
        self.token: str | None = None
        self.actor: Actor = ANONYMOUS

    @property
    def user(self) -> SignedInUser | None:
        return self.actor if isinstance(self.actor, SignedInUser) else None

    def allows(self, need: Any) -> bool:
        return bool(need.allows(self.actor))

    async def notices(self, wants: Callable[[Notice], bool]) -> AsyncGenerator[Notice, None]:
        subscriber = self.services.hub.subscribe(wants)
        try:
            while True:
                yield await subscriber.next()
        finally:
            subscriber.close()

    def sign_in(self, token: str | None) -> SignedInUser | None:
        """Worker job: the user ``token`` signs in (through the token cache)."""
        session = self.services.factory()
        try:
            return self.services.tokens.sign_in(session, token)
        finally:
            session.rollback()
            session.close()


class BoundedAdapter(ASGIWebSocketAdapter):
    """Reads text messages up to a size; a larger one closes the connection (1009)."""

    async def iter_json(self, *, ignore_parsing_errors: bool = False):
        max_bytes = cast(Any, self.view).services.settings.ws_max_message_bytes
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is None:
                    raise NonTextMessageReceived()
                if len(text) > max_bytes:
                    await self.ws.close(code=1009, reason=f"REQUEST_TOO_LARGE: over {max_bytes} bytes")
                    return
                try:
                    yield self.view.decode_json(text)
                except JSONDecodeError as exc:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived() from exc
        except WebSocketDisconnect:
            return


def _coded(errors: list[GraphQLError], request_id: str) -> list[dict[str, Any]]:
    return [dict(e.formatted) for e in coded_errors(errors, request_id) or []]


def _error_of(exc: Exception, request_id: str, field: str | None = None) -> dict[str, Any]:
    """A coded error for an exception raised while subscribing or between events."""
    if isinstance(exc, GraphQLError):
        return dict(coded_error(exc, request_id).formatted)
    error = located_error(exc, None, [field] if field else None)
    return dict(coded_error(error, request_id).formatted)


async def _send(operation: Operation, message: dict[str, Any]) -> None:
    await operation.send_operation_message(cast(Any, message))


async def deliver(operation: Operation, message: dict[str, Any]) -> bool:
    """Send one message of the operation; False when the client has gone meanwhile (it closed, or
    the server closed it for a bad message), which ends the operation quietly: no error to log."""
    try:
        await _send(operation, message)
    except WebSocketDisconnected:
        return False
    return True


class SubscriptionHandler(BaseGraphQLTransportWSHandler):
    """strawberry's graphql-transport-ws handler, with the sign-in, the bounds and the execution
    path described above."""

    context: Connection  # type: ignore[assignment]  # the view's get_context makes one

    @property
    def _graphql_schema(self) -> Any:
        return cast(Any, self.schema)._schema

    # --- messages ----------------------------------------------------------------------------

    async def handle(self) -> None:
        try:
            await super().handle()
        except Exception as exc:  # nothing a client sends may end in a traceback on its screen
            classify(exc, self.context.request_id, "websocket")
            await self._close(1011, f"INTERNAL_ERROR: request id {self.context.request_id}")

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):  # already closed
            await self.websocket.close(code=code, reason=reason[:120])

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.handle_invalid_message("Each message must be a JSON object with a string 'type'")
            return
        if message["type"] == "subscribe":
            problem = _subscribe_problem(message)
            if problem:
                await self.handle_invalid_message(problem)
                return
        await super().handle_message(message)  # type: ignore[arg-type]

    async def handle_connection_init(self, message: Any) -> None:
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            await self._close(4400, "Invalid connection init payload")
            return
        if self.connection_init_received:
            await self._close(4429, "Too many initialisation requests")
            return
        self.connection_init_received = True
        connection = self.context
        connection.connection_params = payload
        connection.token = bearer_of(payload, connection.websocket.headers)
        try:
            user = await connection.services.workers.run(connection.sign_in, connection.token)
        except ServerBusy:
            await self._close(1013, "SERVER_BUSY: retry")
            return
        if user is None:
            await self._close(CLOSE_UNAUTHENTICATED, AUTH_REASON)
            return
        connection.actor = user
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True

    async def handle_subscribe(self, message: Any) -> None:
        if (
            self.connection_acknowledged
            and message["id"] not in self.operations
            and self.max_subscriptions_per_connection is not None
            and len(self.operations) >= self.max_subscriptions_per_connection
        ):
            error = refusal(
                ErrorCode.TOO_MANY_SUBSCRIPTIONS,
                f"A connection holds at most {self.max_subscriptions_per_connection} subscriptions; "
                "complete one first",
                limit=self.max_subscriptions_per_connection,
            )
            await self.send_message(
                cast(Any, {"id": message["id"], "type": "error", "payload": [error.formatted]})
            )
            return
        await super().handle_subscribe(message)

    # --- one subscription -----------------------------------------------------------------------

    async def run_operation(self, operation: Operation) -> None:
        connection = self.context
        rid = connection.request_id
        workers = connection.services.workers
        field: str | None = None
        try:
            prepared = await workers.run(self._prepare, operation)
            if isinstance(prepared, list):
                await operation.send_initial_errors(prepared)
                return
            executor, field = prepared
            stream: Any = create_source_event_stream(executor)
            if isawaitable(stream):
                stream = await stream
            if isinstance(stream, ExecutionResult):
                payload = _coded(stream.errors or [], rid)
                await deliver(operation, {"id": operation.id, "type": "error", "payload": payload})
                return
            async with aclosing(stream):
                while True:
                    try:
                        payload = await stream.__anext__()
                    except StopAsyncIteration:
                        break
                    try:
                        result = await workers.run(self._execute_event, executor, payload)
                    except ServerBusy:
                        busy = refusal(ErrorCode.SERVER_BUSY, "The server was too busy to deliver an event")
                        result = {"data": None, "errors": [busy.formatted]}
                    if result is not None:
                        message = {"id": operation.id, "type": "next", "payload": result}
                        if not await deliver(operation, message):
                            self.operations.pop(operation.id, None)
                            return
            await deliver(operation, {"id": operation.id, "type": "complete"})
        except asyncio.CancelledError:
            raise
        except Unauthenticated:
            self.operations.pop(operation.id, None)
            await self._close(CLOSE_UNAUTHENTICATED, REVOKED_REASON)
        except Overflow:
            error = refusal(
                ErrorCode.SUBSCRIPTION_TOO_SLOW,
                "The subscription fell too far behind and was stopped; subscribe again and re-read",
            )
            await self._send_error(operation, [dict(error.formatted)])
        except Exception as exc:
            await self._send_error(operation, [_error_of(exc, rid, field)])

    async def _send_error(self, operation: Operation, payload: list[dict[str, Any]]) -> None:
        try:
            await _send(operation, {"id": operation.id, "type": "error", "payload": payload})
        except Exception:  # the client is gone
            self.operations.pop(operation.id, None)

    def _prepare(self, operation: Operation) -> tuple[Executor, str] | list[GraphQLError]:
        """Worker job: parse (token limit), check the limits, validate, accept subscriptions only,
        coerce the variables. Coded errors come back as a list."""
        connection = self.context
        rid = connection.request_id
        settings = connection.services.settings
        variables = operation.variables or {}
        try:
            document = parse_document(operation.query, settings)
            check_operation(
                document,
                self._graphql_schema,
                variables,
                operation.operation_name,
                settings,
                connection.actor,
            )
        except GraphQLError as exc:
            return coded_errors([exc], rid) or []
        errors = validate_document(self._graphql_schema, document, tuple(specified_rules))
        if errors:
            return coded_errors(errors, rid) or []
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation.operation_name is not None:
            operations = [o for o in operations if o.name and o.name.value == operation.operation_name]
        if len(operations) != 1:
            return [refusal(ErrorCode.BAD_REQUEST, "Name the one operation to run (operationName)")]
        if operations[0].operation is not OperationType.SUBSCRIPTION:
            return [
                refusal(
                    ErrorCode.SUBSCRIPTIONS_ONLY,
                    "Only subscriptions run over the WebSocket; send queries and mutations by HTTP POST",
                )
            ]
        built = Executor.build(
            self._graphql_schema,
            document,
            context_value=connection,
            raw_variable_values=variables,
            operation_name=operation.operation_name,
        )
        if isinstance(built, list):
            return coded_errors(built, rid) or []
        return built, _root_field(operations[0])

    def _execute_event(self, executor: Executor, payload: Any) -> dict[str, Any] | None:
        """Worker job for one event: sign the subscriber in again (token cache), skip the event if
        they may not read what it names, else execute the selection with a request context."""
        connection = self.context
        services = connection.services
        session = services.factory()
        try:
            actor = services.tokens.sign_in(session, connection.token)
            if actor is None:
                raise Unauthenticated()
            connection.actor = actor
            if not payload.visible_to(actor):
                return None
            context = Context(
                request=connection.websocket,  # type: ignore[arg-type]
                response=None,
                session=session,
                actor=actor,
                request_id=connection.request_id,
                hub=services.hub,
            )
            event_executor = executor.build_per_event_executor(payload)
            event_executor.context_value = context
            result: Any = execute_subscription_event(event_executor)
            if isawaitable(result):
                result = run_coroutine(cast(Any, result))
            answer: dict[str, Any] = {"data": result.data}
            if result.errors:
                answer["errors"] = _coded(result.errors, connection.request_id)
            return answer
        finally:
            session.rollback()
            session.close()


def _root_field(operation: OperationDefinitionNode) -> str:
    selections = operation.selection_set.selections
    node = selections[0] if selections else None
    return getattr(getattr(node, "name", None), "value", "") or ""


def _subscribe_problem(message: dict[str, Any]) -> str | None:
    """Why a ``subscribe`` message is malformed (None when it is not)."""
    op_id = message.get("id")
    if not isinstance(op_id, str) or not 0 < len(op_id) <= MAX_OPERATION_ID:
        return f"'id' must be a string of 1 to {MAX_OPERATION_ID} characters"
    payload = message.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "'payload' must be an object with a string 'query'"
    if not isinstance(payload.get("variables"), dict | None):
        return "'variables' must be an object"
    if not isinstance(payload.get("operationName"), str | None):
        return "'operationName' must be a string"
    return None
