"""The one check every HTTP response of the test suite goes through (``checked_client``, which the
``client`` fixture and every test that makes its own application client use, and the clients of the
tests that talk to a real server): every error a client
receives carries a code, and none contains SQL, a database driver's name, a Python class name or a
traceback."""

from __future__ import annotations

import json
import re

import httpx
from starlette.testclient import TestClient

LEAK = re.compile(
    r"Traceback \(most recent call last\)"
    r"|File \"[^\"]*\.py\""
    r"|<class '"
    r"|(?i:\b(?:sqlite3?|pysqlite|psycopg\w*|sqlalchemy|asyncpg)\b)"
    r"|\b(?:SELECT\s[\s\S]*\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b"
    r"|\[SQL:|\[parameters:|sqlalche\.me"
    r"|\b[A-Z][a-z]+(?:[A-Z][a-z]*)*(?:Error|Exception|Warning)\b"
    r"|\b(?:decimal|builtins)\.\w+"
    r"|\bNoneType\b|object has no attribute|not subscriptable|unsupported operand"
)


def _errors(value) -> list:
    """Every ``errors`` list anywhere in a JSON document (top-level and mutation payloads)."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if key == "errors" and isinstance(child, list):
                    found.append(child)
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _code(error) -> str | None:
    if not isinstance(error, dict):
        return None
    return error.get("code") or (error.get("extensions") or {}).get("code")


def check_response(response: httpx.Response) -> None:
    response.read()
    content_type = response.headers.get("content-type", "")
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    if "json" not in content_type:
        if response.status_code >= 400:
            match = LEAK.search(response.text)
            assert match is None, (
                f"{where}: internals in an error: {match.group(0)!r} in {response.text[:500]}"
            )
        return
    try:
        document = json.loads(response.content or b"null")
    except ValueError:
        raise AssertionError(f"{where}: a JSON response that does not parse: {response.text[:200]}") from None
    if response.status_code >= 400:
        assert isinstance(document, dict) and document.get("errors"), f"{where}: an error without errors"
    top = document.get("errors") if isinstance(document, dict) else None
    for error in top or []:
        assert _code(error), f"{where}: an error without a code: {error}"
    if response.status_code >= 500:
        codes = {_code(e) for e in top or []}
        if "INTERNAL_ERROR" in codes:
            assert response.headers.get("x-request-id"), f"{where}: INTERNAL_ERROR without a request id"
    for errors in _errors(document):
        text = json.dumps(errors)
        match = LEAK.search(text)
        assert match is None, f"{where}: internals in an error: {match.group(0)!r} in {text[:500]}"


def checked_client(app) -> TestClient:
    """A test client of ``app`` whose every response goes through ``check_response``."""
    client = TestClient(app)
    client.event_hooks = {"request": [], "response": [check_response]}
    return client
