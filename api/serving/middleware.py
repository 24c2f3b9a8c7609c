"""The outermost layer of every HTTP request: a request id, the body read and capped before
anything else runs, response headers (request id, security headers), and the last word on any
exception (a coded JSON answer, the detail in the log). Other scopes (lifespan, websocket) pass
through untouched."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.serving.body import BodyTimeout, BodyTooLarge, ClientGone, body_limit, declared_length, read_body
from api.serving.failures import REQUEST_ID, error_response, failure_response, new_request_id
from api.settings import Settings
from models.errors import ErrorCode

# always: the API serves JSON and file downloads, never pages meant to be framed or sniffed
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# production adds a policy that allows nothing to load (GraphiQL, which needs scripts, is off)
PRODUCTION_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
}


class ServingMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.headers = {**BASE_HEADERS, **(PRODUCTION_HEADERS if settings.production else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        rid = new_request_id(given)
        token = REQUEST_ID.set(rid)
        scope.setdefault("state", {})
        scope["state"]["request_id"] = rid
        scope["state"]["settings"] = self.settings
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = rid
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        try:
            body = await self._read(scope, receive, send_with_headers, rid)
            if body is None:
                return
            try:
                await self.app(scope, body.replay(receive), send_with_headers)
            except Exception as exc:
                # the application's error handler has logged it and answered when it could; an
                # exception it never saw is answered here
                if not started:
                    await failure_response(exc, rid, scope.get("path", ""))(scope, receive, send_with_headers)
            finally:
                body.close()
        finally:
            REQUEST_ID.reset(token)

    async def _read(self, scope: Scope, receive: Receive, send: Send, rid: str):
        headers = scope["headers"]
        limit = body_limit(headers, self.settings.max_json_body_bytes, self.settings.max_upload_body_bytes)
        close = {"Connection": "close"}
        too_large = (
            f"The request body is over the {limit:,}-byte limit"
            " (file uploads: COSTBRIDGE_IMPORT_MAX_FILE_BYTES;"
            " other requests: COSTBRIDGE_MAX_JSON_BODY_BYTES)"
        )
        length = declared_length(headers)
        if length is not None and length > limit:
            await error_response(413, ErrorCode.REQUEST_TOO_LARGE, too_large, rid, close)(
                scope, receive, send
            )
            return None
        try:
            return await read_body(receive, limit, self.settings.body_idle_timeout_seconds)
        except BodyTooLarge:
            await error_response(413, ErrorCode.REQUEST_TOO_LARGE, too_large, rid, close)(
                scope, receive, send
            )
        except BodyTimeout:
            message = f"The request body stalled for {self.settings.body_idle_timeout_seconds} s"
            await error_response(408, ErrorCode.REQUEST_TIMEOUT, message, rid, close)(scope, receive, send)
        except ClientGone:
            pass
        return None
