"""Every failure a client sees carries a code; nothing internal reaches it.

- Request ids: each request gets one (or keeps a well-formed ``X-Request-Id`` it sent); it is in
  the ``X-Request-Id`` response header, in every INTERNAL_ERROR, and in the server log line that
  holds the detail.
- ``coded_errors`` turns the errors of a GraphQL result into coded ones: expected failures keep
  their message and get a code; a database that stayed busy becomes DATABASE_BUSY, a statement
  that ran out of time QUERY_TIMEOUT; anything else becomes INTERNAL_ERROR with the request id,
  its exception logged under that id and never sent (no SQL, no driver text, no class names).
- ``error_response`` is the JSON body of a failure outside GraphQL (401, 404, 413, 500 ...).
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
from collections.abc import Mapping

from graphql import GraphQLError
from starlette.responses import JSONResponse

from models.db import DatabaseBusy, is_statement_timeout, is_transient
from models.errors import DomainError, ErrorCode

log = logging.getLogger("costbridge.api")

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("costbridge_request_id", default="-")
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

BUSY_MESSAGE = "The database is busy with other changes; retry the request."
TIMEOUT_MESSAGE = "The request ran longer than the server allows and was stopped; ask for less at a time."


def new_request_id(given: str | None = None) -> str:
    if given and _CLIENT_REQUEST_ID.fullmatch(given):
        return given
    return secrets.token_hex(8)


def internal_message(request_id: str) -> str:
    return f"Internal error; the server log has the details under request id {request_id}."


def log_unexpected(exc: BaseException, request_id: str, where: str = "") -> None:
    log.error(
        "request %s: unexpected %s%s",
        request_id,
        type(exc).__name__,
        f" at {where}" if where else "",
        exc_info=(type(exc), exc, exc.__traceback__),
    )


def classify(exc: BaseException, request_id: str, where: str = "") -> tuple[ErrorCode, str]:
    """The code and client message for an exception nobody handled."""
    if isinstance(exc, DatabaseBusy) or is_transient(exc):
        log.warning("request %s: database busy%s", request_id, f" at {where}" if where else "")
        return ErrorCode.DATABASE_BUSY, BUSY_MESSAGE
    if is_statement_timeout(exc):
        log.warning("request %s: statement timeout%s", request_id, f" at {where}" if where else "")
        return ErrorCode.QUERY_TIMEOUT, TIMEOUT_MESSAGE
    log_unexpected(exc, request_id, where)
    return ErrorCode.INTERNAL_ERROR, internal_message(request_id)


def _rebuild(error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
    # a fresh error without original_error: nothing of the exception can travel further
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def _default_code(error: GraphQLError) -> str:
    if error.path is not None:
        return ErrorCode.BAD_REQUEST.value
    if error.message.startswith("Syntax Error"):
        return ErrorCode.GRAPHQL_PARSE_FAILED.value
    if error.message.startswith("Variable '$"):
        return ErrorCode.BAD_USER_INPUT.value  # a variable that does not coerce to its type
    return ErrorCode.GRAPHQL_VALIDATION_FAILED.value


def coded_error(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        extensions = {"code": original.code.value}
        if original.field:
            extensions["field"] = original.field
        return _rebuild(error, original.message, extensions)
    if original is None or isinstance(original, GraphQLError):
        # a deliberate GraphQL error: ours, strawberry's or graphql-core's (syntax, validation,
        # permission classes); its message is written for clients
        extensions = dict(error.extensions or {})
        extensions.setdefault("code", _default_code(error))
        return _rebuild(error, error.message, extensions)
    where = ".".join(str(p) for p in error.path) if error.path else ""
    code, message = classify(original, request_id, where)
    extensions = {"code": code.value}
    if code is ErrorCode.INTERNAL_ERROR:
        extensions["requestId"] = request_id
    return _rebuild(error, message, extensions)


def coded_errors(errors: list[GraphQLError] | None, request_id: str) -> list[GraphQLError] | None:
    if not errors:
        return errors
    return [coded_error(e, request_id) for e in errors]


def error_body(code: ErrorCode | str, message: str, request_id: str, **extra) -> dict:
    code = code.value if isinstance(code, ErrorCode) else code
    return {
        "errors": [
            {
                "message": message,
                "code": code,
                **extra,
                "extensions": {"code": code, "requestId": request_id},
            }
        ]
    }


def error_response(
    status: int,
    code: ErrorCode | str,
    message: str,
    request_id: str,
    headers: Mapping[str, str] | None = None,
    **extra,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, request_id, **extra), status_code=status, headers=headers)


def failure_response(exc: BaseException, request_id: str, where: str = "") -> JSONResponse:
    """The answer to an exception nothing handled: 503 for a busy database, 500 otherwise."""
    code, message = classify(exc, request_id, where)
    status = 500 if code is ErrorCode.INTERNAL_ERROR else 503
    headers = {"Retry-After": "1"} if status == 503 else None
    return error_response(status, code, message, request_id, headers)


STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    408: ErrorCode.REQUEST_TIMEOUT,
    413: ErrorCode.REQUEST_TOO_LARGE,
    503: ErrorCode.SERVER_BUSY,
}


def code_for_status(status: int) -> ErrorCode:
    return STATUS_CODES.get(status, ErrorCode.BAD_REQUEST if status < 500 else ErrorCode.INTERNAL_ERROR)
