"""Server settings read from the environment: the mode (development or production) and every limit
a request is held to. Each variable is optional; unset or empty means the default below. The
README's configuration table lists them."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import cache

from importers.limits import limits_from_env
from models.db import env_int

MODES = ("development", "production")
MIB = 1024 * 1024
# room for the multipart envelope and the GraphQL operation around an uploaded file
MULTIPART_OVERHEAD_BYTES = MIB


@dataclass(frozen=True)
class Settings:
    mode: str = "development"
    # request bodies: JSON (and anything not multipart) / multipart uploads (import files)
    max_json_body_bytes: int = 2 * MIB
    max_upload_body_bytes: int = 25 * MIB + MULTIPART_OVERHEAD_BYTES
    # a client that sends nothing for this long while its body is incomplete is dropped (408)
    body_idle_timeout_seconds: int = 30
    # a request still waiting for a database worker after this long is refused (503 SERVER_BUSY)
    queue_timeout_seconds: int = 30
    # PostgreSQL stops any statement of a request running longer than this (0: no limit)
    statement_timeout_ms: int = 30_000
    # how long a write keeps retrying SQLite lock contention or PostgreSQL serialization failures
    db_retry_seconds: int = 10
    # GraphQL operations, checked after parsing and before validation and execution
    query_max_tokens: int = 6000
    query_max_fields: int = 300
    query_max_same_name: int = 12
    query_max_depth: int = 12
    query_max_aliases: int = 30
    query_max_cost: int = 100_000
    # the assumed length of a list without `first` (a project's commitments, a budget's lines)
    query_list_size: int = 20
    # what one report field costs (jobCostReport, companyJobCostSummary)
    query_report_cost: int = 25_000
    # any string argument or variable / a search string
    max_string_length: int = 10_000
    max_search_length: int = 200
    # how long a signed-in token is remembered (0: looked up on every request); revocations reach
    # the cache at once through change notices, or after this long at the latest
    token_cache_seconds: int = 5
    # GraphQL subscriptions over WebSocket: the largest message a client may send, how long a new
    # connection may take to send connection_init, subscriptions per connection, connections per
    # process
    ws_max_message_bytes: int = 64 * 1024
    ws_init_timeout_seconds: int = 10
    ws_max_subscriptions: int = 20
    ws_max_connections: int = 1000

    @property
    def production(self) -> bool:
        return self.mode == "production"


# field -> environment variable
ENVIRONMENT = {
    "max_json_body_bytes": "COSTBRIDGE_MAX_JSON_BODY_BYTES",
    "max_upload_body_bytes": "COSTBRIDGE_MAX_UPLOAD_BODY_BYTES",
    "body_idle_timeout_seconds": "COSTBRIDGE_BODY_IDLE_TIMEOUT_SECONDS",
    "queue_timeout_seconds": "COSTBRIDGE_QUEUE_TIMEOUT_SECONDS",
    "statement_timeout_ms": "COSTBRIDGE_STATEMENT_TIMEOUT_MS",
    "db_retry_seconds": "COSTBRIDGE_DB_RETRY_SECONDS",
    "query_max_tokens": "COSTBRIDGE_QUERY_MAX_TOKENS",
    "query_max_fields": "COSTBRIDGE_QUERY_MAX_FIELDS",
    "query_max_same_name": "COSTBRIDGE_QUERY_MAX_SAME_NAME",
    "query_max_depth": "COSTBRIDGE_QUERY_MAX_DEPTH",
    "query_max_aliases": "COSTBRIDGE_QUERY_MAX_ALIASES",
    "query_max_cost": "COSTBRIDGE_QUERY_MAX_COST",
    "query_list_size": "COSTBRIDGE_QUERY_LIST_SIZE",
    "query_report_cost": "COSTBRIDGE_QUERY_REPORT_COST",
    "max_string_length": "COSTBRIDGE_MAX_STRING_LENGTH",
    "max_search_length": "COSTBRIDGE_MAX_SEARCH_LENGTH",
    "token_cache_seconds": "COSTBRIDGE_TOKEN_CACHE_SECONDS",
    "ws_max_message_bytes": "COSTBRIDGE_WS_MAX_MESSAGE_BYTES",
    "ws_init_timeout_seconds": "COSTBRIDGE_WS_INIT_TIMEOUT_SECONDS",
    "ws_max_subscriptions": "COSTBRIDGE_WS_MAX_SUBSCRIPTIONS",
    "ws_max_connections": "COSTBRIDGE_WS_MAX_CONNECTIONS",
}


DATABASE_ENVIRONMENT = (
    "COSTBRIDGE_DB_POOL_SIZE",
    "COSTBRIDGE_DB_MAX_OVERFLOW",
    "COSTBRIDGE_SQLITE_BUSY_TIMEOUT_MS",
)


class SettingsError(ValueError):
    pass


def load_settings() -> Settings:
    """The settings the environment asks for. Raises SettingsError naming a bad variable."""
    mode = os.environ.get("COSTBRIDGE_ENV", "").strip().lower() or "development"
    if mode not in MODES:
        raise SettingsError(f"COSTBRIDGE_ENV={mode!r}: use development or production")
    defaults = Settings()
    values: dict[str, int] = {}
    try:
        # the upload cap follows the import file cap unless set on its own
        upload_default = limits_from_env().max_file_bytes + MULTIPART_OVERHEAD_BYTES
        for field in fields(Settings):
            variable = ENVIRONMENT.get(field.name)
            if variable is None:
                continue
            default = (
                upload_default if field.name == "max_upload_body_bytes" else getattr(defaults, field.name)
            )
            values[field.name] = env_int(variable, default)
        for variable in DATABASE_ENVIRONMENT:  # read by models.db; checked here to fail early
            env_int(variable, 0)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    return Settings(mode=mode, **values)


@cache
def current_settings() -> Settings:
    """The process's settings, read once (tests that change the environment call cache_clear)."""
    return load_settings()
